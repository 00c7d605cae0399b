"""One processing run of a VideoVersion: probe, transcode, publish, switch.

Called by the Celery task; everything here is plain Python so tests and
commands can run it directly. A run owns the version through a lease in the
database (see versions.py, renewed by threads.LeaseKeeper): a duplicate
delivery finds the lease alive and returns, and a run that loses its lease
stops its ffmpeg. Queueing a run is enqueue.py's job, by task name.
"""

import dataclasses
import logging
import shutil
import time
import uuid
from fractions import Fraction
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from media_pipeline.events import version_ready
from media_pipeline.hls.layout import (
    AUDIO_BITRATE,
    AUDIO_CODEC_TAG,
    AUDIO_RENDITION,
    DEFAULT_VIDEO_CODEC_TAG,
    MASTER_NAME,
    PLAYLIST_NAME,
)
from media_pipeline.models import Rendition, VideoVersion
from media_pipeline.processing import artifacts, download
from media_pipeline.processing.encode.commands import build_hls_command
from media_pipeline.processing.encode.ladder import crf_table, ladder_for
from media_pipeline.processing.encode.runner import (
    FFmpegFailed,
    FFmpegTimeout,
    ffmpeg_path,
    run_ffmpeg,
)
from media_pipeline.processing.probe import ProbeLimits, ProbeRejected, ProbeResult, probe_media
from media_pipeline.processing.publish import HlsPublisher
from media_pipeline.processing.threads import Background, LeaseKeeper
from media_pipeline.processing.versions import (
    lease_acquire,
    lease_release,
    version_owned,
    version_state_set,
    video_publish_early,
    video_switch_to,
    video_unpublish_failed,
)
from media_pipeline.storage import object_get_to_file

logger = logging.getLogger(__name__)
State = VideoVersion.State


class TransientError(Exception):
    """Worth retrying later: object storage or the network failed, not the file."""


class LeaseLost(Exception):
    """Another run took over this version (this one was presumed dead)."""


def probe_limits() -> ProbeLimits:
    return ProbeLimits(
        max_duration_s=settings.MEDIA_MAX_DURATION_S,
        max_width=settings.MEDIA_MAX_WIDTH,
        max_height=settings.MEDIA_MAX_HEIGHT,
    )


def transcode_timeout_s(duration_s: float) -> float:
    # Generous for slow machines, always inside Celery's hard limit so that our
    # own timeout (which kills ffmpeg's process group) fires first.
    ceiling = settings.MEDIA_TRANSCODE_HARD_TIME_LIMIT_S - 300
    return max(120.0, min(ceiling, duration_s * 4 + 600))


def _probe_json(probe: ProbeResult) -> dict:
    data = dataclasses.asdict(probe)
    return {k: (str(v) if isinstance(v, Fraction) else v) for k, v in data.items()}


class _PhaseClock:
    """Wall time per processing phase, for the log: where a slow job spent its time."""

    def __init__(self) -> None:
        self._last = time.monotonic()
        self.laps: list[tuple[str, float]] = []

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.laps.append((name, now - self._last))
        self._last = now

    def __str__(self) -> str:
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.laps)


def version_process(*, version_id: uuid.UUID) -> str | None:
    """Run processing once; returns the final state, or None when it did not run."""
    claim = lease_acquire(version_id=version_id)
    if claim is None:
        return None
    version, token = claim
    keeper = LeaseKeeper(version.pk, token)
    keeper.start()
    work_dir = Path(settings.MEDIA_WORK_DIR) / f"{version.pk}-{token.hex[:8]}"
    try:
        return _process(version, token, keeper, work_dir)
    except LeaseLost:
        logger.warning("version %s: lease lost, another run continues", version.pk)
        return None
    except (BotoCoreError, ClientError, ConnectionError) as exc:
        raise TransientError(str(exc)) from exc
    finally:
        keeper.stop()
        lease_release(version_id=version.pk, token=token)
        shutil.rmtree(work_dir, ignore_errors=True)


def _finish(version: VideoVersion, token: uuid.UUID, state: str, reason: str = "") -> str:
    with transaction.atomic():
        if version_owned(version_id=version.pk, token=token) is None:
            raise LeaseLost
        version_state_set(version, state, reason=reason)
        if state in (State.FAILED, State.REJECTED):
            video_unpublish_failed(version=version)
    logger.info("version %s: %s %s", version.pk, state, reason)
    return state


