"""The shape of the HLS tree a version publishes.

Shared by the encoder that writes it (processing.encode.commands), the publisher that stores
it (processing.publish), the playlist fix-ups (hls.playlists) and the delivery that serves it.
"""

MASTER_NAME = "master.m3u8"
PLAYLIST_NAME = "index.m3u8"  # each rendition's media playlist, in the rendition's directory

# The one audio rendition (AAC-LC stereo), encoded once and referred to by every video variant
# through an EXT-X-MEDIA audio group.
AUDIO_RENDITION = "audio"  # directory / NAME of the shared audio rendition
AUDIO_GROUP = "aud"  # ffmpeg writes GROUP-ID="group_aud"
AUDIO_BITRATE = 128_000
AUDIO_CODEC_TAG = "mp4a.40.2"  # AAC-LC
DEFAULT_VIDEO_CODEC_TAG = "avc1.640028"  # High@4.0, used only if ffmpeg omitted CODECS
