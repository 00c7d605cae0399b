"""Signed HLS delivery end to end: a real transcode, the Django views, real SeaweedFS.

The crawl follows every URI a player can reach from the master (variant playlists through
Django, init/media segments, sprite and poster straight from the bucket) and checks who else
can fetch them: nobody without the viewer's session, nobody after expiry, nobody unsigned.
"""

import dataclasses
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from media_pipeline.delivery.grants import (
    PlaybackUnavailable,
    grant_signature,
    playback_grant,
    viewer_for_request,
)
from media_pipeline.delivery.middleware import ViewerCookieMiddleware
from media_pipeline.hls.master import master_playlist_render
from media_pipeline.models import Rendition, Video, VideoVersion
from media_pipeline.processing.pipeline import version_process
from tests.conftest import http_body, http_status

State = VideoVersion.State
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
S3_URL = re.compile(r"https?://[^\s\"']+")


# --------------------------------------------------------------------------- helpers


def _assert_signed(url: str) -> None:
    query = parse_qs(urlsplit(url).query)
    assert "X-Amz-Signature" in query and "X-Amz-Expires" in query, url


def _assert_private(response: HttpResponse) -> None:
    assert response["Cache-Control"] == "private, no-store", response.request["PATH_INFO"]


def _uris(playlist: str) -> list[str]:
    """Every URI in a playlist: URI="..." attributes and the non-tag lines."""
    uris = re.findall(r'URI="([^"]+)"', playlist)
    uris += [ln.strip() for ln in playlist.splitlines() if ln.strip() and not ln.startswith("#")]
    return uris


@dataclass
class Crawl:
    django_urls: list[str] = field(default_factory=list)
    s3_urls: list[str] = field(default_factory=list)
    playlists: dict[str, str] = field(default_factory=dict)


def crawl(client: Client, grant) -> Crawl:
    """Recursively follow the grant like a player: playlists via Django, media via S3."""
    found = Crawl()
    pending = [grant.master_url]
    while pending:
        url = pending.pop(0)
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:200])
        _assert_private(response)
        assert response["Content-Type"] == PLAYLIST_TYPE
        text = response.content.decode()
        found.django_urls.append(url)
        found.playlists[url] = text
        for uri in _uris(text):
            target = urljoin(url, uri)
            if target.startswith("/"):  # one of ours (a variant playlist)
                assert target.endswith(".m3u8")
                pending.append(target)
            else:
                _assert_signed(target)
                found.s3_urls.append(target)
    if grant.thumbnails_url:
        response = client.get(grant.thumbnails_url)
        assert response.status_code == 200
        _assert_private(response)
        assert response["Content-Type"] == "text/vtt"
        vtt = response.content.decode()
        assert vtt.startswith("WEBVTT") and "#xywh=" in vtt
        cues = [ln for ln in vtt.splitlines() if "#xywh=" in ln]
        assert all(ln.startswith("http") and "X-Amz-Signature=" in ln for ln in cues)
        sprites = {m.split("#", 1)[0] for m in S3_URL.findall(vtt)}
        assert len(sprites) == 1, "one signed sprite URL shared by every cue"
        found.django_urls.append(grant.thumbnails_url)
        found.s3_urls.extend(sprites)
    if grant.poster_url:
        _assert_signed(grant.poster_url)
        found.s3_urls.append(grant.poster_url)
    return found


def _tampered(url: str) -> list[str]:
    """The same URL with its signature, expiry or version altered."""
    _, hls, version_id, expires, signature, name = url.rsplit("/", 5)
    base = url[: url.index(f"/{hls}/")]

    def build(v=version_id, e=expires, s=signature):
        return f"{base}/{hls}/{v}/{e}/{s}/{name}"

    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return [
        build(s=flipped),
        build(s=signature[:-2]),
        build(e=str(int(expires) + 3600)),
        build(v=str(uuid.uuid4())),
    ]


