"""Anonymous visitors' public pages from the shared cache: what an article shared widely
needs (the catalog, course pages, preview lessons, the articles list and each article).

Only GET requests of visitors who are not signed in and have no messages waiting, only
200 answers, only known query parameters. Signed-in visitors always get a fresh page with
their own parts. Two things in a page are per visitor and are put in on the way out: the
CSRF token (this visitor's, so forms keep working) and the comment form's time-trap stamp
(fresh, so a cached page cannot be used to skip it).

Invalidation is one generation number in the cache: anything a public page shows that
changes (an article, an approved comment, the curriculum, a price, a video becoming ready)
bumps it, and every cached page of older generations is simply never read again (they
expire with PUBLIC_PAGE_CACHE_S).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache as _shared_cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

from courses.community.spam import form_started_token
from courses.forgiving_cache import ForgivingCache
from courses.models import (
    Article,
    Comment,
    Course,
    Lesson,
    LessonCaption,
    LessonQuestion,
    QuestionReply,
    Technique,
)
from media_pipeline.models import Video, VideoVersion

# With Redis down, pages are rendered as if nothing were cached (and nothing is stored).
cache = ForgivingCache(_shared_cache)
GENERATION_KEY = "pagecache:generation"
CACHEABLE_PARAMS = {"page"}
CSRF_PLACEHOLDER = b"__CSRF_TOKEN_PLACEHOLDER__"
STARTED_PLACEHOLDER = b"__FORM_STARTED_PLACEHOLDER__"
_STARTED = re.compile(rb'(name="form_started" value=")[^"]*(")')
_MARKERS = re.compile(b"(" + CSRF_PLACEHOLDER + b"|" + STARTED_PLACEHOLDER + b")")
# A process re-reads the generation from Redis at most this often: one round trip saved
# per page, and another process's change shows within this delay (its own, at once).
GENERATION_REFRESH_S = 1.0
_generation_seen: tuple[int, float] | None = None


def _generation() -> int:
    global _generation_seen
    now = time.monotonic()
    if _generation_seen is None or now - _generation_seen[1] > GENERATION_REFRESH_S:
        _generation_seen = (cache.get(GENERATION_KEY) or 0, now)
    return _generation_seen[0]


def public_pages_changed() -> None:
    """Forget every cached public page (at the next request)."""
    global _generation_seen
    _generation_seen = None
    if not cache.add(GENERATION_KEY, 1, timeout=None):
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # expired or evicted meanwhile
            cache.add(GENERATION_KEY, 1, timeout=None)


def _cacheable(request: HttpRequest) -> bool:
    return (
        settings.PUBLIC_PAGE_CACHE_S > 0
        and request.method == "GET"
        and set(request.GET) <= CACHEABLE_PARAMS
        and "messages" not in request.COOKIES
        and not request.user.is_authenticated
    )


def _template(content: bytes) -> list[bytes]:
    """The page split around its per-visitor parts (odd items are the placeholders)."""
    content = _STARTED.sub(rb"\g<1>" + STARTED_PLACEHOLDER + rb"\g<2>", content)
    return _MARKERS.split(content)


def _personalize(parts: list[bytes], request: HttpRequest) -> bytes:
    if len(parts) == 1:
        return parts[0]
    values = {}
    out = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            out.append(part)
            continue
        if part not in values:  # one token per page: every form on it shares it
            values[part] = (
                get_token(request) if part == CSRF_PLACEHOLDER else form_started_token()
            ).encode()
        out.append(values[part])
    return b"".join(out)


def csrf_context(request: HttpRequest) -> dict:
    """Context processor (after Django's own): a page rendered for the cache carries a
    placeholder where the CSRF token goes; every copy served gets the visitor's own."""
    if getattr(request, "_pagecache_rendering", False):
        return {"csrf_token": CSRF_PLACEHOLDER.decode()}
    return {}


def anonymous_page_cache(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        key = f"pagecache:{_generation()}:{request.get_full_path()}"
        stored = cache.get(key)
        if stored is None:
            request._pagecache_rendering = True
            response = view(request, *args, **kwargs)
            request._pagecache_rendering = False
            if response.status_code != 200 or response.streaming:
                return _personalized(response, request)
            stored = (response["Content-Type"], _template(response.content))
            cache.set(key, stored, settings.PUBLIC_PAGE_CACHE_S)
        content_type, parts = stored
        response = HttpResponse(_personalize(parts, request), content_type=content_type)
        response["Vary"] = "Cookie"
        return response

    return wrapper


def _personalized(response: HttpResponse, request: HttpRequest) -> HttpResponse:
    """A page rendered for the cache that is not kept (not a 200): filled in all the same."""
    if not response.streaming:
        response.content = _personalize(_template(response.content), request)
    return response


def _changed(sender, **kwargs) -> None:
    public_pages_changed()


SHOWN_MODELS = (Article, Comment, Course, Lesson, LessonCaption, LessonQuestion, QuestionReply,
                Technique, Video, VideoVersion)  # fmt: skip


def signals_connect() -> None:
    """What public pages show: bump the generation whenever one of these is saved or deleted.
    (QuerySet.update() sends no signal: services that use it call public_pages_changed.)"""
    for model in SHOWN_MODELS:
        post_save.connect(_changed, sender=model, dispatch_uid=f"pagecache-save-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"pagecache-del-{model.__name__}")
    m2m_changed.connect(
        _changed, sender=Article.related_techniques.through, dispatch_uid="pagecache-techniques"
    )
