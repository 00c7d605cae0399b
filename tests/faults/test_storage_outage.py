"""SeaweedFS stopped in the middle of a transcode (issue 13, fault 2).

The worker has published the first segments and ffmpeg is still encoding when object storage
goes away; it comes back a few seconds later on the same ports with the same data. The worker
must ride it out (the publisher's next polls, botocore's retries, the task's own retry), the
version must end ready with every segment its playlists name stored, and the original upload
must be the same bytes as the file that was uploaded.
"""

import hashlib
import time

import pytest

from media_pipeline.hls.layout import MASTER_NAME
from media_pipeline.hls.playlists import playlist_files
from media_pipeline.models import VideoVersion
from tests.conftest import upload_through_multipart
from tests.faults.conftest import celery_broker, ffmpeg_running_for, service_env, wait_for
from tests.media_pipeline.conftest import make_clip

pytestmark = pytest.mark.slow
State = VideoVersion.State
OUTAGE_S = 4  # at least this long, and until the worker has run into it


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_storage_stopped_mid_transcode_the_version_still_ends_ready_and_the_original_is_intact(
    redis_factory, fault_seaweedfs, fault_worker_factory, tmp_path
):
    s3 = fault_seaweedfs
    redis_server = redis_factory()
    clip = make_clip(tmp_path / "lesson.mp4", size="1280x720", duration=12)
    worker = fault_worker_factory(
        service_env(redis_server=redis_server, s3=s3, MEDIA_X264_PRESET="veryfast")
    )
    weed_log = s3.data_dir / "weed.log"
    logs = [("worker", worker.output), ("seaweedfs", lambda: weed_log.read_text(errors="replace"))]
    with celery_broker(redis_server.url(0)):
        version = upload_through_multipart(clip)

    def publishing() -> bool:
        version.refresh_from_db()
        return version.state == State.TRANSCODING and version.playable

    wait_for(publishing, timeout=90, what="the first segments to be published", logs=logs)
    assert ffmpeg_running_for(version), "ffmpeg finished before storage could be stopped"
    published = sum(version.renditions.values_list("segment_count", flat=True))

    s3.stop()
    stopped_at = time.monotonic()
    log_before = len(worker.output())

    def outage_felt() -> bool:
        version.refresh_from_db()
        assert version.state != State.READY, "ready while object storage was down"
        felt = worker.output()[log_before:]
        noticed = "early publishing failed" in felt or "retry: Retry in" in felt
        return noticed and time.monotonic() - stopped_at >= OUTAGE_S

    wait_for(outage_felt, timeout=60, what="the worker to run into the outage", logs=logs)
    s3.start()  # the same ports and data directory

    wait_for(
        lambda: version.refresh_from_db() or version.is_final,
        timeout=120,
        what="the version to finish once storage is back",
        logs=logs,
    )
    assert version.state == State.READY, (version.state, version.state_reason)
    renditions = list(version.renditions.all())
    assert renditions and all(r.complete for r in renditions)
    assert sum(r.segment_count for r in renditions) >= published
    assert len({r.name for r in renditions}) == len(renditions)

    # What learners are served is all there: the master, every playlist, every segment.
    bucket = s3.bucket
    s3.client.head_object(Bucket=bucket, Key=version.master_playlist_key)
    assert version.master_playlist_key == version.output_prefix + MASTER_NAME
    for rendition in renditions:
        stored = s3.client.get_object(Bucket=bucket, Key=rendition.playlist_key)["Body"].read()
        assert stored.decode() == rendition.playlist and "#EXT-X-ENDLIST" in rendition.playlist
        folder = rendition.playlist_key.rsplit("/", 1)[0]
        for name in playlist_files(rendition.playlist):
            s3.client.head_object(Bucket=bucket, Key=f"{folder}/{name}")
    if version.poster_key:
        s3.client.head_object(Bucket=bucket, Key=version.poster_key)

    original = s3.client.get_object(Bucket=bucket, Key=version.original_key)["Body"].read()
    assert len(original) == clip.stat().st_size == version.original_size
    assert _sha256(original) == _sha256(clip.read_bytes())
