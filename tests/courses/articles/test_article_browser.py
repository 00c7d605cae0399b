"""The spinal stenosis article in a real headless Chromium: the visitor's story from the list
to the clip, a comment held for moderation, the instructor approving it in the studio inbox,
replies, a refused post that keeps the text, and axe-core on the community pages.

The shipped article and curriculum are loaded as `manage.py load_articles` does. Preview
lesson 2 (the one the article embeds) gets a tiny clip processed by the real pipeline once
per module; each test re-inserts the resulting rows (the files stay in SeaweedFS).

The comment form's time-trap refuses a post sent less than COMMUNITY_MIN_FORM_SECONDS after
the form was shown; the tests wait that long once, as a person typing would.
"""

import re
import time
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core import serializers
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from courses.catalog.services import curriculum_load
from courses.community.services.comments import comment_post, comments_moderate
from courses.community.services.questions import question_ask
from courses.community.spam import form_started_token
from courses.models import (
    Article,
    Comment,
    Course,
    Enrollment,
    Lesson,
    LessonQuestion,
    QuestionReply,
)
from media_pipeline.models import Rendition, Video, VideoVersion
from media_pipeline.processing.pipeline import version_process
from tests.axe import axe_report, axe_violations
from tests.browser_pages import new_page
from tests.factories import PASSWORD, InstructorFactory, UserFactory
from tests.media_pipeline.conftest import make_clip

pytestmark = pytest.mark.browser

CURRICULUM_PATH = Path(django_settings.BASE_DIR) / "courses" / "data" / "craniosacral-therapy.yaml"
SLUG = "spinal-stenosis-and-gentle-craniosacral-work"
ARTICLE = f"/articles/{SLUG}/"
COURSE_SLUG = "craniosacral-therapy"
EMBEDDED_LESSON, PAID_LESSON = 2, 3  # the article embeds lesson 2 from 0:00
TIMEOUT_MS = 30_000
VISITOR = {"name": "Rosa Ferreira", "email": "rosa.ferreira@example.org"}
AWAITS = "awaits moderation"
TOO_QUICK = "quicker than anyone can type"


# --- Fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def article_clip(tmp_path_factory) -> Path:
    return make_clip(
        tmp_path_factory.mktemp("article-clips") / "lesson.mp4",
        size="320x240",
        rate="24",
        duration=5,
    )


@pytest.fixture(scope="module")
def processed_rows() -> dict:
    return {}


@pytest.fixture
def clip_video(transactional_db, seaweedfs, upload_file, article_clip, processed_rows) -> Video:
    """A READY Video of the clip: processed for real the first time, then restored from rows."""
    if "json" not in processed_rows:
        version = upload_file(article_clip)
        assert version_process(version_id=version.pk) == VideoVersion.State.READY
        version.refresh_from_db()
        objects = [version.video, version, *Rendition.objects.filter(version=version)]
        processed_rows["json"] = serializers.serialize("json", objects)
        processed_rows["video_id"] = version.video_id
    else:
        with transaction.atomic():  # Video <-> current_version refer to each other
            for obj in serializers.deserialize("json", processed_rows["json"]):
                obj.save()
    return Video.objects.get(pk=processed_rows["video_id"])


POSTING_IPS = ("127.0.0.1", "::1", *(f"192.0.2.{n}" for n in range(10, 15)))


def _rate_limits_clear(user_ids=()) -> None:
    """Only this module's counters: the shared Redis holds other runs' keys too."""
    cache.delete_many(
        [f"ratelimit:post:ip:{ip}" for ip in POSTING_IPS]
        + [f"ratelimit:post:user:{pk}" for pk in user_ids]
    )


