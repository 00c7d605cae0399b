from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from courses.models import Course
from courses.services import enrollment_delete


def user_get_or_fail(username: str):
    User = get_user_model()
    try:
        return User.objects.get(**{User.USERNAME_FIELD: username})
    except User.DoesNotExist:
        raise CommandError(f"No user named {username!r}.") from None


def course_get_or_fail(slug: str) -> Course:
    # Any course, published or not: staff may enroll testers before launch.
    try:
        return Course.objects.get(slug=slug)
    except Course.DoesNotExist:
        known = ", ".join(Course.objects.values_list("slug", flat=True)) or "none yet"
        raise CommandError(f"No course with slug {slug!r} (existing: {known}).") from None


class Command(BaseCommand):
    help = "Remove a user's enrollment in a course."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("course_slug")

    def handle(self, *args, username: str, course_slug: str, **options):
        user = user_get_or_fail(username)
        course = course_get_or_fail(course_slug)
        if enrollment_delete(user=user, course=course):
            self.stdout.write(self.style.SUCCESS(f"Unenrolled {username} from {course.slug}."))
        else:
            self.stdout.write(f"{username} was not enrolled in {course.slug}; nothing to do.")
