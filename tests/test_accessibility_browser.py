"""Every page has no axe-core WCAG 2.0/2.1 A and AA violations, checked in headless Chromium.

axe-core comes from the npm registry (package.json) and is injected from node_modules by the
test only: nothing of it is served by the site. One Chromium serves the whole module; each
page gets a fresh context carrying the session cookie of the user who would see it.

The real curriculum is loaded, with a short clip processed by the real pipeline (once per
module, restored from its rows afterwards) on a preview and a paid lesson, so the pages that
play video show the full player with its controls, chapters and practice loop.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail, serializers
from django.db import connections, transaction
from django.test import Client
from django.utils import timezone

from courses.catalog.services import curriculum_load
from courses.commerce.services.codes import access_code_revoke, access_codes_generate
from courses.models import (
    Certificate,
    Course,
    Enrollment,
    LessonNote,
    LessonProgress,
    Order,
)
from media_pipeline.models import Rendition, Video, VideoVersion
from media_pipeline.processing.pipeline import version_process
from tests.axe import AXE_JS, axe_report, axe_violations
from tests.factories import InstructorFactory, UserFactory
from tests.media_pipeline.conftest import make_clip

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright never downloads a browser here
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
CURRICULUM_PATH = Path(settings.BASE_DIR) / "courses" / "data" / "craniosacral-therapy.yaml"
SLUG = "craniosacral-therapy"
COURSE = f"/courses/{SLUG}"
PREVIEW_LESSON, PAID_LESSON, THEORY_LESSON = 1, 3, 4  # the clip goes on 1 and 3, none on 4
READY_MS = 30_000


@pytest.fixture(scope="module")
def chromium():
    """One headless Debian Chromium for the whole module (launching it is the slow part)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run 'npm ci' (axe-core is in package.json)")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as mp, sync_playwright() as playwright:
        # Playwright's sync API runs an event loop in this thread; the ORM calls the
        # fixtures make between page actions are still plain synchronous code.
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        connections.close_all()


@pytest.fixture(scope="session")
def a11y_clip(tmp_path_factory) -> Path:
    return make_clip(
        tmp_path_factory.mktemp("a11y-clips") / "lesson.mp4", size="320x240", duration=4
    )


@pytest.fixture(scope="module")
def processed_rows() -> dict:
    return {}


@pytest.fixture
def clip_videos(transactional_db, seaweedfs, upload_file, a11y_clip, processed_rows):
    """Two READY Videos (a lesson has its own): processed for real once, then restored."""
    if "json" not in processed_rows:
        objects, processed_rows["video_ids"] = [], []
        for _ in range(2):
            version = upload_file(a11y_clip)
            assert version_process(version_id=version.pk) == VideoVersion.State.READY
            version.refresh_from_db()
            objects += [version.video, version, *Rendition.objects.filter(version=version)]
            processed_rows["video_ids"].append(version.video_id)
        processed_rows["json"] = serializers.serialize("json", objects)
    else:
        with transaction.atomic():  # Video <-> current_version refer to each other
            for obj in serializers.deserialize("json", processed_rows["json"]):
                obj.save()
    return [Video.objects.get(pk=pk) for pk in processed_rows["video_ids"]]


