"""`{% load access %}`: courses.access's staff rules, for navigation in templates."""

from django import template

from courses import access

register = template.Library()


@register.filter
def can_manage_lessons(user) -> bool:
    """{% if user|can_manage_lessons %}: the studio link."""
    return access.can_manage_lessons(user)


@register.filter
def can_view_analytics(user) -> bool:
    return access.can_view_analytics(user)


@register.filter
def can_view_orders(user) -> bool:
    return access.can_view_orders(user)


@register.filter
def can_manage_codes(user) -> bool:
    return access.can_manage_codes(user)


@register.filter
def can_moderate(user) -> bool:
    return access.can_moderate(user)


@register.filter
def can_manage_certificates(user) -> bool:
    return access.can_manage_certificates(user)
