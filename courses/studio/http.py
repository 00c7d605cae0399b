"""How the studio's APIs answer a refused upload call (one rule for both of them)."""

from ninja.errors import HttpError

from media_pipeline.uploads.services import StorageUnavailable, UploadError


def upload_http_error(exc: UploadError, status: int) -> HttpError:
    """``status`` for what the instructor can fix; 503 when object storage is down or slow
    (the uploader retries those), whatever the call."""
    if isinstance(exc, StorageUnavailable):
        return HttpError(503, str(exc))
    return HttpError(status, str(exc))
