"""The curriculum: a course, its lessons with their videos, techniques and captions."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from media_pipeline.models import Video


class Course(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    tagline = models.CharField(max_length=300, blank=True)
    description = models.TextField(
        blank=True, help_text="What the course is. Blank lines separate paragraphs."
    )
    who_it_helps = models.TextField(blank=True)
    is_published = models.BooleanField(default=True)
    requires_access_code = models.BooleanField(default=False)
    access_code = models.CharField(
        max_length=64, blank=True, help_text="Learners type this to enroll when it is required."
    )
    # Integer minor units (14900 is 149.00 USD); empty: free to enroll.
    price_minor = models.PositiveIntegerField(
        "price",
        null=True,
        blank=True,
        help_text="In cents (or the currency's minor unit): 14900 is 149.00. Empty: free.",
    )
    currency = models.CharField(
        max_length=3,
        default="USD",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code, e.g. USD.")],
    )
    # Continuing-education details printed on certificates of completion (all optional).
    ce_hours = models.DecimalField(
        "CE hours", max_digits=5, decimal_places=1, null=True, blank=True,
        help_text="Continuing-education hours a completion is worth, e.g. 24.0.",
    )  # fmt: skip
    ce_provider = models.CharField(
        "CE approval", max_length=200, blank=True,
        help_text="Approving body and provider number, e.g. NCBTMB Approved Provider #123456.",
    )  # fmt: skip
    instructor_name = models.CharField(max_length=120, blank=True)
    downloads_allowed = models.BooleanField(
        default=False, help_text="Enrolled learners may download lesson videos to watch offline."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_free(self) -> bool:
        return not self.price_minor

    def _stored_requires_access_code(self) -> bool:
        if self.pk is None:
            return False
        stored = Course.objects.filter(pk=self.pk).values_list("requires_access_code", flat=True)
        return bool(stored.first())

    def clean(self) -> None:
        if self.requires_access_code and not self._stored_requires_access_code():
            # One shared code per course cannot be withdrawn from one person and can be
            # guessed by trying; courses that had one keep it, new ones use single-use codes.
            raise ValidationError(
                {"requires_access_code": "Shared access codes are legacy: generate single-use "
                 "codes in the studio instead."}
            )  # fmt: skip
        if self.requires_access_code and not self.access_code:
            raise ValidationError(
                {"access_code": "Set an access code or untick 'requires access code'."}
            )


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    number = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(999)]
    )
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    is_preview = models.BooleanField(
        default=False, help_text="Free preview: playable without enrolling."
    )
    video = models.OneToOneField(
        Video, null=True, blank=True, on_delete=models.SET_NULL, related_name="lesson"
    )
    downloads = models.BooleanField(
        null=True, blank=True,
        help_text="Downloading this lesson: empty follows the course; yes or no overrides it.",
    )  # fmt: skip

    class Meta:
        ordering = ["course", "number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="lesson_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


def lesson_duration_s(lesson: Lesson) -> float | None:
    """The duration of the version learners are served, or None before one is playable."""
    video = lesson.video
    if video is None or video.current_version is None:
        return None
    return video.current_version.duration_s


class Technique(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="techniques")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="techniques")
    number = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(999)]
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    cautions = models.TextField(blank=True, help_text="Contraindications and cautions.")
    start_s = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    end_s = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["course", "number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="technique_unique_number"),
            models.CheckConstraint(
                condition=models.Q(start_s__isnull=True)
                | models.Q(end_s__isnull=True)
                | models.Q(start_s__lt=models.F("end_s")),
                name="technique_start_before_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"

    def clean(self) -> None:
        errors = {}
        if self.lesson_id and self.course_id and self.lesson.course_id != self.course_id:
            errors["lesson"] = "The lesson belongs to another course."
        if (self.start_s is None) != (self.end_s is None):
            errors["end_s"] = "Set both start and end, or neither."
        elif self.start_s is not None and self.start_s >= self.end_s:
            errors["end_s"] = "The end must come after the start."
        elif self.end_s is not None and self.lesson_id:
            duration = lesson_duration_s(self.lesson)
            if duration is not None and self.end_s > duration + 0.5:
                errors["end_s"] = f"The end is past the end of the lesson video ({duration:.1f} s)."
        if errors:
            raise ValidationError(errors)


def validate_webvtt(value: str) -> None:
    # Browsers silently drop a <track> whose file lacks the signature, so catch it at save time.
    if not value.lstrip("\ufeff").startswith("WEBVTT"):
        raise ValidationError('A WebVTT file starts with the line "WEBVTT".')


class LessonCaption(models.Model):
    """Subtitles for a lesson video, in one language, pasted in as WebVTT."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="captions")
    language = models.CharField(
        max_length=16,
        validators=[
            RegexValidator(
                r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
                "Use a language code such as en, de or pt-BR.",
            )
        ],
        help_text="Language code, e.g. en, de or pt-BR (it is part of the captions URL).",
    )
    label = models.CharField(max_length=64, help_text='Shown in the player, e.g. "English".')
    vtt = models.TextField("WebVTT", validators=[validate_webvtt])

    class Meta:
        ordering = ["lesson", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["lesson", "language"], name="lessoncaption_unique_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.language})"
