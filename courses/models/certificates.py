"""Certificates of completion: what was certified, frozen when it was claimed."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from courses.models.catalog import Course

# No 0/O, 1/I/L: a code read aloud or typed from paper is typed right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12  # 31^12, about 6e17: not guessable, short enough to type


def certificate_code_new() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


class Certificate(models.Model):
    """One learner's certificate for one course. Everything printed on it is copied here when
    it is claimed, so a later change of the course (its title, its hours) or of the learner's
    account changes no certificate already given; only revocation does."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="certificates")
    code = models.CharField(max_length=20, unique=True, default=certificate_code_new)
    full_name = models.CharField(max_length=150)
    course_title = models.CharField(max_length=200)
    ce_hours = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    ce_provider = models.CharField(max_length=200, blank=True)
    instructor_name = models.CharField(max_length=120, blank=True)
    completed_on = models.DateField()
    issued_at = models.DateTimeField(auto_now_add=True)
    # The PDF, made by a Celery task and kept in the object store.
    pdf_key = models.CharField(max_length=300, blank=True)
    pdf_made_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=300, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            # One valid certificate per learner and course; a revoked one may be followed by
            # a new claim (after the learner completes the course again, say).
            models.UniqueConstraint(
                fields=["user", "course"],
                condition=Q(revoked_at__isnull=True),
                name="certificate_one_valid_per_course",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.full_name}: {self.course_title}"

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None
