"""factory-boy factories for the objects tests keep making: users, courses, videos."""

from __future__ import annotations

import uuid

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from courses import access
from courses.models import Course, Enrollment, Lesson, Technique
from media_pipeline.models import Rendition, Video, VideoVersion

PASSWORD = "a-long-test-passphrase-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


def _permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


class InstructorFactory(UserFactory):
    """A staff account with the studio's, analytics' and sales' permissions (not a superuser)."""

    username = factory.Sequence(lambda n: f"instructor{n}")
    is_staff = True

    @factory.post_generation
    def permissions(user, create, extracted, **kwargs):
        if not create:
            return
        wanted = (
            extracted
            if extracted is not None
            else (
                access.MANAGE_LESSONS_PERMISSION,
                access.VIEW_ANALYTICS_PERMISSION,
                access.VIEW_ORDERS_PERMISSION,
                access.REFUND_ORDERS_PERMISSION,
                access.MANAGE_CODES_PERMISSION,
                access.MODERATE_PERMISSION,
                access.CERTIFICATES_PERMISSION,
            )
        )
        user.user_permissions.add(*(_permission(p) for p in wanted))


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    course = factory.SubFactory(CourseFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.LazyAttribute(lambda lesson: f"Lesson {lesson.number}")


class TechniqueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Technique

    lesson = factory.SubFactory(LessonFactory)
    course = factory.SelfAttribute("lesson.course")
    number = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda t: f"Technique {t.number}")


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)


class VideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Video

    title = "Lesson video"


class VideoVersionFactory(factory.django.DjangoModelFactory):
    """An uploaded version; `ready=True` makes it playable with `duration_s`."""

    class Meta:
        model = VideoVersion

    class Params:
        ready = factory.Trait(state=VideoVersion.State.READY, playable=True)

    video = factory.SubFactory(VideoFactory)
    state = VideoVersion.State.UPLOADED
    duration_s = 600.0
    original_key = factory.LazyFunction(lambda: f"originals/{uuid.uuid4()}.mp4")
    original_filename = "lesson.mp4"
    original_size = 1


class RenditionFactory(factory.django.DjangoModelFactory):
    """A complete 720p rung; `measured(average_bps=...)` gives it the bytes of a finished one."""

    class Meta:
        model = Rendition

    class Params:
        average_bps = 0

    version = factory.SubFactory(VideoVersionFactory, ready=True)
    name = "720p"
    width, height = 1280, 720
    bandwidth = 3_169_000
    playlist_key = factory.LazyAttribute(lambda r: f"videos/x/{r.name}/index.m3u8")
    segment_count = 150
    complete = True
    media_duration_s = factory.LazyAttribute(lambda r: r.version.duration_s)
    size_bytes = factory.LazyAttribute(lambda r: round(r.average_bps * r.media_duration_s / 8))


def ready_video_create(duration_s: float = 600.0, **video_fields) -> Video:
    """A Video whose current version is ready with the given duration."""
    video = VideoFactory(**video_fields)
    video.current_version = VideoVersionFactory(video=video, ready=True, duration_s=duration_s)
    video.save(update_fields=["current_version"])
    return video
