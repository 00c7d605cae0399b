"""Staff-only endpoints of the browser uploader and the processing status.

Starting an upload is done by the app that owns the thing being uploaded for
(courses starts one for a lesson); these endpoints carry it on by version id.
"""

import uuid

from django.http import Http404
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from media_pipeline.selectors import version_get, version_status
from media_pipeline.uploads import (
    UploadError,
    upload_part_count,
    video_upload_abort,
    video_upload_complete,
    video_upload_part_urls,
    video_upload_parts_list,
)

router = Router(tags=["media"], auth=django_auth)


class PartNumbersIn(Schema):
    part_numbers: list[int]


def _staff_version(request, version_id: uuid.UUID):
    if not request.user.is_staff:
        raise HttpError(403, "Only staff can upload and manage videos.")
    version = version_get(version_id=version_id)
    if version is None:
        raise Http404("No such upload.")
    return version


def upload_description(version) -> dict:
    """What a browser needs to (re)start sending parts."""
    return {
        "version_id": str(version.pk),
        "key": version.original_key,
        "upload_id": version.upload_id,
        "part_size": version.upload_part_size,
        "part_count": upload_part_count(version),
        "parts": video_upload_parts_list(version=version),
        "status": version_status(version),
    }


@router.get("/media/versions/{version_id}")
def version_status_get(request, version_id: uuid.UUID):
    return version_status(_staff_version(request, version_id))


@router.get("/media/uploads/{version_id}")
def upload_get(request, version_id: uuid.UUID):
    return upload_description(_staff_version(request, version_id))


@router.post("/media/uploads/{version_id}/part-urls")
def upload_part_urls(request, version_id: uuid.UUID, payload: PartNumbersIn):
    version = _staff_version(request, version_id)
    try:
        urls = video_upload_part_urls(version=version, part_numbers=payload.part_numbers)
    except UploadError as exc:
        raise HttpError(409, str(exc)) from exc
    return {"urls": {str(number): url for number, url in urls.items()}}


@router.post("/media/uploads/{version_id}/complete")
def upload_complete(request, version_id: uuid.UUID):
    version = _staff_version(request, version_id)
    try:
        version = video_upload_complete(version=version)
    except UploadError as exc:
        raise HttpError(409, str(exc)) from exc
    return version_status(version)


@router.delete("/media/uploads/{version_id}")
def upload_abort(request, version_id: uuid.UUID):
    version = _staff_version(request, version_id)
    try:
        video_upload_abort(version=version)
    except UploadError as exc:
        raise HttpError(409, str(exc)) from exc
    return {"aborted": True}
