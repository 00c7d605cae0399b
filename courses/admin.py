from django import forms
from django.contrib import admin
from django.db.models import Count

from courses.models import Course, Enrollment, Lesson, LessonCaption, Technique, lesson_duration_s
from media_pipeline.formatting import duration_label


class LessonInline(admin.TabularInline):
    model = Lesson
    fields = ("number", "title", "is_preview")
    extra = 0
    show_change_link = True
    ordering = ("number",)


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "is_published", "requires_access_code", "lesson_count")
    list_filter = ("is_published", "requires_access_code")
    search_fields = ("title", "slug", "tagline")
    prepopulated_fields = {"slug": ("title",)}
    inlines = [LessonInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(lesson_count=Count("lessons"))

    @admin.display(description="Lessons", ordering="lesson_count")
    def lesson_count(self, obj: Course) -> int:
        return obj.lesson_count


class TechniqueInlineForm(forms.ModelForm):
    class Meta:
        model = Technique
        fields = ("number", "name", "start_s", "end_s")

    def clean(self):
        cleaned = super().clean()
        number = cleaned.get("number")
        # The inline has no course field, so Django skips the (course, number)
        # constraint check; do it here rather than fail with an IntegrityError.
        if number is not None and self.instance.course_id:
            clash = Technique.objects.filter(course_id=self.instance.course_id, number=number)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("number", f"Technique {number} already exists in this course.")
        return cleaned


class TechniqueInlineFormSet(forms.BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        # A technique belongs to its lesson's course; set it before validation
        # so Technique.clean() can check times against this lesson.
        form.instance.course_id = self.instance.course_id
        return form

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            number = form.cleaned_data.get("number")
            if number in seen:
                form.add_error("number", f"Technique {number} appears twice.")
            seen.add(number)


class TechniqueInline(admin.TabularInline):
    model = Technique
    fk_name = "lesson"
    form = TechniqueInlineForm
    formset = TechniqueInlineFormSet
    fields = ("number", "name", "start_s", "end_s")
    extra = 0
    ordering = ("number",)
    show_change_link = True


class LessonCaptionInline(admin.StackedInline):
    model = LessonCaption
    fields = ("language", "label", "vtt")
    extra = 0


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "course", "is_preview", "duration", "has_video")
    list_display_links = ("number", "title")
    list_filter = ("course", "is_preview")
    list_select_related = ("course", "video__current_version")
    search_fields = ("title", "summary")
    ordering = ("course__title", "number")
    raw_id_fields = ("video",)
    inlines = [TechniqueInline, LessonCaptionInline]

    @admin.display(description="Duration")
    def duration(self, obj: Lesson) -> str:
        return duration_label(lesson_duration_s(obj), missing="—")

    @admin.display(description="Video", boolean=True)
    def has_video(self, obj: Lesson) -> bool:
        return obj.video_id is not None


@admin.register(Technique)
class TechniqueAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "lesson", "start_s", "end_s")
    list_display_links = ("number", "name")
    list_editable = ("start_s", "end_s")
    list_filter = ("course", "lesson")
    # Technique.clean() reads the lesson's video duration for each edited row.
    list_select_related = ("lesson__video__current_version", "course")
    search_fields = ("name", "description", "cautions")
    ordering = ("course__title", "number")


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("user", "course", "source", "created_at")
    list_filter = ("course", "source")
    list_select_related = ("user", "course")
    search_fields = ("user__username", "user__email")
    autocomplete_fields = ("user",)
    date_hierarchy = "created_at"


# Each domain registers its own models: articles, certificates, community, commerce.
from courses.articles import admin as articles_admin  # noqa: E402,F401
from courses.certificates import admin as certificates_admin  # noqa: E402,F401
from courses.commerce import admin as commerce_admin  # noqa: E402,F401
from courses.community import admin as community_admin  # noqa: E402,F401
