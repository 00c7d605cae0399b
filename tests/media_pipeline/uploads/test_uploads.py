"""Multipart uploads against the real SeaweedFS: limits, resume, completion checks."""

import urllib.error
import urllib.request

import pytest

from media_pipeline.models import VideoVersion
from media_pipeline.uploads.services import (
    UploadError,
    video_create,
    video_upload_complete,
    video_upload_part_urls,
    video_upload_parts_list,
    video_upload_resumable_get,
    video_upload_start,
)

pytestmark = pytest.mark.django_db(transaction=True)
MIB = 1024 * 1024


def _put(url: str, data: bytes) -> int:
    request = urllib.request.Request(url, data=data, method="PUT")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def test_size_is_limited_when_the_upload_starts(seaweedfs, settings):
    settings.MEDIA_UPLOAD_MAX_BYTES = 10 * MIB
    video = video_create()
    with pytest.raises(UploadError, match="largest upload allowed is 10.5 MB"):
        video_upload_start(video=video, filename="big.mov", size=11 * MIB)
    with pytest.raises(UploadError, match="empty"):
        video_upload_start(video=video, filename="empty.mov", size=0)
    assert not VideoVersion.objects.exists()


def test_the_server_decides_key_and_bucket(seaweedfs):
    version = video_upload_start(video=video_create(), filename="../../etc/passwd", size=MIB)
    assert version.original_key == f"originals/{version.pk}"
    assert version.original_filename == "passwd"
    url = video_upload_part_urls(version=version, part_numbers=[1])[1]
    assert f"/{seaweedfs['bucket']}/originals/{version.pk}?" in url
    with pytest.raises(UploadError):
        video_upload_part_urls(version=version, part_numbers=[2])


def test_interrupted_upload_resumes_from_stored_parts(seaweedfs, tmp_path):
    data = bytes(range(256)) * (11 * MIB // 256) + b"tail"
    video = video_create()
    version = video_upload_start(
        video=video, filename="lesson.mp4", size=len(data), fingerprint="f1"
    )
    part = version.upload_part_size  # 16 MiB default: make parts small for the test
    version.upload_part_size = part = 5 * MIB
    version.save(update_fields=["upload_part_size"])
    urls = video_upload_part_urls(version=version, part_numbers=[1])
    assert _put(urls[1], data[:part]) == 200
    # The connection drops; completing now is refused and changes nothing.
    with pytest.raises(UploadError, match="incomplete"):
        video_upload_complete(version=version)
    version.refresh_from_db()
    assert version.state == VideoVersion.State.UPLOADING

    # After a reload the same file finds the same upload and its stored part.
    resumed = video_upload_resumable_get(video=video, fingerprint="f1", size=len(data))
    assert resumed.pk == version.pk
    stored = video_upload_parts_list(version=resumed)
    assert [(p["PartNumber"], p["Size"]) for p in stored] == [(1, part)]
    missing = [n for n in (1, 2, 3) if n not in {p["PartNumber"] for p in stored}]
    for number, url in video_upload_part_urls(version=resumed, part_numbers=missing).items():
        assert _put(url, data[(number - 1) * part : number * part]) == 200
    done = video_upload_complete(version=resumed)
    assert done.state == VideoVersion.State.UPLOADED
    body = seaweedfs["client"].get_object(Bucket=seaweedfs["bucket"], Key=done.original_key)
    assert body["Body"].read() == data
    # Completing twice is harmless.
    assert video_upload_complete(version=done).state == VideoVersion.State.UPLOADED


def test_presigned_part_url_cannot_be_reused_for_another_key(seaweedfs):
    version = video_upload_start(video=video_create(), filename="a.mp4", size=MIB)
    url = video_upload_part_urls(version=version, part_numbers=[1])[1]
    tampered = url.replace(str(version.pk), "00000000-0000-0000-0000-000000000000")
    with pytest.raises(urllib.error.HTTPError) as exc:
        _put(tampered, b"x")
    assert exc.value.code == 403


def test_an_upload_assembled_by_storage_whose_request_died_is_recovered(seaweedfs):
    """S3 assembled the file, then the request died before the database said so: a retried
    "complete" finds the stored object and goes on (it used to be a 500 on NoSuchUpload)."""
    data = b"x" * (5 * MIB) + b"end"
    version = video_upload_start(video=video_create(), filename="l.mp4", size=len(data))
    version.upload_part_size = 5 * MIB
    version.save(update_fields=["upload_part_size"])
    urls = video_upload_part_urls(version=version, part_numbers=[1, 2])
    assert _put(urls[1], data[: 5 * MIB]) == 200 and _put(urls[2], data[5 * MIB :]) == 200
    parts = video_upload_parts_list(version=version)
    seaweedfs["client"].complete_multipart_upload(  # what the lost request had done
        Bucket=seaweedfs["bucket"], Key=version.original_key, UploadId=version.upload_id,
        MultipartUpload={"Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]}
                                   for p in parts]},
    )  # fmt: skip
    version.refresh_from_db()
    assert version.state == VideoVersion.State.UPLOADING
    done = video_upload_complete(version=version)
    assert done.state == VideoVersion.State.UPLOADED


