"""Locate the ffmpeg binary used by the pipeline.

We ship the static build from imageio-ffmpeg (ffmpeg 9 with libx264) instead of relying on
whatever the OS provides: Debian's /usr/bin/ffmpeg has a different version, different codec
set and different defaults, and the command lines in ``ladder.py`` are tested against this one.
"""

from __future__ import annotations

import os

import imageio_ffmpeg

ENV_VAR = "FFMPEG_BINARY"


def ffmpeg_path() -> str:
    """Return the ffmpeg executable: ``$FFMPEG_BINARY`` if set, else imageio-ffmpeg's binary."""
    override = os.environ.get(ENV_VAR, "").strip()
    if override:
        return override
    return imageio_ffmpeg.get_ffmpeg_exe()
