"""Sign-up."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        label="E-mail",
        help_text="We send a link there to confirm it; it is also how you reset your password.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self) -> str:
        # Whether the address has an account is not said here (courses.accounts.signup):
        # the answer to a valid form is "check your inbox" either way.
        return self.cleaned_data["email"].strip()