def test_an_upload_storage_lost_says_so(seaweedfs):
    version = video_upload_start(video=video_create(), filename="l.mp4", size=10)
    seaweedfs["client"].abort_multipart_upload(
        Bucket=seaweedfs["bucket"], Key=version.original_key, UploadId=version.upload_id
    )
    with pytest.raises(UploadError, match="upload the file again"):
        video_upload_complete(version=version)
    version.refresh_from_db()
    assert version.state == VideoVersion.State.UPLOADING


def test_a_part_of_the_wrong_size_is_refused(seaweedfs):
    """Each part URL is signed for its exact size, so the store refuses another size; and
    completion checks every stored part's size whatever a store lets through."""
    data = b"y" * (5 * MIB) + b"end"
    version = video_upload_start(video=video_create(), filename="l.mp4", size=len(data))
    version.upload_part_size = 5 * MIB
    version.save(update_fields=["upload_part_size"])
    urls = video_upload_part_urls(version=version, part_numbers=[1, 2])
    with pytest.raises(urllib.error.HTTPError) as refused:
        _put(urls[1], data[: 4 * MIB])
    assert refused.value.code == 403
    assert video_upload_parts_list(version=version) == []  # nothing was stored
    # A part stored some other way (a store that ignores signed sizes): 4 MiB for part 1,
    # padded so that the total is right, is still refused at completion.
    seaweedfs["client"].upload_part(
        Bucket=seaweedfs["bucket"], Key=version.original_key, UploadId=version.upload_id,
        PartNumber=1, Body=data[: 4 * MIB],
    )  # fmt: skip
    seaweedfs["client"].upload_part(
        Bucket=seaweedfs["bucket"], Key=version.original_key, UploadId=version.upload_id,
        PartNumber=2, Body=data[4 * MIB :],
    )  # fmt: skip
    with pytest.raises(UploadError, match="Part 1 of the upload has the wrong size"):
        video_upload_complete(version=version)
    version.refresh_from_db()
    assert version.state == VideoVersion.State.UPLOADING


def _old(now_days: int = 8):
    """The sweeper's clock, some days ahead: every upload started now is abandoned by then."""
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() + timedelta(days=now_days)


def _multipart_ids(seaweedfs) -> set[str]:
    listed = seaweedfs["client"].list_multipart_uploads(Bucket=seaweedfs["bucket"])
    return {u["UploadId"] for u in listed.get("Uploads", [])}


