"""How the studio's APIs answer a refused upload call (one rule for both of them)."""

from typing import Any

from ninja import Schema
from ninja.errors import HttpError

from media_pipeline.uploads.services import StorageUnavailable, UploadError


class DetailOut(Schema):
    detail: str


class ValidationErrorsOut(Schema):
    detail: list[Any]  # ninja's 422: where the request body or parameters did not fit


def studio_responses(ok: Any = dict, overrides: dict | None = None) -> dict:
    """The answers every studio API operation can give, documented once: 401 (not signed
    in), 403 (no permission), 404, 409/400/413 (the call refused), 422 (a malformed request),
    503 (object storage down); ``overrides`` replaces some."""
    return {
        200: ok, 400: DetailOut, 401: DetailOut, 403: DetailOut, 404: DetailOut,
        409: DetailOut, 413: DetailOut, 422: ValidationErrorsOut, 503: DetailOut,
        **(overrides or {}),
    }  # fmt: skip


def upload_http_error(exc: UploadError, status: int) -> HttpError:
    """``status`` for what the instructor can fix; 503 when object storage is down or slow
    (the uploader retries those), whatever the call."""
    if isinstance(exc, StorageUnavailable):
        return HttpError(503, str(exc))
    return HttpError(status, str(exc))
