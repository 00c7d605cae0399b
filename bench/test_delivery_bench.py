"""`make bench`: the cost of serving a signed variant playlist of a one-hour lesson.

A one-hour rendition with 4 s segments names 900 segments, and its playlist is
signed per request. This prints p50/p99 of (a) signing one URL, (b) rendering
the playlist, (c) GET through the full Django stack (middleware, session, auth,
query, view), each with the fast signer and, for comparison, with boto3's
generate_presigned_url; and whether the 50 ms p99 target of the view is met.
Numbers, not assertions on time (only the two signers' outputs are checked to
be identical); results go to bench-results/delivery.json.
"""

import datetime as dt
import json
import os
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from media_pipeline.delivery import views as delivery_views
from media_pipeline.delivery.grants import playback_grant
from media_pipeline.delivery.render import variant_playlist_render
from media_pipeline.delivery.signing import S3UrlSigner
from media_pipeline.models import Rendition, Video, VideoVersion
from media_pipeline.storage import bucket, s3_public_client

RESULTS = Path(__file__).resolve().parent.parent / "bench-results"
SEGMENTS = 900  # one hour of 4 s segments
FAST_RUNS = 400
BOTO3_RUNS = 30  # ~0.3-0.5 s each: enough for a stable median
TARGET_P99_MS = 50.0


def _one_hour_version() -> VideoVersion:
    video = Video.objects.create(title="one hour")
    version = VideoVersion.objects.create(
        video=video,
        state=VideoVersion.State.READY,
        playable=True,
        original_key=f"uploads/{uuid.uuid4()}/lecture.mp4",
        original_filename="lecture.mp4",
        original_size=1,
        duration_s=SEGMENTS * 4,
    )
    prefix = f"videos/{video.pk}/{version.pk}/"
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:4", "#EXT-X-MEDIA-SEQUENCE:0"]
    lines += ["#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-INDEPENDENT-SEGMENTS"]
    lines.append('#EXT-X-MAP:URI="init_0.mp4"')
    for i in range(SEGMENTS):
        lines += ["#EXTINF:4.000000,", f"seg_{i:05d}.m4s"]
    lines.append("#EXT-X-ENDLIST")
    for name, kind, w, h in (("720p", "video", 1280, 720), ("audio", "audio", 0, 0)):
        Rendition.objects.create(
            version=version,
            kind=kind,
            name=name,
            width=w,
            height=h,
            bandwidth=2_900_000,
            codecs="avc1.640028,mp4a.40.2",
            playlist_key=f"{prefix}{name}/index.m3u8",
            playlist="\n".join(lines) + "\n",
            segment_count=SEGMENTS,
            complete=True,
        )
    return version


class Boto3Signer:
    """The naive way, for comparison: one generate_presigned_url per URL."""

    def presigner_for_prefix(self, prefix: str, *, expires_s: int, now=None):
        client, name = s3_public_client(), bucket()

        def sign(key: str) -> str:
            return client.generate_presigned_url(
                "get_object", Params={"Bucket": name, "Key": prefix + key}, ExpiresIn=expires_s
            )

        return sign


def _timings_ms(fn: Callable[[], object], runs: int) -> list[float]:
    for _ in range(3):
        fn()  # warm caches, connections, imports
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _summary(ms: list[float]) -> dict:
    ordered = sorted(ms)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return {
        "runs": len(ms),
        "p50_ms": round(statistics.median(ordered), 3),
        "p99_ms": round(p99, 3),
        "max_ms": round(ordered[-1], 3),
    }


@pytest.mark.django_db
def test_variant_playlist_of_one_hour(seaweedfs, capsys):
    version = _one_hour_version()
    rendition = version.renditions.get(name="720p")
    user = get_user_model().objects.create_user("bench-viewer")
    client = Client()
    client.force_login(user)
    grant = playback_grant(version=version, viewer=f"user:{user.pk}")
    variant_url = grant.master_url.replace("master.m3u8", "720p.m3u8")
    fast, boto = S3UrlSigner.from_settings(), Boto3Signer()

    # Same bytes from both signers at one frozen instant (botocore's clock patched).
    frozen = dt.datetime(2026, 1, 1, 12, 0, 0)
    with mock.patch("botocore.auth.get_current_datetime", return_value=frozen):
        via_boto3 = variant_playlist_render(rendition, signer=boto, expires_s=3600)
    via_fast = variant_playlist_render(
        rendition, signer=fast, expires_s=3600, now=frozen.replace(tzinfo=dt.UTC)
    )
    assert via_fast == via_boto3 and via_fast.count("X-Amz-Signature=") == SEGMENTS + 1

    key = rendition.playlist_key.rsplit("/", 1)[0] + "/seg_00042.m4s"
    sign_fast = fast.presigner_for_prefix("", expires_s=3600)
    client_boto3 = s3_public_client()
    per_url_fast = _timings_ms(lambda: [sign_fast(key) for _ in range(1000)], 30)
    per_url_boto3 = _timings_ms(
        lambda: [
            client_boto3.generate_presigned_url(
                "get_object", Params={"Bucket": bucket(), "Key": key}, ExpiresIn=3600
            )
            for _ in range(100)
        ],
        10,
    )

    def view_get() -> None:
        response = client.get(variant_url)
        assert response.status_code == 200

    render_fast = _timings_ms(
        lambda: variant_playlist_render(rendition, signer=fast, expires_s=3600), FAST_RUNS
    )
    render_boto3 = _timings_ms(
        lambda: variant_playlist_render(rendition, signer=boto, expires_s=3600), BOTO3_RUNS
    )
    view_fast = _timings_ms(view_get, FAST_RUNS)
    with mock.patch.object(delivery_views.S3UrlSigner, "from_settings", return_value=boto):
        view_boto3 = _timings_ms(view_get, BOTO3_RUNS)
    master_view = _timings_ms(lambda: client.get(grant.master_url), FAST_RUNS)

    view = _summary(view_fast)
    result = {
        "segments": SEGMENTS,
        "playlist_bytes": len(via_fast.encode()),
        "sign_one_url_us": {
            "fast": round(statistics.median(per_url_fast) * 1000 / 1000, 2),
            "boto3": round(statistics.median(per_url_boto3) * 1000 / 100, 2),
        },
        "render_function": {"fast": _summary(render_fast), "boto3": _summary(render_boto3)},
        "variant_view_django_client": {"fast": view, "boto3": _summary(view_boto3)},
        "master_view_django_client": _summary(master_view),
        "target_p99_ms": TARGET_P99_MS,
        "target_met": view["p99_ms"] < TARGET_P99_MS,
        "cores": os.cpu_count(),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "delivery.json").write_text(json.dumps(result, indent=2))
    with capsys.disabled():
        print(f"\n[bench] delivery, {SEGMENTS}-segment variant playlist:")
        print(
            f"  sign one URL: fast {result['sign_one_url_us']['fast']} µs, "
            f"boto3 {result['sign_one_url_us']['boto3']} µs"
        )
        for label, data in (
            ("render, fast signer ", result["render_function"]["fast"]),
            ("render, boto3       ", result["render_function"]["boto3"]),
            ("GET view, fast      ", result["variant_view_django_client"]["fast"]),
            ("GET view, boto3     ", result["variant_view_django_client"]["boto3"]),
            ("GET master          ", result["master_view_django_client"]),
        ):
            print(
                f"  {label}: p50 {data['p50_ms']} ms, p99 {data['p99_ms']} ms ({data['runs']} runs)"
            )
        verdict = "MET" if result["target_met"] else "NOT MET"
        print(f"  target p99 < {TARGET_P99_MS} ms for the variant view: {verdict}")