@pytest.fixture
def users(db):
    model = get_user_model()
    return model.objects.create_user("learner-a"), model.objects.create_user("learner-b")


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _synthetic_version(
    *,
    rungs=((1080, 1920), (720, 1280), (480, 854), (360, 640)),
    audio: bool = True,
    playable: bool = True,
    state: str = State.READY,
    segments: int = 3,
    complete: bool = True,
) -> VideoVersion:
    """A version whose renditions exist only in the database (no transcode)."""
    video = Video.objects.create(title="synthetic")
    version = VideoVersion.objects.create(
        video=video,
        state=state,
        playable=playable,
        original_key=f"uploads/{uuid.uuid4()}/x.mp4",
        original_filename="x.mp4",
        original_size=1,
    )
    prefix = f"videos/{video.pk}/{version.pk}/"
    version.output_prefix, version.master_playlist_key = prefix, prefix + "master.m3u8"
    version.save(update_fields=["output_prefix", "master_playlist_key"])
    names = [(f"{h}p", Rendition.Kind.VIDEO, w, h, h * 4000) for h, w in rungs]
    if audio:
        names.append(("audio", Rendition.Kind.AUDIO, 0, 0, 128_000))
    for name, kind, width, height, bandwidth in names:
        lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:4"]
        lines += [
            "#EXT-X-MEDIA-SEQUENCE:0",
            f"#EXT-X-PLAYLIST-TYPE:{'VOD' if complete else 'EVENT'}",
        ]
        lines += ["#EXT-X-INDEPENDENT-SEGMENTS", '#EXT-X-MAP:URI="init_0.mp4"']
        for i in range(segments):
            lines += ["#EXTINF:4.000000,", f"seg_{i:05d}.m4s"]
        if complete:
            lines.append("#EXT-X-ENDLIST")
        Rendition.objects.create(
            version=version,
            kind=kind,
            name=name,
            width=width,
            height=height,
            bandwidth=bandwidth,
            codecs="mp4a.40.2" if kind == "audio" else "avc1.640028,mp4a.40.2",
            playlist_key=f"{prefix}{name}/index.m3u8",
            playlist="\n".join(lines) + "\n",
            segment_count=segments,
            complete=complete,
        )
    return version


def _variants(master: str) -> list[tuple[str, str]]:
    lines = master.splitlines()
    return [(a, b) for a, b in zip(lines, lines[1:], strict=False) if a.startswith("#EXT-X-STREAM")]


# --------------------------------------------------------------------------- end to end


@pytest.mark.django_db(transaction=True)
def test_crawl_of_a_real_version_is_bound_to_the_viewer_and_the_expiry(
    upload_file, normal_clip, seaweedfs, users
):
    version = upload_file(normal_clip)
    assert version_process(version_id=version.pk) == State.READY
    version.refresh_from_db()
    alice, bob = users
    alice_client, bob_client, anonymous = _logged_in(alice), _logged_in(bob), Client()
    viewer = f"user:{alice.pk}"

    # Short grant first, so its crawl fits well inside its 2 s.
    short = playback_grant(version=version, viewer=viewer, ttl_s=2)
    short_crawl = crawl(alice_client, short)
    assert http_status(short_crawl.s3_urls[0]) == 200

    grant = playback_grant(version=version, viewer=viewer)
    found = crawl(alice_client, grant)

    # The master: built from the rows, no audio-only variant, complete attributes.
    master = found.playlists[grant.master_url]
    variants = _variants(master)
    assert [uri for _, uri in variants] == ["720p.m3u8", "480p.m3u8", "360p.m3u8"]
    for inf, _ in variants:
        assert re.search(r"BANDWIDTH=\d+", inf) and re.search(r"RESOLUTION=\d+x\d+", inf)
        assert 'CODECS="avc1' in inf and 'AUDIO="aud"' in inf
    assert '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud"' in master and 'URI="audio.m3u8"' in master
    assert len(found.django_urls) == 1 + 4 + 1  # master, 3 video + audio, thumbnails
    # Every variant is a finished VOD playlist whose media all come signed from the bucket.
    for url, text in found.playlists.items():
        if url != grant.master_url:
            assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and text.rstrip().endswith("#EXT-X-ENDLIST")
            assert '#EXT-X-MAP:URI="http' in text
    rendition_count = version.renditions.count()
    segments = sum(r.segment_count for r in version.renditions.all())
    assert len(found.s3_urls) == segments + rendition_count + 2  # + inits, sprite, poster
    for url in found.s3_urls:
        assert url.startswith(seaweedfs["endpoint"] + "/"), url
        body = http_body(url)
        path = urlsplit(url).path
        if "/init_" in path or path.endswith(".m4s"):
            assert body[4:8] in (b"ftyp", b"styp", b"moof"), path
        else:
            assert body[:2] == b"\xff\xd8", path  # JPEG sprite / poster

    # The same Django URLs for anyone else: no cookies, another learner, tampered tokens.
    for url in found.django_urls:
        for other in (anonymous, bob_client):
            response = other.get(url)
            assert response.status_code == 403, url
            assert response["Content-Type"].startswith("text/plain")
            _assert_private(response)
        for bad in _tampered(url):
            response = alice_client.get(bad)
            assert response.status_code == 403, bad
            _assert_private(response)

    # Object keys without query auth: the bucket is never public.
    base = f"{seaweedfs['endpoint']}/{seaweedfs['bucket']}/"
    keys = [version.master_playlist_key, version.original_key, version.thumbnails_vtt_key]
    keys += [r.playlist_key for r in version.renditions.all()]
    for url in found.s3_urls:
        assert http_status(url.split("?", 1)[0]) == 403, url
    for key in keys:
        assert http_status(base + key) == 403, key

    # After the short grant's expiry: its Django URLs and its S3 URLs are all dead.
    time.sleep(max(0.0, short.expires_at.timestamp() - time.time()) + 1.5)
    for url in short_crawl.django_urls:
        response = alice_client.get(url)
        assert response.status_code == 403, url
        _assert_private(response)
    for url in short_crawl.s3_urls:
        assert http_status(url) == 403, url
    # The long grant still works for its viewer.
    assert alice_client.get(grant.master_url).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_grant_holds_no_permanent_media_url(upload_file, normal_clip, seaweedfs, users):
    version = upload_file(normal_clip)
    assert version_process(version_id=version.pk) == State.READY
    version.refresh_from_db()
    grant = playback_grant(version=version, viewer=f"user:{users[0].pk}")
    payload = json.dumps(dataclasses.asdict(grant), default=str)
    absolute = S3_URL.findall(payload)
    assert absolute == [grant.poster_url]
    for url in absolute:
        _assert_signed(url)
    for relative in (grant.master_url, grant.thumbnails_url):
        assert re.fullmatch(r"/media/hls/[0-9a-f-]{36}/\d+/[\w-]{22}/[\w.]+", relative), relative
    # Storage keys appear nowhere else (the poster's only inside its signed URL).
    assert version.output_prefix not in payload.replace(grant.poster_url, "")
    ttl = grant.expires_at.timestamp() - time.time()
    assert 0 < ttl <= 4 * 3600


