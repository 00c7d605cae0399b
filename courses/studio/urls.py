from django.urls import path

from courses.analytics import views as analytics_views
from courses.studio import views as studio_views

app_name = "studio"

urlpatterns = [
    path("", studio_views.studio, name="studio"),
    path("analytics/", analytics_views.analytics, name="analytics"),
    path("analytics.csv", analytics_views.analytics_csv, name="analytics_csv"),
    path("lessons/<int:lesson_id>/editor/", studio_views.lesson_editor, name="lesson_editor"),
]
