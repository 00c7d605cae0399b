from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from config.api import api
from courses.articles.sitemaps import SITEMAPS

# A database error raised outside a view (e.g. saving a session) answers 503, not 500.
handler500 = "config.outage.server_error"

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("accounts/", include("courses.accounts.urls")),
    path("api/", api.urls),
    path("media/", include("media_pipeline.delivery.urls")),
    path("studio/", include("courses.studio.urls")),
    path("articles/", include("courses.articles.urls")),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("", include("courses.community.urls")),
    path("", include("courses.commerce.urls")),
    path("", include("courses.certificates.urls")),
    path("", include("courses.learning.notes.urls")),
    path("", include("courses.learning.downloads.urls")),
    path("", include("courses.learning.cards.urls")),
    path("", include("courses.reminders.urls")),
    path("", include("courses.urls")),
]