def _process(version: VideoVersion, token: uuid.UUID, keeper: LeaseKeeper, work_dir: Path) -> str:
    work_dir.mkdir(parents=True, exist_ok=True)
    if version.processing_started_at is None:
        version.processing_started_at = timezone.now()
    version_state_set(version, State.PROBING, fields=("processing_started_at",))
    source = work_dir / "original"
    clock = _PhaseClock()
    object_get_to_file(version.original_key, source)
    clock.lap("download")

    try:
        probe = probe_media(str(source), probe_limits())
    except ProbeRejected as exc:
        return _finish(version, token, State.REJECTED, str(exc))

    clock.lap("probe")
    rungs = ladder_for(probe, crf_by_height=crf_table(settings.MEDIA_X264_CRF))
    version.probe = _probe_json(probe)
    version.duration_s = probe.duration_s
    version.width, version.height = probe.width, probe.height
    version.output_prefix = f"videos/{version.video_id}/{version.pk}/"
    version.master_playlist_key = version.output_prefix + MASTER_NAME
    version.progress_percent = 0
    version_state_set(
        version,
        State.TRANSCODING,
        fields=(
            "probe", "duration_s", "width", "height", "output_prefix",
            "master_playlist_key", "progress_percent",
        ),
    )  # fmt: skip
    renditions = _renditions_prepare(version, rungs, has_audio=probe.has_audio)

    out_dir = work_dir / "hls"
    out_dir.mkdir()
    # Poster and sprite read the original with cheap decodes; started once learners can
    # play, they overlap the encode (instead of adding to it) without delaying its start.
    side_jobs = Background(
        lambda: artifacts.artifacts_make(
            source=source, work_dir=work_dir, probe=probe, prefix=version.output_prefix
        )
    )

    def on_playable() -> None:
        _mark_playable(version, token)
        side_jobs.start()

    publisher = HlsPublisher(
        out_dir=out_dir,
        prefix=version.output_prefix,
        renditions=renditions,
        rungs=rungs,
        has_audio=probe.has_audio,
        on_playable=on_playable,
    )

    def on_progress(percent: float) -> None:
        keeper.progress = min(percent, 99.0)  # 100 only once everything is stored
        if keeper.lost.is_set():
            raise LeaseLost

    cmd = build_hls_command(
        ffmpeg=ffmpeg_path(),
        input_path=str(source),
        output_dir=str(out_dir),
        probe=probe,
        rungs=rungs,
        preset=settings.MEDIA_X264_PRESET,
        rate_control=settings.MEDIA_RATE_CONTROL,
        # A container that lies about its length still cannot exceed the policy.
        max_output_s=settings.MEDIA_MAX_DURATION_S,
    )
    publisher.start()
    try:
        try:
            run_ffmpeg(
                cmd,
                timeout_s=transcode_timeout_s(probe.duration_s),
                on_progress=on_progress,
                duration_s=probe.duration_s,
            )
        except FFmpegTimeout:
            publisher.stop()
            return _finish(
                version, token, State.FAILED, "Transcoding took longer than its time limit."
            )
        except FFmpegFailed as exc:
            publisher.stop()
            return _finish(version, token, State.FAILED, f"Transcoding failed: {exc}")
        except BaseException:
            publisher.stop()
            raise
        clock.lap("transcode")
        publisher.finish()
        clock.lap("publish rest")
        if keeper.lost.is_set():
            raise LeaseLost
        offline = download.download_make(
            out_dir=out_dir, prefix=version.output_prefix, renditions=renditions,
            duration_s=probe.duration_s,
        )  # fmt: skip
        clock.lap("download copy")
        stored = side_jobs.result()
    finally:
        side_jobs.wait()  # before anyone removes the work directory it writes into
    with transaction.atomic():
        if version_owned(version_id=version.pk, token=token) is None:
            raise LeaseLost
        version.poster_key = stored.poster_key
        version.sprite_key = stored.sprite_key
        version.thumbnails_vtt_key = stored.thumbnails_vtt_key
        version.download_key = offline.key if offline else ""
        version.download_size = offline.size if offline else 0
        version.download_rendition = offline.rendition if offline else ""
        version.progress_percent = 100
        version.playable = True
        version.ready_at = timezone.now()
        version_state_set(
            version,
            State.READY,
            fields=(
                "poster_key", "sprite_key", "thumbnails_vtt_key", "download_key",
                "download_size", "download_rendition", "progress_percent", "playable", "ready_at",
            ),
        )  # fmt: skip
        video_switch_to(version=version)
    version_ready.send_robust(sender=VideoVersion, version=version)
    clock.lap("poster and sprite, rest")
    rungs_done = sum(1 for r in renditions if r.kind == Rendition.Kind.VIDEO)
    logger.info("version %s ready: %d renditions (%s)", version.pk, rungs_done, clock)
    return State.READY


def _renditions_prepare(version: VideoVersion, rungs, *, has_audio: bool) -> list[Rendition]:
    """One Rendition row per media playlist; a re-run reuses them, so there is one set."""
    audio_bitrate = AUDIO_BITRATE if has_audio else 0
    codecs = DEFAULT_VIDEO_CODEC_TAG + (f",{AUDIO_CODEC_TAG}" if has_audio else "")
    wanted = [
        (
            rung.name,
            Rendition.Kind.VIDEO,
            rung.width,
            rung.height,
            rung.maxrate + audio_bitrate,
            codecs,
        )
        for rung in rungs
    ]
    if has_audio:
        wanted.append((AUDIO_RENDITION, Rendition.Kind.AUDIO, 0, 0, audio_bitrate, AUDIO_CODEC_TAG))
    renditions = []
    for name, kind, width, height, bandwidth, codec_tags in wanted:
        # update_or_create keeps `playlist` and `segment_count`: after a crash,
        # learners keep what an early-published run had already stored.
        rendition, _ = Rendition.objects.update_or_create(
            version=version,
            name=name,
            defaults={
                "kind": kind,
                "width": width,
                "height": height,
                "bandwidth": bandwidth,  # the ceiling, until measured when the ladder is done
                "average_bandwidth": None,
                "size_bytes": 0,
                "media_duration_s": 0,
                "codecs": codec_tags,
                "playlist_key": f"{version.output_prefix}{name}/{PLAYLIST_NAME}",
                "complete": False,
            },
        )
        renditions.append(rendition)
    Rendition.objects.filter(version=version).exclude(name__in=[w[0] for w in wanted]).delete()
    return renditions


def _mark_playable(version: VideoVersion, token: uuid.UUID) -> None:
    # One transaction: no reader sees a playable first version the video does not show yet.
    with transaction.atomic():
        updated = VideoVersion.objects.filter(pk=version.pk, lease_token=token).update(
            playable=True, playable_at=timezone.now()
        )
        if updated:
            video_publish_early(version=version)
    if updated:
        version.playable = True
