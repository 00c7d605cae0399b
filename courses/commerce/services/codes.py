"""Single-use codes: each enrolls one account in its course, once; staff generate and revoke.

They replace the shared access code (one per course, never revocable, guessable by
trying): a code has 60 bits of randomness, a redemption locks its row, and failed tries
are limited per account and per IP and logged.
"""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from courses.enrollment.services import EnrollmentError, enrollment_create
from courses.models import AccessCode, Course, Enrollment
from courses.ratelimit import rate_exceeded, rate_hit

logger = logging.getLogger(__name__)

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols, no 0/O or 1/I
CODE_LENGTH = 12  # 32**12 = 2**60
MAX_CODES_PER_BATCH = 5000


class CodeError(Exception):
    """The code cannot be redeemed; str(error) is safe to show."""


def code_normalize(text: str) -> str:
    """What the learner typed, as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def code_display(code: str) -> str:
    """ABCDEFGHJKLM → ABCD-EFGH-JKLM, as printed on cards and in the CSV."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def access_codes_generate(
    *, course: Course, count: int, batch: str = "", created_by=None
) -> list[AccessCode]:
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise CodeError(f"Generate between 1 and {MAX_CODES_PER_BATCH} codes at a time.")
    codes = {
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)) for _ in range(count)
    }
    while len(codes) < count:  # a collision within the batch: astronomically rare
        codes.add("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))
    rows = [
        AccessCode(course=course, code=code, batch=batch.strip()[:100], created_by=created_by)
        for code in codes
    ]
    with transaction.atomic():
        return AccessCode.objects.bulk_create(rows)


def access_code_revoke(*, access_code: AccessCode) -> bool:
    """Revoke an unused code; True if it was revoked now (a redeemed code keeps its seat)."""
    updated = AccessCode.objects.filter(
        pk=access_code.pk, redeemed_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    return updated == 1


def _throttled(user_key: str, ip_key: str) -> bool:
    return rate_exceeded(user_key, limit=settings.ACCESS_CODE_MAX_FAILURES) or rate_exceeded(
        ip_key, limit=settings.ACCESS_CODE_MAX_FAILURES_PER_IP
    )


def _count_failure(keys: list[str]) -> None:
    for key in keys:
        rate_hit(key, window_s=settings.ACCESS_CODE_FAILURE_WINDOW_S)


def access_code_redeem(*, user, course: Course, code: str, client_ip: str) -> Enrollment:
    """Enroll `user` with a single-use code (or the course's legacy shared code)."""
    keys = [f"access-code:user:{user.pk}", f"access-code:ip:{client_ip}"]
    if _throttled(*keys):
        logger.warning("access code: throttled user=%s ip=%s course=%s", user.pk, client_ip,
                       course.slug)  # fmt: skip
        raise CodeError("Too many wrong codes. Wait an hour and try again, or contact us.")
    normalized = code_normalize(code)
    if not normalized:
        raise CodeError("Enter the code from your card or e-mail.")
    existing = Enrollment.objects.filter(user=user, course=course).first()
    if existing is not None:
        return existing  # nothing consumed: the code stays good for someone else
    with transaction.atomic():
        access_code = (
            AccessCode.objects.select_for_update().filter(course=course, code=normalized).first()
        )
        if access_code is not None and access_code.revoked_at is None:
            if access_code.redeemed_at is None:
                access_code.redeemed_by, access_code.redeemed_at = user, timezone.now()
                access_code.save(update_fields=["redeemed_by", "redeemed_at"])
                enrollment, _ = enrollment_create(
                    user=user, course=course, check_access_code=False,
                    source=Enrollment.Source.CODE,
                )  # fmt: skip
                logger.info("access code %s redeemed by user %s", access_code.pk, user.pk)
                return enrollment
            reason = "already used"
        elif access_code is not None:
            reason = "revoked"
        elif course.requires_access_code and course.access_code.strip():
            # The legacy shared code, where a course still has one (see the studio).
            try:
                enrollment, _ = enrollment_create(user=user, course=course, access_code=code)
                return enrollment
            except EnrollmentError:
                reason = "unknown"
        else:
            reason = "unknown"
    _count_failure(keys)
    logger.warning("access code: %s code tried by user=%s ip=%s course=%s", reason, user.pk,
                   client_ip, course.slug)  # fmt: skip
    if reason == "already used":
        raise CodeError("That code has already been used.")
    if reason == "revoked":
        raise CodeError("That code has been withdrawn. Contact us if you think this is wrong.")
    raise CodeError("That code is not right. Check it and try again.")
