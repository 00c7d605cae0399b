"""System check: production does not start selling without its Stripe keys."""

from django.conf import settings
from django.core.checks import Error, register
from django.db import DatabaseError

from courses.models import Course  # imported from CoursesConfig.ready(), once models are

KEYS = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET")


@register()
def stripe_keys_check(app_configs=None, **kwargs):
    if not settings.STRIPE_KEYS_REQUIRED:
        return []
    missing = [name for name in KEYS if not getattr(settings, name)]
    if not missing:
        return []
    try:
        priced = list(Course.objects.filter(price_minor__gt=0).values_list("slug", flat=True)[:5])
    except DatabaseError:  # no database yet (first migrate): the next start checks again
        return []
    if not priced:
        return []
    return [
        Error(
            f"Courses are for sale ({', '.join(priced)}) but {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not set.",
            hint="Set the Stripe keys of your account and the webhook's signing secret "
            "(README: Selling the course).",
            id="commerce.E001",
        )
    ]
