from django.core.management.base import BaseCommand

from courses.enrollment.services import enrollment_create
from courses.management.lookups import course_get_or_fail, user_get_or_fail
from courses.models import Enrollment


class Command(BaseCommand):
    help = (
        "Give a user a seat in a course (an admin action: no payment or access code needed;"
        " recorded as given by staff)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("course_slug")

    def handle(self, *args, username: str, course_slug: str, **options):
        user = user_get_or_fail(username)
        course = course_get_or_fail(course_slug)
        _, created = enrollment_create(
            user=user, course=course, check_access_code=False, source=Enrollment.Source.COMP
        )
        if created:
            self.stdout.write(self.style.SUCCESS(f"Enrolled {username} in {course.slug}."))
        else:
            self.stdout.write(f"{username} is already enrolled in {course.slug}; nothing to do.")
