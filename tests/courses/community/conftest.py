"""Community fixtures: a published article of the course, and guard fields that pass."""

import time

import pytest
from django.core.cache import cache

from courses.articles.services import article_save
from courses.community.spam import form_started_token
from courses.models import Article


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def article(course):
    return article_save(Article(
        slug="guide", title="A guide", summary="S", body="Body", course=course,
        status=Article.Status.PUBLISHED,
    ))  # fmt: skip


def started_long_ago() -> str:
    """A time-trap stamp from a minute ago: a person's pace."""
    return form_started_token(now=time.time() - 60)


@pytest.fixture
def guard() -> dict:
    return {"honeypot": "", "started_token": started_long_ago()}


@pytest.fixture
def form_fields() -> dict:
    """The hidden fields as a browser sends them after a minute of typing."""
    return {"website": "", "form_started": started_long_ago()}