@pytest.fixture
def site(transactional_db, clip_video) -> dict:
    """The real course and the shipped article, the clip on the embedded preview lesson."""
    _rate_limits_clear()
    curriculum_load(path=CURRICULUM_PATH)
    call_command("load_articles", stdout=StringIO())
    course = Course.objects.get(slug=COURSE_SLUG)
    lesson = Lesson.objects.get(course=course, number=EMBEDDED_LESSON)
    assert lesson.is_preview
    lesson.video = clip_video
    lesson.save(update_fields=["video"])
    article = Article.objects.get(slug=SLUG)
    assert article.status == Article.Status.PUBLISHED
    yield {
        "course": course,
        "article": article,
        "lesson": lesson,
        "video": clip_video,
        "instructor": InstructorFactory(username="instructor", first_name="Maya"),
    }
    _rate_limits_clear(get_user_model().objects.values_list("pk", flat=True))


@pytest.fixture
def public_page_cache(settings):
    """Anonymous pages from the cache, as in production (the test settings turn it off),
    under a key prefix of this test's own: no other run's cached pages can be read, and
    everything it stored is removed afterwards."""
    import redis

    prefix = f"article-browser-{uuid.uuid4().hex}"
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "KEY_PREFIX": prefix},
    }  # (changing CACHES makes Django open new cache connections in every thread)
    settings.PUBLIC_PAGE_CACHE_S = 600
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])

    def cached_pages() -> list[str]:
        """The paths of the pages in the cache (of any generation)."""
        return sorted(
            key.decode().split(":pagecache:", 1)[1].split(":", 1)[1]
            for key in client.scan_iter(f"{prefix}:*:pagecache:*")
            if not key.endswith(b":generation")
        )

    yield cached_pages
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


# --- Helpers ----------------------------------------------------------------------------


def open_article(page, live_server) -> float:
    """Open the article; returns when its comment form was shown (for the time-trap)."""
    response = page.goto(live_server.url + ARTICLE)
    assert response.status == 200
    return time.monotonic()


def wait_like_a_person(shown_at: float) -> None:
    """Let the time-trap's minimum pass since the form was shown (plus a margin)."""
    remaining = django_settings.COMMUNITY_MIN_FORM_SECONDS + 0.3 - (time.monotonic() - shown_at)
    if remaining > 0:
        time.sleep(remaining)


def fill_comment(page, body: str) -> None:
    form = page.locator("#comment-form")
    form.locator('input[name="name"]').fill(VISITOR["name"])
    form.locator('input[name="email"]').fill(VISITOR["email"])
    form.locator('textarea[name="body"]').fill(body)


def post_comment(page):
    """Click "Post …" and wait for the page that comes back; returns its response."""
    button = page.locator("#comment-form").get_by_role("button", name=re.compile(r"^Post"))
    with page.expect_navigation() as navigation:
        button.click()
    return navigation.value


def comments_section(page):
    return page.locator("#comments")


def login_through_the_form(page, live_server, user) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def approved_comment(article: Article, *, name: str, body: str, user=None) -> Comment:
    """A comment as the form would post it a minute after opening the page, then approved
    (the instructor's own appear at once)."""
    comment = comment_post(
        article=article, user=user or AnonymousUser(), name=name,
        email=f"{name.lower()}@example.net", body=body, parent_id=None, ip="192.0.2.10",
        honeypot="", started_token=form_started_token(now=time.time() - 60),
    )  # fmt: skip
    if comment.status != Comment.Status.APPROVED:
        comments_moderate(comment_ids=[comment.pk], action="approve")
        comment.refresh_from_db()
    return comment


def player_time(page) -> float:
    return page.evaluate("() => window.coursePlayer.video.currentTime")


# --- 1. The story -------------------------------------------------------------------------


