"""The texts served under a playback grant: master, variant playlists, thumbnails VTT.

Rendered per request from the database (and, for the VTT, one cached read of storage), with
every segment, sprite and poster URL presigned to expire with the grant.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime

from media_pipeline.delivery.signing import S3UrlSigner
from media_pipeline.hls.layout import AUDIO_GROUP
from media_pipeline.models import Rendition, VideoVersion
from media_pipeline.storage import bucket, s3_request_client

PLAYLIST_CONTENT_TYPE = "application/vnd.apple.mpegurl"
MID_RUNG_SHORT_SIDE = 720


# --------------------------------------------------------------------------- playlists


def _short_side(rendition: Rendition) -> int:
    return min(rendition.width, rendition.height) or rendition.height


def variants_ordered(videos: list[Rendition]) -> list[Rendition]:
    """Best first, except that a mid rung (720p, else the second best) leads: Safari/AVPlayer
    start on the first listed variant, and 1080p as a start stalls slow connections (hls.js
    measures bandwidth anyway)."""
    videos = sorted(videos, key=lambda r: (r.height * r.width, r.bandwidth), reverse=True)
    if len(videos) < 2:
        return videos
    first = next((r for r in videos if _short_side(r) == MID_RUNG_SHORT_SIDE), videos[1])
    return [first, *(r for r in videos if r is not first)]


def master_playlist_render(
    version: VideoVersion, *, renditions: Iterable[Rendition] | None = None
) -> str:
    """The master built from the Rendition rows (not from S3), never with an audio-only
    variant. Variant URIs are relative (``720p.m3u8``), so they inherit the path token."""
    if renditions is None:
        renditions = version.renditions.filter(segment_count__gt=0).defer("playlist")
    renditions = list(renditions)
    audio = next((r for r in renditions if r.kind == Rendition.Kind.AUDIO), None)
    videos = [r for r in renditions if r.kind == Rendition.Kind.VIDEO]
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    audio_attr = ""
    if audio is not None:
        lines.append(
            f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="{AUDIO_GROUP}",NAME="audio",DEFAULT=YES,'
            f'AUTOSELECT=YES,URI="{audio.name}.m3u8"'
        )
        audio_attr = f',AUDIO="{AUDIO_GROUP}"'
    for r in variants_ordered(videos):
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={r.bandwidth},RESOLUTION={r.width}x{r.height},"
            f'CODECS="{r.codecs}"{audio_attr}'
        )
        lines.append(f"{r.name}.m3u8")
    return "\n".join(lines) + "\n"


def variant_playlist_render(
    rendition: Rendition, *, signer: S3UrlSigner, expires_s: int, now: datetime | None = None
) -> str:
    """The stored media playlist with its init segment and every media segment replaced by a
    presigned S3 GET; everything else (EVENT while transcoding, VOD + ENDLIST once complete)
    is kept as stored. Hot path: plain string checks, one shared presigner per call."""
    directory = rendition.playlist_key.rsplit("/", 1)[0] + "/"
    sign = signer.presigner_for_prefix(directory, expires_s=expires_s, now=now)
    out: list[str] = []
    append = out.append
    for line in rendition.playlist.splitlines():
        if not line:
            continue
        if line[0] != "#":
            append(sign(line.strip()))
        elif line.startswith("#EXT-X-MAP:"):
            head, found, rest = line.partition('URI="')
            if found:
                uri, _, tail = rest.partition('"')
                line = f'{head}URI="{sign(uri)}"{tail}'
            append(line)
        else:
            append(line)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- thumbnails


@functools.lru_cache(maxsize=512)
def _stored_text(key: str) -> str:
    """An object's text, read once per process: a version's VTT never changes (a new upload is
    a new version under a new prefix)."""
    return s3_request_client().get_object(Bucket=bucket(), Key=key)["Body"].read().decode()


def thumbnails_vtt_render(
    version: VideoVersion, *, signer: S3UrlSigner, expires_s: int, now: datetime | None = None
) -> str:
    """The stored VTT with its relative sprite reference replaced by one presigned URL; the
    ``#xywh=`` fragments stay (the player crops the sprite client-side)."""
    text = _stored_text(version.thumbnails_vtt_key)
    sprite_name = version.sprite_key.rsplit("/", 1)[-1]
    sprite_url = signer.presign_get(version.sprite_key, expires_s=expires_s, now=now)
    return text.replace(f"\n{sprite_name}#", f"\n{sprite_url}#")
