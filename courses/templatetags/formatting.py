"""`{% load formatting %}`: the platform's one duration and size rule, for templates."""

from django import template

from courses.commerce.prices import course_price_label, money_label
from media_pipeline.formatting import duration_label, size_label

register = template.Library()


@register.filter(name="duration")
def duration_filter(seconds, missing: str = ""):
    """{{ lesson.duration_s|duration }} → 12:05 or 1:02:05."""
    return duration_label(seconds, missing=missing)


@register.filter(name="size")
def size_filter(size):
    """{{ bytes|size }} → 312.4 MB."""
    return "" if size is None else size_label(size)


@register.filter(name="course_price")
def course_price_filter(course) -> str:
    """{{ course|course_price }} → Free or $149.00."""
    return course_price_label(course)


@register.filter(name="order_amount")
def order_amount_filter(order, field: str = "amount_minor") -> str:
    """{{ order|order_amount }} → $149.00; {{ order|order_amount:"discount_minor" }}."""
    return money_label(getattr(order, field), order.currency)
