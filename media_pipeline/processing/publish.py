"""Publish an HLS ladder while ffmpeg is still writing it.

ffmpeg writes event playlists with `temp_file`, so a playlist or segment that
exists under its final name is complete. Each poll uploads the new segments of
every rendition first and only then that rendition's playlist, so a player
never reads a playlist naming a segment that is not stored yet. Once every
rendition has a segment (and the master is stored) the version is playable;
`finish()` turns the playlists into VOD ones with #EXT-X-ENDLIST, measures what each
rendition really costs (peak and mean segment bit rate, bytes) and stores the master again
with those numbers.
"""

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from django.db import connection

from media_pipeline.hls.bitrates import PlaylistBitrates, playlist_bitrates
from media_pipeline.hls.layout import MASTER_NAME, PLAYLIST_NAME
from media_pipeline.hls.master import master_playlist_render
from media_pipeline.hls.playlists import (
    Variant,
    finalize_playlist,
    master_playlist_fix,
    parse_attributes,
    playlist_files,
    playlist_segment_count,
)
from media_pipeline.models import Rendition
from media_pipeline.storage import object_put_bytes, objects_put_files

logger = logging.getLogger(__name__)


class HlsPublisher:
    def __init__(
        self,
        *,
        out_dir: Path,
        prefix: str,
        renditions: list[Rendition],
        rungs: Sequence[Variant],
        has_audio: bool,
        on_playable: Callable[[], None],
        poll_interval_s: float = 0.25,
        playable_poll_interval_s: float = 2.0,
    ) -> None:
        self.out_dir = out_dir
        self.prefix = prefix.rstrip("/") + "/"
        self.renditions = renditions
        self.rungs, self.has_audio = rungs, has_audio
        self.on_playable = on_playable
        # Fast until the lesson is playable (that moment is what learners wait for), then
        # slower: the encoder runs several times faster than anyone watches, so the
        # published edge stays far ahead of a viewer, and each poll that finds new segments
        # costs uploads and a database write that the encoder would otherwise have had.
        self.poll_interval_s = poll_interval_s
        self.playable_poll_interval_s = max(playable_poll_interval_s, poll_interval_s)
        self._stored: dict[str, set[str]] = {r.name: set() for r in renditions}
        # Segments an earlier, interrupted run already published for learners.
        self._published_before = {r.name: r.segment_count for r in renditions}
        self._published_text: dict[str, str] = {}
        self._master_stored = False
        self._playable = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="hls-publisher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()

    def finish(self) -> None:
        """After ffmpeg exited successfully: store the rest, finalise as VOD, then record the
        measured bit rates and store the master that states them."""
        self.stop()
        self.poll(final=True)
        self._bitrates_record()

    def _loop(self) -> None:
        try:
            self._poll_until_stopped()
        finally:
            connection.close()  # this thread's own connection

    def _poll_until_stopped(self) -> None:
        while not self._stop.wait(
            self.playable_poll_interval_s if self._playable else self.poll_interval_s
        ):
            try:
                self.poll()
            except Exception as exc:
                # Storage hiccups must not stop the transcode: the next poll, or
                # the final one in finish(), stores whatever is still missing.
                logger.warning("early publishing failed, retrying: %s", exc)

    # -- one pass ----------------------------------------------------------
    def poll(self, *, final: bool = False) -> None:
        for rendition in self.renditions:
            self._publish_rendition(rendition, final=final)
        self._publish_master()
        segments_everywhere = all(r.segment_count > 0 for r in self.renditions)
        if not self._playable and self._master_stored and segments_everywhere:
            self._playable = True
            self.on_playable()

    def _publish_rendition(self, rendition: Rendition, *, final: bool) -> None:
        local_dir = self.out_dir / rendition.name
        playlist_path = local_dir / PLAYLIST_NAME
        if not playlist_path.exists():
            return
        text = playlist_path.read_text()
        if final:
            text = finalize_playlist(text)
        if text == self._published_text.get(rendition.name):
            return
        stored = self._stored[rendition.name]
        new_files = [name for name in playlist_files(text) if name not in stored]
        objects_put_files(
            [(local_dir / name, f"{self.prefix}{rendition.name}/{name}") for name in new_files]
        )
        stored.update(new_files)
        segment_count = playlist_segment_count(text)
        if not final and segment_count < self._published_before[rendition.name]:
            # A re-run must not shrink a playlist someone may be watching: the
            # segments go up again under the same names, the playlist once it caught up.
            return
        object_put_bytes(text.encode(), f"{self.prefix}{rendition.name}/{PLAYLIST_NAME}")
        self._published_text[rendition.name] = text
        Rendition.objects.filter(pk=rendition.pk).update(
            playlist=text, segment_count=segment_count, complete=final
        )
        rendition.playlist, rendition.segment_count, rendition.complete = text, segment_count, final

    def _publish_master(self) -> None:
        if self._master_stored:
            return
        master_path = self.out_dir / MASTER_NAME
        if not master_path.exists():
            return
        text = master_playlist_fix(master_path.read_text(), self.rungs, has_audio=self.has_audio)
        object_put_bytes(text.encode(), f"{self.prefix}{MASTER_NAME}")
        self._master_stored = True
        self._variant_attributes_record(text)

    def _variant_attributes_record(self, master: str) -> None:
        """Keep CODECS as ffmpeg declared them (profile and level), for masters built per
        request. BANDWIDTH stays the ceiling the rows were given until it is measured."""
        lines = master.splitlines()
        by_name = {r.name: r for r in self.renditions}
        for line, uri in zip(lines, lines[1:], strict=False):
            if not line.startswith("#EXT-X-STREAM-INF:"):
                continue
            rendition = by_name.get(uri.strip().split("/", 1)[0])
            if rendition is None:
                continue
            attrs = parse_attributes(line.split(":", 1)[1])
            rendition.codecs = attrs.get("CODECS", "").strip('"') or rendition.codecs
            Rendition.objects.filter(pk=rendition.pk).update(codecs=rendition.codecs)

    # -- after the last segment ----------------------------------------------
    def _bitrates_record(self) -> None:
        """Peak and mean of every rendition from the files ffmpeg wrote (still on local disk),
        so BANDWIDTH tells players the truth: a video variant's peak is its own plus the
        audio's (RFC 8216: the largest sum over renditions played together)."""
        measured = {r.name: self._bitrates_measure(r) for r in self.renditions}
        audio = next(
            (measured[r.name] for r in self.renditions if r.kind == Rendition.Kind.AUDIO),
            PlaylistBitrates.empty(),
        )
        for rendition in self.renditions:
            own = measured[rendition.name]
            if own.media_bytes == 0:
                continue  # nothing was produced: keep the ceiling
            if rendition.kind == Rendition.Kind.VIDEO:
                rendition.bandwidth = own.peak_bps + audio.peak_bps
                rendition.average_bandwidth = own.average_bps + audio.average_bps
            else:
                rendition.bandwidth = own.peak_bps
                rendition.average_bandwidth = own.average_bps
            rendition.size_bytes = own.total_bytes
            rendition.media_duration_s = own.duration_s
            rendition.save(
                update_fields=["bandwidth", "average_bandwidth", "size_bytes", "media_duration_s"]
            )
        master = master_playlist_render(
            [r for r in self.renditions if r.segment_count > 0],
            uri_of=lambda r: f"{r.name}/{PLAYLIST_NAME}",
        )
        object_put_bytes(master.encode(), f"{self.prefix}{MASTER_NAME}")

    def _bitrates_measure(self, rendition: Rendition) -> PlaylistBitrates:
        local_dir = self.out_dir / rendition.name
        text = self._published_text.get(rendition.name)
        if not text:
            return PlaylistBitrates.empty()
        return playlist_bitrates(text, lambda uri: (local_dir / uri).stat().st_size)
