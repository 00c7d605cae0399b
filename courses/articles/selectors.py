"""Read side of articles: published lists, one article (drafts for staff), related ones."""

from __future__ import annotations

from django.db.models import QuerySet

from courses.models import Article, Course


def articles_published() -> QuerySet[Article]:
    return Article.objects.published().select_related("course").order_by("-published_at")


def article_get(*, slug: str, include_drafts: bool = False) -> Article:
    """Article.DoesNotExist unless published (or a draft, for staff previewing it)."""
    articles = Article.objects.all() if include_drafts else Article.objects.published()
    return (
        articles.select_related("course")
        .prefetch_related("related_techniques__lesson")
        .get(slug=slug)
    )


def course_articles(*, course: Course, limit: int = 6) -> list[Article]:
    return list(articles_published().filter(course=course)[:limit])
