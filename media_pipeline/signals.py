"""Worker hooks: recover interrupted work as soon as a worker comes up."""

from celery.signals import worker_ready

from media_pipeline.processing.enqueue import stuck_versions_sweep_enqueue


@worker_ready.connect
def _sweep_on_worker_start(sender=None, **kwargs) -> None:
    # A worker that was killed mid-transcode left a version with a lease
    # that no one renews; sweep at start instead of waiting for beat.
    stuck_versions_sweep_enqueue()
