"""Certificates: the learner's page and download, the public check, the studio list."""

from django.urls import path

from courses.certificates import views

app_name = "certificates"
urlpatterns = [
    path("courses/<slug:slug>/certificate/", views.course_certificate, name="course_certificate"),
    path("certificates/<str:code>/", views.certificate_verify, name="certificate_verify"),
    path(
        "certificates/<str:code>/download/",
        views.certificate_download,
        name="certificate_download",
    ),
    path("studio/certificates/", views.studio_certificates, name="studio_certificates"),
    path(
        "studio/certificates/<str:code>/revoke",
        views.studio_certificate_revoke,
        name="studio_certificate_revoke",
    ),
]
