"""Who is enrolled in which course."""

from django.conf import settings
from django.db import models

from courses.models.catalog import Course


class Enrollment(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="enrollment_unique_user_course")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.course}"
