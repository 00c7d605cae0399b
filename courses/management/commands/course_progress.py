from django.core.management.base import BaseCommand

from courses.learning.progress.selectors import course_progress_get
from courses.management.lookups import course_get_or_fail, user_get_or_fail
from media_pipeline.formatting import duration_label


def _ref(label: str, ref: dict | None) -> str:
    if ref is None:
        return f"{label}: -"
    return (
        f'{label}: lesson {ref["number"]} "{ref["title"]}" at {duration_label(ref["position_s"])}'
    )


class Command(BaseCommand):
    help = "Print a learner's progress in a course: lessons, techniques, what comes next."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("course_slug")

    def handle(self, *args, username: str, course_slug: str, **options):
        user = user_get_or_fail(username)
        course = course_get_or_fail(course_slug)
        data = course_progress_get(user=user, course=course)
        out = self.stdout.write
        out(f"{username} in {course.slug}: {data['percent']:.1f} % of the course complete")
        out(_ref("Continue", data["continue"]))
        out(_ref("Next", data["next_unwatched"]))
        out("")
        title_width = max((len(x["title"]) for x in data["lessons"]), default=6)
        title_width = min(max(title_width, 6), 48)
        out(f"{'#':>3}  {'Lesson':<{title_width}}  {'Watched':>8}  {'Done':<4}  {'Resume':>7}")
        for lesson in data["lessons"]:
            percent = lesson["watched_percent"]
            watched = "no video" if percent is None else f"{percent:.1f} %"
            out(
                f"{lesson['number']:>3}  {lesson['title'][:title_width]:<{title_width}}  "
                f"{watched:>8}  {'yes' if lesson['completed'] else '-':<4}  "
                f"{duration_label(lesson['position_s']):>7}"
            )
        out("")
        name_width = max((len(t["name"]) for t in data["techniques"]), default=9)
        name_width = min(max(name_width, 9), 48)
        header = f"{'#':>3}  {'Technique':<{name_width}}  {'Lesson':>6}  {'Watched':<7}"
        out(f"{header}  {'Practised':>9}")
        for technique in data["techniques"]:
            out(
                f"{technique['number']:>3}  {technique['name'][:name_width]:<{name_width}}  "
                f"{technique['lesson_number']:>6}  {'yes' if technique['watched'] else '-':<7}  "
                f"{technique['practiced_count']:>9}"
            )
