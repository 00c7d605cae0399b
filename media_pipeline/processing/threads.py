"""The threads one processing run starts beside ffmpeg: the lease keeper and side jobs."""

import logging
import threading
import uuid

from django.conf import settings
from django.db import connection

from media_pipeline.processing.versions import lease_renew

logger = logging.getLogger(__name__)


class LeaseKeeper(threading.Thread):
    """Renews the lease every few seconds, carrying the latest progress."""

    def __init__(self, version_id: uuid.UUID, token: uuid.UUID) -> None:
        super().__init__(name="lease-keeper", daemon=True)
        self.version_id, self.token = version_id, token
        self.progress: float | None = None
        self.lost = threading.Event()
        self._halt = threading.Event()
        self._interval = max(1.0, settings.MEDIA_LEASE_TTL_S / 6)

    def run(self) -> None:
        try:
            while not self._halt.wait(self._interval):
                try:
                    if not lease_renew(
                        version_id=self.version_id, token=self.token, progress_percent=self.progress
                    ):
                        self.lost.set()
                        return
                except Exception as exc:  # a DB blip: try again next tick
                    logger.warning("lease renewal failed: %s", exc)
        finally:
            connection.close()

    def stop(self) -> None:
        self._halt.set()
        self.join()


class Background:
    """A call run in a thread once start() is called, or inline by result() if never started."""

    def __init__(self, call) -> None:
        self._call = call
        self._thread: threading.Thread | None = None
        self._value = None
        self._error: BaseException | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="side-jobs", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._call()
        except BaseException as exc:  # re-raised in the processing thread by result()
            self._error = exc

    def wait(self) -> None:
        """Let a started call end (its files are about to be removed); errors are dropped."""
        if self._thread is not None:
            self._thread.join()

    def result(self):
        self.start()
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value
