"""System check: the encoder settings are valid when a process starts, not at the first upload."""

from django.conf import settings
from django.core.checks import Error, register

from media_pipeline.processing.encode.commands import RATE_CONTROLS
from media_pipeline.processing.encode.ladder import crf_table


@register()
def encoder_settings_check(app_configs=None, **kwargs):
    errors = []
    if settings.MEDIA_RATE_CONTROL not in RATE_CONTROLS:
        errors.append(
            Error(
                f"MEDIA_RATE_CONTROL is {settings.MEDIA_RATE_CONTROL!r}.",
                hint=f"Use one of: {', '.join(RATE_CONTROLS)}.",
                id="media_pipeline.E001",
            )
        )
    try:
        crf_table(settings.MEDIA_X264_CRF)
    except (TypeError, ValueError) as exc:
        errors.append(
            Error(
                f"MEDIA_X264_CRF is not usable: {exc}.",
                hint='Write "<minimum short side>=<crf>" pairs, e.g. "720=22,480=21,0=20".',
                id="media_pipeline.E002",
            )
        )
    return errors