# --------------------------------------------------------------------------- synthetic versions


@pytest.mark.django_db
def test_master_leads_with_a_mid_rung_and_never_lists_audio_alone(seaweedfs):
    version = _synthetic_version()
    master = master_playlist_render(version.renditions.filter(segment_count__gt=0))
    assert master.startswith("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n")
    uris = [uri for _, uri in _variants(master)]
    assert uris == ["720p.m3u8", "1080p.m3u8", "480p.m3u8", "360p.m3u8"]
    assert master.count("#EXT-X-MEDIA:TYPE=AUDIO") == 1
    assert "audio.m3u8" not in uris
    assert (
        '#EXT-X-STREAM-INF:BANDWIDTH=2880000,RESOLUTION=1280x720,CODECS="avc1.640028,mp4a.40.2",'
        'AUDIO="aud"' in master
    )
    # Without a 720p rung the second best leads; without audio there is no audio group.
    silent = _synthetic_version(rungs=((1080, 1920), (480, 854), (360, 640)), audio=False)
    master = master_playlist_render(silent.renditions.filter(segment_count__gt=0))
    assert [uri for _, uri in _variants(master)] == ["480p.m3u8", "1080p.m3u8", "360p.m3u8"]
    assert "TYPE=AUDIO" not in master and "AUDIO=" not in master


@pytest.mark.django_db
def test_a_version_still_transcoding_serves_event_playlists(seaweedfs, users):
    version = _synthetic_version(state=State.TRANSCODING, complete=False, segments=2)
    client = _logged_in(users[0])
    grant = playback_grant(version=version, viewer=f"user:{users[0].pk}")
    assert grant.thumbnails_url is None and grant.poster_url is None  # not made yet
    master = client.get(grant.master_url)
    assert master.status_code == 200
    for _, uri in _variants(master.content.decode()):
        response = client.get(urljoin(grant.master_url, uri))
        assert response.status_code == 200
        _assert_private(response)
        text = response.content.decode()
        assert "#EXT-X-PLAYLIST-TYPE:EVENT" in text and "#EXT-X-ENDLIST" not in text
        assert text.count("X-Amz-Signature=") == 3  # init + 2 segments
        assert "#EXTINF:4.000000," in text and "#EXT-X-TARGETDURATION:4" in text


@pytest.mark.django_db
def test_only_playable_versions_are_granted(seaweedfs):
    for state in (State.UPLOADING, State.UPLOADED, State.TRANSCODING, State.FAILED):
        version = _synthetic_version(playable=False, state=state)
        with pytest.raises(PlaybackUnavailable) as excinfo:
            playback_grant(version=version, viewer="user:1")
        assert excinfo.value.state == state
    with pytest.raises(PlaybackUnavailable):
        playback_grant(version=None, viewer="user:1")


