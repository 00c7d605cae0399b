"""Object storage access: one boto3 client per endpoint, built from settings.

Servers talk to AWS_S3_ENDPOINT_URL; URLs handed to browsers are signed for
AWS_S3_PUBLIC_ENDPOINT_URL, because a SigV4 signature covers the host name.
"""

import functools
import logging
import math
import mimetypes
import urllib.parse
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

logger = logging.getLogger(__name__)

# The Content-Type of every file the pipeline writes; mimetypes guesses
# HLS files badly (or not at all), so these are fixed here.
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".vtt": "text/vtt",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".json": "application/json",
}


def content_type_for(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


# Workers (transcodes, uploads of renditions) can wait for a slow store; a web request
# must not: an S3 brownout would otherwise hold every gunicorn worker for minutes.
PATIENT = {"retries": {"max_attempts": 5, "mode": "standard"}, "connect_timeout": 5,
           "read_timeout": 60}  # fmt: skip
# botocore's "max_attempts" counts retries after the first try; "total_max_attempts": 1 is one
# try and no retry (with "max_attempts": 1, a hung store cost two read timeouts).
QUICK = {"retries": {"total_max_attempts": 1, "mode": "standard"}, "connect_timeout": 2,
         "read_timeout": 3}  # fmt: skip
# Assembling a multipart upload is one request that can take long for a big file (S3 may
# answer after minutes). One attempt still, and no longer than this: a "complete" that times
# out is asked again, and then finds the object assembled (uploads.services).
ASSEMBLE = {"retries": {"total_max_attempts": 1, "mode": "standard"}, "connect_timeout": 2,
            "read_timeout": 20}  # fmt: skip
PROFILES = {"patient": PATIENT, "quick": QUICK, "assemble": ASSEMBLE}


@functools.lru_cache(maxsize=8)
def _client(
    endpoint_url: str | None, access_key: str, secret_key: str, region: str, style: str,
    profile: str = "patient",
):  # fmt: skip
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": style},
        max_pool_connections=32,
        **PROFILES[profile],
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=config,
    )


def s3_client():
    """The client servers use (internal endpoint)."""
    return _client(
        settings.AWS_S3_ENDPOINT_URL,
        settings.AWS_ACCESS_KEY_ID,
        settings.AWS_SECRET_ACCESS_KEY,
        settings.AWS_S3_REGION_NAME,
        settings.AWS_S3_ADDRESSING_STYLE,
    )


def s3_request_client(*, assemble: bool = False):
    """The client for calls made while a web request waits: one attempt, short timeouts
    (``assemble``: the one longer call, CompleteMultipartUpload)."""
    return _client(
        settings.AWS_S3_ENDPOINT_URL,
        settings.AWS_ACCESS_KEY_ID,
        settings.AWS_SECRET_ACCESS_KEY,
        settings.AWS_S3_REGION_NAME,
        settings.AWS_S3_ADDRESSING_STYLE,
        profile="assemble" if assemble else "quick",
    )


def s3_public_client():
    """A client whose presigned URLs name the endpoint browsers reach."""
    return _client(
        settings.AWS_S3_PUBLIC_ENDPOINT_URL,
        settings.AWS_ACCESS_KEY_ID,
        settings.AWS_SECRET_ACCESS_KEY,
        settings.AWS_S3_REGION_NAME,
        settings.AWS_S3_ADDRESSING_STYLE,
    )


def bucket() -> str:
    return settings.AWS_STORAGE_BUCKET_NAME


def storage_ping() -> None:
    s3_request_client().head_bucket(Bucket=bucket())


def bucket_ensure(*, cors_origins: Iterable[str] = ()) -> bool:
    """Create the private bucket if missing and allow browser uploads from our origins.

    Returns True when the bucket was created. The bucket gets no public ACL or
    policy: every read goes through a presigned URL.
    """
    client = s3_client()
    created = False
    try:
        client.head_bucket(Bucket=bucket())
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise
        client.create_bucket(Bucket=bucket())
        created = True
    _multipart_lifecycle_ensure(client)
    origins = sorted(set(cors_origins))
    if origins:
        client.put_bucket_cors(
            Bucket=bucket(),
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedOrigins": origins,
                        "AllowedMethods": ["GET", "HEAD", "PUT"],
                        "AllowedHeaders": ["*"],
                        # The browser uploader reads each part's ETag.
                        "ExposeHeaders": ["ETag", "Content-Length", "Content-Range"],
                        "MaxAgeSeconds": 3600,
                    }
                ]
            },
        )
    return created


