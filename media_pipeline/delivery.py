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
"""

from __future__ import annotations

import base64
import functools
import hmac
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import salted_hmac

from media_pipeline.ladder import AUDIO_GROUP
from media_pipeline.models import Rendition, VideoVersion
from media_pipeline.signing import MAX_EXPIRES_S, S3UrlSigner
from media_pipeline.storage import bucket, s3_client

SIGNATURE_SALT = "media_pipeline.delivery.hls-grant"
SIGNATURE_BYTES = 16  # 128 bits, 22 base64url characters
# Set in an anonymous viewer's session: Django neither stores nor sends the
# cookie of an empty session, and the grant is bound to that cookie.
SESSION_MARKER = "media_viewer"
PLAYLIST_CONTENT_TYPE = "application/vnd.apple.mpegurl"
MID_RUNG_SHORT_SIDE = 720


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
    """The identity a grant is bound to: the user, else this browser's session (created if
    missing, so an anonymous preview only plays in the browser that asked for it)."""
    viewer = request_viewer(request)
    if viewer is not None:
        return viewer
    request.session[SESSION_MARKER] = True  # non-empty, so the middleware sends the cookie
    request.session.save()
    return f"session:{request.session.session_key}"


def request_viewer(request: HttpRequest) -> str | None:
    """Like :func:`viewer_for_request` without ever creating a session (the playlist views:
    a request with no session cannot match any grant, and must not write one)."""
    user = getattr(request, "user", None)
    # Checking the user loads the session, which drops a forged or expired session key.
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    key = request.session.session_key
    return f"session:{key}" if key else None


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


# --------------------------------------------------------------------------- playlists


def _short_side(rendition: Rendition) -> int:
    return min(rendition.width, rendition.height) or rendition.height


def variants_ordered(videos: list[Rendition]) -> list[Rendition]:
    """Best first, except that a mid rung (720p, else the second best) leads: Safari/AVPlayer
    start on the first listed variant, and 1080p as a start stalls slow connections (hls.js
    measures bandwidth anyway)."""
    videos = sorted(videos, key=lambda r: (r.height * r.width, r.bandwidth), reverse=True)
    if len(videos) < 2:
        return videos
    first = next((r for r in videos if _short_side(r) == MID_RUNG_SHORT_SIDE), videos[1])
    return [first, *(r for r in videos if r is not first)]


def master_playlist_render(
    version: VideoVersion, *, renditions: Iterable[Rendition] | None = None
) -> str:
    """The master built from the Rendition rows (not from S3), never with an audio-only
    variant. Variant URIs are relative (``720p.m3u8``), so they inherit the path token."""
    if renditions is None:
        renditions = version.renditions.filter(segment_count__gt=0).defer("playlist")
    renditions = list(renditions)
    audio = next((r for r in renditions if r.kind == Rendition.Kind.AUDIO), None)
    videos = [r for r in renditions if r.kind == Rendition.Kind.VIDEO]
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    audio_attr = ""
    if audio is not None:
        lines.append(
            f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="{AUDIO_GROUP}",NAME="audio",DEFAULT=YES,'
            f'AUTOSELECT=YES,URI="{audio.name}.m3u8"'
        )
        audio_attr = f',AUDIO="{AUDIO_GROUP}"'
    for r in variants_ordered(videos):
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={r.bandwidth},RESOLUTION={r.width}x{r.height},"
            f'CODECS="{r.codecs}"{audio_attr}'
        )
        lines.append(f"{r.name}.m3u8")
    return "\n".join(lines) + "\n"


def variant_playlist_render(
    rendition: Rendition, *, signer: S3UrlSigner, expires_s: int, now: datetime | None = None
) -> str:
    """The stored media playlist with its init segment and every media segment replaced by a
    presigned S3 GET; everything else (EVENT while transcoding, VOD + ENDLIST once complete)
    is kept as stored. Hot path: plain string checks, one shared presigner per call."""
    directory = rendition.playlist_key.rsplit("/", 1)[0] + "/"
    sign = signer.presigner_for_prefix(directory, expires_s=expires_s, now=now)
    out: list[str] = []
    append = out.append
    for line in rendition.playlist.splitlines():
        if not line:
            continue
        if line[0] != "#":
            append(sign(line.strip()))
        elif line.startswith("#EXT-X-MAP:"):
            head, found, rest = line.partition('URI="')
            if found:
                uri, _, tail = rest.partition('"')
                line = f'{head}URI="{sign(uri)}"{tail}'
            append(line)
        else:
            append(line)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- thumbnails


@functools.lru_cache(maxsize=512)
def _stored_text(key: str) -> str:
    """An object's text, read once per process: a version's VTT never changes (a new upload is
    a new version under a new prefix)."""
    return s3_client().get_object(Bucket=bucket(), Key=key)["Body"].read().decode()


def thumbnails_vtt_render(
    version: VideoVersion, *, signer: S3UrlSigner, expires_s: int, now: datetime | None = None
) -> str:
    """The stored VTT with its relative sprite reference replaced by one presigned URL; the
    ``#xywh=`` fragments stay (the player crops the sprite client-side)."""
    text = _stored_text(version.thumbnails_vtt_key)
    sprite_name = version.sprite_key.rsplit("/", 1)[-1]
    sprite_url = signer.presign_get(version.sprite_key, expires_s=expires_s, now=now)
    return text.replace(f"\n{sprite_name}#", f"\n{sprite_url}#")
