"""The public forms: a comment under an article and a question under a lesson, each with
the honeypot and the signed time-trap (courses.community.spam)."""

from django import forms
from django.conf import settings

from courses.community.spam import HONEYPOT_FIELD, TIMESTAMP_FIELD, form_started_token


class GuardedForm(forms.Form):
    """Hidden guard fields; a re-shown form keeps the text and gets a fresh time-trap."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[HONEYPOT_FIELD] = forms.CharField(
            required=False,
            label="Leave this field empty",
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )
        self.fields[TIMESTAMP_FIELD] = forms.CharField(required=False, widget=forms.HiddenInput)
        self.initial[TIMESTAMP_FIELD] = form_started_token()
        self._submitted = {
            "honeypot": self.data.get(HONEYPOT_FIELD, ""),
            "started_token": self.data.get(TIMESTAMP_FIELD, ""),
        }
        if self.is_bound:
            # Shown again (refused): the text stays, the honeypot empties, the clock restarts.
            self.data = self.data.copy()
            self.data[TIMESTAMP_FIELD] = form_started_token()
            self.data[HONEYPOT_FIELD] = ""

    def guard_values(self) -> dict:
        """What was submitted in the guard fields, for courses.community.spam."""
        return dict(self._submitted)

    @property
    def honeypot(self):
        return self[HONEYPOT_FIELD]

    @property
    def started(self):
        return self[TIMESTAMP_FIELD]


class CommentForm(GuardedForm):
    name = forms.CharField(label="Name", max_length=80, help_text="Shown with your comment.")
    email = forms.EmailField(label="Email", help_text="Never shown; only for the moderator.")
    body = forms.CharField(
        label="Comment",
        max_length=settings.COMMUNITY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Plain text or simple Markdown: *emphasis*, **bold**, [links](https://…), lists.",
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and user.is_authenticated:
            # Signed in: name and e-mail come from the account.
            del self.fields["name"]
            del self.fields["email"]


class QuestionForm(GuardedForm):
    body = forms.CharField(
        label="Your question",
        max_length=settings.COMMUNITY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    at_s = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=0)
    at_current_time = forms.BooleanField(
        required=False, label="About the moment I'm at in the video", initial=True
    )


class ReplyForm(GuardedForm):
    body = forms.CharField(
        label="Your reply",
        max_length=settings.COMMUNITY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
