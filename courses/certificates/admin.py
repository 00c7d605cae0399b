"""Certificates in the admin: looked up and read; revoked from the studio (with a reason)."""

from django.contrib import admin

from courses.models import Certificate


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ("code", "full_name", "course_title", "completed_on", "issued_at", "revoked_at")
    list_filter = ("course", "revoked_at")
    search_fields = ("code", "full_name", "user__username", "user__email")
    list_select_related = ("course", "user")
    readonly_fields = [f.name for f in Certificate._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # only a completed course gives one (courses.certificates.services)
