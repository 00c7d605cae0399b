"""Signed HLS delivery: the token (expiry + viewer-bound signature) is in the path, so the
relative URIs of the master resolve under it."""

from django.urls import path, register_converter

from media_pipeline.delivery import views

app_name = "media"


class RenditionName:
    """Rendition names are ours ("720p", "audio"): nothing else reaches the view."""

    regex = "[A-Za-z0-9_-]{1,16}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RenditionName, "rendition")

_TOKEN = "hls/<uuid:version_id>/<int:expires>/<str:signature>/"

urlpatterns = [
    # Before the variant route: "master" must never be taken for a rendition name.
    path(_TOKEN + "master.m3u8", views.hls_master, name="hls_master"),
    path(_TOKEN + "thumbnails.vtt", views.hls_thumbnails, name="hls_thumbnails"),
    path(_TOKEN + "<rendition:name>.m3u8", views.hls_variant, name="hls_variant"),
]
