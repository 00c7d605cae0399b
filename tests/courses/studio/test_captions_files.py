"""Caption files: SRT converted to WebVTT, both checked with the line of the first problem."""

import pytest

from courses.studio.captions import CaptionFileError, caption_file_to_vtt

SRT = (
    "1\r\n00:00:01,000 --> 00:00:03,500\r\nPlace your hands\r\nlightly.\r\n\r\n"
    "2\r\n00:00:04,000 --> 00:00:06,000\r\nBreathe.\r\n"
)


def test_srt_becomes_webvtt():
    assert caption_file_to_vtt(filename="lesson.SRT", raw=SRT.encode("utf-8-sig")) == (
        "WEBVTT\n\n00:00:01.000 --> 00:00:03.500\nPlace your hands\nlightly.\n\n"
        "00:00:04.000 --> 00:00:06.000\nBreathe.\n"
    )


def test_webvtt_is_kept_as_it_is():
    vtt = "WEBVTT\n\n00:01.000 --> 00:03.000 align:start\nHello\n"
    assert caption_file_to_vtt(filename="en.vtt", raw=vtt.encode()) == vtt


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.vtt", "Hello\n", "Line 1"),
        ("a.vtt", "WEBVTT\n\n00:01.000 -> 00:02.000\nx\n00:03 --> 00:04.000\n", "Line 5"),
        ("a.vtt", "WEBVTT\n\n00:05.000 --> 00:02.000\nx\n", "Line 3: the cue ends before"),
        ("a.vtt", "WEBVTT\n\nNOTE nothing\n", "no cues"),
        (
            "a.srt",
            "1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:0x,000 --> 00:00:03,000\n",
            "Line 6",
        ),
        ("a.srt", "just text\n", "Line 1: text before the first cue"),
        ("a.srt", "\xff\xfe\x00", "Line 1"),
    ],
)
def test_problems_say_where(name, text, message):
    with pytest.raises(CaptionFileError, match=message):
        caption_file_to_vtt(filename=name, raw=text.encode("latin-1"))


def test_large_files_are_refused():
    with pytest.raises(CaptionFileError, match="2 MB"):
        caption_file_to_vtt(filename="a.vtt", raw=b"WEBVTT\n" + b"x" * (3 * 1024 * 1024))
