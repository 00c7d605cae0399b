"""What every public post goes through before it is saved: spam guards and rate limits."""

from __future__ import annotations

from django.conf import settings

from courses.community.spam import SubmissionRefused, submission_check
from courses.markup import link_count, markdown_html
from courses.ratelimit import rate_exceeded, rate_hit


def post_guard(*, user, ip: str, body: str, honeypot: str, started_token: str) -> str:
    """The body as safe HTML, or SubmissionRefused (with why) for spam, floods and excess."""
    if not body.strip():
        raise SubmissionRefused("Write something first.")
    if len(body) > settings.COMMUNITY_MAX_CHARS:
        raise SubmissionRefused(
            f"That is {len(body)} characters; please keep it under {settings.COMMUNITY_MAX_CHARS}."
        )
    html = markdown_html(body)
    submission_check(honeypot=honeypot, started_token=started_token, link_count=link_count(html))
    keys = [(f"post:ip:{ip}", settings.COMMUNITY_POSTS_PER_IP)]
    if user.is_authenticated:
        keys.append((f"post:user:{user.pk}", settings.COMMUNITY_POSTS_PER_ACCOUNT))
    if any(rate_exceeded(key, limit=limit) for key, limit in keys):
        raise SubmissionRefused(
            "You have posted a lot in a short time. Please wait a while, then post again."
        )
    for key, _ in keys:
        rate_hit(key, window_s=settings.COMMUNITY_POST_WINDOW_S)
    return html
