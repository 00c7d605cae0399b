"""Read-only JSON for the catalog and syllabus (mounted at /api/ by config/api.py)."""

from ninja import Router, Schema
from ninja.errors import HttpError

from courses.catalog.selectors import course_list, course_syllabus_get
from courses.models import Course, Lesson, lesson_duration_s

router = Router(tags=["courses"])


class CourseListItemOut(Schema):
    slug: str
    title: str
    lesson_count: int


class TechniqueOut(Schema):
    number: int
    name: str
    start_s: float | None
    end_s: float | None


class LessonOut(Schema):
    id: int
    number: int
    title: str
    summary: str
    is_preview: bool
    duration_s: float | None  # null until the lesson's video is ready
    techniques: list[TechniqueOut]

    @staticmethod
    def resolve_duration_s(obj: Lesson) -> float | None:
        return lesson_duration_s(obj)

    @staticmethod
    def resolve_techniques(obj: Lesson) -> list:
        return list(obj.techniques.all())  # prefetched by course_syllabus_get


class CourseDetailOut(Schema):
    slug: str
    title: str
    tagline: str
    lessons: list[LessonOut]

    @staticmethod
    def resolve_lessons(obj: Course) -> list:
        return list(obj.lessons.all())


class ErrorOut(Schema):
    detail: str


@router.get("/courses/", response=list[CourseListItemOut], summary="Published courses")
def courses_list(request):
    return list(course_list())


@router.get(
    "/courses/{slug}/",
    response={200: CourseDetailOut, 404: ErrorOut},
    summary="A course with its syllabus",
)
def course_detail(request, slug: str):
    try:
        return course_syllabus_get(slug=slug)
    except Course.DoesNotExist:
        raise HttpError(404, "Course not found.") from None
