"""The stuck-version sweeper and purge_orphaned_media, against real storage."""

from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from media_pipeline.models import VideoVersion
from media_pipeline.processing.pipeline import version_process
from media_pipeline.processing.versions import stuck_versions_requeue
from media_pipeline.storage import bucket, object_exists, object_keys, object_put_bytes, s3_client
from media_pipeline.tasks import video_version_process
from media_pipeline.uploads.services import video_create

pytestmark = pytest.mark.django_db(transaction=True)
State = VideoVersion.State


def _version(state, *, attempts=0, changed_ago_s=0, lease_ago_s=None):
    video = video_create(title="t")
    version = VideoVersion.objects.create(
        video=video,
        state=state,
        attempts=attempts,
        original_key=f"originals/{video.pk}",
        original_filename="a.mp4",
        original_size=10,
    )
    fields = {"state_changed_at": timezone.now() - timedelta(seconds=changed_ago_s)}
    if lease_ago_s is not None:
        fields["lease_token"] = video.pk
        fields["lease_heartbeat_at"] = timezone.now() - timedelta(seconds=lease_ago_s)
    VideoVersion.objects.filter(pk=version.pk).update(**fields)
    version.refresh_from_db()
    return version


@pytest.fixture
def queue():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("transcode")
    yield lambda: client.llen("transcode")
    client.delete("transcode")


def test_sweeper_requeues_dead_runs_and_lost_messages_only(queue, settings):
    settings.MEDIA_LEASE_TTL_S = 60
    settings.MEDIA_STUCK_AFTER_S = 600
    dead_run = _version(State.TRANSCODING, attempts=1, lease_ago_s=120)
    lost_message = _version(State.UPLOADED, changed_ago_s=900)
    alive = _version(State.TRANSCODING, attempts=1, lease_ago_s=5)
    fresh = _version(State.UPLOADED, changed_ago_s=10)
    done = _version(State.READY, changed_ago_s=9999)

    assert stuck_versions_requeue() == {"requeued": 2, "failed": 0}
    assert queue() == 2
    for version in (dead_run, lost_message):
        version.refresh_from_db()
        assert version.state == State.UPLOADED and version.lease_token is None
    for version, state in (
        (alive, State.TRANSCODING),
        (fresh, State.UPLOADED),
        (done, State.READY),
    ):
        version.refresh_from_db()
        assert version.state == state
    # The clock restarted: a second sweep right away does nothing more.
    assert stuck_versions_requeue() == {"requeued": 0, "failed": 0}


def test_sweeper_fails_a_poison_file_after_its_attempts_and_keeps_the_original(
    queue, settings, seaweedfs
):
    settings.MEDIA_MAX_ATTEMPTS = 3
    poison = _version(State.TRANSCODING, attempts=3, lease_ago_s=10_000)
    object_put_bytes(b"original bytes", poison.original_key)
    assert stuck_versions_requeue() == {"requeued": 0, "failed": 1}
    poison.refresh_from_db()
    assert poison.state == State.FAILED and "3 attempts" in poison.state_reason
    assert queue() == 0
    assert object_exists(poison.original_key)


def test_a_run_beyond_the_attempt_limit_fails_instead_of_running(settings):
    settings.MEDIA_MAX_ATTEMPTS = 2
    version = _version(State.UPLOADED, attempts=2)
    assert version_process(version_id=version.pk) is None
    version.refresh_from_db()
    assert version.state == State.FAILED


def test_purge_removes_replaced_and_failed_outputs_but_keeps_originals(
    upload_file, normal_clip, html_as_mp4, seaweedfs, capsys
):
    first = upload_file(normal_clip)
    version_process(version_id=first.pk)
    second = upload_file(normal_clip, video=first.video)
    version_process(version_id=second.pk)
    rejected = upload_file(html_as_mp4)
    version_process(version_id=rejected.pk)
    failed = upload_file(normal_clip)
    VideoVersion.objects.filter(pk=failed.pk).update(state=State.FAILED)
    object_put_bytes(b"partial", f"videos/{failed.video_id}/{failed.pk}/720p/seg_00000.m4s")
    object_put_bytes(b"stray", "videos/unknown/unknown/master.m3u8")
    first.refresh_from_db()
    second.refresh_from_db()
    first_keys = object_keys(first.output_prefix)
    second_keys = object_keys(second.output_prefix)
    assert first_keys and second_keys

    call_command("purge_orphaned_media", "--dry-run")
    out = capsys.readouterr().out
    assert f"would delete {first_keys[0]}" in out
    assert all(object_exists(k) for k in first_keys)  # dry run deletes nothing

    call_command("purge_orphaned_media")
    assert object_keys(first.output_prefix) == []
    assert object_keys(f"videos/{failed.video_id}/") == []
    assert not object_exists("videos/unknown/unknown/master.m3u8")
    assert sorted(object_keys(second.output_prefix)) == sorted(second_keys)
    for version in (first, second, rejected, failed):
        assert object_exists(version.original_key)


def test_storage_errors_are_retried_until_the_attempts_run_out(upload_file, normal_clip, settings):
    settings.MEDIA_MAX_ATTEMPTS = 3
    version = upload_file(normal_clip)
    # The original vanishes from storage: every attempt fails on the download,
    # and the task retries (eagerly here) until the attempt counter stops it.
    s3_client().delete_object(Bucket=bucket(), Key=version.original_key)
    video_version_process.apply(args=[str(version.pk)])
    version.refresh_from_db()
    assert version.attempts == 3
    assert version.state == State.FAILED and "3 attempts" in version.state_reason
    assert version.lease_token is None


def test_a_failed_first_upload_published_early_stops_being_served(settings):
    """It would stay an EVENT playlist that never ends: the video shows nothing again."""
    from media_pipeline.models import Video

    settings.MEDIA_MAX_ATTEMPTS = 2
    version = _version(State.TRANSCODING, attempts=2)
    VideoVersion.objects.filter(pk=version.pk).update(
        playable=True, lease_token=None, state_changed_at=timezone.now() - timedelta(days=1)
    )
    Video.objects.filter(pk=version.video_id).update(current_version=version)
    stuck_versions_requeue()
    version.refresh_from_db()
    assert version.state == State.FAILED and version.playable is False
    assert Video.objects.get(pk=version.video_id).current_version_id is None


def test_a_failed_replacement_leaves_the_ready_version_served(settings):
    from media_pipeline.models import Video
    from media_pipeline.processing.versions import video_unpublish_failed

    ready = _version(State.READY, attempts=1)
    VideoVersion.objects.filter(pk=ready.pk).update(ready_at=timezone.now(), playable=True)
    broken = _version(State.FAILED, attempts=2)
    VideoVersion.objects.filter(pk=broken.pk).update(video=ready.video)
    broken.refresh_from_db()
    Video.objects.filter(pk=ready.video_id).update(current_version=broken)
    assert video_unpublish_failed(version=broken) is True
    assert Video.objects.get(pk=ready.video_id).current_version_id == ready.pk
