"""Practice reminders: opt-in, who gets what (a week without watching; techniques due after
1, 3, 7, 14, 30 days), at most one a week, idempotent over a crash and a rerun, one-click
unsubscribe. Delivered to a real SMTP server on loopback (aiosmtpd)."""

import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from courses.models import (
    EmailOptOut,
    Enrollment,
    LessonProgress,
    ReminderSent,
    ReminderSubscription,
    Technique,
    TechniquePractice,
)
from courses.reminders import services
from courses.reminders.rules import technique_due_on, week_of
from courses.reminders.services import reminders_send_batch, reminders_subscribe
from tests.factories import CourseFactory, LessonFactory, UserFactory, ready_video_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def course():
    course = CourseFactory(title="Cranial course")
    first = LessonFactory(
        course=course, number=1, title="Listening hands", video=ready_video_create(600)
    )
    LessonFactory(course=course, number=2, title="The still point", video=ready_video_create(600))
    Technique.objects.create(course=course, lesson=first, number=1, name="Vault hold")
    Technique.objects.create(course=course, lesson=first, number=2, name="CV-4")
    return course


def learner(course, name, *, watched_days_ago=None, subscribe=True):
    user = UserFactory(username=name, email=f"{name}@example.org")
    Enrollment.objects.create(user=user, course=course)
    if watched_days_ago is not None:
        LessonProgress.objects.create(
            user=user, lesson=course.lessons.get(number=1), intervals=[[0, 130]], watched_s=130,
            position_s=130, last_watched_at=timezone.now() - timedelta(days=watched_days_ago),
        )  # fmt: skip
    if subscribe:
        reminders_subscribe(user=user, on=True)
    return user


def test_spacing_after_1_3_7_14_30_days():
    day = date(2026, 3, 1)
    assert [technique_due_on(last_practiced_on=day, times_practiced=n) for n in range(1, 7)] == [
        day + timedelta(days=d) for d in (1, 3, 7, 14, 30, 30)
    ]
    assert week_of(date(2026, 12, 6)) == date(2026, 11, 30)  # a Sunday: its week's Monday


def test_who_gets_a_reminder_and_what_it_says(course, smtp_server):
    learner(course, "away", watched_days_ago=8)
    recent = learner(course, "recent", watched_days_ago=2)
    practising = learner(course, "practising", watched_days_ago=1)
    vault, cv4 = course.techniques.order_by("number")
    today = timezone.localdate()
    # Vault hold practised twice, last 3 days ago: due (3-day step). CV-4 once, today: not yet.
    TechniquePractice.objects.create(
        user=practising, technique=vault, practiced_on=today - timedelta(days=9)
    )
    TechniquePractice.objects.create(
        user=practising, technique=vault, practiced_on=today - timedelta(days=3)
    )
    TechniquePractice.objects.create(user=practising, technique=cv4, practiced_on=today)
    learner(course, "not-subscribed", watched_days_ago=30, subscribe=False)

    assert reminders_send_batch() == 2
    mails = {m["To"]: m for m in smtp_server.wait_for(2)}
    assert set(mails) == {"away@example.org", "practising@example.org"}
    body = mails["away@example.org"].get_body(("plain",)).get_content()
    assert 'lesson 1, "Listening hands", at 2:10' in body
    assert f"/courses/{course.slug}/lessons/1/?t=130" in body
    practice = mails["practising@example.org"].get_body(("plain",)).get_content()
    assert "Technique 1: Vault hold" in practice and "CV-4" not in practice
    assert "Listening hands" not in practice  # watched yesterday: no "continue" yet
    assert mails["away@example.org"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert recent.email not in mails


def test_at_most_one_a_week_even_after_a_crash_and_a_rerun(course, smtp_server, monkeypatch):
    learner(course, "first", watched_days_ago=10)
    learner(course, "second", watched_days_ago=10)
    real_send = services._send
    calls = []

    def crash_after_first(reminder):
        real_send(reminder)
        calls.append(reminder.user.username)
        raise OSError("the worker died here")  # after the mail went, before sent_at

    monkeypatch.setattr(services, "_send", crash_after_first)
    with pytest.raises(OSError):
        reminders_send_batch()
    monkeypatch.setattr(services, "_send", real_send)
    assert reminders_send_batch() == 1  # the rerun sends the other one only
    assert reminders_send_batch() == 0  # and nothing more this week
    smtp_server.wait_for(2)
    recipients = sorted(m["To"] for m in smtp_server.messages)
    assert recipients == ["first@example.org", "second@example.org"]
    assert ReminderSent.objects.count() == 2
    # Next week: again.
    assert reminders_send_batch(now=timezone.now() + timedelta(days=7)) == 2


def test_one_click_unsubscribe_and_opting_in_again(course, smtp_server):
    user = learner(course, "leaver", watched_days_ago=10)
    assert reminders_send_batch() == 1
    (mail,) = smtp_server.wait_for(1)
    link = re.search(
        r"https?://\S+/notifications/unsubscribe/\S+/", mail.get_body(("plain",)).get_content()
    ).group(0)
    path = re.sub(r"^https?://[^/]+", "", link)
    assert Client().post(path).status_code == 200  # what a mail client's one click does
    assert EmailOptOut.objects.filter(email="leaver@example.org", kind="reminders").exists()
    assert reminders_send_batch(now=timezone.now() + timedelta(days=7)) == 0
    assert not ReminderSubscription.objects.filter(user=user).exists()
    # Ticking the box again on the dashboard opts back in.
    client = Client()
    client.force_login(user)
    assert client.post("/reminders/", {"reminders": "on"}).status_code == 302
    assert not EmailOptOut.objects.filter(email="leaver@example.org").exists()
    assert reminders_send_batch(now=timezone.now() + timedelta(days=7)) == 1
    assert "E-mail me a weekly reminder" in client.get("/dashboard/").content.decode()
    assert client.post("/reminders/", {}).status_code == 302  # unticked: out
    assert not ReminderSubscription.objects.filter(user=user).exists()
