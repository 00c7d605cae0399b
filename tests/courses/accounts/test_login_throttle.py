"""Brute force: login lockout by account and by IP (django-axes), sign-up and password-reset
throttles; each refusal is a clear page (429), never a 500."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh(settings):
    settings.AXES_FAILURE_LIMIT = 3
    cache.clear()
    yield
    cache.clear()


def login(client, username, password, ip="203.0.113.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_an_account_is_locked_after_repeated_failures_even_with_the_right_password():
    user = UserFactory(username="rosa")
    client = Client()
    codes = [login(client, "rosa", "wrong", ip=f"198.51.100.{n}").status_code for n in range(3)]
    assert codes == [200, 200, 429]  # the third failure locks the account
    locked = login(client, "rosa", PASSWORD, ip="198.51.100.99")  # another IP, right password
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert (
        UserFactory(username="other")
        and login(Client(), "other", PASSWORD, ip="192.0.2.1").status_code == 302
    )
    assert user.pk


def test_an_ip_is_locked_after_failures_across_accounts():
    UserFactory(username="victim")
    client = Client()
    for name in ("a", "b", "c"):
        login(client, name, "guess")
    assert login(client, "victim", PASSWORD).status_code == 429  # same IP: locked
    assert login(Client(), "victim", PASSWORD, ip="192.0.2.50").status_code == 302


def test_the_ip_behind_the_trusted_proxy_is_the_one_counted(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="victim")
    client = Client()
    for name in ("a", "b", "c"):
        client.post(
            reverse("login"),
            {"username": name, "password": "x"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.9",
        )
    # Another visitor behind the same proxy is not locked out by the first one's failures.
    other = Client().post(
        reverse("login"),
        {"username": "victim", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.4",
    )
    assert other.status_code == 302


def test_signups_are_throttled_per_ip_and_keep_what_was_typed(settings):
    settings.SIGNUPS_PER_IP_PER_HOUR = 2
    for n in range(2):
        Client().post(
            reverse("signup"),
            {
                "username": f"u{n}",
                "email": f"u{n}@e.org",
                "password1": "long-pass-9x",
                "password2": "long-pass-9x",
            },
        )
    response = Client().post(
        reverse("signup"),
        {
            "username": "u9",
            "email": "u9@e.org",
            "password1": "long-pass-9x",
            "password2": "long-pass-9x",
        },
    )
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many sign-ups" in html and 'value="u9"' in html


def test_password_reset_mails_are_throttled_per_ip(settings, mailoutbox):
    settings.PASSWORD_RESETS_PER_IP_PER_HOUR = 2
    UserFactory(username="rosa", email="rosa@example.org")
    client = Client()
    codes = [
        client.post(reverse("password_reset"), {"email": "rosa@example.org"}).status_code
        for _ in range(3)
    ]
    assert codes == [302, 302, 429]
    assert len(mailoutbox) == 2


def test_expired_sessions_are_cleared_by_a_scheduled_task(settings):
    from datetime import timedelta

    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from courses.accounts.tasks import SESSIONS_CLEAR_TASK, sessions_clear_task

    assert SESSIONS_CLEAR_TASK in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    store = SessionStore()
    store["x"] = 1
    store.create()
    Session.objects.filter(pk=store.session_key).update(
        expire_date=timezone.now() - timedelta(days=1)
    )
    live = SessionStore()
    live["y"] = 2
    live.create()
    sessions_clear_task()
    assert list(Session.objects.values_list("pk", flat=True)) == [live.session_key]
