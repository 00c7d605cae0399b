"""Writing articles: the body rendered once to safe HTML (with its preview players), checked
so that only preview lessons can be embedded, and the shipped articles loaded from files."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from courses.articles.embeds import Embed, EmbedError, body_split
from courses.markup import ARTICLE, markdown_html
from courses.models import Article, Course, Lesson, Technique


def _embed_lessons(article: Article, embeds: list[Embed]) -> dict[int, Lesson]:
    """The lessons the embeds name; ValidationError unless each is a preview of the course."""
    if not embeds:
        return {}
    if article.course_id is None:
        raise ValidationError({"body": "Choose the article's course to embed its preview lessons."})
    numbers = {embed.lesson_number for embed in embeds}
    lessons = {
        lesson.number: lesson
        for lesson in Lesson.objects.filter(course_id=article.course_id, number__in=numbers)
    }
    problems = []
    for embed in embeds:
        lesson = lessons.get(embed.lesson_number)
        if lesson is None:
            problems.append(f"line {embed.line}: the course has no lesson {embed.lesson_number}")
        elif not lesson.is_preview:
            problems.append(
                f"line {embed.line}: lesson {lesson.number} is not a free preview; only preview"
                " lessons can be embedded (mark it as a preview first, or pick another)"
            )
    if problems:
        raise ValidationError({"body": problems})
    return lessons


def article_body_render(article: Article) -> str:
    """Safe HTML of the body, embeds as preview players; ValidationError says what is wrong."""
    try:
        parts = body_split(article.body)
    except EmbedError as error:
        raise ValidationError({"body": str(error)}) from None
    lessons = _embed_lessons(article, [part for part in parts if isinstance(part, Embed)])
    html = []
    for part in parts:
        if isinstance(part, Embed):
            lesson = lessons[part.lesson_number]
            html.append(render_to_string("articles/_embed.html", {
                "lesson": lesson,
                "course_slug": article.course.slug,
                "embed": part,
                "playback_url": reverse("api:lesson_playback", kwargs={"lesson_id": lesson.pk}),
            }).strip())  # fmt: skip
        else:
            html.append(markdown_html(part, level=ARTICLE))
    return "\n".join(filter(None, html))


def article_save(article: Article) -> Article:
    """Render, check and save (the admin's save, the loader's): a bad embed saves nothing."""
    article.body_html = article_body_render(article)
    if article.status == Article.Status.PUBLISHED and article.published_at is None:
        article.published_at = timezone.now()
    article.save()
    return article


FRONT_MATTER = re.compile(r"\A---\n(?P<meta>.*?)\n---\n(?P<body>.*)\Z", re.DOTALL)


@transaction.atomic
def article_load(*, path: Path) -> tuple[Article, bool]:
    """Create or update an article from Markdown with YAML front matter; (article, created).

    Front matter: slug, title, summary, meta_description, course (slug), techniques (numbers),
    published (true/false).
    """
    match = FRONT_MATTER.match(Path(path).read_text(encoding="utf-8"))
    if match is None:
        raise ValidationError(f"{path}: expected '---' front matter, then the Markdown body")
    meta = yaml.safe_load(match["meta"]) or {}
    course = Course.objects.filter(slug=meta.get("course")).first() if meta.get("course") else None
    article = Article.objects.filter(slug=meta["slug"]).first()
    created = article is None
    article = article or Article(slug=meta["slug"])
    article.title, article.summary = meta["title"], meta["summary"].strip()
    article.meta_description = (meta.get("meta_description") or "").strip()
    article.cover_alt = meta.get("cover_alt", "")
    article.course = course
    article.body = match["body"].strip() + "\n"
    if meta.get("published", True):
        article.status = Article.Status.PUBLISHED
    article_save(article)
    if course is not None:
        numbers = meta.get("techniques") or []
        article.related_techniques.set(Technique.objects.filter(course=course, number__in=numbers))
    return article, created
