from django.apps import AppConfig


class MediaPipelineConfig(AppConfig):
    name = "media_pipeline"
    verbose_name = "Media pipeline"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from media_pipeline import (
            checks,  # noqa: F401  (registers the encoder settings check)
            signals,  # noqa: F401  (connects Celery worker hooks)
        )
