"""The fast SigV4 presigner: byte-identical to boto3, and honoured by a real S3 (SeaweedFS)."""

import contextlib
import datetime as dt
import time
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import boto3
import botocore.auth
import pytest
from botocore.config import Config

from media_pipeline.delivery import signing
from media_pipeline.delivery.signing import MAX_EXPIRES_S, S3UrlSigner
from media_pipeline.storage import s3_public_client
from tests.conftest import http_body, http_status

FROZEN = dt.datetime(2026, 3, 14, 15, 9, 26)  # naive UTC, as botocore's clock returns it
KEYS = [
    "videos/abc/def/720p/seg_00000.m4s",
    "videos/with space/and  two/init_0.mp4",
    "videos/ünïcödé/日本語/ファイル.m4s",
    "videos/tilde~and+plus/a+b~c.m4s",
    "videos/odd/!'()*@:$&=,;?#%[]{}|^`\"<>.bin",
    "a//double/slash/",
]


@contextlib.contextmanager
def botocore_clock_frozen(at: dt.datetime):
    """Freeze the instant boto3 signs at (test only). Newer botocore reads it through
    botocore.auth.get_current_datetime; older ones called datetime.datetime.utcnow()."""
    if hasattr(botocore.auth, "get_current_datetime"):
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=at):
            yield
        return

    class Frozen(dt.datetime):
        @classmethod
        def utcnow(cls):
            return at

    with mock.patch.object(botocore.auth.datetime, "datetime", Frozen):
        yield


def _boto3_client(endpoint_url, region, style):
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        region_name=region,
        config=Config(signature_version="s3v4", s3={"addressing_style": style}),
    )


# --------------------------------------------------------------------------- byte-identical


def test_urls_are_byte_identical_to_boto3_with_the_configured_settings(seaweedfs, settings):
    signer = S3UrlSigner.from_settings()
    client = s3_public_client()
    assert settings.AWS_S3_ADDRESSING_STYLE == "path"
    for expires in (1, 900, 4 * 3600, MAX_EXPIRES_S):
        with botocore_clock_frozen(FROZEN):
            expected = [
                client.generate_presigned_url(
                    "get_object",
                    Params={"Bucket": settings.AWS_STORAGE_BUCKET_NAME, "Key": key},
                    ExpiresIn=expires,
                )
                for key in KEYS
            ]
        ours = [
            signer.presign_get(key, expires_s=expires, now=FROZEN.replace(tzinfo=dt.UTC))
            for key in KEYS
        ]
        assert ours == expected


@pytest.mark.parametrize(
    "endpoint_url",
    [
        "http://127.0.0.1:8333",
        "http://127.0.0.1:80",  # default port: kept in the URL, not in the signed Host
        "https://S3.Example.com:443/",  # case and default port
        "http://s3.example.com:9000/base",  # an endpoint with a path
        "http://[::1]:8333",
        None,  # AWS itself
    ],
)
@pytest.mark.parametrize("style", ["path", "virtual", "auto"])
@pytest.mark.parametrize("region", ["us-east-1", "eu-west-3"])
def test_urls_are_byte_identical_to_boto3_across_endpoints(endpoint_url, style, region):
    client = _boto3_client(endpoint_url, region, style)
    signer = S3UrlSigner(
        endpoint_url=endpoint_url,
        region=region,
        access_key="AKIDEXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        bucket="course-media",
        addressing_style=style,
    )
    with botocore_clock_frozen(FROZEN):
        expected = [
            client.generate_presigned_url(
                "get_object", Params={"Bucket": "course-media", "Key": key}, ExpiresIn=3600
            )
            for key in KEYS
        ]
    sign = signer.presigner(expires_s=3600, now=FROZEN.replace(tzinfo=dt.UTC))
    assert [sign(key) for key in KEYS] == expected
    # The per-prefix presigner a playlist uses encodes the prefix once, same result.
    by_prefix = signer.presigner_for_prefix(
        "videos/with space/", expires_s=3600, now=FROZEN.replace(tzinfo=dt.UTC)
    )
    assert by_prefix("and  two/init_0.mp4") == expected[1]


