from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from courses.models import Course
from courses.services import enrollment_create


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
    help = "Enroll a user in a course (an admin action: no access code needed)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("course_slug")

    def handle(self, *args, username: str, course_slug: str, **options):
        user = user_get_or_fail(username)
        course = course_get_or_fail(course_slug)
        _, created = enrollment_create(user=user, course=course, check_access_code=False)
        if created:
            self.stdout.write(self.style.SUCCESS(f"Enrolled {username} in {course.slug}."))
        else:
            self.stdout.write(f"{username} is already enrolled in {course.slug}; nothing to do.")