@pytest.fixture
def users(transactional_db, clip_videos) -> dict:
    """The real course with the clip on two lessons, and one user of each kind."""
    curriculum_load(path=CURRICULUM_PATH)
    course = Course.objects.get(slug=SLUG)
    lessons = {lesson.number: lesson for lesson in course.lessons.all()}
    for number, video in zip((PREVIEW_LESSON, PAID_LESSON), clip_videos, strict=True):
        lessons[number].video = video
        lessons[number].save(update_fields=["video"])
    # Times on the paid lesson's techniques, so its player lists them as chapters.
    for start, technique in enumerate(lessons[PAID_LESSON].techniques.order_by("number")):
        technique.start_s, technique.end_s = start * 2, start * 2 + 2
        technique.save(update_fields=["start_s", "end_s"])

    learner = UserFactory(username="learner")
    Enrollment.objects.create(user=learner, course=course)
    now = timezone.now()
    # Some progress, so the dashboard shows "continue", a part-watched and a completed lesson.
    LessonProgress.objects.create(
        user=learner, lesson=lessons[PAID_LESSON], intervals=[[0, 2]], watched_s=2,
        position_s=2, first_watched_at=now - timedelta(days=1), last_watched_at=now,
    )  # fmt: skip
    LessonProgress.objects.create(
        user=learner, lesson=lessons[THEORY_LESSON + 1], marked_complete_at=now
    )
    assert lessons[THEORY_LESSON + 1].video_id is None
    # The learner bought the course (a receipt and a row in the studio's orders), with a
    # coupon; some single-use codes exist, one redeemed, one revoked.
    Order.objects.create(
        number="ORD-A11Y-0001", user=learner, course=course, status="paid", currency="USD",
        list_price_minor=14900, discount_minor=2980, amount_minor=11920, coupon_code="SPRING20",
        card_brand="visa", card_last4="4242", paid_at=now,
    )  # fmt: skip
    codes = access_codes_generate(course=course, count=3, batch="Workshop")
    codes[0].redeemed_by, codes[0].redeemed_at = learner, now
    codes[0].save(update_fields=["redeemed_by", "redeemed_at"])
    access_code_revoke(access_code=codes[1])
    LessonNote.objects.create(
        user=learner, lesson=lessons[PAID_LESSON], time_s=1.5, body="Soft *hands*",
        body_html="<p>Soft <em>hands</em></p>",
    )  # fmt: skip
    # A graduate: every lesson complete, so the certificate page shows its claim form; and
    # two certificates for the public check, one valid and one revoked.
    graduate = UserFactory(username="graduate", first_name="Grace", last_name="Okafor")
    Enrollment.objects.create(user=graduate, course=course)
    for lesson in lessons.values():
        LessonProgress.objects.create(
            user=graduate, lesson=lesson, intervals=[[0, 100_000]] if lesson.video_id else [],
            marked_complete_at=None if lesson.video_id else now, last_watched_at=now,
        )  # fmt: skip
    for code, revoked in (("A2B3-C4D5-E6F7", None), ("R2R3-R4R5-R6R7", now)):
        Certificate.objects.create(
            user=learner, course=course, code=code, full_name="Lena Learner",
            course_title=course.title, ce_hours=24, completed_on=now.date(), revoked_at=revoked,
            revoked_reason="Refunded" if revoked else "",
        )  # fmt: skip
    return {
        "anonymous": None,
        "learner": learner,
        "graduate": graduate,
        "buyer": UserFactory(username="buyer"),
        "instructor": InstructorFactory(username="instructor"),
    }


def open_dialog(page) -> None:
    page.click("[data-preview-play]")
    page.wait_for_selector("dialog[open] [data-player-ready]", timeout=READY_MS)


def wait_for_player(page) -> None:
    page.wait_for_selector("[data-player][data-player-ready]", timeout=READY_MS)


def see_chapters(page) -> None:
    wait_for_player(page)
    assert page.locator("[data-chapter]").count() == 2
    assert page.locator(".player__practice").is_visible()


def wait_for_studio(page) -> None:
    page.wait_for_selector("html[data-studio-ready]", timeout=READY_MS)


def submit_wrong_login(page) -> None:
    page.fill("#id_username", "learner")
    page.fill("#id_password", "not-the-password")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    page.wait_for_selector(".form-errors")


def submit_wrong_code(page) -> None:
    page.fill("#redeem-code", "NOT-A-CODE")
    page.get_by_role("button", name="Redeem code").click()
    page.wait_for_selector("#redeem-error")


def submit_bad_signup(page) -> None:
    page.fill("#id_username", "newcomer")
    page.fill("#id_email", "learner@example.com")  # taken
    page.fill("#id_password1", "a-long-test-passphrase-9")
    page.fill("#id_password2", "a-different-passphrase-9")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    page.wait_for_selector(".errorlist")


def submit_good_signup(page) -> None:
    page.fill("#id_username", "newcomer")
    page.fill("#id_email", "newcomer@example.com")
    page.fill("#id_password1", "a-long-test-passphrase-9")
    page.fill("#id_password2", "a-long-test-passphrase-9")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    page.wait_for_selector("text=Check your inbox")


def open_note_form(page) -> None:
    see_chapters(page)
    page.get_by_role("button", name="Add note").click()
    page.wait_for_selector("[data-note-form]:not([hidden])")


def open_chapter_editor(page) -> None:
    wait_for_studio(page)
    page.get_by_role("link", name=f"Chapters and captions of lesson {PAID_LESSON}").click()
    page.wait_for_selector("[data-player][data-player-ready]", timeout=READY_MS)


def submit_blank_name(page) -> None:
    page.fill("#id_full_name", "   ")
    with page.expect_navigation():
        page.get_by_role("button", name="Claim my certificate").click()
    page.wait_for_selector("#name-error")


def open_signup_link(page) -> None:
    """The confirmation page a sign-up's e-mail links to (read from Django's test outbox)."""
    submit_good_signup(page)
    link = re.search(r"https?://\S+/accounts/signup/confirm/\S+/", mail.outbox[-1].body)
    page.goto(link.group(0))
    page.wait_for_selector("text=Confirm and log in")


