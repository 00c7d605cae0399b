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
