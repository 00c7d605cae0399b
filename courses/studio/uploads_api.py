"""Staff-only endpoints of the browser uploader and the processing status.

They carry an upload on by version id once courses.studio.api has started it for a
lesson; media_pipeline does the work and knows nothing of who may ask.
"""

import uuid

from django.http import Http404
from ninja import Router, Schema
from ninja.security import django_auth

from courses import access
from courses.studio.http import studio_responses, upload_http_error
from media_pipeline.selectors import version_get, version_status
from media_pipeline.uploads.services import (
    UploadError,
    upload_description,
    video_upload_abort,
    video_upload_complete,
    video_upload_part_urls,
)

DENIED = "Only staff can upload and manage videos."

router = Router(tags=["media"], auth=django_auth)


class PartNumbersIn(Schema):
    part_numbers: list[int]


def _staff_version(request, version_id: uuid.UUID):
    access.api_require(request, access.can_manage_lessons, denied=DENIED)
    version = version_get(version_id=version_id)
    if version is None:
        raise Http404("No such upload.")
    return version


@router.get("/media/versions/{version_id}", response=studio_responses())
def version_status_get(request, version_id: uuid.UUID):
    return version_status(_staff_version(request, version_id))


@router.get("/media/uploads/{version_id}", response=studio_responses())
def upload_get(request, version_id: uuid.UUID):
    try:
        return upload_description(_staff_version(request, version_id))
    except UploadError as exc:  # object storage down while listing the stored parts: 503
        raise upload_http_error(exc, 409) from exc


@router.post("/media/uploads/{version_id}/part-urls", response=studio_responses())
def upload_part_urls(request, version_id: uuid.UUID, payload: PartNumbersIn):
    version = _staff_version(request, version_id)
    try:
        urls = video_upload_part_urls(version=version, part_numbers=payload.part_numbers)
    except UploadError as exc:
        raise upload_http_error(exc, 409) from exc
    return {"urls": {str(number): url for number, url in urls.items()}}


@router.post("/media/uploads/{version_id}/complete", response=studio_responses())
def upload_complete(request, version_id: uuid.UUID):
    version = _staff_version(request, version_id)
    try:
        version = video_upload_complete(version=version)
    except UploadError as exc:
        raise upload_http_error(exc, 409) from exc
    return version_status(version)


@router.delete("/media/uploads/{version_id}", response=studio_responses())
def upload_abort(request, version_id: uuid.UUID):
    version = _staff_version(request, version_id)
    try:
        video_upload_abort(version=version)
    except UploadError as exc:
        raise upload_http_error(exc, 409) from exc
    return {"aborted": True}
