"""Anonymous public pages from the cache: fresh CSRF and time-trap per visitor, invalidated
by what they show, never for signed-in visitors or a page with a message."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from courses.articles.services import article_save
from courses.community.services.comments import comment_post, comments_moderate
from courses.models import Article, Comment
from tests.courses.community.conftest import started_long_ago
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PUBLIC_PAGE_CACHE_S = 600
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def article(course):
    return article_save(
        Article(
            slug="guide",
            title="A guide",
            summary="S",
            body="Body text",
            course=course,
            status="published",
        )
    )


def test_a_second_anonymous_visit_is_served_without_queries(
    client, article, django_assert_num_queries
):
    url = article.get_absolute_url()
    assert client.get(url).status_code == 200
    with django_assert_num_queries(0):
        assert "Body text" in client.get(url).content.decode()


def test_each_visitor_gets_their_own_csrf_token_and_a_fresh_time_trap(article):
    url = article.get_absolute_url()
    pages = []
    for _ in range(2):
        visitor = Client(enforce_csrf_checks=True)
        html = visitor.get(url).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        started = re.search(r'name="form_started" value="([^"]+)"', html).group(1)
        assert "PLACEHOLDER" not in html
        pages.append((visitor, token, started))
    assert pages[0][1] != pages[1][1] and pages[0][2] != pages[1][2]
    for visitor, token, _ in pages:
        response = visitor.post(
            reverse("articles:comment_create", args=[article.slug]),
            {
                "csrfmiddlewaretoken": token,
                "name": "N",
                "email": "n@e.org",
                "body": "hello",
                "website": "",
                "form_started": started_long_ago(),
            },
        )
        assert response.status_code == 302  # the visitor's own token passed the CSRF check
    assert Comment.objects.count() == 2


def test_an_approved_comment_and_an_edited_article_show_at_once(client, article):
    url = article.get_absolute_url()
    client.get(url)
    comment = comment_post(
        article=article,
        user=UserFactory(),
        name="",
        email="",
        body="Kind words",
        parent_id=None,
        ip="1.1.1.1",
        honeypot="",
        started_token=started_long_ago(),
    )
    assert "Kind words" not in client.get(url).content.decode()  # pending: not shown
    comments_moderate(comment_ids=[comment.pk], action="approve")
    assert "Kind words" in client.get(url).content.decode()
    article.body = "New body"
    article_save(article)
    assert "New body" in client.get(url).content.decode()


def test_a_price_change_shows_on_the_catalog_and_course_page(client, course):
    client.get("/"), client.get(reverse("courses:course_detail", args=[course.slug]))
    course.price_minor = 9900
    course.save(update_fields=["price_minor"])
    assert "$99.00" in client.get("/").content.decode()
    assert (
        "$99.00"
        in client.get(reverse("courses:course_detail", args=[course.slug])).content.decode()
    )


def test_signed_in_visitors_get_their_own_page(client, article):
    client.get(article.get_absolute_url())
    client.force_login(UserFactory(username="rosa"))
    assert "rosa" in client.get(article.get_absolute_url()).content.decode()


def test_a_page_with_a_message_is_not_from_the_cache(client, article):
    url = article.get_absolute_url()
    client.get(url)
    client.post(
        reverse("articles:comment_create", args=[article.slug]),
        {
            "name": "N",
            "email": "n@e.org",
            "body": "hi",
            "website": "",
            "form_started": started_long_ago(),
        },
    )
    assert "awaits moderation" in client.get(url).content.decode()
    assert "awaits moderation" not in Client().get(url).content.decode()


def test_unknown_query_strings_and_locked_pages_are_not_cached(
    client, course, django_assert_max_num_queries
):
    url = reverse("courses:lesson_detail", args=[course.slug, 5])
    assert client.get(url).status_code == 403
    with django_assert_max_num_queries(50) as queries:
        client.get(url)
    assert len(queries.captured_queries) > 0
    tracked = reverse("courses:course_detail", args=[course.slug]) + "?utm_source=x"
    client.get(tracked)
    with django_assert_max_num_queries(50) as queries:
        client.get(tracked)
    assert len(queries.captured_queries) > 0  # rendered each time: not a cache key per URL
