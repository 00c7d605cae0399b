from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from courses.models import Course


class EnrollForm(forms.Form):
    """The enroll button; it carries an access code field only for courses that need one."""

    access_code = forms.CharField(
        label="Access code",
        max_length=64,
        help_text="You'll find it on the card or e-mail that came with your course.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        error_messages={"required": "Enter the access code that came with your course."},
    )

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        self.course = course
        if not course.requires_access_code:
            del self.fields["access_code"]


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        label="E-mail",
        help_text="Used to reset your password if you forget it.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        # Password resets go by e-mail, so one address must not map to two accounts.
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this e-mail already exists. Log in or reset your password."
            )
        return email