def test_visitor_plays_the_clip_comments_and_sees_it_after_the_instructor_approves(
    browser, live_server, site
):
    visitor = new_page(browser, live_server)
    visitor.goto(live_server.url + "/articles/")
    link = visitor.get_by_role("link", name=re.compile(r"^Spinal Stenosis"))
    with visitor.expect_navigation():
        link.click()
    shown_at = time.monotonic()
    assert visitor.url == live_server.url + ARTICLE

    # The clip: the dialog player, playing lesson 2 from the embed's start.
    play = visitor.locator("[data-preview-play]")
    assert play.count() == 1
    assert play.get_attribute("data-start") is not None
    visitor.evaluate(
        """() => {
            const video = document.querySelector('[data-preview-dialog] video');
            window.firstPlayingAt = null;
            video.addEventListener('playing', () => {
                if (window.firstPlayingAt === null) window.firstPlayingAt = video.currentTime;
            });
        }"""
    )
    play.click()
    visitor.wait_for_selector("dialog[open] [data-player-ready]", timeout=TIMEOUT_MS)
    assert (
        visitor.locator("[data-preview-title]")
        .inner_text()
        .startswith(f"Lesson {EMBEDDED_LESSON}:")
    )
    visitor.wait_for_function("() => window.firstPlayingAt !== null", timeout=TIMEOUT_MS)
    assert visitor.evaluate("() => window.firstPlayingAt") < 1.0  # the embed starts at 0:00
    visitor.wait_for_function(
        "() => window.coursePlayer.video.currentTime > 1.5", timeout=TIMEOUT_MS
    )
    before = player_time(visitor)
    visitor.wait_for_function(
        f"() => window.coursePlayer.video.currentTime > {before + 0.5}", timeout=TIMEOUT_MS
    )
    assert visitor.evaluate("() => window.coursePlayer.state.errors") == []
    visitor.locator("[data-preview-close]").click()
    assert not visitor.locator("[data-preview-dialog]").evaluate("dialog => dialog.open")
    assert visitor.evaluate("() => window.coursePlayer.video.paused")

    # The comment: held for moderation, and the page says so.
    body = "The part about resting the hands at the sacrum helped my mother sleep."
    fill_comment(visitor, body)
    wait_like_a_person(shown_at)
    response = post_comment(visitor)
    assert response.status == 200 and visitor.url.endswith(f"{ARTICLE}#comments")
    assert AWAITS in visitor.locator(".messages").inner_text()
    assert body not in comments_section(visitor).inner_text()
    assert VISITOR["email"] not in visitor.content()
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.PENDING and comment.author_email == VISITOR["email"]

    # The instructor, signed in in a browser of their own, approves it from the inbox.
    studio = browser.new_context().new_page()
    studio.errors = []
    studio.on("pageerror", lambda error: studio.errors.append(str(error)))
    login_through_the_form(studio, live_server, site["instructor"])
    assert studio.goto(live_server.url + "/studio/inbox/").status == 200
    card = studio.locator(f"li#comment-{comment.pk}")
    assert body in card.inner_text() and VISITOR["name"] in card.inner_text()
    with studio.expect_navigation():
        card.get_by_role("button", name=re.compile(r"^Approve")).click()
    assert "1 comment approved" in studio.locator(".messages").inner_text()
    assert studio.locator(f"li#comment-{comment.pk}").count() == 0
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED

    # The visitor reloads: the comment is there, under the name given, without the e-mail.
    visitor.reload()
    shown = comments_section(visitor).locator(f"#comment-{comment.pk}")
    assert body in shown.inner_text() and VISITOR["name"] in shown.inner_text()
    assert "Comments (1)" in comments_section(visitor).inner_text()
    assert VISITOR["email"] not in visitor.content()
    assert visitor.errors == [] and studio.errors == []
    studio.context.close()


# --- 2. A refused post keeps the text ---------------------------------------------------


