from django.urls import path

from courses import studio_views

app_name = "studio"

urlpatterns = [
    path("", studio_views.studio, name="studio"),
]
