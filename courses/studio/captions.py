"""Caption files as instructors have them: WebVTT, or SRT converted to WebVTT; both checked
cue by cue, with the line number of the first problem (pure text work)."""

from __future__ import annotations

import re

MAX_CAPTION_BYTES = 2 * 1024 * 1024
_VTT_TIME = r"(?:(\d{1,3}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_VTT_CUE = re.compile(rf"^{_VTT_TIME}\s+-->\s+{_VTT_TIME}(?:\s+.*)?$")
_SRT_TIME = re.compile(r"(\d{1,3}):([0-5]\d):([0-5]\d)[,.](\d{1,3})")


class CaptionFileError(ValueError):
    """What is wrong with the file, starting with its line number where there is one."""


def _seconds(h, m, s, ms) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000


def _text(raw: bytes) -> str:
    if len(raw) > MAX_CAPTION_BYTES:
        raise CaptionFileError("The file is larger than 2 MB: is it really captions?")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding).replace("\r\n", "\n").replace("\r", "\n")
        except UnicodeDecodeError:
            continue
    raise CaptionFileError("The file is not text (UTF-8 or Windows-1252).")


def vtt_check(text: str) -> str:
    """``text`` if it is WebVTT whose every cue time line is well formed, else the error."""
    lines = text.split("\n")
    if not lines or not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        raise CaptionFileError('Line 1: a WebVTT file starts with "WEBVTT".')
    cues = 0
    for number, line in enumerate(lines, start=1):
        if "-->" not in line:
            continue
        match = _VTT_CUE.match(line.strip())
        if not match:
            raise CaptionFileError(
                f"Line {number}: a cue time must look like 00:01:02.500 --> 00:01:05.000."
            )
        start, end = _seconds(*match.groups()[:4]), _seconds(*match.groups()[4:8])
        if end <= start:
            raise CaptionFileError(f"Line {number}: the cue ends before it starts.")
        cues += 1
    if not cues:
        raise CaptionFileError("The file has no cues (lines with -->).")
    return text


def _vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    h, rest = divmod(millis, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def srt_to_vtt(text: str) -> str:
    """SubRip to WebVTT: counters dropped, commas to dots, checked as it goes."""
    out = ["WEBVTT", ""]
    lines = text.split("\n")
    number = 0
    while number < len(lines):
        line = lines[number].strip()
        number += 1
        if not line:
            continue
        if line.isdigit() and number < len(lines) and "-->" in lines[number]:
            continue  # the cue counter
        if "-->" in line:
            left, _, right = line.partition("-->")
            start, end = _SRT_TIME.fullmatch(left.strip()), _SRT_TIME.match(right.strip())
            if not start or not end:
                raise CaptionFileError(
                    f"Line {number}: a cue time must look like 00:01:02,500 --> 00:01:05,000."
                )
            begin, finish = _seconds(*start.groups()), _seconds(*end.groups())
            if finish <= begin:
                raise CaptionFileError(f"Line {number}: the cue ends before it starts.")
            if len(out) > 2:
                out.append("")
            out.append(f"{_vtt_time(begin)} --> {_vtt_time(finish)}")
            continue
        if len(out) == 2:
            raise CaptionFileError(f"Line {number}: text before the first cue time.")
        out.append(line)
    if len(out) == 2:
        raise CaptionFileError("The file has no cues (lines with -->).")
    return "\n".join(out) + "\n"


def caption_file_to_vtt(*, filename: str, raw: bytes) -> str:
    """WebVTT from an uploaded .vtt or .srt file, or CaptionFileError saying what is wrong."""
    text = _text(raw)
    name = filename.lower()
    if name.endswith(".srt") or (not name.endswith(".vtt") and not text.startswith("WEBVTT")):
        return vtt_check(srt_to_vtt(text))
    return vtt_check(text)
