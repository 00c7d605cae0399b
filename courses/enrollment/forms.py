"""The enroll button (with an access code field for courses that need one)."""

from django import forms

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
