"""`manage.py upload_lesson_video` as an operator runs it: a real subprocess, worker and S3."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from courses.models import Course, Lesson
from media_pipeline.models import VideoVersion
from media_pipeline.storage import bucket, s3_client
from media_pipeline.uploads.services import video_upload_parts_list
from tests.conftest import subprocess_env
from tests.media_pipeline.conftest import make_clip

ROOT = Path(__file__).resolve().parents[3]
MIB = 1024 * 1024


@pytest.fixture
def lesson(transactional_db) -> Lesson:
    course = Course.objects.create(slug="cranial-basics", title="Cranial basics")
    return Lesson.objects.create(course=course, number=1, title="Listening hands")


@pytest.fixture(scope="session")
def clip(tmp_path_factory) -> Path:
    return make_clip(
        tmp_path_factory.mktemp("clips") / "lesson-1.mp4", size="320x240", rate="25", duration=3
    )


def run_command(*args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "upload_lesson_video", *args],
        cwd=ROOT,
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def test_upload_and_wait_until_ready(lesson, clip, celery_worker_factory):
    worker = celery_worker_factory()
    result = run_command("cranial-basics", "1", str(clip), "--wait", "--timeout", "240")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output + worker.output()[-3000:]
    assert last_line(result.stdout).startswith("ready: "), output
    assert "Traceback" not in output
    assert "100.0%" in result.stderr  # the progress bar reached the end
    lesson.refresh_from_db()
    version = lesson.video.current_version
    assert version is not None and version.state == VideoVersion.State.READY
    assert version.original_filename == "lesson-1.mp4"
    assert not lesson.is_preview


def test_html_file_is_rejected_without_a_traceback(lesson, tmp_path, celery_worker_factory):
    worker = celery_worker_factory()
    fake = tmp_path / "lesson-1.mp4"
    fake.write_text("<!doctype html><html><head><title>Login</title></head><body></body></html>\n")
    result = run_command("cranial-basics", "1", str(fake), "--wait", "--timeout", "120")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert last_line(result.stdout).startswith("rejected: "), output + worker.output()[-3000:]
    assert "Traceback" not in output
    version = VideoVersion.objects.get(video__lesson=lesson)
    assert version.state == VideoVersion.State.REJECTED


def test_preview_flag_and_queued_message(lesson, clip, seaweedfs):
    result = run_command("cranial-basics", "1", str(clip), "--preview")
    assert result.returncode == 0, result.stdout + result.stderr
    line = last_line(result.stdout)
    assert line.startswith("queued: version "), result.stdout
    assert "/studio/?course=cranial-basics" in line
    lesson.refresh_from_db()
    assert lesson.is_preview
    version = VideoVersion.objects.get(video__lesson=lesson)
    assert version.state == VideoVersion.State.UPLOADED
    stored = s3_client().get_object(Bucket=bucket(), Key=version.original_key)["Body"].read()
    assert stored == clip.read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("cranial-basics", "7", "{clip}"), "Course 'cranial-basics' has no lesson 7"),
        (("no-such-course", "1", "{clip}"), "No course with slug 'no-such-course'"),
        (("cranial-basics", "1", "/nonexistent/video.mp4"), "No such file: /nonexistent/video.mp4"),
    ],
)
def test_bad_arguments_exit_1_with_a_clear_message(lesson, clip, args, message):
    result = run_command(*(a.format(clip=clip) for a in args), timeout=60)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not VideoVersion.objects.exists()


def test_interrupted_upload_resumes_without_resending_stored_parts(lesson, tmp_path, seaweedfs):
    """Ctrl-C during the upload, run again: only the missing parts are sent."""
    big = tmp_path / "long-lesson.mp4"
    with big.open("wb") as fh:
        for _ in range(24):
            fh.write(os.urandom(MIB))
    five_mib = str(5 * MIB)
    proc = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "upload_lesson_video",
            "cranial-basics",
            "1",
            str(big),
            "--parallel",
            "1",
        ],  # fmt: skip
        cwd=ROOT,
        env=subprocess_env(MEDIA_UPLOAD_PART_BYTES=five_mib),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Interrupt as soon as object storage holds the first part.
    deadline = time.monotonic() + 60
    version = None
    while time.monotonic() < deadline:
        version = VideoVersion.objects.filter(video__lesson=lesson).first()
        if version and video_upload_parts_list(version=version):
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert version is not None
    stored_after_interrupt = {p["PartNumber"] for p in video_upload_parts_list(version=version)}
    if proc.returncode == 0:
        pytest.skip("the upload finished before the interrupt arrived")
    assert proc.returncode == 130, stdout + stderr
    assert last_line(stdout).startswith("interrupted: "), stdout + stderr
    assert "Traceback" not in stdout + stderr
    assert 1 <= len(stored_after_interrupt) < 5

    result = run_command(
        "cranial-basics", "1", str(big), "--parallel", "2", MEDIA_UPLOAD_PART_BYTES=five_mib
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(stored_after_interrupt)} of 5 parts already stored" in result.stderr
    assert "Resuming long-lesson.mp4" in result.stderr
    version.refresh_from_db()
    assert version.state == VideoVersion.State.UPLOADED
    assert VideoVersion.objects.filter(video__lesson=lesson).count() == 1
    stored = s3_client().get_object(Bucket=bucket(), Key=version.original_key)["Body"].read()
    assert stored == big.read_bytes()
