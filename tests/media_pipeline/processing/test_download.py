"""The offline copy: an MP4 remuxed (not re-encoded) from the rendition at or below 720p."""

import struct

import av
import pytest

from media_pipeline.models import Rendition, VideoVersion
from media_pipeline.processing.download import download_rendition_choose
from media_pipeline.processing.pipeline import version_process

pytestmark = pytest.mark.django_db(transaction=True)


def top_level_boxes(data: bytes) -> list[str]:
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        boxes.append(kind.decode("latin-1"))
        if size < 8:
            break
        offset += size
    return boxes


def test_a_ready_version_has_an_mp4_with_its_index_first(
    upload_file, hls_clip, seaweedfs, tmp_path
):
    version = upload_file(hls_clip)
    assert version_process(version_id=version.pk) == VideoVersion.State.READY
    version.refresh_from_db()
    assert version.download_rendition == "480p"  # the best rung at or below 720p
    assert version.download_key == f"{version.output_prefix}download/480p.mp4"
    data = (
        seaweedfs["client"]
        .get_object(Bucket=seaweedfs["bucket"], Key=version.download_key)["Body"]
        .read()
    )
    assert len(data) == version.download_size
    boxes = top_level_boxes(data)
    assert boxes.index("moov") < boxes.index("mdat")  # faststart: plays while downloading
    path = tmp_path / "download.mp4"
    path.write_bytes(data)
    with av.open(str(path)) as container:
        codecs = sorted(s.codec_context.name for s in container.streams)
        assert codecs == ["aac", "h264"]
        duration = container.duration / av.time_base
    assert abs(duration - version.duration_s) < 0.1, (duration, version.duration_s)
    # Remuxed, not re-encoded: the video's bytes are the rendition's (same size, within
    # the container's own overhead).
    rendition = version.renditions.get(name="480p")
    assert rendition.size_bytes * 0.9 < version.download_size


def test_the_download_rung_is_the_best_at_or_below_720p():
    def rung(name, w, h):
        return Rendition(name=name, width=w, height=h, kind="video", segment_count=1, bandwidth=1)

    ladder = [rung("1080p", 1920, 1080), rung("720p", 1280, 720), rung("360p", 640, 360)]
    assert download_rendition_choose(ladder).name == "720p"
    portrait = [rung("1080p", 1080, 1920), rung("720p", 720, 1280)]
    assert download_rendition_choose(portrait).name == "720p"  # by the short side
    assert download_rendition_choose([rung("240p", 320, 240)]).name == "240p"
    assert download_rendition_choose([]) is None


def test_a_replacement_makes_its_own_download_and_the_old_one_goes_with_its_version(
    upload_file, hls_clip, seaweedfs
):
    from django.core.management import call_command

    from media_pipeline.storage import object_exists

    first = upload_file(hls_clip)
    version_process(version_id=first.pk)
    second = upload_file(hls_clip, video=first.video)
    version_process(version_id=second.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.download_key != second.download_key
    assert object_exists(first.download_key) and object_exists(second.download_key)
    call_command("purge_orphaned_media")
    assert not object_exists(first.download_key)  # purged with the replaced version
    assert object_exists(second.download_key)
