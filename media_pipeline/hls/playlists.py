"""M3U8 text: parsing attributes, fixing ffmpeg's master, finalising media playlists.

Pure string work on playlists (no files, no storage), shared by the publisher and the tests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Protocol

from media_pipeline.hls.layout import (
    AUDIO_BITRATE,
    AUDIO_CODEC_TAG,
    AUDIO_RENDITION,
    DEFAULT_VIDEO_CODEC_TAG,
)


class Variant(Protocol):
    """What the master fix-up needs to know of a video variant (a ladder rung has it)."""

    @property
    def name(self) -> str: ...  # its directory, e.g. "720p"

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...

    @property
    def maxrate(self) -> int: ...  # bits per second, without audio


_ATTR_RE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


def parse_attributes(value: str) -> dict[str, str]:
    """``BANDWIDTH=1,CODECS="a,b"`` -> ``{"BANDWIDTH": "1", "CODECS": '"a,b"'}`` (quotes kept)."""
    return {m.group(1): m.group(2) for m in _ATTR_RE.finditer(value)}


def _format_attributes(attrs: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in attrs.items())


def master_playlist_fix(
    text: str,
    rungs: Sequence[Variant] = (),
    *,
    has_audio: bool | None = None,
    video_codec_tag: str = DEFAULT_VIDEO_CODEC_TAG,
) -> str:
    """Make the master playlist safe to publish.

    * drops audio-only ``EXT-X-STREAM-INF`` entries (ffmpeg adds one for the audio group);
    * guarantees BANDWIDTH, RESOLUTION and CODECS on every remaining variant, filling gaps from
      ``rungs`` (matched by the variant directory name) and the given codec tags.

    ``has_audio`` defaults to "the master declares an audio group".
    """
    if has_audio is None:
        has_audio = "TYPE=AUDIO" in text
    by_name = {r.name: r for r in rungs}
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith("#EXT-X-STREAM-INF:"):
            out.append(line)
            i += 1
            continue
        uri = lines[i + 1] if i + 1 < len(lines) else ""
        i += 2
        attrs = parse_attributes(line.split(":", 1)[1])
        if _is_audio_only(attrs, uri):
            if i < len(lines) and not lines[i].strip():
                i += 1  # and its separating blank line
            continue
        rung = by_name.get(uri.split("/", 1)[0])
        _complete_variant(attrs, rung, has_audio, video_codec_tag)
        out += [f"#EXT-X-STREAM-INF:{_format_attributes(attrs)}", uri]
    return "\n".join(out).rstrip("\n") + "\n"


def _is_audio_only(attrs: Mapping[str, str], uri: str) -> bool:
    codecs = attrs.get("CODECS", "").strip('"')
    if "RESOLUTION" in attrs or "avc1" in codecs or "hvc1" in codecs:
        return False
    return bool(codecs) or uri.split("/", 1)[0] == AUDIO_RENDITION


def _complete_variant(
    attrs: dict[str, str], rung: Variant | None, has_audio: bool, video_codec_tag: str
) -> None:
    if "BANDWIDTH" not in attrs and rung:
        audio = AUDIO_BITRATE if has_audio else 0
        attrs["BANDWIDTH"] = str(rung.maxrate + audio)
    if "RESOLUTION" not in attrs and rung:
        attrs["RESOLUTION"] = f"{rung.width}x{rung.height}"
    if "CODECS" not in attrs:
        tags = [video_codec_tag] + ([AUDIO_CODEC_TAG] if has_audio else [])
        attrs["CODECS"] = '"' + ",".join(tags) + '"'


def finalize_playlist(text: str) -> str:
    """Turn a finished EVENT media playlist into VOD (cacheable forever, seekable at once)."""
    if "#EXT-X-STREAM-INF" in text:
        return text  # a master playlist has neither a type nor an end
    lines = [ln for ln in text.splitlines() if ln.strip()]
    lines = [
        "#EXT-X-PLAYLIST-TYPE:VOD" if ln.startswith("#EXT-X-PLAYLIST-TYPE:") else ln for ln in lines
    ]
    if "#EXT-X-PLAYLIST-TYPE:VOD" not in lines:
        lines.insert(1 if lines and lines[0] == "#EXTM3U" else 0, "#EXT-X-PLAYLIST-TYPE:VOD")
    if "#EXT-X-ENDLIST" not in lines:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def playlist_files(text: str) -> list[str]:
    """The files a media playlist references: the init segment, then media segments."""
    files: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#EXT-X-MAP:") and 'URI="' in line:
            files.append(line.split('URI="', 1)[1].split('"', 1)[0])
        elif line and not line.startswith("#"):
            files.append(line)
    return files


def playlist_segment_count(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.startswith("#EXTINF"))
