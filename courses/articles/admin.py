"""Authoring articles in the admin: the body is checked and rendered on save ("View on site"
previews a draft, for staff only, before it is published)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from courses.articles.services import article_body_render, article_save
from courses.models import Article


class ArticleForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = [
            "title", "slug", "summary", "body", "cover_image", "cover_alt", "status",
            "published_at", "meta_description", "course", "related_techniques", "allow_comments",
        ]  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        # Render now, so that a bad embed (a paid lesson) is an error at the body field.
        candidate = Article(body=cleaned.get("body", ""), course=cleaned.get("course"))
        try:
            article_body_render(candidate)
        except ValidationError as error:
            self.add_error("body", error.message_dict.get("body", error.messages))
        return cleaned


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleForm
    list_display = ("title", "status", "published_at", "course", "updated_at")
    list_filter = ("status", "course")
    search_fields = ("title", "summary", "body")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("related_techniques",)
    date_hierarchy = "published_at"

    def save_model(self, request, obj, form, change):
        if obj.author_id is None:
            obj.author = request.user
        article_save(obj)
