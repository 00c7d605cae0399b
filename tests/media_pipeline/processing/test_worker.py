"""Processing through real Celery workers: queueing on commit and surviving kill -9."""

import time
from pathlib import Path

from media_pipeline.models import VideoVersion

State = VideoVersion.State


def _wait_for(predicate, *, timeout: float, what: str, worker=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    log = worker.output()[-3000:] if worker else ""
    raise AssertionError(f"timed out waiting for {what}\n{log}")


def _state(version):
    version.refresh_from_db()
    return version.state


def _segment_counts(version) -> dict[str, int]:
    return dict(version.renditions.values_list("name", "segment_count"))


def _ffmpeg_running_for(version) -> bool:
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "ffmpeg" in args and str(version.pk) in args:
            return True
    return False


def test_upload_completion_queues_processing_on_a_worker(
    celery_worker_factory, upload_file, normal_clip
):
    worker = celery_worker_factory()
    version = upload_file(normal_clip)
    _wait_for(lambda: _state(version) == State.READY, timeout=120, what="ready", worker=worker)
    version.video.refresh_from_db()
    assert version.video.current_version_id == version.pk


def test_worker_killed_mid_transcode_finishes_after_restart(
    celery_worker_factory, upload_file, clip_dir
):
    from tests.media_pipeline.conftest import make_clip  # noqa: PLC0415

    clip = make_clip(clip_dir / "kill-me.mp4", size="1280x720", duration=20)
    env = {
        "MEDIA_LEASE_TTL_S": "4",
        "MEDIA_SWEEP_INTERVAL_S": "2",
        "MEDIA_X264_PRESET": "veryfast",
    }
    worker = celery_worker_factory(**env)
    version = upload_file(clip)
    _wait_for(
        lambda: _state(version) == State.TRANSCODING and version.playable,
        timeout=90,
        what="transcoding to publish its first segments",
        worker=worker,
    )
    assert _ffmpeg_running_for(version)
    worker.kill(9)
    _wait_for(lambda: not _ffmpeg_running_for(version), timeout=10, what="ffmpeg to die")
    assert _state(version) == State.TRANSCODING  # nobody finished it

    published = _segment_counts(version)
    assert version.playable and sum(published.values()) > 0  # learners could already watch

    restarted = celery_worker_factory(**env)

    def ready_without_shrinking():
        # While the new run catches up, no playlist a learner may watch gets shorter.
        nonlocal published
        now = _segment_counts(version)
        assert all(now[name] >= count for name, count in published.items()), (published, now)
        published = now
        return _state(version) == State.READY

    _wait_for(ready_without_shrinking, timeout=180, what="ready after restart", worker=restarted)
    assert version.attempts == 2
    assert version.renditions.count() == 4
    assert all(r.complete for r in version.renditions.all())
