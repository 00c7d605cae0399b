from django.urls import path

from courses.learning.cards import views

app_name = "cards"
urlpatterns = [
    path("courses/<slug:slug>/lessons/<int:number>/cards.pdf", views.lesson_cards, name="lesson"),
    path(
        "courses/<slug:slug>/techniques/<int:number>/card.pdf",
        views.technique_card,
        name="technique",
    ),
]
