"""The platform's set-up, defined once: `make run` (platform/Procfile), the image's
`entrypoint.sh setup` and docker-compose's one-shot `setup` service all run this.

Every step is idempotent, so it runs on every start.
"""

import contextlib
import sys
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from courses.commerce.gateway import local_stripe, local_webhook_register

STEPS = (
    ("migrate", ("--noinput",), "database migrations"),
    ("storage_setup", (), "bucket and CORS"),
    ("load_curriculum", (), "curriculum"),
    ("load_articles", (), "articles"),
    ("seed_demo", (), "demo accounts"),
)


class Command(BaseCommand):
    help = "Migrate, create the bucket and its CORS rule, load the curriculum, seed demo accounts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-demo", action="store_true", help="skip seed_demo (production images)"
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=0,
            metavar="SECONDS",
            help="wait up to this long for object storage that is still starting",
        )

    def handle(self, *args, no_demo=False, wait=0, **options):
        # Each step writes to the same streams as this command (call_command's own, if given).
        streams = {
            "verbosity": options["verbosity"],
            "stdout": options.get("stdout") or sys.stdout,
            "stderr": options.get("stderr") or sys.stderr,
        }
        deadline = time.monotonic() + wait
        for name, arguments, what in STEPS:
            if name == "seed_demo" and no_demo:
                continue
            self.stdout.write(f"setup: {what} ({name})")
            if name == "storage_setup" and wait:
                self._storage_setup_when_up(deadline, streams)
            else:
                call_command(name, *arguments, **streams)
        if local_stripe():  # make run's fake Stripe: tell it where to deliver events
            self._local_webhook_when_up(deadline)
        self.stdout.write("setup: done")

    def _local_webhook_when_up(self, deadline: float) -> None:
        """Register our webhook with localstripe (it forgets it on restart), once it answers."""
        url = f"{settings.SITE_URL.rstrip('/')}{reverse('commerce:stripe_webhook')}"
        while True:
            try:
                local_webhook_register(url=url)
                self.stdout.write(f"setup: localstripe delivers events to {url}")
                return
            except OSError as error:
                if time.monotonic() > deadline:
                    raise CommandError(
                        f"localstripe at {settings.STRIPE_API_BASE} did not answer: {error}"
                    ) from None
            time.sleep(0.3)

    def _storage_setup_when_up(self, deadline: float, streams: dict) -> None:
        """storage_setup once S3 answers; retried while `weed -bucket` may race its create."""
        health = f"{(settings.AWS_S3_ENDPOINT_URL or '').rstrip('/')}/healthz"
        while True:
            try:
                if settings.AWS_S3_ENDPOINT_URL:  # refused while weed starts; any answer will do
                    with contextlib.suppress(urllib.error.HTTPError):
                        urllib.request.urlopen(health, timeout=2).close()
                call_command("storage_setup", **streams)
                return
            except (OSError, CommandError) as error:  # URLError is an OSError
                if time.monotonic() > deadline:
                    if isinstance(error, CommandError):
                        raise
                    raise CommandError(
                        f"object storage at {health} did not answer: {error}"
                    ) from None
            time.sleep(0.3)