def test_a_post_refused_as_too_quick_keeps_the_text_and_goes_through_later(
    browser, live_server, site
):
    page = new_page(browser, live_server)
    open_article(page, live_server)
    body = "I have lumbar stenosis.\nIs the still point safe to try at home?"
    fill_comment(page, body)
    response = post_comment(page)  # at once: faster than anyone types

    assert response.status == 400
    form = page.locator("#comment-form")
    assert TOO_QUICK in form.locator(".form-errors[role=alert]").inner_text()
    assert form.locator('textarea[name="body"]').input_value() == body
    assert form.locator('input[name="name"]').input_value() == VISITOR["name"]
    assert form.locator('input[name="email"]').input_value() == VISITOR["email"]
    assert form.locator('input[name="website"]').input_value() == ""
    assert not Comment.objects.exists()
    shown_again_at = time.monotonic()  # the re-shown form restarted the clock
    violations = axe_violations(page)  # the refused page, its reason shown at the form
    assert not violations, f"refused comment:\n{axe_report(violations)}"

    wait_like_a_person(shown_again_at)
    response = post_comment(page)
    assert response.status == 200 and page.url.endswith(f"{ARTICLE}#comments")
    assert AWAITS in page.locator(".messages").inner_text()
    assert Comment.objects.get().body.replace("\r\n", "\n") == body
    assert page.errors == []


# --- 3. Replies -------------------------------------------------------------------------


def test_a_reply_shows_nested_under_its_comment_once_approved(
    browser, live_server, site, public_page_cache
):
    """With the public page cache on, as in production: the anonymous visitor's article comes
    from the cache, its form still posts, and an approved reply shows at once."""
    article = site["article"]
    parent = approved_comment(article, name="Tomas", body="My physio suggested this too.")
    page = new_page(browser, live_server)
    open_article(page, live_server)
    assert public_page_cache() == [ARTICLE]
    stamp = page.locator('#comment-form input[name="form_started"]').input_value()
    shown_at = open_article(page, live_server)  # now from the cache
    assert page.locator('#comment-form input[name="form_started"]').input_value() != stamp

    thread = page.locator(f"#comment-{parent.pk}")
    thread.locator("[data-reply-to]").click()
    replying = page.locator("#comment-form [data-replying]")
    assert replying.is_visible()
    assert replying.inner_text().startswith("Replying to Tomas")
    assert page.locator('#comment-form input[name="parent"]').input_value() == str(parent.pk)
    assert page.evaluate("() => document.activeElement.name") == "body"

    body = "Same here: mine said gentle work is fine alongside the exercises."
    fill_comment(page, body)
    wait_like_a_person(shown_at)
    assert post_comment(page).status == 200
    assert AWAITS in page.locator(".messages").inner_text()
    assert body not in comments_section(page).inner_text()
    reply = Comment.objects.get(parent=parent)
    assert reply.status == Comment.Status.PENDING

    # The instructor approves it with the bulk action this time.
    studio = new_page(browser, live_server, site["instructor"])
    studio.goto(live_server.url + "/studio/inbox/")
    card = studio.locator(f"li#comment-{reply.pk}")
    assert "reply to Tomas" in card.inner_text()
    card.locator('input[name="comment"]').check()
    with studio.expect_navigation():
        studio.get_by_role("button", name="Approve selected").click()
    assert "1 comment approved" in studio.locator(".messages").inner_text()

    page.goto(live_server.url + ARTICLE)
    nested = page.locator(f"#comment-{parent.pk} .comment__replies #comment-{reply.pk}")
    assert body in nested.inner_text()
    assert nested.locator("[data-reply-to]").count() == 0  # replies are one level deep
    assert VISITOR["email"] not in page.content()
    assert page.errors == [] and studio.errors == []
    studio.context.close()


# --- 4. Accessibility -------------------------------------------------------------------


def _article_with_a_conversation(site) -> None:
    parent = approved_comment(site["article"], name="Tomas", body="Does this help *sciatica*?")
    comment_post(
        article=site["article"], user=site["instructor"], name="", email="",
        body="It can ease the tension around it; your doctor treats the cause.",
        parent_id=parent.pk, ip="192.0.2.11", honeypot="",
        started_token=form_started_token(now=time.time() - 60),
    )  # fmt: skip
    assert Comment.objects.filter(by_instructor=True, status=Comment.Status.APPROVED).exists()


