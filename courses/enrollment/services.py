"""Enrolling a learner in a course, and removing the enrollment."""

from __future__ import annotations

import hmac

from courses.models import Course, Enrollment


class EnrollmentError(Exception):
    """Enrollment refused; str(error) is safe to show to the learner."""


def _access_code_matches(given: str | None, expected: str) -> bool:
    # Learners copy codes from e-mails and printed inserts: ignore case and stray spaces.
    given_norm = (given or "").strip().casefold().encode()
    expected_norm = expected.strip().casefold().encode()
    # compare_digest keeps the comparison time independent of how much matched.
    return hmac.compare_digest(given_norm, expected_norm)


def enrollment_create(
    *, user, course: Course, access_code: str | None = None, check_access_code: bool = True
) -> tuple[Enrollment, bool]:
    """Enroll `user` in `course`; returns (enrollment, created). Enrolling twice is a no-op.

    `check_access_code=False` is for staff actions (management command, admin)
    that enroll someone on purpose without the code.
    """
    existing = Enrollment.objects.filter(user=user, course=course).first()
    if existing is not None:
        return existing, False
    if check_access_code and course.requires_access_code:
        if not course.access_code.strip():
            # A required but unset code would otherwise match an empty answer.
            raise EnrollmentError("This course is not open for enrollment yet.")
        if not (access_code or "").strip():
            raise EnrollmentError("Enter the access code that came with your course.")
        if not _access_code_matches(access_code, course.access_code):
            raise EnrollmentError("That access code is not right. Check it and try again.")
    # get_or_create absorbs a double-click race through the unique constraint.
    return Enrollment.objects.get_or_create(user=user, course=course)


def enrollment_delete(*, user, course: Course) -> bool:
    """Remove the enrollment; True if there was one."""
    deleted, _ = Enrollment.objects.filter(user=user, course=course).delete()
    return deleted > 0
