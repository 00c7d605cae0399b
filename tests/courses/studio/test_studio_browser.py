"""The studio in a real headless Chromium: upload from the page, resume after a reload."""

import os
import time
import urllib.parse
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from courses.models import Course, Lesson
from media_pipeline.models import VideoVersion
from tests.factories import InstructorFactory
from tests.media_pipeline.conftest import make_clip

pytestmark = pytest.mark.browser

MIB = 1024 * 1024


@pytest.fixture
def lessons(transactional_db) -> list[Lesson]:
    course = Course.objects.create(slug="cranial-basics", title="Cranial basics")
    return [
        Lesson.objects.create(course=course, number=1, title="Listening hands"),
        Lesson.objects.create(course=course, number=2, title="The still point"),
    ]


def logged_in_page(browser, live_server, user):
    """A page whose browser carries `user`'s session cookie (no login form involved)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context()
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())  # "leave the page?" on reload
    return page


@pytest.fixture
def staff_page(browser, live_server, lessons, seaweedfs):
    # Staff with the studio's permission: is_staff alone no longer opens the studio.
    user = InstructorFactory(username="instructor")
    page = logged_in_page(browser, live_server, user)
    yield page
    page.context.close()


@pytest.fixture(scope="session")
def clip(tmp_path_factory) -> Path:
    return make_clip(
        tmp_path_factory.mktemp("browser-clips") / "still-point.mp4",
        size="320x240",
        rate="25",
        duration=3,
    )


def open_studio(page, live_server) -> None:
    page.goto(f"{live_server.url}/studio/?course=cranial-basics")
    page.wait_for_selector("html[data-studio-ready]")


def part_number(url: str) -> int | None:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    return int(query["partNumber"][0]) if "partNumber" in query else None


def test_upload_from_the_studio_until_ready(
    staff_page, live_server, lessons, clip, celery_worker_factory
):
    page = staff_page
    worker = celery_worker_factory()
    lesson = lessons[1]
    open_studio(page, live_server)
    assert page.locator("h1").inner_text() == "Studio"

    page.select_option("#upload-lesson", str(lesson.pk))
    page.set_input_files("#upload-file", str(clip))
    page.wait_for_selector('.upload[data-state="done"]', timeout=60_000)
    assert "you can leave this page" in page.locator(".upload__status").inner_text()

    version = VideoVersion.objects.get(video__lesson=lesson)
    assert version.state != VideoVersion.State.UPLOADING
    assert version.original_filename == "still-point.mp4"

    # The row follows processing by polling until it says Ready.
    row = page.locator(f'tr[data-lesson-id="{lesson.pk}"]')
    try:
        row.locator('[data-cell="latest"] .state--ready').wait_for(timeout=240_000)
    except Exception:
        version.refresh_from_db()
        pytest.fail(
            f"studio never showed Ready; version is {version.state} {version.state_reason!r}\n"
            + worker.output()[-4000:]
        )
    assert row.locator('[data-cell="latest"]').inner_text().strip().startswith("Ready")
    assert "0:03" in row.locator('[data-cell="current"]').inner_text()
    assert page.errors == []


def test_resume_after_reload_does_not_resend_stored_parts(
    staff_page, live_server, lessons, tmp_path, settings, seaweedfs, s3
):
    settings.MEDIA_UPLOAD_PART_BYTES = 5 * MIB  # three parts
    big = tmp_path / "long-lesson.mp4"
    big.write_bytes(os.urandom(10 * MIB + 4321))
    page = staff_page
    lesson = lessons[0]
    sent: list[int] = []  # part numbers of every PUT the browser started
    stored: list[int] = []  # ...and of those object storage accepted

    def on_request(request):
        if request.method == "PUT" and part_number(request.url):
            sent.append(part_number(request.url))

    def on_finished(request):
        response = request.response()
        if request.method == "PUT" and part_number(request.url) and response.status == 200:
            stored.append(part_number(request.url))

    page.on("request", on_request)
    page.on("requestfinished", on_finished)
    # The connection "drops" for every part but the first.
    page.route(lambda url: (part_number(url) or 1) > 1, lambda route: route.abort())

    open_studio(page, live_server)
    page.select_option("#upload-lesson", str(lesson.pk))
    page.set_input_files("#upload-file", str(big))
    deadline = time.monotonic() + 60
    while 1 not in stored and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert stored == [1]
    version = VideoVersion.objects.get(video__lesson=lesson)
    assert version.state == VideoVersion.State.UPLOADING

    # Reload mid-upload, the connection is back, the instructor picks the same file.
    page.reload()
    page.unroute_all()
    page.wait_for_selector("html[data-studio-ready]")
    page.select_option("#upload-lesson", str(lesson.pk))
    page.set_input_files("#upload-file", str(big))
    page.wait_for_selector('.upload[data-state="done"]', timeout=60_000)

    assert sent.count(1) == 1, sent  # part 1 went over the wire exactly once
    assert sorted(stored) == [1, 2, 3]
    assert VideoVersion.objects.filter(video__lesson=lesson).count() == 1
    version.refresh_from_db()
    assert version.state != VideoVersion.State.UPLOADING
    body = s3.get_object(Bucket=seaweedfs["bucket"], Key=version.original_key)["Body"].read()
    assert body == big.read_bytes()
    assert page.errors == []


def test_admin_version_page_follows_the_state(browser, live_server, django_user_model, lessons):
    from media_pipeline.uploads.services import video_create

    admin_user = django_user_model.objects.create_superuser("boss", password="x")
    page = logged_in_page(browser, live_server, admin_user)
    version = VideoVersion.objects.create(
        video=video_create(title="Lesson 1"),
        state=VideoVersion.State.TRANSCODING,
        progress_percent=40,
        original_key="originals/admin-browser-test",
        original_filename="clip.mp4",
        original_size=3,
    )
    page.goto(f"{live_server.url}/admin/media_pipeline/videoversion/{version.pk}/change/")
    status = page.locator(f'[data-version-status="{version.pk}"]')
    assert status.inner_text() == "Transcoding 40%"
    VideoVersion.objects.filter(pk=version.pk).update(progress_percent=75)
    page.wait_for_function(
        "el => el.textContent === 'Transcoding 75%'", arg=status.element_handle(), timeout=10_000
    )
    # The version disappears (or the session ends): the API answers 404, the page stays calm.
    VideoVersion.objects.filter(pk=version.pk).delete()
    page.wait_for_timeout(4500)
    assert status.inner_text() == "Transcoding 75%"
    assert page.errors == []
    page.context.close()
