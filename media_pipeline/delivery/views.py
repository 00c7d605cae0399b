"""The per-request HLS endpoints: master, variant playlists, thumbnails VTT.

Each checks the path token against the REQUESTING viewer before touching the
database, so a URL copied to another session, a logged-out browser or curl
gets 403. Every response carries private URLs (or refuses to), hence
``Cache-Control: private, no-store`` on all of them, errors included.
"""

import time
import uuid
from datetime import UTC, datetime

from botocore.exceptions import ClientError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from media_pipeline.delivery.grants import grant_valid, request_viewer
from media_pipeline.delivery.render import (
    PLAYLIST_CONTENT_TYPE,
    thumbnails_vtt_render,
    variant_playlist_render,
)
from media_pipeline.delivery.signing import S3UrlSigner
from media_pipeline.hls.master import master_playlist_render
from media_pipeline.models import Rendition, VideoVersion

CACHE_CONTROL = "private, no-store"


def _response(body: str, *, status: int = 200, content_type: str) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type=content_type)
    response["Cache-Control"] = CACHE_CONTROL
    return response


def _forbidden() -> HttpResponse:
    return _response(
        "This playback link is invalid, has expired or belongs to another viewer.\n",
        status=403,
        content_type="text/plain; charset=utf-8",
    )


def _not_found() -> HttpResponse:
    return _response("Not found.\n", status=404, content_type="text/plain; charset=utf-8")


def _authorised(request: HttpRequest, version_id: uuid.UUID, expires: int, sig: str) -> bool:
    return grant_valid(
        version_id=version_id, expires=expires, signature=sig, viewer=request_viewer(request)
    )


def _s3_expiry(expires: int) -> tuple[int, datetime]:
    """Segment URLs expire with the grant, not later: (seconds left, signing instant)."""
    now = int(time.time())
    return max(1, expires - now), datetime.fromtimestamp(now, UTC)


@require_safe
def hls_master(
    request: HttpRequest, version_id: uuid.UUID, expires: int, signature: str
) -> HttpResponse:
    if not _authorised(request, version_id, expires, signature):
        return _forbidden()
    # One query; the join re-checks playability (a purged version stops playing).
    renditions = list(
        Rendition.objects.filter(
            version_id=version_id, version__playable=True, segment_count__gt=0
        ).defer("playlist")
    )
    if not renditions:
        return _not_found()
    text = master_playlist_render(renditions)
    return _response(text, content_type=PLAYLIST_CONTENT_TYPE)


@require_safe
def hls_variant(
    request: HttpRequest, version_id: uuid.UUID, expires: int, signature: str, name: str
) -> HttpResponse:
    if not _authorised(request, version_id, expires, signature):
        return _forbidden()
    rendition = (
        Rendition.objects.filter(version_id=version_id, name=name, version__playable=True)
        .only("playlist", "playlist_key")
        .first()
    )
    if rendition is None or not rendition.playlist:
        return _not_found()
    expires_s, now = _s3_expiry(expires)
    text = variant_playlist_render(
        rendition, signer=S3UrlSigner.from_settings(), expires_s=expires_s, now=now
    )
    return _response(text, content_type=PLAYLIST_CONTENT_TYPE)


@require_safe
def hls_thumbnails(
    request: HttpRequest, version_id: uuid.UUID, expires: int, signature: str
) -> HttpResponse:
    if not _authorised(request, version_id, expires, signature):
        return _forbidden()
    version = (
        VideoVersion.objects.filter(pk=version_id, playable=True)
        .only("thumbnails_vtt_key", "sprite_key")
        .first()
    )
    if version is None or not (version.thumbnails_vtt_key and version.sprite_key):
        return _not_found()
    expires_s, now = _s3_expiry(expires)
    try:
        text = thumbnails_vtt_render(
            version, signer=S3UrlSigner.from_settings(), expires_s=expires_s, now=now
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
        return _not_found()  # purged under a live token
    return _response(text, content_type="text/vtt")
