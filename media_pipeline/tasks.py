"""Celery tasks: thin wrappers that call media_pipeline's services.

Their names are pinned in processing.enqueue, which queues them by name (send_task) so that
nothing in media_pipeline imports this module; CELERY_TASK_ROUTES and the beat schedule in
config/settings/base.py use the same names.
"""

import uuid

from celery import shared_task
from django.conf import settings

from media_pipeline.processing.enqueue import (
    STUCK_VERSIONS_SWEEP_TASK,
    VERSION_FRAME_TASK,
    VERSION_PROCESS_TASK,
)
from media_pipeline.processing.frames import version_frame_extract
from media_pipeline.processing.pipeline import TransientError, version_process
from media_pipeline.processing.versions import stuck_versions_requeue
from media_pipeline.uploads.sweep import uploads_abandoned_sweep


@shared_task(
    name=VERSION_PROCESS_TASK,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=5,
    time_limit=settings.MEDIA_TRANSCODE_HARD_TIME_LIMIT_S,
)
def video_version_process(self, version_id: str) -> str | None:
    try:
        return version_process(version_id=uuid.UUID(version_id))
    except TransientError as exc:
        # Storage or network trouble: back off and try again; the attempt
        # counter in the database bounds how often a version is tried.
        raise self.retry(exc=exc, countdown=min(600, 15 * 2**self.request.retries)) from exc


@shared_task(name=STUCK_VERSIONS_SWEEP_TASK, ignore_result=True)
def stuck_versions_sweep() -> dict[str, int]:
    return {**stuck_versions_requeue(), **uploads_abandoned_sweep()}


@shared_task(name=VERSION_FRAME_TASK, ignore_result=True, autoretry_for=(OSError,), max_retries=3)
def version_frame_extract_task(version_id: str, t: float) -> str | None:
    return version_frame_extract(version_id=uuid.UUID(version_id), t=float(t))
