"""The texts served under a playback grant: variant playlists and the thumbnails VTT (the
master is hls.master's, shared with the publisher).

Rendered per request from the database (and, for the VTT, one cached read of storage), with
every segment, sprite and poster URL presigned to expire with the grant.
"""

from __future__ import annotations

import functools
from datetime import datetime

from media_pipeline.delivery.signing import S3UrlSigner
from media_pipeline.models import Rendition, VideoVersion
from media_pipeline.storage import bucket, s3_request_client

PLAYLIST_CONTENT_TYPE = "application/vnd.apple.mpegurl"


# --------------------------------------------------------------------------- playlists


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
    return s3_request_client().get_object(Bucket=bucket(), Key=key)["Body"].read().decode()


def thumbnails_vtt_render(
    version: VideoVersion, *, signer: S3UrlSigner, expires_s: int, now: datetime | None = None
) -> str:
    """The stored VTT with its relative sprite reference replaced by one presigned URL; the
    ``#xywh=`` fragments stay (the player crops the sprite client-side)."""
    text = _stored_text(version.thumbnails_vtt_key)
    sprite_name = version.sprite_key.rsplit("/", 1)[-1]
    sprite_url = signer.presign_get(version.sprite_key, expires_s=expires_s, now=now)
    return text.replace(f"\n{sprite_name}#", f"\n{sprite_url}#")
