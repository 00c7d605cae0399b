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
    *,
    user,
    course: Course,
    access_code: str | None = None,
    check_access_code: bool = True,
    source: str | None = None,
) -> tuple[Enrollment, bool]:
    """Enroll `user` in `course`; returns (enrollment, created). Enrolling twice is a no-op.

    Learners enroll themselves only in free courses (with the shared access code where a
    course still uses one); a course with a price is bought (courses.commerce).
    `check_access_code=False` is for staff and for commerce, which enroll someone on
    purpose: `source` then records why (comp, purchase, single-use code).
    """
    existing = Enrollment.objects.filter(user=user, course=course).first()
    if existing is not None:
        return existing, False
    if check_access_code and not course.is_free and not course.requires_access_code:
        raise EnrollmentError("This course is sold: buy it, or redeem a code if you have one.")
    if source is None:
        uses_code = check_access_code and course.requires_access_code
        source = Enrollment.Source.LEGACY_CODE if uses_code else Enrollment.Source.FREE
    if check_access_code and course.requires_access_code:
        if not course.access_code.strip():
            # A required but unset code would otherwise match an empty answer.
            raise EnrollmentError("This course is not open for enrollment yet.")
        if not (access_code or "").strip():
            raise EnrollmentError("Enter the access code that came with your course.")
        if not _access_code_matches(access_code, course.access_code):
            raise EnrollmentError("That access code is not right. Check it and try again.")
    # get_or_create absorbs a double-click race through the unique constraint.
    return Enrollment.objects.get_or_create(user=user, course=course, defaults={"source": source})


def enrollment_delete(*, user, course: Course, source: str | None = None) -> bool:
    """Remove the enrollment (only one given that way, with `source`); True if there was one."""
    enrollments = Enrollment.objects.filter(user=user, course=course)
    if source is not None:
        enrollments = enrollments.filter(source=source)
    deleted, _ = enrollments.delete()
    return deleted > 0
