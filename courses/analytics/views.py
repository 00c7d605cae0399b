"""Staff pages for learner analytics: /studio/analytics/ and its CSV export.

The numbers come from courses.analytics.selectors; this module only turns them into the
geometry of two small inline SVG charts (no chart library, no JavaScript).
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from courses import access
from courses.analytics.selectors import BUCKETS, LessonStats, course_stats, csv_rows
from courses.csv_export import csv_response
from courses.models import Course
from media_pipeline.formatting import duration_label

staff_required = access.page_requires(
    access.can_view_analytics, denied="Only staff with analytics access can see this page."
)

DROPOFF_W, DROPOFF_H = 200, 60
HEAT_W, HEAT_H = 1000, 24
HEAT_COLUMNS = 200  # a one-hour lesson has 3600 bins; the strip shows at most this many


def _selected_course(request: HttpRequest) -> tuple[list[Course], Course | None]:
    courses = list(Course.objects.order_by("title"))
    slug = request.GET.get("course")
    if slug and not any(c.slug == slug for c in courses):
        raise Http404("No such course.")
    course = next((c for c in courses if c.slug == slug), None) or (courses[0] if courses else None)
    return courses, course


def dropoff_bars(lesson: LessonStats) -> list[dict]:
    width = DROPOFF_W / BUCKETS
    bars = []
    for k, share in enumerate(lesson.dropoff):
        height = share * (DROPOFF_H - 4)
        bars.append(
            {
                "x": round(k * width + 0.5, 2),
                "y": round(DROPOFF_H - height, 2),
                "width": round(width - 1, 2),
                "height": round(height, 2),
                "label": f"{k * 5}-{(k + 1) * 5} %: {share:.0%} of starters",
            }
        )
    return bars


def heat_strip(lesson: LessonStats) -> dict:
    """Columns (x, width, opacity, label) and technique markers over the lesson timeline."""
    heat, duration = lesson.heat, lesson.duration_s or 0
    columns = []
    if heat and duration:
        count = min(HEAT_COLUMNS, len(heat))
        means = []
        for i in range(count):
            chunk = heat[i * len(heat) // count : (i + 1) * len(heat) // count]
            means.append(sum(chunk) / len(chunk))
        peak = max(means) or 1
        step = HEAT_W / count
        for i, mean in enumerate(means):
            if not mean:
                continue
            start = i * len(heat) // count
            columns.append(
                {
                    "x": round(i * step, 2),
                    "width": round(step + 0.3, 2),  # overlap a hair: no seams between columns
                    "opacity": round(0.12 + 0.88 * mean / peak, 3),
                    "label": f"{duration_label(start)}: {mean:.1f} plays",
                }
            )
    markers = []
    for t in lesson.techniques:
        start, end = t.technique.start_s, t.technique.end_s
        if start is None or end is None or not duration:
            continue
        markers.append(
            {
                "x": round(HEAT_W * start / duration, 2),
                "width": round(max(HEAT_W * (end - start) / duration, 1), 2),
                "label": f"{t.technique.number}. {t.technique.name}",
            }
        )
    return {"columns": columns, "markers": markers}


@staff_required
def analytics(request: HttpRequest) -> HttpResponse:
    courses, course = _selected_course(request)
    stats = course_stats(course=course) if course else None
    lessons = []
    for lesson in stats.lessons if stats else []:
        lessons.append(
            {
                "stats": lesson,
                "duration": duration_label(lesson.duration_s or None),
                "dropoff": dropoff_bars(lesson),
                "heat": heat_strip(lesson) if lesson.techniques and lesson.heat else None,
            }
        )
    return render(
        request,
        "courses/analytics.html",
        {
            "courses": courses,
            "course": course,
            "stats": stats,
            "lessons": lessons,
            "dropoff_size": (DROPOFF_W, DROPOFF_H),
            "heat_size": (HEAT_W, HEAT_H),
        },
    )


@staff_required
def analytics_csv(request: HttpRequest) -> HttpResponse:
    _, course = _selected_course(request)
    if course is None:
        raise Http404("No course yet.")
    header, *rows = csv_rows(course_stats(course=course))
    return csv_response(filename=f"analytics-{course.slug}.csv", header=header, rows=rows)
