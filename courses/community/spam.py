"""Offline spam guards for the public forms: a honeypot, a signed time-trap, caps on links
and length. No third-party service. Each refusal says why; the form keeps the text."""

from __future__ import annotations

import time

from django.conf import settings
from django.core import signing

HONEYPOT_FIELD = "website"  # hidden from people, filled in by bots
TIMESTAMP_FIELD = "form_started"
_SALT = "courses.community.form-started"


class SubmissionRefused(Exception):
    """Refused as likely automated or abusive; str(error) tells the person what to do."""


def form_started_token(now: float | None = None) -> str:
    """A signed 'this form was shown at' stamp for a hidden field."""
    return signing.dumps(round(now if now is not None else time.time(), 3), salt=_SALT)


def submission_check(
    *, honeypot: str, started_token: str, link_count: int, now: float | None = None
) -> None:
    now = now if now is not None else time.time()
    if honeypot.strip():
        raise SubmissionRefused(
            "The form looked filled in by a program (a field meant to stay empty was not). "
            "If you are a person, clear it and post again."
        )
    try:
        started = float(signing.loads(started_token, salt=_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        raise SubmissionRefused(
            "The form had expired. Your text is still here: post it again."
        ) from None
    age = now - started
    if age < settings.COMMUNITY_MIN_FORM_SECONDS:
        raise SubmissionRefused(
            "That was quicker than anyone can type. Read your text over, then post again."
        )
    if age > settings.COMMUNITY_MAX_FORM_SECONDS:
        raise SubmissionRefused("The form had expired. Your text is still here: post it again.")
    if link_count > settings.COMMUNITY_MAX_LINKS:
        raise SubmissionRefused(
            f"At most {settings.COMMUNITY_MAX_LINKS} links per comment, please: remove some."
        )
