"""Articles: guides to conditions that bring the public to the course, with preview clips."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from courses.models.catalog import Course, Technique

COVER_MAX_BYTES = 5 * 1024 * 1024
COVER_SIGNATURES = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG", b"RIFF": "WebP"}


def validate_cover_image(file) -> None:
    """A JPEG, PNG or WebP image of at most 5 MB, judged by its bytes, not its name."""
    if file.size > COVER_MAX_BYTES:
        raise ValidationError(f"The image is {file.size // 1024} KB; the limit is 5 MB.")
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    webp = head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    if not (webp or any(head.startswith(sig) for sig in COVER_SIGNATURES if sig != b"RIFF")):
        raise ValidationError("Upload a JPEG, PNG or WebP image.")


class ArticleQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=timezone.now())


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, unique=True)
    summary = models.TextField(
        max_length=600, help_text="One or two sentences for lists and feeds."
    )
    body = models.TextField(
        help_text="Markdown. Headings start at ##. A line [[preview lesson=2 start=1:30 end=2:45]]"
        " embeds a preview lesson's player (start and end optional)."
    )
    # Rendered from `body` on save (courses.articles.services): pages never render Markdown.
    body_html = models.TextField(blank=True, editable=False)
    cover_image = models.FileField(
        upload_to="articles/covers/", blank=True, validators=[validate_cover_image],
        help_text="JPEG, PNG or WebP, at most 5 MB; also the link preview image.",
    )  # fmt: skip
    cover_alt = models.CharField("cover image description", max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    meta_description = models.CharField(
        max_length=300,
        blank=True,
        help_text="For search engines and link previews; else the summary.",
    )
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles",
        help_text="The course the article's call to action points to.",
    )  # fmt: skip
    related_techniques = models.ManyToManyField(Technique, blank=True, related_name="articles")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    allow_comments = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("articles:article_detail", args=[self.slug])

    @property
    def description(self) -> str:
        return self.meta_description or self.summary
