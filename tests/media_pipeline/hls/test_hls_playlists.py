"""M3U8 fix-ups (hls.playlists): the master made safe to publish, media playlists to VOD."""

from __future__ import annotations

from media_pipeline.hls.playlists import finalize_playlist, master_playlist_fix
from media_pipeline.processing.encode.ladder import Rung
from tests.media_pipeline.conftest import stream_infs

FFMPEG_MASTER = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="group_aud",NAME="audio_0",DEFAULT=YES,CHANNELS="2",URI="audio/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=131737,AVERAGE-BANDWIDTH=131737,CODECS="mp4a.40.2",AUDIO="group_aud"
audio/index.m3u8

#EXT-X-STREAM-INF:BANDWIDTH=3432794,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",AUDIO="group_aud"
720p/index.m3u8

#EXT-X-STREAM-INF:BANDWIDTH=1125386,AUDIO="group_aud"
360p/index.m3u8
"""


def test_master_fix_drops_audio_only_variant_and_fills_gaps() -> None:
    rungs = [
        Rung("720p", 720, 1280, 3_000_000, 3_000_000, 6_000_000),
        Rung("360p", 360, 640, 1_000_000, 1_000_000, 2_000_000),
    ]
    fixed = master_playlist_fix(FFMPEG_MASTER, rungs)
    variants = stream_infs(fixed)
    assert [uri for _, uri in variants] == ["720p/index.m3u8", "360p/index.m3u8"]
    low = variants[1][0]
    assert low["RESOLUTION"] == "640x360"
    assert low["CODECS"] == '"avc1.640028,mp4a.40.2"'
    assert low["BANDWIDTH"] == "1125386"  # ffmpeg's measured value is kept
    assert variants[0][0]["CODECS"] == '"avc1.64001f,mp4a.40.2"'
    assert "#EXT-X-MEDIA:TYPE=AUDIO" in fixed  # the rendition stays, only its variant goes
    assert master_playlist_fix(fixed, rungs) == fixed  # idempotent


def test_finalize_playlist() -> None:
    event = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXTINF:4.0,\nseg_00000.m4s\n"
    vod = finalize_playlist(event)
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in vod and "EVENT" not in vod
    assert vod.rstrip().endswith("#EXT-X-ENDLIST")
    assert finalize_playlist(vod) == vod
    assert finalize_playlist(FFMPEG_MASTER) == FFMPEG_MASTER