def test_expiry_is_capped_at_seven_days_and_the_signing_key_is_derived_once():
    signer = S3UrlSigner(
        endpoint_url="http://127.0.0.1:8333",
        region="us-east-1",
        access_key="AK",
        secret_key="a-secret-only-this-test-uses",
        bucket="b",
    )
    url = signer.presign_get("k", expires_s=10 * 24 * 3600, now=FROZEN.replace(tzinfo=dt.UTC))
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == [str(MAX_EXPIRES_S)]
    before = signing.signing_key.cache_info()
    for _ in range(50):
        signer.presign_get("k", expires_s=60, now=FROZEN.replace(tzinfo=dt.UTC))
    after = signing.signing_key.cache_info()
    assert after.misses - before.misses == 0  # derived by the first call above, reused since
    assert after.hits - before.hits == 50
    # A new UTC day means a new key.
    signer.presign_get(
        "k", expires_s=60, now=(FROZEN + dt.timedelta(days=1)).replace(tzinfo=dt.UTC)
    )
    assert signing.signing_key.cache_info().misses == after.misses + 1


# --------------------------------------------------------------------------- real S3


def test_presigned_urls_work_against_seaweedfs_and_fail_when_altered(s3, seaweedfs):
    bucket = seaweedfs["bucket"]
    signer = S3UrlSigner.from_settings()
    bodies = {key: f"body of {key}".encode() for key in KEYS if not key.endswith("/")}
    for key, body in bodies.items():
        s3.put_object(Bucket=bucket, Key=f"signing-test/{key}", Body=body)

    for key, body in bodies.items():
        url = signer.presign_get(f"signing-test/{key}", expires_s=300)
        assert http_body(url) == body, key
        query = parse_qs(urlsplit(url).query)
        assert query["X-Amz-SignedHeaders"] == ["host"] and query["X-Amz-Expires"] == ["300"]

        # Unsigned: the bucket is private.
        assert http_status(url.split("?", 1)[0]) == 403, key
        # One hex digit of the signature changed.
        signature = query["X-Amz-Signature"][0]
        flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
        assert http_status(url.replace(signature, flipped)) == 403, key
        # The expiry stretched under the same signature.
        assert http_status(url.replace("X-Amz-Expires=300", "X-Amz-Expires=3000")) == 403, key

    # A valid signature moved to another (existing) object.
    first, second = (signer.presign_get(f"signing-test/{k}", expires_s=300) for k in KEYS[:2])
    moved = second.split("?", 1)[0] + "?" + first.split("?", 1)[1]
    assert http_status(moved) == 403
    # Listing the bucket anonymously.
    assert http_status(f"{seaweedfs['endpoint']}/{bucket}/") == 403
    assert http_status(f"{seaweedfs['endpoint']}/{bucket}?list-type=2") == 403


def test_presigned_urls_expire(s3, seaweedfs):
    key = "signing-test/expiring.txt"
    s3.put_object(Bucket=seaweedfs["bucket"], Key=key, Body=b"soon gone")
    url = S3UrlSigner.from_settings().presign_get(key, expires_s=1)
    assert http_body(url) == b"soon gone"
    time.sleep(2.2)
    assert http_status(url) == 403


def test_a_non_ascii_signature_is_refused_not_a_500(client, db):
    import uuid

    from media_pipeline.delivery.grants import grant_valid

    future = 4_102_444_800
    assert (
        grant_valid(version_id=uuid.uuid4(), expires=future, signature="é" * 22, viewer="session:x")
        is False
    )
    response = client.get(f"/media/hls/{uuid.uuid4()}/{future}/%C3%A9%C3%A9/master.m3u8")
    assert response.status_code == 403
    odd_name = client.get(f"/media/hls/{uuid.uuid4()}/{future}/abc/%C3%A9.m3u8")
    assert odd_name.status_code == 404  # not a rendition name: no route
