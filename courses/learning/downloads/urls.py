from django.urls import path

from courses.learning.downloads import views

app_name = "downloads"
urlpatterns = [
    path(
        "courses/<slug:slug>/lessons/<int:number>/download/",
        views.lesson_download,
        name="lesson_download",
    ),
]
