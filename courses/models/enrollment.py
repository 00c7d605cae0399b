"""Who is enrolled in which course."""

from django.conf import settings
from django.db import models

from courses.models.catalog import Course


class Enrollment(models.Model):
    class Source(models.TextChoices):
        """How the seat was given, so that a refund only takes back what was bought."""

        FREE = "free", "Free course"
        PURCHASE = "purchase", "Bought"
        COMP = "comp", "Given by staff"
        CODE = "code", "Single-use code"
        LEGACY_CODE = "legacy_code", "Shared access code (legacy)"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.FREE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="enrollment_unique_user_course")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.course}"
