"""Browser-to-bucket multipart uploads: the Django process never holds the file.

The server decides the key (a UUID), the bucket and the content type, limits
the size when the upload starts, signs each part's URL for that part's exact size, and on
completion trusts only what object storage says it holds (ListParts), never the client's
list of ETags.

Every call here is made while a web request waits (the studio's uploader), so it goes
through the request client: one attempt, short timeouts, and a store that does not answer
is StorageUnavailable (a 503 the uploader retries), never a worker held for minutes.
"""

import math
import uuid
from collections.abc import Callable
from pathlib import PurePath
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import transaction

from media_pipeline.formatting import size_label
from media_pipeline.models import Video, VideoVersion
from media_pipeline.processing.enqueue import version_process_enqueue
from media_pipeline.processing.versions import version_state_set
from media_pipeline.selectors import version_status
from media_pipeline.storage import bucket, s3_public_client, s3_request_client

T = TypeVar("T")

S3_MAX_PARTS = 10_000
S3_MIN_PART_BYTES = 5 * 1024 * 1024
MIB = 1024 * 1024
PART_URL_TTL_S = 3600


class UploadError(Exception):
    """A request the uploader can fix; the message is shown to the instructor."""


class StorageUnavailable(UploadError):
    """Object storage did not answer in time or answered with a server error: try again."""


def _storage(call: Callable[[], T]) -> T:
    """Run an S3 call; a store that is down or slow becomes StorageUnavailable."""
    try:
        return call()
    except BotoCoreError as exc:  # connect/read timeouts, connection refused
        raise StorageUnavailable(
            "Object storage is not answering. Please try again in a minute."
        ) from exc
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if status >= 500 or exc.response.get("Error", {}).get("Code") == "SlowDown":
            raise StorageUnavailable(
                "Object storage is busy. Please try again in a minute."
            ) from exc
        raise


def _part_size_for(size: int) -> int:
    # S3 allows at most 10,000 parts: large files get larger parts.
    wanted = max(
        settings.MEDIA_UPLOAD_PART_BYTES, S3_MIN_PART_BYTES, math.ceil(size / S3_MAX_PARTS)
    )
    return math.ceil(wanted / MIB) * MIB


def _clean_filename(filename: str) -> str:
    # Only for display: the object key never contains it.
    name = PurePath(filename.replace("\\", "/")).name.strip() or "upload"
    return "".join(ch for ch in name if ch.isprintable())[:200]


def video_create(*, title: str = "") -> Video:
    return Video.objects.create(title=title[:255])


def video_upload_start(
    *, video: Video, filename: str, size: int, uploaded_by=None, fingerprint: str = ""
) -> VideoVersion:
    """Open a multipart upload for a new version of `video`."""
    if not isinstance(size, int) or size <= 0:
        raise UploadError("The file is empty.")
    limit = settings.MEDIA_UPLOAD_MAX_BYTES
    if size > limit:
        raise UploadError(
            f"The file is {size_label(size)}; the largest upload allowed is {size_label(limit)}."
        )
    version_id = uuid.uuid4()
    key = f"originals/{version_id}"
    response = _storage(
        lambda: s3_request_client().create_multipart_upload(
            Bucket=bucket(), Key=key, ContentType="application/octet-stream"
        )
    )
    return VideoVersion.objects.create(
        id=version_id,
        video=video,
        original_key=key,
        original_filename=_clean_filename(filename),
        original_size=size,
        upload_id=response["UploadId"],
        upload_part_size=_part_size_for(size),
        upload_fingerprint=fingerprint[:255],
        uploaded_by=uploaded_by if getattr(uploaded_by, "pk", None) else None,
    )


def video_upload_resumable_get(*, video: Video, fingerprint: str, size: int) -> VideoVersion | None:
    """An unfinished upload of the same file for the same video, to continue after a reload."""
    if not fingerprint:
        return None
    return (
        VideoVersion.objects.filter(
            video=video,
            state=VideoVersion.State.UPLOADING,
            upload_fingerprint=fingerprint[:255],
            original_size=size,
        )
        .order_by("-created_at")
        .first()
    )


def upload_part_count(version: VideoVersion) -> int:
    return max(1, math.ceil(version.original_size / max(1, version.upload_part_size)))


def upload_part_bytes(version: VideoVersion, number: int) -> int:
    """The exact size of part ``number``: the part size, the rest for the last one."""
    last = upload_part_count(version)
    if number < last:
        return version.upload_part_size
    return version.original_size - (last - 1) * version.upload_part_size


def _require_uploading(version: VideoVersion) -> None:
    if version.state != VideoVersion.State.UPLOADING:
        raise UploadError(f"This upload is already {version.get_state_display().lower()}.")