CSP_WATCH = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""

# (id, who, path, expected status, what to do once it has loaded)
PAGES = [
    ("catalog", "anonymous", "/", 200, None),
    ("course-anonymous", "anonymous", f"{COURSE}/", 200, None),
    ("course-enrolled", "learner", f"{COURSE}/", 200, None),
    ("course-preview-dialog", "anonymous", f"{COURSE}/", 200, open_dialog),
    ("preview-lesson", "anonymous", f"{COURSE}/lessons/{PREVIEW_LESSON}/", 200, wait_for_player),
    ("paid-lesson-locked", "anonymous", f"{COURSE}/lessons/{PAID_LESSON}/", 403, None),
    ("paid-lesson-enrolled", "learner", f"{COURSE}/lessons/{PAID_LESSON}/", 200, see_chapters),
    ("theory-lesson-enrolled", "learner", f"{COURSE}/lessons/{THEORY_LESSON}/", 200, None),
    ("technique-index", "anonymous", f"{COURSE}/techniques/", 200, None),
    ("dashboard", "learner", "/dashboard/", 200, None),
    ("login", "anonymous", "/accounts/login/", 200, None),
    ("login-error", "anonymous", "/accounts/login/", 200, submit_wrong_login),
    ("signup", "anonymous", "/accounts/signup/", 200, None),
    ("signup-errors", "anonymous", "/accounts/signup/", 200, submit_bad_signup),
    ("signup-check-inbox", "anonymous", "/accounts/signup/", 200, submit_good_signup),
    ("signup-confirm", "anonymous", "/accounts/signup/", 200, open_signup_link),
    ("password-reset", "anonymous", "/accounts/password_reset/", 200, None),
    ("studio", "instructor", "/studio/", 200, wait_for_studio),
    ("analytics", "instructor", "/studio/analytics/", 200, None),
    ("course-logged-in-buyer", "buyer", f"{COURSE}/", 200, None),
    ("course-code-refused", "buyer", f"{COURSE}/", 200, submit_wrong_code),
    ("paid-lesson-not-bought", "buyer", f"{COURSE}/lessons/{PAID_LESSON}/", 403, None),
    ("my-orders", "learner", "/orders/", 200, None),
    ("receipt", "learner", "/orders/ORD-A11Y-0001/", 200, None),
    ("studio-orders", "instructor", "/studio/orders/", 200, None),
    ("studio-codes", "instructor", f"/studio{COURSE}/codes/", 200, None),
    ("certificate-progress", "buyer", f"{COURSE}/certificate/", 200, None),
    ("certificate-claim", "graduate", f"{COURSE}/certificate/", 200, None),
    ("certificate-claim-refused", "graduate", f"{COURSE}/certificate/", 200, submit_blank_name),
    ("certificate-valid", "anonymous", "/certificates/A2B3-C4D5-E6F7/", 200, None),
    ("certificate-revoked", "anonymous", "/certificates/R2R3-R4R5-R6R7/", 200, None),
    ("certificate-unknown", "anonymous", "/certificates/ZZZZ-ZZZZ-ZZZZ/", 404, None),
    ("studio-certificates", "instructor", "/studio/certificates/", 200, None),
    ("note-form", "learner", f"{COURSE}/lessons/{PAID_LESSON}/", 200, open_note_form),
    ("my-notes", "learner", f"{COURSE}/notes/", 200, None),
    ("studio-chapter-editor", "instructor", "/studio/", 200, open_chapter_editor),
]


@pytest.mark.parametrize(
    ("who", "path", "status", "prepare"),
    [pytest.param(*page[1:], id=page[0]) for page in PAGES],
)
def test_page_has_no_wcag_violations(chromium, live_server, users, who, path, status, prepare):
    context = chromium.new_context()
    try:
        if users[who] is not None:
            client = Client()
            client.force_login(users[who])
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
            )
        page = context.new_page()
        # Anything the Content-Security-Policy blocks (a script, a video segment, a frame).
        page.add_init_script(CSP_WATCH)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        response = page.goto(live_server.url + path)
        assert response.status == status, f"{path} as {who}: {response.status}"
        page.wait_for_load_state("load")
        if prepare:
            prepare(page)
        assert page.evaluate("() => window.cspViolations") == [], f"{path}: CSP blocked"
        violations = axe_violations(page)
        assert not violations, f"{path} as {who}:\n{axe_report(violations)}"
        assert errors == []
    finally:
        context.close()
