"""/articles/ (newest first, paginated), /articles/<slug>/ (with comments), the cover image."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET

from courses import access
from courses.articles.selectors import article_get, articles_published
from courses.community.forms import CommentForm
from courses.community.selectors import article_comments
from courses.models import Article
from courses.pagecache import anonymous_page_cache

PAGE_SIZE = 10


@require_GET
@anonymous_page_cache
def article_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(articles_published(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "articles/list.html", {"page": page, "articles": page.object_list})


def _article(request: HttpRequest, slug: str) -> Article:
    try:
        # Staff see drafts: the admin's "View on site" is the preview before publishing.
        return article_get(slug=slug, include_drafts=access.can_moderate(request.user))
    except Article.DoesNotExist:
        raise Http404("No such article.") from None


def _reply_initial(request: HttpRequest) -> dict:
    """?reply=ID (the Reply link without JavaScript) opens the form as a reply."""
    reply = request.GET.get("reply", "")
    return {"parent": int(reply)} if reply.isdigit() else {}


def article_detail_render(
    request: HttpRequest, article: Article, form: CommentForm | None = None, status: int = 200,
    form_error: str = "",
) -> HttpResponse:  # fmt: skip
    context = {
        "article": article,
        "techniques": sorted(article.related_techniques.all(), key=lambda t: t.number),
        "comments": article_comments(article=article),
        "form": form or CommentForm(user=request.user, initial=_reply_initial(request)),
        "form_error": form_error,
        "is_draft": article.status != Article.Status.PUBLISHED,
        "canonical_url": request.build_absolute_uri(article.get_absolute_url()),
        "cover_url": (
            request.build_absolute_uri(f"{article.get_absolute_url()}cover")
            if article.cover_image
            else ""
        ),  # fmt: skip
    }
    return render(request, "articles/detail.html", context, status=status)


@require_GET
@anonymous_page_cache
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return article_detail_render(request, _article(request, slug))


@require_GET
def article_cover(request: HttpRequest, slug: str) -> HttpResponse:
    """The cover image: a redirect to a short-lived signed URL of the private bucket, so that
    it works in <img> and for link previews (Open Graph) without the bucket being public."""
    article = _article(request, slug)
    if not article.cover_image:
        raise Http404("No cover image.")
    url = default_storage.url(article.cover_image.name, expire=settings.ARTICLE_COVER_URL_TTL_S)
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = f"public, max-age={settings.ARTICLE_COVER_URL_TTL_S // 2}"
    return response
