"""The template filters write durations and sizes by media_pipeline.formatting's rules."""

import pytest
from django.template import Context, Template

from media_pipeline.formatting import duration_label, size_label


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, ""), (0.4, "0:00"), (0.5, "0:01"), (59.6, "1:00"), (3599.4, "59:59"),
     (3599.5, "1:00:00"), (3725.4, "1:02:05")],
)  # fmt: skip
def test_duration_filter(seconds, text):
    rendered = Template("{% load formatting %}{{ s|duration }}").render(Context({"s": seconds}))
    assert rendered == text == duration_label(seconds)


def test_duration_filter_placeholder_and_size_filter():
    template = Template('{% load formatting %}{{ none|duration:"--:--" }} {{ b|size }}')
    assert template.render(Context({"none": None, "b": 312_400_000})) == "--:-- 312.4 MB"
    assert size_label(999) == "999 bytes" and size_label(1000) == "1.0 KB"
