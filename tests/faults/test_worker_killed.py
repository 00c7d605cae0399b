"""A Celery worker killed with kill -9 mid-job (issue 13, fault 4).

Twice: while it runs the processing queued by the upload's completion, before anything is
published (downloading and probing the assembled original, starting the encode), and while
it publishes HLS segments. The message stays unacknowledged in Redis (redelivered only after
the visibility timeout, hours), so what finishes the job is the stuck-versions sweeper of
the next worker: it sees the lease go silent (MEDIA_LEASE_TTL_S, short here) and queues the
version again. It must end ready with one set of renditions, and no playlist a learner may
already watch may shrink on the way.
"""

import time

import pytest

from media_pipeline.hls.layout import PLAYLIST_NAME
from media_pipeline.hls.playlists import playlist_files
from media_pipeline.models import VideoVersion
from tests.conftest import upload_through_multipart
from tests.faults.conftest import celery_broker, ffmpeg_running_for, service_env, wait_for
from tests.media_pipeline.conftest import make_clip

pytestmark = pytest.mark.slow
State = VideoVersion.State
RECOVERY = {
    "MEDIA_LEASE_TTL_S": "3",  # renewed every second; silent for 3 s = a dead worker
    "MEDIA_STUCK_AFTER_S": "20",
    "MEDIA_SWEEP_INTERVAL_S": "1",
    "MEDIA_X264_PRESET": "veryfast",
}


def _segment_counts(version: VideoVersion) -> dict[str, int]:
    return dict(version.renditions.values_list("name", "segment_count"))


@pytest.mark.parametrize("phase", ["after-upload-completion", "publishing"])
def test_worker_killed_mid_job_the_sweeper_finishes_it(
    phase, redis_factory, fault_seaweedfs, fault_worker_factory, tmp_path
):
    s3 = fault_seaweedfs
    redis_server = redis_factory()
    env = service_env(redis_server=redis_server, s3=s3, **RECOVERY)
    clip = make_clip(tmp_path / "lesson.mp4", size="1280x720", duration=12)
    first = fault_worker_factory(env)
    logs = [("first worker", first.output)]
    wait_for(lambda: "ready." in first.output(), timeout=60, what="the worker", logs=logs)
    with celery_broker(redis_server.url(0)):
        version = upload_through_multipart(clip)

    if phase == "after-upload-completion":

        def claimed_nothing_published() -> bool:
            version.refresh_from_db()
            return version.lease_token is not None and not any(_segment_counts(version).values())

        wait_for(claimed_nothing_published, timeout=60, what="the worker to claim it", logs=logs)
        first.kill(9)
    else:

        def publishing() -> bool:
            version.refresh_from_db()
            return version.state == State.TRANSCODING and version.playable

        wait_for(publishing, timeout=90, what="the first segments to be published", logs=logs)
        assert ffmpeg_running_for(version)
        first.kill(9)
    killed_at = time.monotonic()
    wait_for(lambda: not ffmpeg_running_for(version), timeout=10, what="ffmpeg to die")
    version.refresh_from_db()
    assert version.state in (State.PROBING, State.TRANSCODING), version.state  # nobody finished
    assert version.attempts == 1 and version.lease_token is not None
    published = _segment_counts(version)

    second = fault_worker_factory(env)
    logs.append(("second worker", second.output))

    def ready_without_shrinking() -> bool:
        nonlocal published
        now = _segment_counts(version)
        assert all(now.get(name, 0) >= count for name, count in published.items()), (
            published,
            now,
        )
        published = now
        version.refresh_from_db()
        assert version.state not in (State.FAILED, State.REJECTED), version.state_reason
        return version.state == State.READY

    wait_for(ready_without_shrinking, timeout=120, what="ready after the kill", logs=logs)
    assert "'requeued': 1" in second.output()  # the sweeper queued it again
    assert time.monotonic() - killed_at < 90
    assert version.attempts == 2  # the killed run and the sweeper's

    renditions = list(version.renditions.all())
    names = [r.name for r in renditions]
    assert len(names) == len(set(names)) == 4  # 720p, 480p, 360p and the audio
    assert all(r.complete and r.segment_count > 0 for r in renditions)
    # One set of renditions in storage too: one playlist folder per rendition, and no segment
    # that its playlist does not name.
    keys = {
        key.removeprefix(version.output_prefix)
        for page in s3.client.get_paginator("list_objects_v2").paginate(
            Bucket=s3.bucket, Prefix=version.output_prefix
        )
        for key in (item["Key"] for item in page.get("Contents", []))
    }
    folders = {key.split("/", 1)[0] for key in keys if key.endswith("/" + PLAYLIST_NAME)}
    assert folders == set(names), (folders, names)
    for rendition in renditions:
        stored = {key.split("/", 1)[1] for key in keys if key.startswith(rendition.name + "/")}
        assert stored == {*playlist_files(rendition.playlist), PLAYLIST_NAME}, rendition.name
    version.video.refresh_from_db()
    assert version.video.current_version_id == version.pk
