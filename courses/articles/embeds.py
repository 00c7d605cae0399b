"""Preview clips in an article's body: a line of its own,

    [[preview lesson=2 start=1:30 end=2:45]]

names a lesson of the article's course (start and end optional: seconds, m:ss or h:mm:ss).
Pure functions: parsing here, checking (preview lessons only) in services.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMBED_LINE = re.compile(r"^\s*\[\[\s*preview\b(?P<args>[^\]]*)\]\]\s*$", re.IGNORECASE)
ARG = re.compile(r"(\w+)\s*=\s*([^\s\]]+)")
KNOWN = {"lesson", "start", "end"}


class EmbedError(ValueError):
    """A malformed embed line; str() names the line and what is wrong."""


@dataclass(frozen=True)
class Embed:
    line: int
    lesson_number: int
    start_s: float | None = None
    end_s: float | None = None


def time_to_seconds(text: str) -> float:
    """ "90", "1:30", "1:02:03", "12.5" → seconds."""
    parts = text.split(":")
    if not 1 <= len(parts) <= 3 or not all(re.fullmatch(r"\d+(\.\d+)?", p) for p in parts):
        raise ValueError(text)
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def embed_parse(line: str, number: int) -> Embed | None:
    """The embed on this line, None if the line is not an embed; EmbedError if malformed."""
    match = EMBED_LINE.match(line)
    if match is None:
        return None
    args = dict(ARG.findall(match["args"]))
    unknown = set(args) - KNOWN
    if unknown:
        raise EmbedError(
            f"line {number}: unknown {', '.join(sorted(unknown))} (use lesson, start, end)"
        )
    if "lesson" not in args or not args["lesson"].isdigit():
        raise EmbedError(f"line {number}: name the lesson by its number, e.g. lesson=2")
    try:
        start = time_to_seconds(args["start"]) if "start" in args else None
        end = time_to_seconds(args["end"]) if "end" in args else None
    except ValueError as error:
        raise EmbedError(
            f"line {number}: {error} is not a time (write 90, 1:30 or 1:02:03)"
        ) from None
    if start is not None and end is not None and end <= start:
        raise EmbedError(f"line {number}: the end must come after the start")
    return Embed(line=number, lesson_number=int(args["lesson"]), start_s=start, end_s=end)


def body_split(body: str) -> list[str | Embed]:
    """The body as Markdown chunks and embeds, in order."""
    parts: list[str | Embed] = []
    chunk: list[str] = []
    for number, line in enumerate((body or "").splitlines(), start=1):
        embed = embed_parse(line, number)
        if embed is None:
            chunk.append(line)
            continue
        if chunk:
            parts.append("\n".join(chunk))
            chunk = []
        parts.append(embed)
    if chunk:
        parts.append("\n".join(chunk))
    return parts
