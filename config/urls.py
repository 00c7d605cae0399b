from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("courses.accounts.urls")),
    path("api/", api.urls),
    path("media/", include("media_pipeline.delivery.urls")),
    path("studio/", include("courses.studio.urls")),
    path("", include("courses.commerce.urls")),
    path("", include("courses.urls")),
]
