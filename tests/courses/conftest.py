"""Fixtures for the courses tests: the real curriculum file, users and ready videos."""

import textwrap
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.db import connections

from courses.catalog.services import curriculum_load
from courses.models import Course
from tests.factories import UserFactory, ready_video_create

CURRICULUM_PATH = Path(settings.BASE_DIR) / "courses" / "data" / "craniosacral-therapy.yaml"
SLUG = "craniosacral-therapy"


@pytest.fixture
def curriculum_data() -> dict:
    """The real curriculum as plain data, to edit and write back in tests."""
    return yaml.safe_load(CURRICULUM_PATH.read_text())


@pytest.fixture
def write_yaml(tmp_path):
    """Write YAML (text, dedented, or data) to a temporary file and return its path."""

    def write(content, name: str = "curriculum.yaml") -> Path:
        path = tmp_path / name
        if isinstance(content, str):
            path.write_text(textwrap.dedent(content).lstrip("\n"))
        else:
            path.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True))
        return path

    return write


@pytest.fixture
def course(db) -> Course:
    """The craniosacral course loaded from the real file (13 lessons, 22 techniques)."""
    curriculum_load(path=CURRICULUM_PATH)
    return Course.objects.get(slug=SLUG)


@pytest.fixture
def free_course(course) -> Course:
    """The same course without its price: free to enroll, as a course with no price is."""
    course.price_minor = None
    course.save(update_fields=["price_minor"])
    return course


@pytest.fixture
def make_user(db):
    def make(username: str = "alice", **extra):
        return UserFactory(username=username, **extra)

    return make


@pytest.fixture
def user(make_user):
    return make_user("alice")


@pytest.fixture
def staff_user(make_user):
    return make_user("staff", is_staff=True, is_superuser=True)


@pytest.fixture
def ready_video(db):
    """A Video whose current version is ready with the given duration."""
    return ready_video_create


@pytest.fixture
def curriculum_path() -> Path:
    return CURRICULUM_PATH


@pytest.fixture
def small_curriculum():
    """Build a generated curriculum of any size, for query-count comparisons."""
    return _small_curriculum


def _small_curriculum(slug: str, lessons: int, techniques_per_lesson: int = 2) -> dict:
    number = 0
    lesson_list = []
    for n in range(1, lessons + 1):
        techniques = []
        for _ in range(techniques_per_lesson):
            number += 1
            techniques.append({"number": number, "name": f"Technique {number}"})
        lesson_list.append(
            {"number": n, "title": f"Lesson {n}", "is_preview": n == 1, "techniques": techniques}
        )
    return {"course": {"slug": slug, "title": f"Course {slug}", "lessons": lesson_list}}


CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright never downloads a browser here
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip


@pytest.fixture
def browser(monkeypatch):
    """Headless Debian Chromium driven by Playwright, for the browser tests."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test
    # makes between page actions are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # asgiref gave the ORM calls their own connection; close it or the database stays.
        connections.close_all()