def video_upload_part_urls(*, version: VideoVersion, part_numbers: list[int]) -> dict[int, str]:
    """Presigned PUT URLs for the given parts, for the browser's own endpoint.

    Each URL signs its part's Content-Length: a store that checks signed headers refuses a
    part of another size at once, and completion checks every stored part's size anyway."""
    _require_uploading(version)
    count = upload_part_count(version)
    bad = [n for n in part_numbers if not isinstance(n, int) or not 1 <= n <= count]
    if bad:
        raise UploadError(f"Part numbers must be between 1 and {count}.")
    client = s3_public_client()
    return {
        number: client.generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": bucket(),
                "Key": version.original_key,
                "UploadId": version.upload_id,
                "PartNumber": number,
                "ContentLength": upload_part_bytes(version, number),
            },
            ExpiresIn=PART_URL_TTL_S,
        )
        for number in part_numbers
    }


def video_upload_parts_list(*, version: VideoVersion) -> list[dict]:
    """The parts object storage holds for this upload: what a resumed upload can skip."""
    if version.state != VideoVersion.State.UPLOADING:
        return []
    client = s3_request_client()
    parts: list[dict] = []
    marker = 0
    while True:
        response = _storage(
            lambda marker=marker: client.list_parts(
                Bucket=bucket(),
                Key=version.original_key,
                UploadId=version.upload_id,
                PartNumberMarker=marker,
            )
        )
        parts.extend(
            {"PartNumber": p["PartNumber"], "ETag": p["ETag"], "Size": p["Size"]}
            for p in response.get("Parts", [])
        )
        if not response.get("IsTruncated"):
            return parts
        marker = response["NextPartNumberMarker"]


def _no_such_upload(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in ("NoSuchUpload", "404")


def _stored_original_size(version: VideoVersion) -> int | None:
    try:
        head = _storage(
            lambda: s3_request_client().head_object(Bucket=bucket(), Key=version.original_key)
        )
    except ClientError:
        return None
    return int(head["ContentLength"])


def _parts_assemble(version: VideoVersion) -> None:
    """Ask object storage to assemble the parts. If it already did (a "complete" whose
    answer was lost, or a concurrent one), the stored object of the right size says so."""
    try:
        parts = video_upload_parts_list(version=version)
        stored = sum(p["Size"] for p in parts)
        numbers = [p["PartNumber"] for p in parts]
        if stored != version.original_size or numbers != list(range(1, len(parts) + 1)):
            raise UploadError(
                f"The upload is incomplete: {size_label(stored)} of "
                f"{size_label(version.original_size)} stored. Resume it to finish."
            )
        wrong = [
            p["PartNumber"]
            for p in parts
            if p["Size"] != upload_part_bytes(version, p["PartNumber"])
        ]
        if wrong:
            raise UploadError(
                f"Part {wrong[0]} of the upload has the wrong size. Resume it to send it again."
            )
        _storage(
            lambda: s3_request_client(assemble=True).complete_multipart_upload(
                Bucket=bucket(),
                Key=version.original_key,
                UploadId=version.upload_id,
                MultipartUpload={
                    "Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in parts]
                },
            )
        )
    except ClientError as exc:
        if _no_such_upload(exc) and _stored_original_size(version) == version.original_size:
            return  # assembled before: nothing is lost
        if _no_such_upload(exc):
            raise UploadError(
                "Object storage no longer has this upload. Please upload the file again."
            ) from exc
        raise UploadError(f"Object storage refused to assemble the upload: {exc}") from exc


def video_upload_complete(*, version: VideoVersion) -> VideoVersion:
    """Assemble the stored parts and queue processing; repeating the call is harmless.

    The object-storage calls happen outside the row lock (they can take a while for a big
    file); the state change is then made once, under the lock.
    """
    version = VideoVersion.objects.get(pk=version.pk)
    if version.state != VideoVersion.State.UPLOADING:
        return version  # a retried "complete" after success
    _parts_assemble(version)
    with transaction.atomic():
        version = VideoVersion.objects.select_for_update().get(pk=version.pk)
        if version.state != VideoVersion.State.UPLOADING:
            return version  # a concurrent "complete" got here first
        version_state_set(version, VideoVersion.State.UPLOADED)
        version_process_enqueue(version)
    return version


def video_upload_abort(*, version: VideoVersion) -> None:
    """Give up an unfinished upload: its parts are deleted and the version with them."""
    _require_uploading(version)
    multipart_abort(version.original_key, version.upload_id)
    version.delete()


def multipart_abort(key: str, upload_id: str) -> None:
    """Delete an unfinished upload's parts (already gone is fine)."""
    try:
        _storage(
            lambda: s3_request_client().abort_multipart_upload(
                Bucket=bucket(), Key=key, UploadId=upload_id
            )
        )
    except ClientError as exc:
        if not _no_such_upload(exc):
            raise


def upload_description(version) -> dict:
    """What a browser needs to (re)start sending parts."""
    return {
        "version_id": str(version.pk),
        "key": version.original_key,
        "upload_id": version.upload_id,
        "part_size": version.upload_part_size,
        "part_count": upload_part_count(version),
        "parts": video_upload_parts_list(version=version),
        "status": version_status(version),
    }
