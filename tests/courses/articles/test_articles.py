"""Articles: Markdown made safe, preview embeds only, pages, sitemap and feed."""

import xml.etree.ElementTree as ET

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from courses.articles.embeds import EmbedError, body_split, time_to_seconds
from courses.articles.services import article_save
from courses.models import Article, Lesson
from courses.models.articles import validate_cover_image
from tests.conftest import http_body
from tests.courses.inert_html import XSS_PAYLOADS, html_problems
from tests.factories import InstructorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(course):
    return article_save(
        Article(
            slug="a",
            title="A guide",
            summary="S",
            body="Intro\n\n[[preview lesson=1 start=5 end=0:20]]\n",
            course=course,
            status=Article.Status.PUBLISHED,
        )
    )


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_an_article_body_comes_out_inert(course, payload):
    saved = article_save(Article(slug="x", title="X", summary="S", body=payload, course=course))
    assert not html_problems(saved.body_html), saved.body_html


def test_links_get_nofollow_ugc_noopener(course):
    saved = article_save(Article(slug="x", title="X", summary="S", body="[a](https://e.org)"))
    assert 'rel="nofollow ugc noopener"' in saved.body_html


def test_only_preview_lessons_can_be_embedded(course):
    paid = Lesson.objects.get(course=course, number=5)
    assert not paid.is_preview
    article = Article(
        slug="x", title="X", summary="S", course=course, body="Text\n[[preview lesson=5]]\n"
    )
    with pytest.raises(ValidationError, match="not a free preview"):
        article_save(article)
    assert not Article.objects.filter(slug="x").exists()
    with pytest.raises(ValidationError, match="no lesson 99"):
        article_save(
            Article(slug="y", title="Y", summary="S", course=course, body="[[preview lesson=99]]")
        )
    with pytest.raises(ValidationError, match="course"):
        article_save(Article(slug="z", title="Z", summary="S", body="[[preview lesson=1]]"))


def test_the_admin_shows_a_paid_embed_as_an_error_at_the_body(client, course):
    client.force_login(InstructorFactory(is_superuser=True))
    response = client.post(
        reverse("admin:courses_article_add"),
        {
            "title": "T",
            "slug": "t",
            "summary": "S",
            "body": "[[preview lesson=6]]",
            "status": "published",
            "course": course.pk,
            "allow_comments": "on",
        },
    )
    assert response.status_code == 200
    assert "not a free preview" in response.content.decode()
    assert not Article.objects.filter(slug="t").exists()


def test_embed_renders_the_preview_player_trigger(article):
    lesson = Lesson.objects.get(course=article.course, number=1)
    html = article.body_html
    assert f'data-playback-url="/api/lessons/{lesson.pk}/playback"' in html
    assert 'data-start="5.0"' in html and 'data-end="20.0"' in html and "data-preview-play" in html


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("[[preview]]", "lesson"),
        ("[[preview lesson=x]]", "lesson"),
        ("[[preview lesson=1 at=3]]", "unknown"),
        ("[[preview lesson=1 start=1:xx]]", "not a time"),
        ("[[preview lesson=1 start=30 end=10]]", "after"),
    ],
)
def test_malformed_embeds_name_the_line(line, problem):
    with pytest.raises(EmbedError, match=problem) as error:
        body_split(f"one\ntwo\n{line}")
    assert "line 3" in str(error.value)


def test_times():
    assert [time_to_seconds(t) for t in ("90", "1:30", "1:02:03", "2.5")] == [90, 90, 3723, 2.5]


def test_pages_list_and_show_published_articles_only(client, article, course):
    draft = article_save(Article(slug="draft", title="Draft one", summary="S", body="x"))
    html = client.get(reverse("articles:article_list")).content.decode()
    assert article.get_absolute_url() in html and "Draft one" not in html
    assert 'type="application/atom+xml"' in html
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(InstructorFactory())
    preview = client.get(draft.get_absolute_url())
    assert preview.status_code == 200 and "Draft preview" in preview.content.decode()
    page = client.get(reverse("courses:course_detail", args=[course.slug])).content.decode()
    assert article.get_absolute_url() in page  # the course page lists related articles


