"""Whether a lesson's video may be downloaded, and what the download is."""

from __future__ import annotations

from dataclasses import dataclass

from courses.models import Lesson
from media_pipeline.formatting import size_label


@dataclass(frozen=True)
class DownloadOffer:
    rendition: str
    size: int

    @property
    def label(self) -> str:
        return f"Download ({self.rendition}, {size_label(self.size)})"


def downloads_allowed(lesson: Lesson) -> bool:
    """The lesson's own setting when it has one, else the course's."""
    return lesson.course.downloads_allowed if lesson.downloads is None else lesson.downloads


def download_offer(lesson: Lesson) -> DownloadOffer | None:
    """What an allowed lesson offers: its current version's MP4, once the pipeline made it.
    (`lesson` with its video's current version loaded.)"""
    if not downloads_allowed(lesson) or lesson.video is None:
        return None
    version = lesson.video.current_version
    if version is None or not version.download_key:
        return None
    return DownloadOffer(version.download_rendition, version.download_size)
