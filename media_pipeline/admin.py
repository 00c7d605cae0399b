"""Admin for videos and their versions: mostly read-only, the pipeline owns these rows.

Staff change videos by uploading (studio or `upload_lesson_video`); here they
see what happened and can retry a failed version from its kept original.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from media_pipeline.formatting import duration_label
from media_pipeline.models import Rendition, Video, VideoVersion
from media_pipeline.processing.versions import version_retry


def state_with_percent(version: VideoVersion) -> str:
    if version.state == VideoVersion.State.TRANSCODING:
        return f"{version.get_state_display()} {version.progress_percent:.0f}%"
    return version.get_state_display()


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class VideoVersionInline(ReadOnlyInline):
    model = VideoVersion
    fields = ("original_filename", "state_display", "playable", "attempts", "created_at")
    readonly_fields = fields
    ordering = ("-created_at",)

    @admin.display(description="State")
    def state_display(self, obj: VideoVersion) -> str:
        return state_with_percent(obj)


class RenditionInline(ReadOnlyInline):
    model = Rendition
    fields = (
        "name", "width", "height", "bandwidth", "average_bandwidth", "size_bytes", "codecs",
        "segment_count", "complete",
    )  # fmt: skip
    readonly_fields = fields
    show_change_link = False


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = ("__str__", "current_version_display", "current_state", "created_at")
    search_fields = ("title", "id")
    readonly_fields = ("id", "current_version", "created_at")
    fields = ("id", "title", "current_version", "created_at")
    inlines = [VideoVersionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Video]:
        return super().get_queryset(request).select_related("current_version")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # videos are created by starting an upload for a lesson

    @admin.display(description="Current version")
    def current_version_display(self, obj: Video) -> str:
        version = obj.current_version
        return version.original_filename if version else "—"

    @admin.display(description="State")
    def current_state(self, obj: Video) -> str:
        return state_with_percent(obj.current_version) if obj.current_version else "—"


@admin.register(VideoVersion)
class VideoVersionAdmin(admin.ModelAdmin):
    list_display = (
        "original_filename",
        "video",
        "state_display",
        "playable",
        "attempts",
        "created_at",
    )
    list_filter = ("state", "playable")
    search_fields = ("original_filename", "id", "video__title")
    list_select_related = ("video",)
    actions = ["retry_processing"]
    inlines = [RenditionInline]
    fieldsets = (
        (None, {"fields": ("id", "video", "live_status", "state_reason", "playable", "attempts")}),
        (
            "Original upload",
            {
                "fields": (
                    "original_filename",
                    "original_size",
                    "original_key",
                    "upload_fingerprint",
                    "uploaded_by",
                )
            },
        ),
        (
            "Media",
            {"fields": ("duration", "width", "height", "master_playlist_key", "poster_key")},
        ),
        (
            "Processing",
            {
                "classes": ("collapse",),
                "fields": (
                    "created_at",
                    "state_changed_at",
                    "processing_started_at",
                    "ready_at",
                    "lease_token",
                    "lease_heartbeat_at",
                    "output_prefix",
                    "sprite_key",
                    "thumbnails_vtt_key",
                    "probe",
                ),
            },
        ),
    )

    class Media:
        js = ("js/admin-version-status.js",)

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        # Everything: state changes go through the pipeline (and the retry action).
        return [name for _, options in self.fieldsets for name in options["fields"]]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="State", ordering="state")
    def state_display(self, obj: VideoVersion) -> str:
        return state_with_percent(obj)

    @admin.display(description="Duration")
    def duration(self, obj: VideoVersion) -> str:
        return duration_label(obj.duration_s, missing="--:--")

    @admin.display(description="State")
    def live_status(self, obj: VideoVersion) -> str:
        # admin-version-status.js keeps this up to date while processing runs.
        reason = f" — {obj.state_reason}" if obj.state_reason else ""
        return format_html(
            '<span data-version-status="{}" data-final="{}">{}{}</span>',
            obj.pk,
            "1" if obj.is_final else "",
            state_with_percent(obj),
            reason,
        )

    @admin.action(description="Retry processing (failed versions)")
    def retry_processing(self, request: HttpRequest, queryset: QuerySet[VideoVersion]) -> None:
        queued = skipped = 0
        for version in queryset:
            if version_retry(version=version):
                queued += 1
            else:
                skipped += 1
        if queued:
            self.message_user(request, f"Queued {queued} version(s) for processing again.")
        if skipped:
            self.message_user(
                request,
                f"Skipped {skipped} version(s): only failed versions whose original upload "
                "is still stored can be retried.",
                level=messages.WARNING,
            )
