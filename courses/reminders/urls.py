from django.urls import path

from courses.reminders import views

app_name = "reminders"
urlpatterns = [path("reminders/", views.reminders_toggle, name="toggle")]
