"""Opting in and out, and sending the weekly reminders in batches, at most once a week each."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from courses.community.services.notifications import emails_opted_out, mail_with_unsubscribe
from courses.models import EmailOptOut, ReminderSent, ReminderSubscription
from courses.reminders.rules import week_of
from courses.reminders.selectors import reminder_candidates, reminder_for

logger = logging.getLogger(__name__)
KIND = EmailOptOut.Kind.REMINDERS


def reminders_subscribe(*, user, on: bool) -> bool:
    """Opt in (again: an earlier unsubscribe link no longer applies) or out; returns ``on``."""
    if on:
        ReminderSubscription.objects.get_or_create(user=user)
        if user.email:
            EmailOptOut.objects.filter(email=user.email.lower(), kind=KIND).delete()
    else:
        ReminderSubscription.objects.filter(user=user).delete()
    return on


def reminders_subscribed(*, user) -> bool:
    return ReminderSubscription.objects.filter(user=user).exists()


def _claim(user, week) -> ReminderSent | None:
    try:
        with transaction.atomic():
            return ReminderSent.objects.create(user=user, week=week)
    except IntegrityError:  # another run (or this one, before a crash) has it
        return None


def reminders_send_batch(*, now: datetime | None = None, batch: int | None = None) -> int:
    """Send this week's reminders to up to ``batch`` subscribers; the number sent.

    Each learner's week is claimed (a ReminderSent row, committed) before their mail goes,
    so a crash and a rerun, or two workers at once, never send anyone two."""
    now = now or timezone.now()
    batch = batch or settings.REMINDER_BATCH_SIZE
    week = week_of(timezone.localdate(now))
    subscriptions = list(reminder_candidates(today=timezone.localdate(now), limit=batch))
    opted_out = emails_opted_out([s.user.email for s in subscriptions], KIND)
    sent = 0
    for subscription in subscriptions:
        user = subscription.user
        if user.email.lower() in opted_out:
            subscription.delete()  # the unsubscribe link was followed
            continue
        reminder = reminder_for(user=user, now=now)
        if not reminder.worth_sending:
            continue  # nothing to say this time; a later run this week may have something
        claim = _claim(user, week)
        if claim is None:
            continue
        _send(reminder)
        claim.sent_at = timezone.now()
        claim.save(update_fields=["sent_at"])
        sent += 1
    if sent:
        logger.info("practice reminders: %d sent for the week of %s", sent, week)
    return sent


def _send(reminder) -> None:
    site = settings.SITE_URL.rstrip("/")
    lesson = reminder.continue_lesson
    context = {
        "user": reminder.user,
        "course": reminder.continue_course.course if reminder.continue_course else None,
        "lesson": lesson.lesson if lesson else None,
        "position": lesson.position_s if lesson else 0,
        "lesson_url": (
            site
            + reverse(
                "courses:lesson_detail", args=[lesson.lesson.course.slug, lesson.lesson.number]
            )
            + (f"?t={lesson.resume_t}" if lesson.resume_t else "")
            if lesson
            else ""
        ),
        "due": [
            (
                technique,
                day,
                site + reverse("courses:technique_index", args=[technique.course.slug]),
            )
            for technique, day in reminder.due
        ],
        "settings_url": site + reverse("courses:dashboard"),
    }
    subject = f"Continue {lesson.lesson.title}" if lesson else "Techniques to practise this week"
    mail_with_unsubscribe(
        to=reminder.user.email, kind=KIND, subject=subject, template="reminder", context=context
    ).send()