def _refused_invalid(page) -> None:
    """Field errors (a bad address, no text); the time-trap refusal is checked in the test of
    it above."""
    page.locator('#comment-form input[name="email"]').fill("not an address")
    assert post_comment(page).status == 400
    page.wait_for_selector("#comment-form .errorlist")


def _inbox_with_work(site) -> None:
    comment_post(
        article=site["article"], user=AnonymousUser(), name="Ines", email="ines@example.net",
        body="Waiting for you to read this.", parent_id=None, ip="192.0.2.12", honeypot="",
        started_token=form_started_token(now=time.time() - 60),
    )  # fmt: skip
    learner = UserFactory(username="learner")
    Enrollment.objects.create(user=learner, course=site["course"])
    question_ask(
        lesson=Lesson.objects.get(course=site["course"], number=PAID_LESSON), user=learner,
        body="How long should I hold the vault?", at_s=None, ip="192.0.2.13",
        started_token=form_started_token(now=time.time() - 60),
    )  # fmt: skip


def _lesson_with_an_answer(site):
    """The clip moves to the paid lesson (a lesson has its own video); one question there
    with the instructor's answer (saved directly: no e-mail task is queued)."""
    site["lesson"].video = None
    site["lesson"].save(update_fields=["video"])
    lesson = Lesson.objects.get(course=site["course"], number=PAID_LESSON)
    lesson.video = site["video"]
    lesson.save(update_fields=["video"])
    learner = UserFactory(username="learner", first_name="Ana")
    Enrollment.objects.create(user=learner, course=site["course"])
    question = question_ask(
        lesson=lesson, user=learner, body="Should the pressure change at 0:02?", at_s=2.0,
        ip="192.0.2.14", started_token=form_started_token(now=time.time() - 60),
    )  # fmt: skip
    QuestionReply.objects.create(
        question=question, user=site["instructor"], body="No: stay as light as at the start.",
        body_html="<p>No: stay as light as at the start.</p>", by_instructor=True,
    )  # fmt: skip
    LessonQuestion.objects.filter(pk=question.pk).update(answered_at=timezone.now())
    return learner


A11Y_PAGES = {
    # id: (who, path, status, set up the data, act on the loaded page)
    "article-list": (None, "/articles/", 200, None, None),
    "article-with-comments": (None, ARTICLE, 200, _article_with_a_conversation, None),
    "article-refused-invalid": (None, ARTICLE, 400, None, _refused_invalid),
    "studio-inbox": ("instructor", "/studio/inbox/", 200, _inbox_with_work, None),
    "lesson-questions": (
        "learner",
        f"/courses/{COURSE_SLUG}/lessons/{PAID_LESSON}/",
        200,
        _lesson_with_an_answer,
        None,
    ),  # fmt: skip
}


@pytest.mark.parametrize("name", list(A11Y_PAGES))
def test_community_pages_have_no_wcag_violations(browser, live_server, site, name):
    who, path, status, setup, act = A11Y_PAGES[name]
    made = setup(site) if setup else None
    user = {None: None, "instructor": site["instructor"], "learner": made}[who]
    page = new_page(browser, live_server, user)
    response = page.goto(live_server.url + path)
    page.wait_for_load_state("load")
    if act:
        act(page)
    else:
        assert response.status == status, f"{path}: {response.status}"
    if name == "article-with-comments":
        assert page.locator(".comment--instructor .badge").count() == 1
    if name == "studio-inbox":
        assert "Waiting for you to read this." in page.content()
        assert "How long should I hold the vault?" in page.content()
    if name == "lesson-questions":
        page.wait_for_selector("[data-player][data-player-ready]", timeout=TIMEOUT_MS)
        assert page.locator(".question .comment--instructor").count() == 1
        assert page.locator("[data-question-form]").count() == 1
    violations = axe_violations(page)
    assert not violations, f"{name} ({path}):\n{axe_report(violations)}"
    assert page.errors == []
    page.context.close()
