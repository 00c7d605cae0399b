"""Questions under lessons, the studio inbox, and unsubscribing (comments: articles' urls)."""

from django.urls import path

from courses.community import views

app_name = "community"
urlpatterns = [
    path(
        "courses/<slug:slug>/lessons/<int:number>/questions/",
        views.question_create,
        name="question_create",
    ),
    path(
        "questions/<int:question_id>/replies/", views.question_reply_create, name="question_reply"
    ),
    path(
        "questions/<int:question_id>/follow", views.question_follow_toggle, name="question_follow"
    ),
    path("studio/inbox/", views.studio_inbox, name="studio_inbox"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe_view, name="unsubscribe"),
]
