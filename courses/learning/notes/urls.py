"""My notes: the page and its Markdown and PDF exports."""

from django.urls import path

from courses.learning.notes import views

app_name = "notes"
urlpatterns = [
    path("courses/<slug:slug>/notes/", views.my_notes, name="my_notes"),
    path("courses/<slug:slug>/notes.md", views.my_notes_markdown, name="my_notes_markdown"),
    path("courses/<slug:slug>/notes.pdf", views.my_notes_pdf, name="my_notes_pdf"),
]
