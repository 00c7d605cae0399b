"""What the pipeline tells the rest of the platform, without knowing who listens.

``version_ready`` is sent (sender=VideoVersion, version=...) once a version is READY and its
video serves it: courses makes technique card frames then. media_pipeline never imports
courses; receivers must not raise (a card frame must not fail a transcode).
"""

from django.dispatch import Signal

version_ready = Signal()
