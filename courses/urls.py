"""The public site and the learner's pages; each view lives in its domain package."""

from django.urls import path

from courses.catalog import views as catalog_views
from courses.enrollment import views as enrollment_views
from courses.learning import views as learning_views

app_name = "courses"
urlpatterns = [
    path("", catalog_views.catalog, name="catalog"),
    path("dashboard/", enrollment_views.dashboard, name="dashboard"),
    path("courses/<slug:slug>/", catalog_views.course_detail, name="course_detail"),
    path("courses/<slug:slug>/enroll/", enrollment_views.enroll, name="enroll"),
    path(
        "courses/<slug:slug>/lessons/<int:number>/",
        learning_views.lesson_detail,
        name="lesson_detail",
    ),
    path("courses/<slug:slug>/techniques/", catalog_views.technique_index, name="technique_index"),
]
