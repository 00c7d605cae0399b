"""Viewer-bound, time-limited playback of a video version.

Who may watch is decided by the caller (courses); this module binds a grant to
one viewer and one expiry and turns it into URLs:

* master, variant playlists and the thumbnails VTT are tiny and rendered per
  request by Django, under ``/media/hls/<version>/<expires>/<signature>/``.
  The token lives in the PATH so that the relative URIs inside the master
  (``720p.m3u8``) resolve under the same token, and the signature covers the
  viewer, so a copied URL fails in another session, browser or curl;
* init/media segments, the sprite and the poster come straight from the
  private bucket through presigned S3 GETs that expire with the grant, written
  into those playlists (never proxied through Django).

This module issues and checks grants; render.py writes the texts served under
one, views.py serves them.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import salted_hmac

from media_pipeline.delivery.signing import MAX_EXPIRES_S, S3UrlSigner
from media_pipeline.models import VideoVersion

SIGNATURE_SALT = "media_pipeline.delivery.hls-grant"
SIGNATURE_BYTES = 16  # 128 bits, 22 base64url characters
# An anonymous viewer (a preview) is a random nonce in a signed cookie, not a session: a
# cookieless request to a preview's playback API must not write a session row and a
# Redis key for two weeks. The grant is bound to that nonce.
VIEWER_COOKIE = "media_viewer"
VIEWER_COOKIE_SALT = "media_pipeline.delivery.viewer"
VIEWER_COOKIE_MAX_AGE_S = 30 * 24 * 3600


class PlaybackUnavailable(Exception):
    """The version cannot be played (yet): the caller answers 409 with ``state``."""

    def __init__(self, state: str) -> None:
        super().__init__(f"video version is not playable (state: {state})")
        self.state = state


@dataclass(frozen=True)
class PlaybackGrant:
    master_url: str  # site-relative Django URL
    thumbnails_url: str | None  # site-relative Django URL (WebVTT)
    poster_url: str | None  # absolute presigned S3 URL
    expires_at: datetime


# --------------------------------------------------------------------------- viewer and token


def viewer_for_request(request: HttpRequest) -> str:
    """The identity a grant is bound to: the user, else this browser's viewer cookie (a new
    nonce if it has none, which ViewerCookieMiddleware sends with the answer), so an
    anonymous preview only plays in the browser that asked for it."""
    viewer = request_viewer(request)
    if viewer is not None:
        return viewer
    request.media_viewer_new = secrets.token_urlsafe(16)
    return f"anon:{request.media_viewer_new}"


def request_viewer(request: HttpRequest) -> str | None:
    """Like :func:`viewer_for_request` without ever minting a nonce (the playlist views: a
    request without the cookie cannot match any grant)."""
    user = getattr(request, "user", None)
    # Checking the user loads the session, which drops a forged or expired session key.
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    nonce = getattr(request, "media_viewer_new", None) or request.get_signed_cookie(
        VIEWER_COOKIE, default=None, salt=VIEWER_COOKIE_SALT, max_age=VIEWER_COOKIE_MAX_AGE_S
    )
    return f"anon:{nonce}" if nonce else None


def grant_signature(
    *, version_id: uuid.UUID | str, expires: int, viewer: str, secret: str | None = None
) -> str:
    value = f"{uuid.UUID(str(version_id))}|{int(expires)}|{viewer}"
    digest = salted_hmac(SIGNATURE_SALT, value, secret=secret, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest[:SIGNATURE_BYTES]).rstrip(b"=").decode()


def grant_valid(
    *,
    version_id: uuid.UUID | str,
    expires: int,
    signature: str,
    viewer: str | None,
    now: float | None = None,
) -> bool:
    """The token is unexpired and was issued for this version, expiry and viewer."""
    if viewer is None or expires <= (time.time() if now is None else now):
        return False
    if not signature.isascii():  # compare_digest refuses non-ASCII str: never a signature
        return False
    # Grants signed before a SECRET_KEY rotation stay valid until they expire.
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(
        hmac.compare_digest(
            signature,
            grant_signature(version_id=version_id, expires=expires, viewer=viewer, secret=secret),
        )
        for secret in secrets
    )


def _token_kwargs(version_id: uuid.UUID, expires: int, viewer: str) -> dict:
    return {
        "version_id": version_id,
        "expires": expires,
        "signature": grant_signature(version_id=version_id, expires=expires, viewer=viewer),
    }


# --------------------------------------------------------------------------- grant


def playback_grant(
    *, version: VideoVersion | None, viewer: str, ttl_s: int | None = None
) -> PlaybackGrant:
    """URLs for ``viewer`` to play ``version`` until now + ttl_s (MEDIA_SIGNED_URL_TTL_S)."""
    if version is None:
        raise PlaybackUnavailable("missing")
    if not version.playable:
        raise PlaybackUnavailable(version.state)
    ttl = settings.MEDIA_SIGNED_URL_TTL_S if ttl_s is None else int(ttl_s)
    # Segment URLs are presigned S3 GETs, which SigV4 caps at 7 days.
    ttl = max(1, min(ttl, MAX_EXPIRES_S))
    now = int(time.time())
    expires = now + ttl
    token = _token_kwargs(version.pk, expires, viewer)
    has_thumbnails = bool(version.thumbnails_vtt_key and version.sprite_key)
    poster_url = None
    if version.poster_key:
        poster_url = S3UrlSigner.from_settings().presign_get(
            version.poster_key, expires_s=ttl, now=datetime.fromtimestamp(now, UTC)
        )
    return PlaybackGrant(
        master_url=reverse("media:hls_master", kwargs=token),
        thumbnails_url=reverse("media:hls_thumbnails", kwargs=token) if has_thumbnails else None,
        poster_url=poster_url,
        expires_at=datetime.fromtimestamp(expires, UTC),
    )