@pytest.mark.django_db
def test_unknown_rendition_or_version_with_a_valid_token_is_404(seaweedfs, users):
    version = _synthetic_version()
    client = _logged_in(users[0])
    grant = playback_grant(version=version, viewer=f"user:{users[0].pk}")
    response = client.get(urljoin(grant.master_url, "2160p.m3u8"))
    assert response.status_code == 404
    _assert_private(response)
    # A validly signed token for a version that does not exist (e.g. purged since).
    ghost = uuid.uuid4()
    expires = int(time.time()) + 60
    signature = grant_signature(version_id=ghost, expires=expires, viewer=f"user:{users[0].pk}")
    for name in ("master.m3u8", "720p.m3u8", "thumbnails.vtt"):
        response = client.get(f"/media/hls/{ghost}/{expires}/{signature}/{name}")
        assert response.status_code == 404, name
    # A version that stopped being playable stops playing, even under a live token.
    VideoVersion.objects.filter(pk=version.pk).update(playable=False)
    assert client.get(grant.master_url).status_code == 404


@pytest.mark.django_db
def test_playlist_views_use_a_constant_number_of_queries(seaweedfs, users):
    client = _logged_in(users[0])
    counts = []
    for segments in (3, 300):
        version = _synthetic_version(segments=segments)
        grant = playback_grant(version=version, viewer=f"user:{users[0].pk}")
        for url in (grant.master_url, urljoin(grant.master_url, "720p.m3u8")):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
    # The user and one for the renditions (the session comes from the cache), whatever
    # the playlist size; no writes.
    assert counts == [2, 2, 2, 2], counts
    assert client.post(grant.master_url).status_code == 405


def _anonymous_viewer(cookie: str | None = None) -> tuple[str, str | None]:
    """Run the middleware around viewer_for_request like the playback API does; returns
    (viewer, the viewer cookie the answer set, if any)."""
    request = RequestFactory().get("/api/lessons/1/playback")
    if cookie:
        request.COOKIES["media_viewer"] = cookie

    def view(req):
        return HttpResponse(viewer_for_request(req))

    stack = SessionMiddleware(AuthenticationMiddleware(ViewerCookieMiddleware(view)))
    response = stack(request)
    sent = response.cookies.get("media_viewer")
    return response.content.decode(), sent.value if sent else None


@pytest.mark.django_db
def test_anonymous_preview_plays_only_in_its_own_browser_and_writes_no_session(seaweedfs):
    from django.contrib.sessions.models import Session

    version = _synthetic_version()
    viewer, cookie = _anonymous_viewer()
    assert viewer.startswith("anon:") and cookie
    assert Session.objects.count() == 0  # a cookieless preview costs no session row
    grant = playback_grant(version=version, viewer=viewer)
    browser = Client()
    browser.cookies["media_viewer"] = cookie
    found = crawl(browser, grant)
    assert len(found.django_urls) == 1 + 5
    other_viewer, other_cookie = _anonymous_viewer()
    assert other_viewer != viewer
    stranger = Client()
    stranger.cookies["media_viewer"] = other_cookie
    forged = Client()
    forged.cookies["media_viewer"] = viewer.removeprefix("anon:")  # the nonce, unsigned
    for url in found.django_urls:
        assert stranger.get(url).status_code == 403
        assert forged.get(url).status_code == 403
        assert Client().get(url).status_code == 403
    # The viewer of an existing cookie is stable: no new nonce per call.
    again, resent = _anonymous_viewer(cookie)
    assert again == viewer and resent is None
    assert Session.objects.count() == 0


@pytest.mark.django_db
def test_thumbnails_vtt_is_read_from_storage_once_and_signed_per_request(s3, seaweedfs, users):
    from media_pipeline.delivery import render

    version = _synthetic_version()
    version.sprite_key = version.output_prefix + "thumbnails.jpg"
    version.thumbnails_vtt_key = version.output_prefix + "thumbnails.vtt"
    version.save(update_fields=["sprite_key", "thumbnails_vtt_key"])
    vtt = "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\nthumbnails.jpg#xywh=0,0,160,90\n\n"
    s3.put_object(Bucket=seaweedfs["bucket"], Key=version.thumbnails_vtt_key, Body=vtt.encode())
    client = _logged_in(users[0])
    grant = playback_grant(version=version, viewer=f"user:{users[0].pk}")
    before = render._stored_text.cache_info()
    bodies = [client.get(grant.thumbnails_url).content.decode() for _ in range(3)]
    after = render._stored_text.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 2)
    for body in bodies:
        cue = body.splitlines()[3]
        assert cue.startswith(seaweedfs["endpoint"]) and cue.endswith("#xywh=0,0,160,90")
        _assert_signed(cue.split("#", 1)[0])
    # Purged from storage under a live token: 404, not a server error.
    other = _synthetic_version()
    other.sprite_key, other.thumbnails_vtt_key = "gone/thumbnails.jpg", "gone/thumbnails.vtt"
    other.save(update_fields=["sprite_key", "thumbnails_vtt_key"])
    grant = playback_grant(version=other, viewer=f"user:{users[0].pk}")
    response = client.get(grant.thumbnails_url)
    assert response.status_code == 404
    _assert_private(response)
