"""Upload a lesson video from the server's disk, e.g. a large file copied there by scp.

The upload goes the same way as the studio's (a multipart upload, then
processing on a worker), and is resumable: run the same command again after
an interruption and only the parts object storage does not hold are sent.

Exit codes: 0 uploaded (with --wait: ready), 1 bad arguments or failed/rejected,
2 --wait timed out (processing continues), 130 interrupted.
"""

import hashlib
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courses.management.lookups import course_get_or_fail
from courses.models import Lesson
from courses.studio.services import lesson_preview_set, lesson_upload_start
from media_pipeline.models import VideoVersion
from media_pipeline.selectors import version_outcome_line
from media_pipeline.storage import bucket, s3_client
from media_pipeline.uploads.services import (
    UploadError,
    upload_part_count,
    video_upload_complete,
    video_upload_parts_list,
)

PART_ATTEMPTS = 5


def file_fingerprint(path: Path) -> str:
    """Same path, size and modification time = the same file, so a re-run resumes."""
    stat = path.stat()
    raw = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    return "cli-" + hashlib.sha256(raw.encode()).hexdigest()


def _size(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1000
    return str(size)


def _plain(text: str) -> str:
    # Django paints all of stderr red on a terminal; progress is not an error.
    return text


def _state_line(version: VideoVersion) -> str:
    State = VideoVersion.State
    if version.state == State.UPLOADED:
        return "Uploaded, waiting for a worker"
    if version.state == State.TRANSCODING:
        playable = ", already playable" if version.playable else ""
        return f"Transcoding {version.progress_percent:.0f}%{playable}"
    return version.get_state_display()


class Progress:
    """A one-line progress bar on a TTY, a line every few seconds otherwise (logs, CI)."""

    def __init__(self, write, *, tty: bool, total: int, done: int) -> None:
        self.write, self.tty, self.total, self.done = write, tty, total, done
        self.start_done, self.started = done, time.monotonic()
        self.last_print, self.shown = 0.0, -1
        self.lock = threading.Lock()

    def add(self, size: int) -> None:
        with self.lock:
            self.done += size
            self.show()

    def show(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if self.shown == self.done:
            return
        if not force and now - self.last_print < (0.2 if self.tty else 5.0):
            return
        self.last_print, self.shown = now, self.done
        elapsed = max(now - self.started, 1e-6)
        rate = (self.done - self.start_done) / elapsed
        percent = 100 * self.done / self.total if self.total else 100
        line = f"upload {_size(self.done)} of {_size(self.total)} {percent:5.1f}%  {_size(rate)}/s"
        if self.tty:
            width = 24
            filled = int(width * percent / 100)
            self.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {line}\033[K")
        else:
            self.write(line + "\n")

    def finish(self) -> None:
        self.show(force=True)
        if self.tty:
            self.write("\n")


class Command(BaseCommand):
    help = (
        "Upload a video file for a lesson and queue its processing. Re-running the same "
        "command after an interruption resumes the upload. Exit codes: 0 ok, 1 error or "
        "failed/rejected, 2 --wait timed out, 130 interrupted."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("course_slug")
        parser.add_argument("lesson_number", type=int)
        parser.add_argument("path")
        parser.add_argument(
            "--preview", action="store_true", help="Make the lesson a free preview."
        )
        parser.add_argument(
            "--wait", action="store_true", help="Wait for processing and report the outcome."
        )
        parser.add_argument(
            "--timeout", type=float, default=3600, help="Seconds --wait waits (default 3600)."
        )
        parser.add_argument(
            "--parallel", type=int, default=4, help="Parts sent at the same time (1-8, default 4)."
        )

    def _say(self, text: str, ending: str = "\n") -> None:
        self.stderr.write(text, style_func=_plain, ending=ending)
        self.stderr.flush()

    def _tty(self) -> bool:
        return self.stderr.isatty()

    def handle(self, *args, **options) -> None:
        try:
            self._handle(**options)
        except (CommandError, SystemExit):
            raise
        except KeyboardInterrupt:
            self.stdout.write(
                "interrupted: the parts already sent are kept; run the same command again to resume"
            )
            raise SystemExit(130) from None
        except UploadError as exc:
            raise CommandError(str(exc)) from exc
        except Exception as exc:
            # An operator runs this by hand: a sentence, not a traceback.
            raise CommandError(f"{type(exc).__name__}: {exc}") from exc

    def _handle(self, *, course_slug, lesson_number, path, preview, wait, timeout, parallel, **_):
        lesson = self._lesson(course_slug, lesson_number)
        file_path = Path(path).expanduser()
        if not file_path.is_file():
            raise CommandError(f"No such file: {file_path}")
        size = file_path.stat().st_size
        if size == 0:
            raise CommandError(f"The file is empty: {file_path}")
        if not 1 <= parallel <= 8:
            raise CommandError("--parallel must be between 1 and 8.")

        version, resumed = lesson_upload_start(
            lesson=lesson,
            filename=file_path.name,
            size=size,
            uploaded_by=None,
            fingerprint=file_fingerprint(file_path),
        )
        self._say(
            f"{'Resuming' if resumed else 'Uploading'} {file_path.name} ({_size(size)}) "
            f"for {lesson.course.slug} lesson {lesson.number} as version {version.pk}"
        )
        self._send_parts(version, file_path, parallel)
        version = video_upload_complete(version=version)
        if preview:
            lesson_preview_set(lesson=lesson, is_preview=True)
            self._say(f"Lesson {lesson.number} is now a free preview.")
        if not wait:
            self.stdout.write(
                f"queued: version {version.pk} is being processed; follow it in the studio "
                f"(/studio/?course={lesson.course.slug}) or the admin "
                f"(/admin/media_pipeline/videoversion/{version.pk}/change/)"
            )
            return
        self._wait(version, timeout)

    def _lesson(self, course_slug: str, number: int) -> Lesson:
        course = course_get_or_fail(course_slug)
        lesson = (
            Lesson.objects.filter(course=course, number=number).select_related("course").first()
        )
        if lesson is None:
            numbers = list(course.lessons.values_list("number", flat=True))
            shown = ", ".join(map(str, numbers)) if numbers else "none"
            raise CommandError(
                f"Course '{course_slug}' has no lesson {number} (its lessons: {shown})."
            )
        return lesson

    def _send_parts(self, version: VideoVersion, path: Path, parallel: int) -> None:
        part_size = version.upload_part_size
        count = upload_part_count(version)

        def expected(number: int) -> int:
            return min(part_size, version.original_size - (number - 1) * part_size)

        stored = {
            p["PartNumber"]
            for p in video_upload_parts_list(version=version)
            if p["Size"] == expected(p["PartNumber"])
        }
        missing = [n for n in range(1, count + 1) if n not in stored]
        already = sum(expected(n) for n in stored)
        if stored:
            self._say(f"{len(stored)} of {count} parts already stored; sending the rest.")
        progress = Progress(
            lambda text: self._say(text, ending=""),
            tty=self._tty(),
            total=version.original_size,
            done=already,
        )
        progress.show(force=True)
        client = s3_client()

        def send(number: int) -> None:
            # Each task reads its own part: at most `parallel` parts are in memory.
            with path.open("rb") as fh:
                fh.seek((number - 1) * part_size)
                data = fh.read(part_size)
            for attempt in range(1, PART_ATTEMPTS + 1):
                try:
                    client.upload_part(
                        Bucket=bucket(),
                        Key=version.original_key,
                        UploadId=version.upload_id,
                        PartNumber=number,
                        Body=data,
                    )
                    break
                except Exception:
                    # boto3 already retried; this covers longer outages.
                    if attempt == PART_ATTEMPTS:
                        raise
                    time.sleep(min(30, 2**attempt))
            progress.add(len(data))

        if missing:
            pool = ThreadPoolExecutor(max_workers=min(parallel, len(missing)))
            try:
                # Submit lazily: a bounded window of pending parts, not 10,000 futures.
                pending = set()
                queue = iter(missing)
                for number in queue:
                    pending.add(pool.submit(send, number))
                    if len(pending) >= parallel * 2:
                        done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                        for future in done:
                            future.result()
                for future in wait(pending, return_when=FIRST_EXCEPTION).done:
                    future.result()
            except BaseException:
                # Stop sending new parts; the ones in flight finish and stay stored.
                pool.shutdown(wait=True, cancel_futures=True)
                progress.finish()
                raise
            pool.shutdown(wait=True)
        progress.finish()

    def _wait(self, version: VideoVersion, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        tty = self._tty()
        last_state, last_line_at = None, 0.0
        self._say("Upload complete; waiting for processing (stopping this does not stop it).")
        while True:
            version.refresh_from_db()
            now = time.monotonic()
            line = _state_line(version)
            if version.state != last_state:
                # One line per state; on a terminal the percent updates in place.
                self._say(line if last_state is None or not tty else "\n" + line, ending="")
                if not tty:
                    self._say("")
                last_state, last_line_at = version.state, now
            elif tty:
                self._say(f"\r{line}\033[K", ending="")
            elif now - last_line_at >= 10:
                self._say(line)
                last_line_at = now
            if version.is_final:
                break
            if now > deadline:
                if tty:
                    self._say("")
                self.stdout.write(
                    f"timeout: still {version.get_state_display().lower()} "
                    f"({version.progress_percent:.0f}%) after {timeout:.0f} s; "
                    "processing continues on the server"
                )
                raise SystemExit(2)
            time.sleep(1)
        if tty:
            self._say("")
        self.stdout.write(version_outcome_line(version))
        if version.state != VideoVersion.State.READY:
            raise SystemExit(1)
