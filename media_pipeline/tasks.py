"""Celery tasks: thin wrappers that call media_pipeline's services."""

import uuid

from celery import shared_task
from django.conf import settings

from media_pipeline.processing import TransientError, version_process
from media_pipeline.versions import stuck_versions_requeue


@shared_task(
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


@shared_task(ignore_result=True)
def stuck_versions_sweep() -> dict[str, int]:
    return stuck_versions_requeue()
