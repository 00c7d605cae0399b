"""`manage.py platform_setup`: the one definition of the set-up steps (make run, the image)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from courses.management.commands import platform_setup


@pytest.fixture
def steps_run(monkeypatch, settings):
    settings.STRIPE_API_BASE = ""  # real Stripe: no localstripe webhook to register
    ran = []

    def fake_call_command(name, *args, **options):
        ran.append((name, *args))
        options["stdout"].write(f"{name} output\n")

    monkeypatch.setattr(platform_setup, "call_command", fake_call_command)
    return ran


def test_runs_the_four_steps_in_order_with_a_line_each(steps_run):
    out = StringIO()
    call_command("platform_setup", stdout=out)
    assert steps_run == [
        ("migrate", "--noinput"),
        ("storage_setup",),
        ("load_curriculum",),
        ("load_articles",),
        ("seed_demo",),
    ]
    lines = out.getvalue().splitlines()
    assert [line for line in lines if line.startswith("setup: ")] == [
        "setup: database migrations (migrate)",
        "setup: bucket and CORS (storage_setup)",
        "setup: curriculum (load_curriculum)",
        "setup: articles (load_articles)",
        "setup: demo accounts (seed_demo)",
        "setup: done",
    ]
    assert "seed_demo output" in lines, "each step's output goes to the same stream"


def test_no_demo_skips_the_demo_accounts(steps_run):
    call_command("platform_setup", "--no-demo", stdout=StringIO())
    assert [step[0] for step in steps_run] == [
        "migrate",
        "storage_setup",
        "load_curriculum",
        "load_articles",
    ]


def test_wait_gives_up_with_a_clear_error_when_storage_never_answers(steps_run, settings):
    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:1"  # nothing listens on port 1
    with pytest.raises(CommandError, match="object storage at http://127.0.0.1:1/healthz"):
        call_command("platform_setup", "--wait", "0.5", stdout=StringIO())
    assert [step[0] for step in steps_run] == ["migrate"]


def test_under_make_run_localstripe_is_told_where_to_deliver_events(
    steps_run, localstripe, settings
):
    """STRIPE_API_BASE on loopback (make run's localstripe): the set-up registers the webhook."""
    settings.STRIPE_API_BASE = localstripe["base"]
    out = StringIO()
    call_command("platform_setup", stdout=out)
    assert "setup: localstripe delivers events to http" in out.getvalue()
    assert "/payments/stripe/webhook/" in out.getvalue()
