"""The bitrate ladder (processing.encode.ladder): rungs, sizes and bitrates from a probe."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from media_pipeline.processing.encode.ladder import CRF_BY_HEIGHT, Rung, crf_table, ladder_for
from tests.media_pipeline.conftest import make_probe


def sizes(rungs: list[Rung]) -> list[tuple[str, int, int]]:
    return [(r.name, r.width, r.height) for r in rungs]


def test_1080p_landscape_full_ladder() -> None:
    assert sizes(ladder_for(make_probe())) == [
        ("1080p", 1920, 1080),
        ("720p", 1280, 720),
        ("480p", 854, 480),
        ("360p", 640, 360),
    ]


def test_4k_tops_out_at_1080p() -> None:
    probe = make_probe(width=3840, height=2160, coded_width=3840, coded_height=2160)
    assert [r.name for r in ladder_for(probe)] == ["1080p", "720p", "480p", "360p"]


def test_720p_never_upscales() -> None:
    probe = make_probe(width=1280, height=720, coded_width=1280, coded_height=720)
    assert [r.name for r in ladder_for(probe)] == ["720p", "480p", "360p"]


@pytest.mark.parametrize("rotation", [90, 270])
def test_rotated_phone_video_is_scaled_by_short_side(rotation: int) -> None:
    probe = make_probe(width=1080, height=1920, rotation=rotation)  # coded 1920x1080
    assert sizes(ladder_for(probe)) == [
        ("1080p", 1080, 1920),
        ("720p", 720, 1280),
        ("480p", 480, 854),
        ("360p", 360, 640),
    ]


def test_true_portrait_is_scaled_by_short_side() -> None:
    probe = make_probe(width=1080, height=1920, coded_width=1080, coded_height=1920)
    assert sizes(ladder_for(probe))[1] == ("720p", 720, 1280)


def test_tiny_source_keeps_its_own_size() -> None:
    probe = make_probe(width=320, height=240, coded_width=320, coded_height=240)
    assert sizes(ladder_for(probe)) == [("240p", 320, 240)]


def test_ntsc_dvd_keeps_native_480_anamorphic_to_square_pixels() -> None:
    probe = make_probe(
        container="mpeg", width=720, height=480, coded_width=720, coded_height=480,
        fps=30000 / 1001, interlaced=True, is_dvd_like=True,
        sample_aspect_ratio=Fraction(32, 27),
    )  # fmt: skip
    assert sizes(ladder_for(probe)) == [("480p", 854, 480), ("360p", 640, 360)]


def test_pal_dvd_keeps_native_576() -> None:
    probe = make_probe(
        container="mpeg", width=720, height=576, coded_width=720, coded_height=576,
        fps=25.0, interlaced=True, is_dvd_like=True, sample_aspect_ratio=Fraction(64, 45),
    )  # fmt: skip
    assert sizes(ladder_for(probe)) == [("576p", 1024, 576), ("360p", 640, 360)]


def test_pal_dvd_4_3() -> None:
    probe = make_probe(
        width=720, height=576, coded_width=720, coded_height=576, is_dvd_like=True,
        interlaced=True, sample_aspect_ratio=Fraction(16, 15),
    )  # fmt: skip
    assert sizes(ladder_for(probe))[0] == ("576p", 768, 576)


def test_bitrates_peertube_style() -> None:
    rungs = {r.name: r for r in ladder_for(make_probe())}
    assert rungs["1080p"].video_bitrate == round(1920 * 1080 * 30 * 0.10, -3)
    assert rungs["720p"].video_bitrate == round(1280 * 720 * 30 * 0.11, -3)
    assert rungs["480p"].video_bitrate == round(854 * 480 * 30 * 0.12, -3)
    assert rungs["360p"].video_bitrate == round(640 * 360 * 30 * 0.15, -3)
    for r in rungs.values():
        assert r.maxrate == r.video_bitrate and r.bufsize == 2 * r.video_bitrate


def test_crf_by_rung_size_smaller_pictures_lower() -> None:
    rungs = {r.name: r.crf for r in ladder_for(make_probe())}
    assert rungs == {"1080p": 21, "720p": 21, "480p": 19, "360p": 18}
    # A source below 360p keeps its own size and gets the catch-all row.
    assert [r.crf for r in ladder_for(make_probe(width=320, height=240))] == [18]


def test_crf_table_from_the_setting() -> None:
    assert crf_table("720=21, 480=19,0=18") == CRF_BY_HEIGHT
    # Any order; a table without a catch-all row gets one (its smallest size's CRF).
    assert crf_table("480=20,1080=24") == ((1080, 24), (480, 20), (0, 20))
    assert crf_table({720: 22}) == ((720, 22), (0, 22))
    assert crf_table("") == CRF_BY_HEIGHT
    for bad in ("720=52", "720=-1", "720:22", "720=twenty", "=22"):
        with pytest.raises(ValueError):
            crf_table(bad)


def test_bitrate_fps_capped_at_30() -> None:
    at30 = ladder_for(make_probe(fps=30.0))
    at60 = ladder_for(make_probe(fps=60.0))
    assert [r.video_bitrate for r in at60] == [r.video_bitrate for r in at30]
    at25 = ladder_for(make_probe(fps=25.0))
    assert at25[0].video_bitrate == round(1920 * 1080 * 25 * 0.10, -3)


def test_bitrate_capped_by_source() -> None:
    rungs = ladder_for(make_probe(bit_rate=2_000_000))
    assert rungs[0].video_bitrate == 2_600_000  # 1.3x the source
    assert rungs[-1].video_bitrate == round(640 * 360 * 30 * 0.15, -3)  # below the cap anyway


@given(
    w=st.integers(16, 3840),
    h=st.integers(16, 3840),
    sar=st.sampled_from([Fraction(1), Fraction(32, 27), Fraction(8, 9), Fraction(4, 3)]),
    rotation=st.sampled_from([0, 90, 180, 270]),
)
def test_ladder_properties(w: int, h: int, sar: Fraction, rotation: int) -> None:
    swap = rotation in (90, 270)
    probe = make_probe(
        width=h if swap else w, height=w if swap else h, coded_width=w, coded_height=h,
        rotation=rotation, sample_aspect_ratio=sar,
    )  # fmt: skip
    rungs = ladder_for(probe)
    assert 1 <= len(rungs) <= 4
    portrait = probe.display_aspect_ratio < 1
    for r in rungs:
        assert r.width % 2 == 0 and r.height % 2 == 0
        short = r.width if portrait else r.height
        assert r.name == f"{short}p"
        # Rotation does not change the short side; SAR stretches the stored width.
        assert short <= max(2, min(w * sar, h) + 1)
    assert [r.video_bitrate for r in rungs] == sorted(
        (r.video_bitrate for r in rungs), reverse=True
    )
