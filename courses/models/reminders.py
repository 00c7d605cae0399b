"""Practice reminders: who asked for them, and which week each learner got one."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ReminderSubscription(models.Model):
    """A learner who opted in to the weekly reminder e-mail (deleted when they opt out)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_subscription"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"reminders for {self.user_id}"


class ReminderSent(models.Model):
    """One per learner and week, written before the mail goes: a rerun after a crash finds it
    and sends nothing twice (at most once a week, even if that week's mail was lost)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="The Monday of the week the reminder is for.")
    claimed_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "week"], name="reminder_once_a_week")
        ]

    def __str__(self) -> str:
        return f"reminder for {self.user_id}, week of {self.week}"
