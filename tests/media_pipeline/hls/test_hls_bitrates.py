"""Peak and mean segment bit rates of a media playlist (media_pipeline.hls.bitrates)."""

import pytest

from media_pipeline.hls.bitrates import (
    peak_segment_bitrate,
    playlist_bitrates,
    playlist_segments,
)


def _playlist(durations: list[float], target: int = 4) -> str:
    lines = [
        "#EXTM3U", "#EXT-X-VERSION:7", f"#EXT-X-TARGETDURATION:{target}",
        "#EXT-X-PLAYLIST-TYPE:VOD", '#EXT-X-MAP:URI="init_0.mp4"',
    ]  # fmt: skip
    for i, seconds in enumerate(durations):
        lines += [f"#EXTINF:{seconds:.6f},", f"seg_{i:05d}.m4s"]
    return "\n".join([*lines, "#EXT-X-ENDLIST", ""])


def test_segments_target_and_init_are_read():
    segments, target, init = playlist_segments(_playlist([4.0, 4.0, 2.5]))
    assert [(s.uri, s.duration_s) for s in segments] == [
        ("seg_00000.m4s", 4.0), ("seg_00001.m4s", 4.0), ("seg_00002.m4s", 2.5),
    ]  # fmt: skip
    assert target == 4 and init == "init_0.mp4"


def test_peak_is_the_busiest_segment_and_the_mean_is_bytes_over_time():
    sizes = {"init_0.mp4": 900, "seg_00000.m4s": 100_000, "seg_00001.m4s": 300_000}
    sizes["seg_00002.m4s"] = 50_000
    result = playlist_bitrates(_playlist([4.0, 4.0, 2.0]), sizes.__getitem__)
    assert result.peak_bps == 600_000  # 300 kB over 4 s
    assert result.average_bps == 360_000  # 450 kB over 10 s
    assert result.media_bytes == 450_000 and result.total_bytes == 450_900
    assert result.duration_s == 10.0


def test_a_final_frame_or_two_is_measured_with_its_neighbour():
    # A lesson ending just after a keyframe: an IDR frame over 1/30 s would claim 24 Mb/s.
    pairs = [(200_000, 4.0), (200_000, 4.0), (100_000, 1 / 30)]
    assert peak_segment_bitrate(pairs, 4) == pytest.approx(8 * 300_000 / (4 + 1 / 30), abs=1)
    # ... but a short segment that is a window of its own (>= half the target) counts alone.
    assert peak_segment_bitrate([(200_000, 4.0), (200_000, 2.0)], 4) == 800_000


def test_a_clip_shorter_than_half_the_target_has_its_mean_as_peak():
    assert peak_segment_bitrate([(10_000, 1.0)], 4) == 80_000
    assert peak_segment_bitrate([], 4) == 0


def test_an_empty_or_master_playlist_measures_nothing():
    master = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n720p/index.m3u8\n"
    for text in ("", "#EXTM3U\n", master):
        assert playlist_bitrates(text, lambda uri: 1).peak_bps == 0


def test_the_peak_is_never_below_any_window_of_half_to_one_and_a_half_targets():
    # Property check against a brute force over all runs of consecutive segments.
    import random

    rng = random.Random(7)
    for _ in range(200):
        pairs = [(rng.randint(1, 10**6), rng.choice([2.0, 4.0, 4.0, 0.5, 6.0])) for _ in range(8)]
        peak = peak_segment_bitrate(pairs, 4)
        for start in range(len(pairs)):
            for end in range(start + 1, len(pairs) + 1):
                run = pairs[start:end]
                seconds = sum(s for _, s in run)
                if 2 <= seconds <= 6:
                    assert peak >= 8 * sum(b for b, _ in run) / seconds - 1