def test_the_sweeper_finishes_a_fully_sent_upload_and_aborts_the_unfinished(seaweedfs):
    from media_pipeline.uploads.sweep import uploads_abandoned_sweep

    # All parts sent, "complete" never called (the browser closed at the end).
    data = b"z" * (5 * MIB) + b"end"
    sent = video_upload_start(video=video_create(), filename="sent.mp4", size=len(data))
    sent.upload_part_size = 5 * MIB
    sent.save(update_fields=["upload_part_size"])
    urls = video_upload_part_urls(version=sent, part_numbers=[1, 2])
    assert _put(urls[1], data[: 5 * MIB]) == 200 and _put(urls[2], data[5 * MIB :]) == 200
    # Half sent and left.
    half = video_upload_start(video=video_create(), filename="half.mp4", size=len(data))
    half.upload_part_size = 5 * MIB
    half.save(update_fields=["upload_part_size"])
    assert _put(video_upload_part_urls(version=half, part_numbers=[1])[1], data[: 5 * MIB]) == 200
    # A multipart upload whose row never got saved (a crash in between).
    orphan = seaweedfs["client"].create_multipart_upload(
        Bucket=seaweedfs["bucket"], Key="originals/lost-row"
    )["UploadId"]
    fresh = video_upload_start(video=video_create(), filename="now.mp4", size=10)
    VideoVersion.objects.filter(pk=fresh.pk).update(created_at=_old())  # new by then
    assert {sent.upload_id, half.upload_id, orphan, fresh.upload_id} <= _multipart_ids(seaweedfs)

    # Today nothing is old enough.
    assert uploads_abandoned_sweep() == {"recovered": 0, "aborted": 0, "orphans_aborted": 0}
    assert {sent.upload_id, half.upload_id, orphan} <= _multipart_ids(seaweedfs)
    counts = uploads_abandoned_sweep(now=_old())
    assert (counts["recovered"], counts["aborted"]) == (1, 1)
    assert counts["orphans_aborted"] >= 1  # ours, and any an earlier test left in this store
    sent.refresh_from_db()
    half.refresh_from_db()
    assert sent.state == VideoVersion.State.UPLOADED  # and queued for processing
    body = seaweedfs["client"].get_object(Bucket=seaweedfs["bucket"], Key=sent.original_key)
    assert body["Body"].read() == data
    assert half.state == VideoVersion.State.FAILED and "never finished" in half.state_reason
    left = _multipart_ids(seaweedfs)
    assert half.upload_id not in left and orphan not in left
    assert fresh.upload_id in left  # started "today" in the sweeper's clock: left alone
    fresh.refresh_from_db()
    assert fresh.state == VideoVersion.State.UPLOADING


def test_the_sweeper_aborts_nothing_it_cannot_reach(seaweedfs, settings):
    from media_pipeline.uploads.sweep import uploads_abandoned_sweep

    version = video_upload_start(video=video_create(), filename="a.mp4", size=10)
    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:9"  # nothing listens: storage is down
    assert uploads_abandoned_sweep(now=_old())["aborted"] == 0
    version.refresh_from_db()
    assert version.state == VideoVersion.State.UPLOADING  # tried again next time


def test_a_hung_store_is_a_quick_clear_error_not_a_held_request(seaweedfs, settings):
    import socket
    import time

    from media_pipeline.uploads.services import StorageUnavailable

    # A store that takes the connection and never answers (a brownout).
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)
    try:
        settings.AWS_S3_ENDPOINT_URL = f"http://127.0.0.1:{hung.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(StorageUnavailable, match="not answering"):
            video_upload_start(video=video_create(), filename="a.mp4", size=10)
        assert time.monotonic() - started < 4.5  # one try, a 3 s read timeout (was 6 x 60 s)
    finally:
        hung.close()
    assert not VideoVersion.objects.exists()


def test_the_bucket_gets_a_rule_for_unfinished_uploads(seaweedfs, settings):
    from media_pipeline.storage import bucket_ensure

    settings.MEDIA_UPLOAD_ABANDONED_AFTER_S = 7 * 86400
    bucket_ensure()
    rules = seaweedfs["client"].get_bucket_lifecycle_configuration(Bucket=seaweedfs["bucket"])
    (rule,) = [r for r in rules["Rules"] if r.get("ID") == "abort-unfinished-uploads"]
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 8}
    assert rule["Filter"] == {"Prefix": "originals/"}


def test_a_store_without_lifecycle_rules_is_no_error(caplog):
    """Unit test of the one function: a store answering NotImplemented (a stub client)."""
    from botocore.exceptions import ClientError

    from media_pipeline.storage import _multipart_lifecycle_ensure

    class NoLifecycle:
        def put_bucket_lifecycle_configuration(self, **kwargs):
            raise ClientError({"Error": {"Code": "NotImplemented"}}, "PutBucketLifecycle")

    with caplog.at_level("INFO", logger="media_pipeline.storage"):
        _multipart_lifecycle_ensure(NoLifecycle())
    assert "the sweeper aborts old uploads" in caplog.text
