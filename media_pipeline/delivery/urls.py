"""Signed HLS delivery: the token (expiry + viewer-bound signature) is in the path, so the
relative URIs of the master resolve under it."""

from django.urls import path

from media_pipeline.delivery import views

app_name = "media"

_TOKEN = "hls/<uuid:version_id>/<int:expires>/<str:signature>/"

urlpatterns = [
    # Before the variant route: "master" must never be taken for a rendition name.
    path(_TOKEN + "master.m3u8", views.hls_master, name="hls_master"),
    path(_TOKEN + "thumbnails.vtt", views.hls_thumbnails, name="hls_thumbnails"),
    path(_TOKEN + "<str:name>.m3u8", views.hls_variant, name="hls_variant"),
]
