"""The studio page and its upload API, against a real SeaweedFS (presigned part URLs included)."""

import http.client
import os
import urllib.parse

import pytest

from courses.models import Course, Lesson
from media_pipeline.models import VideoVersion
from tests.factories import InstructorFactory, RenditionFactory, VideoVersionFactory

MIB = 1024 * 1024

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def course(db) -> Course:
    course = Course.objects.create(slug="cranial-basics", title="Cranial basics")
    Lesson.objects.create(course=course, number=1, title="Listening hands")
    Lesson.objects.create(course=course, number=2, title="The still point")
    return course


@pytest.fixture
def lesson(course) -> Lesson:
    return course.lessons.get(number=1)


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(InstructorFactory(username="instructor"))
    return client


@pytest.fixture
def learner_client(client, django_user_model):
    user = django_user_model.objects.create_user("learner", password="pw-123456")
    client.force_login(user)
    return client


def put_part(url: str, body: bytes) -> int:
    """PUT to a presigned URL with nothing but the standard library, as a browser would."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request("PUT", f"{parts.path}?{parts.query}", body=body)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def start_upload(client, lesson: Lesson, *, size: int, fingerprint: str = "fp", name="a.mp4"):
    return client.post(
        f"/api/studio/lessons/{lesson.pk}/uploads",
        {"filename": name, "size": size, "fingerprint": fingerprint},
        content_type="application/json",
    )


def part_url(client, version_id: str, number: int) -> str:
    response = client.post(
        f"/api/media/uploads/{version_id}/part-urls",
        {"part_numbers": [number]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["urls"][str(number)]


# --- access -----------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login(client, course):
    response = client.get("/studio/")
    assert response.status_code == 302
    assert "next=/studio/" in response["Location"]


def test_learner_gets_403_on_page_and_api(learner_client, lesson):
    assert learner_client.get("/studio/").status_code == 403
    assert learner_client.get("/api/studio/lessons").status_code == 403
    assert start_upload(learner_client, lesson, size=100).status_code == 403
    response = learner_client.post(
        f"/api/studio/lessons/{lesson.pk}/preview",
        {"is_preview": True},
        content_type="application/json",
    )
    assert response.status_code == 403
    lesson.refresh_from_db()
    assert not lesson.is_preview


def test_anonymous_api_is_refused(client, lesson):
    assert client.get("/api/studio/lessons").status_code == 401
    assert start_upload(client, lesson, size=100).status_code == 401


def test_staff_sees_the_lessons(staff_client, course):
    other = Course.objects.create(slug="other", title="Another course")
    Lesson.objects.create(course=other, number=1, title="Elsewhere")
    response = staff_client.get("/studio/?course=cranial-basics")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Listening hands" in html and "The still point" in html
    assert "Elsewhere" not in html
    assert "Another course" in html  # in the course picker
    assert "js/studio.js" in html


def test_studio_shows_what_each_rung_really_costs(staff_client, lesson):
    # A 10-minute lesson after capped CRF: its 480p came out within 15 % of the 720p.
    version = VideoVersionFactory(ready=True, duration_s=600.0)
    version.video.current_version = version
    version.video.save(update_fields=["current_version"])
    lesson.video = version.video
    lesson.save(update_fields=["video"])
    RenditionFactory(version=version, name="720p", average_bps=642_000)
    RenditionFactory(version=version, name="480p", width=854, height=480, average_bps=600_000)
    RenditionFactory(version=version, name="360p", width=640, height=360, average_bps=180_000)
    html = staff_client.get("/studio/?course=cranial-basics").content.decode()
    assert "720p 642 kb/s, 480p 600 kb/s (within 15 % of 720p), 360p 180 kb/s" in html
    # (642 + 600 + 180) kb/s for an hour = 639.9 MB
    assert "639.9 MB per hour" in html
    row = staff_client.get("/api/studio/lessons?course=cranial-basics").json()["lessons"][0]
    rungs = row["current"]["renditions"]
    assert [(r["name"], r["average_bitrate"], r["near_rung_above"]) for r in rungs] == [
        ("720p", 642_000, ""), ("480p", 600_000, "720p"), ("360p", 180_000, ""),
    ]  # fmt: skip
    assert row["current"]["size_per_hour_label"] == "639.9 MB per hour"


def test_a_ladder_not_measured_yet_shows_no_costs(staff_client, lesson):
    version = VideoVersionFactory(ready=True, duration_s=600.0)
    version.video.current_version = version
    version.video.save(update_fields=["current_version"])
    lesson.video = version.video
    lesson.save(update_fields=["video"])
    RenditionFactory(version=version, name="720p", average_bps=0)
    row = staff_client.get("/api/studio/lessons?course=cranial-basics").json()["lessons"][0]
    assert row["current"]["renditions"][0]["bitrate_label"] == ""
    assert row["current"]["size_per_hour_label"] == ""


# --- lessons API and preview ---------------------------------------------------


def test_lessons_api_lists_the_course(staff_client, course):
    data = staff_client.get("/api/studio/lessons?course=cranial-basics").json()
    assert [row["number"] for row in data["lessons"]] == [1, 2]
    first = data["lessons"][0]
    assert first["current"] is None and first["latest"] is None and first["processing"] is False
    assert staff_client.get("/api/studio/lessons?course=nope").status_code == 404


def test_preview_toggle(staff_client, lesson):
    response = staff_client.post(
        f"/api/studio/lessons/{lesson.pk}/preview",
        {"is_preview": True},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {"id": lesson.pk, "is_preview": True}
    lesson.refresh_from_db()
    assert lesson.is_preview


# --- uploads ----------------------------------------------------------------------


def test_starting_an_upload_creates_the_video_and_an_uploading_version(
    staff_client, lesson, seaweedfs
):
    response = start_upload(staff_client, lesson, size=3 * MIB, name="lesson-1.mov")
    assert response.status_code == 200, response.content
    data = response.json()
    lesson.refresh_from_db()
    assert lesson.video is not None
    version = VideoVersion.objects.get(pk=data["version_id"])
    assert version.video_id == lesson.video_id
    assert version.state == VideoVersion.State.UPLOADING
    assert version.original_filename == "lesson-1.mov"
    assert data["resumed"] is False
    assert data["parts"] == [] and data["part_count"] == 1 and data["upload_id"]
    assert data["key"] == version.original_key and "lesson-1" not in data["key"]
    assert data["status"]["state"] == "uploading"

    rows = staff_client.get("/api/studio/lessons").json()["lessons"]
    row = next(r for r in rows if r["id"] == lesson.pk)
    assert row["latest"]["id"] == data["version_id"] and row["current"] is None


def test_over_the_limit_is_refused_with_a_clear_message(staff_client, lesson, seaweedfs, settings):
    settings.MEDIA_UPLOAD_MAX_BYTES = 10_000
    response = start_upload(staff_client, lesson, size=2_000_000)
    assert response.status_code == 413
    assert response.json()["detail"] == (
        "The file is 2.0 MB; the largest upload allowed is 10.0 KB."
    )
    assert not VideoVersion.objects.exists()


def test_empty_file_is_refused(staff_client, lesson, seaweedfs):
    response = start_upload(staff_client, lesson, size=0)
    assert response.status_code == 400
    assert response.json()["detail"] == "The file is empty."


def test_unknown_lesson_is_404(staff_client, course, seaweedfs):
    response = staff_client.post(
        "/api/studio/lessons/999999/uploads",
        {"filename": "a.mp4", "size": 10, "fingerprint": ""},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_resumed_upload_keeps_stored_parts_and_assembles_the_exact_bytes(
    staff_client, lesson, seaweedfs, s3, settings
):
    settings.MEDIA_UPLOAD_PART_BYTES = 5 * MIB  # the S3 minimum: two parts
    data = os.urandom(5 * MIB + 12_345)
    first = start_upload(staff_client, lesson, size=len(data), fingerprint="123-456-clip.mp4")
    description = first.json()
    version_id = description["version_id"]
    part_size = description["part_size"]
    assert (part_size, description["part_count"]) == (5 * MIB, 2)

    assert put_part(part_url(staff_client, version_id, 1), data[:part_size]) == 200

    # The instructor reloads the page and picks the same file: same upload, part 1 kept.
    again = start_upload(staff_client, lesson, size=len(data), fingerprint="123-456-clip.mp4")
    resumed = again.json()
    assert resumed["resumed"] is True
    assert resumed["version_id"] == version_id
    assert [(p["PartNumber"], p["Size"]) for p in resumed["parts"]] == [(1, part_size)]
    assert VideoVersion.objects.count() == 1

    # Another file (other fingerprint) for the same lesson is a new upload.
    other = start_upload(staff_client, lesson, size=len(data), fingerprint="999-456-clip.mp4")
    assert other.json()["version_id"] != version_id

    assert put_part(part_url(staff_client, version_id, 2), data[part_size:]) == 200
    response = staff_client.post(f"/api/media/uploads/{version_id}/complete")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "uploaded"
    version = VideoVersion.objects.get(pk=version_id)
    assert version.state == VideoVersion.State.UPLOADED
    stored = s3.get_object(Bucket=seaweedfs["bucket"], Key=version.original_key)["Body"].read()
    assert stored == data

    # A finished upload is never resumed: the same file again starts a new version.
    after = start_upload(staff_client, lesson, size=len(data), fingerprint="123-456-clip.mp4")
    assert after.json()["resumed"] is False and after.json()["version_id"] != version_id


def test_completing_an_incomplete_upload_is_409_and_changes_nothing(
    staff_client, lesson, seaweedfs, settings
):
    settings.MEDIA_UPLOAD_PART_BYTES = 5 * MIB
    data = os.urandom(5 * MIB + 100)
    description = start_upload(staff_client, lesson, size=len(data)).json()
    version_id = description["version_id"]
    assert put_part(part_url(staff_client, version_id, 1), data[: 5 * MIB]) == 200

    response = staff_client.post(f"/api/media/uploads/{version_id}/complete")
    assert response.status_code == 409
    assert response.json()["detail"].startswith("The upload is incomplete: 5.2 MB of 5.2 MB")
    assert "Resume it to finish" in response.json()["detail"]
    version = VideoVersion.objects.get(pk=version_id)
    assert version.state == VideoVersion.State.UPLOADING
    listed = staff_client.get(f"/api/media/uploads/{version_id}").json()
    assert [p["PartNumber"] for p in listed["parts"]] == [1]


def test_abort_deletes_the_unfinished_upload(staff_client, lesson, seaweedfs):
    version_id = start_upload(staff_client, lesson, size=1000).json()["version_id"]
    response = staff_client.delete(f"/api/media/uploads/{version_id}")
    assert response.status_code == 200
    assert not VideoVersion.objects.filter(pk=version_id).exists()


# --- admin ------------------------------------------------------------------------


def test_admin_pages_and_retry_action(client, django_user_model, lesson, seaweedfs, s3):
    from media_pipeline.uploads.services import video_create

    admin_user = django_user_model.objects.create_superuser("boss", password="pw-123456")
    client.force_login(admin_user)
    video = video_create(title="Lesson 1")
    failed = VideoVersion.objects.create(
        video=video,
        state=VideoVersion.State.FAILED,
        state_reason="Transcoding failed: boom",
        original_key="originals/admin-test-failed",
        original_filename="broken.mp4",
        original_size=3,
    )
    s3.put_object(Bucket=seaweedfs["bucket"], Key=failed.original_key, Body=b"abc")
    ready = VideoVersion.objects.create(
        video=video,
        state=VideoVersion.State.READY,
        original_key="originals/admin-test-ready",
        original_filename="fine.mp4",
        original_size=3,
    )

    listing = client.get("/admin/media_pipeline/videoversion/")
    assert listing.status_code == 200
    assert "broken.mp4" in listing.content.decode()
    page = client.get(f"/admin/media_pipeline/videoversion/{failed.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-version-status="{failed.pk}"' in html
    assert "Transcoding failed: boom" in html
    assert "js/admin-version-status.js" in html
    assert client.get(f"/admin/media_pipeline/video/{video.pk}/change/").status_code == 200
    assert client.get("/admin/media_pipeline/video/").status_code == 200

    response = client.post(
        "/admin/media_pipeline/videoversion/",
        {"action": "retry_processing", "_selected_action": [failed.pk, ready.pk]},
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert "Queued 1 version(s) for processing again." in messages
    assert any(m.startswith("Skipped 1 version(s)") for m in messages)
    failed.refresh_from_db()
    ready.refresh_from_db()
    assert failed.state == VideoVersion.State.UPLOADED and failed.attempts == 0
    assert ready.state == VideoVersion.State.READY


def test_a_hung_store_answers_503_quickly_and_keeps_nothing(staff_client, lesson, settings):
    import socket
    import time

    hung = socket.socket()  # takes connections, never answers
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)
    try:
        settings.AWS_S3_ENDPOINT_URL = f"http://127.0.0.1:{hung.getsockname()[1]}"
        started = time.monotonic()
        response = start_upload(staff_client, lesson, size=10 * MIB)
        assert time.monotonic() - started < 4.5
    finally:
        hung.close()
    assert response.status_code == 503
    assert "try again" in response.json()["detail"]
    assert not VideoVersion.objects.exists()
