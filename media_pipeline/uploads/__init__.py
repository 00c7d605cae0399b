"""Browser-to-bucket multipart uploads (services.py).

TEMPORARY: the re-export below is only for tests/courses/test_studio_browser.py, which another
change owns and which still imports ``media_pipeline.uploads.video_create``; delete it once
that test imports ``media_pipeline.uploads.services``.
"""

from media_pipeline.uploads.services import video_create

__all__ = ["video_create"]
