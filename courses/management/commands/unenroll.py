from django.core.management.base import BaseCommand

from courses.enrollment.services import enrollment_delete
from courses.management.lookups import course_get_or_fail, user_get_or_fail


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