def _multipart_lifecycle_ensure(client) -> None:
    """Where the store supports lifecycle rules, it deletes the parts of multipart uploads
    nobody finished a day after the sweeper would have (uploads.services aborts them itself
    everywhere; this catches what a lost database row leaves behind)."""
    days = math.ceil(settings.MEDIA_UPLOAD_ABANDONED_AFTER_S / 86400) + 1
    try:
        client.put_bucket_lifecycle_configuration(
            Bucket=bucket(),
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "abort-unfinished-uploads",
                        "Filter": {"Prefix": "originals/"},
                        "Status": "Enabled",
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": days},
                    }
                ]
            },
        )
    except ClientError as exc:  # e.g. NotImplemented (SeaweedFS): the sweeper does it alone
        logger.info("bucket lifecycle rule not set (%s): the sweeper aborts old uploads", exc)


SINGLE_PUT_MAX_BYTES = 64 * 1024 * 1024


def object_put_file(path: Path, key: str) -> None:
    content_type = content_type_for(path.name)
    if path.stat().st_size <= SINGLE_PUT_MAX_BYTES:
        # Segments are small: one PUT, without the transfer manager (and its
        # thread pool) that upload_file sets up per call, which costs CPU the
        # encoders running beside it need.
        with open(path, "rb") as body:
            s3_client().put_object(Bucket=bucket(), Key=key, Body=body, ContentType=content_type)
        return
    s3_client().upload_file(str(path), bucket(), key, ExtraArgs={"ContentType": content_type})


def object_put_bytes(data: bytes, key: str, *, content_type: str | None = None) -> None:
    s3_client().put_object(
        Bucket=bucket(), Key=key, Body=data, ContentType=content_type or content_type_for(key)
    )


def objects_put_files(pairs: list[tuple[Path, str]], *, workers: int = 8) -> None:
    """Upload many small files in parallel (segments, sprites, playlists)."""
    if not pairs:
        return
    with ThreadPoolExecutor(max_workers=min(workers, len(pairs))) as pool:
        list(pool.map(lambda pair: object_put_file(*pair), pairs))


def object_get_to_file(key: str, path: Path) -> None:
    s3_client().download_file(bucket(), key, str(path))


def object_get_bytes(key: str) -> bytes | None:
    """A small object's bytes while a request waits (the request client), or None if it is
    not there or storage does not answer in time."""
    try:
        return s3_request_client().get_object(Bucket=bucket(), Key=key)["Body"].read()
    except (ClientError, BotoCoreError):
        return None


def object_exists(key: str) -> bool:
    try:
        s3_client().head_object(Bucket=bucket(), Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def object_keys(prefix: str) -> list[str]:
    paginator = s3_client().get_paginator("list_objects_v2")
    keys: list[str] = []
    for page in paginator.paginate(Bucket=bucket(), Prefix=prefix):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys


def objects_delete(keys: list[str]) -> None:
    client = s3_client()
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        client.delete_objects(
            Bucket=bucket(), Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True}
        )


def presigned_get_url(key: str, *, expires_s: int, filename: str | None = None) -> str:
    """A browser's GET of ``key``; with ``filename``, saved under that name (the store sends
    it as Content-Disposition: an RFC 5987 UTF-8 name, with an ASCII fallback)."""
    params = {"Bucket": bucket(), "Key": key}
    if filename:
        ascii_name = filename.encode("ascii", "replace").decode().replace('"', "'")
        params["ResponseContentDisposition"] = (
            f'attachment; filename="{ascii_name}"; '
            f"filename*=UTF-8''{urllib.parse.quote(filename, safe='')}"
        )
    return s3_public_client().generate_presigned_url(
        "get_object", Params=params, ExpiresIn=expires_s
    )
