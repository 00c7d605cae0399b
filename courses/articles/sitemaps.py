"""sitemap.xml: the catalog, courses, preview lessons, technique indexes and articles."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from courses.articles.selectors import articles_published
from courses.models import Course, Lesson


class CatalogSitemap(Sitemap):
    def items(self):
        return ["courses:catalog", "articles:article_list"]

    def location(self, item):
        return reverse(item)


class CourseSitemap(Sitemap):
    def items(self):
        return Course.objects.filter(is_published=True).order_by("slug")

    def location(self, item):
        return reverse("courses:course_detail", args=[item.slug])

    def lastmod(self, item):
        return item.updated_at


class TechniqueIndexSitemap(CourseSitemap):
    def location(self, item):
        return reverse("courses:technique_index", args=[item.slug])


class PreviewLessonSitemap(Sitemap):
    """Only preview lessons: paid ones are locked pages, not content for search engines."""

    def items(self):
        return (
            Lesson.objects.filter(is_preview=True, course__is_published=True)
            .select_related("course").order_by("course__slug", "number")
        )  # fmt: skip

    def location(self, item):
        return reverse("courses:lesson_detail", args=[item.course.slug, item.number])


class ArticleSitemap(Sitemap):
    def items(self):
        return articles_published()

    def lastmod(self, item):
        return item.updated_at


SITEMAPS = {
    "pages": CatalogSitemap,
    "courses": CourseSitemap,
    "techniques": TechniqueIndexSitemap,
    "lessons": PreviewLessonSitemap,
    "articles": ArticleSitemap,
}
