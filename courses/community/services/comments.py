"""Comments under articles: held for moderation until the writer is known, replies one deep.

The trust rule: a first comment from anyone waits for moderation; once a signed-in user has
one approved comment, their next ones appear at once. The instructor's appear at once and
are marked as theirs. Anonymous comments always wait.
"""

from __future__ import annotations

import ipaddress

from django.db import transaction
from django.utils import timezone

from courses import access
from courses.community.services.posting import post_guard
from courses.community.spam import SubmissionRefused
from courses.models import Article, Comment
from courses.pagecache import public_pages_changed


def _valid_ip(ip: str) -> str | None:
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return None


def _trusted(user) -> bool:
    return bool(
        user.is_authenticated
        and Comment.objects.filter(user=user, status=Comment.Status.APPROVED).exists()
    )


def comment_post(
    *, article: Article, user, name: str, email: str, body: str, parent_id: int | None,
    ip: str, honeypot: str = "", started_token: str = "",
) -> Comment:  # fmt: skip
    """Save a comment (or a reply); SubmissionRefused says why it was not."""
    if not article.allow_comments:
        raise SubmissionRefused("Comments are closed on this article.")
    parent = None
    if parent_id is not None:
        parent = Comment.objects.filter(
            pk=parent_id, article=article, status=Comment.Status.APPROVED
        ).first()
        if parent is None:
            raise SubmissionRefused("The comment you replied to is no longer there.")
        parent = parent.parent or parent  # one level deep: a reply to a reply joins its thread
    html = post_guard(user=user, ip=ip, body=body, honeypot=honeypot, started_token=started_token)
    if user.is_authenticated:
        name = user.get_full_name() or user.get_username()
        email = user.email or email
    by_instructor = access.can_moderate(user)
    approved = by_instructor or _trusted(user)
    return Comment.objects.create(
        article=article, parent=parent, user=user if user.is_authenticated else None,
        author_name=name.strip()[:80], author_email=email.strip(), body=body, body_html=html,
        status=Comment.Status.APPROVED if approved else Comment.Status.PENDING,
        by_instructor=by_instructor, ip=_valid_ip(ip),
        moderated_at=timezone.now() if approved else None,
    )  # fmt: skip


MODERATION_ACTIONS = ("approve", "spam", "delete")


@transaction.atomic
def comments_moderate(*, comment_ids: list[int], action: str) -> int:
    """Approve, mark as spam or delete comments; returns how many changed."""
    if action not in MODERATION_ACTIONS:
        raise ValueError(action)
    comments = Comment.objects.filter(pk__in=comment_ids)
    if action == "delete":
        return comments.delete()[1].get("courses.Comment", 0)
    status = Comment.Status.APPROVED if action == "approve" else Comment.Status.SPAM
    changed = comments.exclude(status=status).update(status=status, moderated_at=timezone.now())
    if changed:
        public_pages_changed()  # update() sends no signal: an approved comment shows at once
    return changed