def test_article_page_has_open_graph_and_the_course_call_to_action(client, article):
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<meta property="og:title" content="A guide">' in html
    assert 'name="description"' in html and 'rel="canonical"' in html
    assert reverse("courses:course_detail", args=[article.course.slug]) in html


def test_articles_list_is_paginated_newest_first(client, course):
    now = timezone.now()
    for n in range(12):
        Article.objects.create(
            slug=f"a{n}",
            title=f"Article {n}",
            summary="S",
            body="b",
            body_html="<p>b</p>",
            status="published",
            published_at=now - timezone.timedelta(days=n),
        )
    first = client.get(reverse("articles:article_list")).content.decode()
    assert first.index("Article 0") < first.index("Article 1") and "Article 11" not in first
    second = client.get(reverse("articles:article_list"), {"page": 2}).content.decode()
    assert "Article 11" in second


def test_sitemap_and_feed_parse_and_list_published_pages_only(client, article, course):
    article_save(Article(slug="secret-draft", title="Draft", summary="S", body="x"))
    sitemap = ET.fromstring(client.get("/sitemap.xml").content)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [loc.text for loc in sitemap.findall("s:url/s:loc", ns)]
    assert any(loc.endswith(article.get_absolute_url()) for loc in locations)
    assert any(loc.endswith(f"/courses/{course.slug}/") for loc in locations)
    assert any(loc.endswith(f"/courses/{course.slug}/techniques/") for loc in locations)
    previews = [f"/courses/{course.slug}/lessons/{n}/" for n in (1, 2)]
    assert all(any(loc.endswith(p) for loc in locations) for p in previews)
    assert not any("/lessons/5/" in loc or "secret-draft" in loc for loc in locations)
    feed = ET.fromstring(client.get(reverse("articles:article_feed")).content)
    atom = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.text for e in feed.findall("a:entry/a:title", atom)]
    assert titles == ["A guide"]


def test_the_shipped_spinal_stenosis_article(client, course):
    call_command("load_articles")
    call_command("load_articles")  # idempotent
    article = Article.objects.get(slug="spinal-stenosis-and-gentle-craniosacral-work")
    assert article.status == "published" and Article.objects.count() == 1
    html = client.get(article.get_absolute_url()).content.decode()
    assert "spinal stenosis" in html.lower() and "data-preview-play" in html
    assert f'href="/courses/{course.slug}/lessons/7/"' in html  # the lesson on spine disorders
    names = set(article.related_techniques.values_list("name", flat=True))
    assert {"Sacral Release", "Lumbosacral Decompression", "Dural Tube Traction and Rock"} <= names
    assert "Cautions" in html


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_the_cover_image_lives_in_the_object_store_behind_a_signed_redirect(
    client, article, seaweedfs
):
    article.cover_image.save("cover.png", ContentFile(PNG), save=True)
    article.cover_alt = "Hands cradling the base of the skull"
    article.save()
    html = client.get(article.get_absolute_url()).content.decode()
    assert 'property="og:image"' in html and 'alt="Hands cradling the base of the skull"' in html
    response = client.get(reverse("articles:article_cover", args=[article.slug]))
    assert response.status_code == 302 and "Signature" in response.url
    assert http_body(response.url) == PNG


@pytest.mark.parametrize(
    ("name", "data"), [("x.png", b"<script>alert(1)</script>"), ("x.jpg", b"GIF89a")]
)
def test_a_cover_that_is_not_an_image_is_refused(name, data):
    with pytest.raises(ValidationError, match="JPEG, PNG or WebP"):
        validate_cover_image(SimpleUploadedFile(name, data))
    validate_cover_image(SimpleUploadedFile("ok.png", PNG))
