"""The master playlist, built from the Rendition rows (never from ffmpeg's file or from S3).

Shared by delivery, which renders it per request with relative ``720p.m3u8`` URIs that inherit
the grant's path token, and by the publisher, which stores the same text beside the renditions
once the ladder is done (``720p/index.m3u8``), for anyone reading the bucket directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from media_pipeline.hls.layout import AUDIO_GROUP
from media_pipeline.models import Rendition

MID_RUNG_SHORT_SIDE = 720


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


def delivered_uri(rendition: Rendition) -> str:
    return f"{rendition.name}.m3u8"


def master_playlist_render(
    renditions: Iterable[Rendition], *, uri_of: Callable[[Rendition], str] = delivered_uri
) -> str:
    """Never with an audio-only variant. ``BANDWIDTH`` is the peak segment bit rate of the
    variant with its audio and ``AVERAGE-BANDWIDTH`` the mean, once the ladder is done and they
    were measured (hls.bitrates); while it is still encoding, ``BANDWIDTH`` is the ceiling
    (the rung's maxrate plus the audio) and there is no average yet. Renditions without a
    published segment are the caller's to leave out."""
    renditions = list(renditions)
    audio = next((r for r in renditions if r.kind == Rendition.Kind.AUDIO), None)
    videos = [r for r in renditions if r.kind == Rendition.Kind.VIDEO]
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    audio_attr = ""
    if audio is not None:
        lines.append(
            f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="{AUDIO_GROUP}",NAME="audio",DEFAULT=YES,'
            f'AUTOSELECT=YES,URI="{uri_of(audio)}"'
        )
        audio_attr = f',AUDIO="{AUDIO_GROUP}"'
    for r in variants_ordered(videos):
        average = f",AVERAGE-BANDWIDTH={r.average_bandwidth}" if r.average_bandwidth else ""
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={r.bandwidth}{average},"
            f'RESOLUTION={r.width}x{r.height},CODECS="{r.codecs}"{audio_attr}'
        )
        lines.append(uri_of(r))
    return "\n".join(lines) + "\n"
