"""/accounts/: Django's auth views (login, POST logout, password change/reset) plus sign-up."""

from django.urls import include, path

from courses.accounts import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/confirm/<str:token>/", views.signup_confirm_view, name="signup_confirm"),
    path("password_reset/", views.ThrottledPasswordResetView.as_view(), name="password_reset"),
    path("", include("django.contrib.auth.urls")),
]
