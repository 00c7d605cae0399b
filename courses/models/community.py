"""The public's voice: comments under articles, learners' questions under lessons, and who
asked not to get e-mail. Bodies are Markdown (the comment subset), rendered once on save."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from courses.models.articles import Article
from courses.models.catalog import Lesson


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting moderation"
        APPROVED = "approved", "Approved"
        SPAM = "spam", "Spam"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="comments")
    # Replies are one level deep: a reply's parent is always a top-level comment.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="comments",
    )  # fmt: skip
    author_name = models.CharField(max_length=80)
    author_email = models.EmailField(help_text="Never shown.")
    body = models.TextField(max_length=5000)
    body_html = models.TextField(editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    by_instructor = models.BooleanField(default=False, editable=False)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    # Set when the moderation digest mentioned it: one digest per new item, never two.
    digested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["article", "status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="comment_not_own_parent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.author_name} on {self.article}"


class LessonQuestion(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="questions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_questions"
    )
    body = models.TextField(max_length=5000)
    body_html = models.TextField(editable=False)
    at_s = models.FloatField(null=True, blank=True, help_text="Playback time it is about.")
    answered_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    digested_at = models.DateTimeField(null=True, blank=True)
    followers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="followed_questions"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Question on {self.lesson} by {self.user}"


class QuestionReply(models.Model):
    question = models.ForeignKey(LessonQuestion, on_delete=models.CASCADE, related_name="replies")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(max_length=5000)
    body_html = models.TextField(editable=False)
    by_instructor = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Reply to {self.question_id} by {self.user}"


class EmailOptOut(models.Model):
    """An address that followed a signed unsubscribe link for one kind of mail."""

    class Kind(models.TextChoices):
        ANSWERS = "answers", "Answers to questions I ask or follow"
        DIGEST = "digest", "Moderation digest (staff)"
        REMINDERS = "reminders", "Weekly study and practice reminders"

    email = models.EmailField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["email", "kind"], name="email_opt_out_unique")
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.kind})"
