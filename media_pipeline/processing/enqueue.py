"""Queue Celery work by task name, so that nothing here imports the tasks module.

tasks.py registers the tasks under these names (and imports processing); the enqueueing side
only needs the names, which CELERY_TASK_ROUTES and the beat schedule use as well.
"""

import logging

from celery import current_app
from django.db import transaction

from media_pipeline.models import VideoVersion

logger = logging.getLogger(__name__)

VERSION_PROCESS_TASK = "media_pipeline.tasks.video_version_process"
STUCK_VERSIONS_SWEEP_TASK = "media_pipeline.tasks.stuck_versions_sweep"
VERSION_FRAME_TASK = "media_pipeline.tasks.version_frame_extract"


def _send(name: str, args: list) -> None:
    # A broker outage must not fail the request that stored the upload: the version stays
    # "uploaded", and the stuck-versions sweeper queues it once the broker is back.
    try:
        current_app.send_task(name, args=args, retry=False)
    except Exception as error:  # kombu OperationalError, redis ConnectionError, ...
        logger.error("could not queue %s%s: %s (the sweeper will)", name, tuple(args), error)


def version_process_enqueue(version: VideoVersion) -> None:
    """Queue processing once the surrounding transaction has committed."""
    version_id = str(version.pk)
    transaction.on_commit(lambda: _send(VERSION_PROCESS_TASK, [version_id]))


def stuck_versions_sweep_enqueue() -> None:
    """Queue a sweep for stuck versions now."""
    current_app.send_task(STUCK_VERSIONS_SWEEP_TASK)


def version_frames_enqueue(*, version_id, times: list[float]) -> None:
    """Queue still frames of a ready version at ``times`` once the transaction commits."""
    version_id = str(version_id)
    for t in times:
        transaction.on_commit(lambda t=t: _send(VERSION_FRAME_TASK, [version_id, t]))
