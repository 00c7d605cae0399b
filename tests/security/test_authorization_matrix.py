"""Who may reach what: every route of the URLconf, requested as each role, against a table.

The routes come from walking `django.urls.get_resolver()` (includes and namespaces), so a
route added to any urls.py (or a new API operation) fails `test_route_authorization` until
MATRIX says what each role gets there, and an entry whose route is gone fails
`test_matrix_has_no_stale_entries`. Only Django's own admin is left out (see `_skipped`).

Each route is requested with real objects of the right kind: the course, a paid lesson and a
free preview, the enrolled learner's order (and another learner's, which must be 404 for the
first), an article and a draft, questions, a video version, playback links signed for the
enrolled learner or with a deliberately bad signature. Routes that take only POST get a POST
with harmless data (the test client skips CSRF, as it does by default); whatever a request
changes is rolled back before the next one (tests/security/conftest.py).

Statuses are what the product should answer (courses/access.py says who may do what):

- public pages and the public API: 200 for everyone;
- a learner's own pages (dashboard, orders, password change): login redirect, else 200;
- someone else's order: 404, as if it did not exist, for every other account, staff included
  (staff see orders in the studio, not through the buyer's pages);
- paid lessons and everything under them (playback, chapters, captions, questions): 200 for
  the enrolled learner and for staff (courses.access: staff may watch anything, so that the
  instructor can check what learners see); a locked lesson page is a 403 page that says what
  the lesson covers and how to get access, for anonymous visitors too (with "Buy the course"
  and "Log in" on it, rather than a bare redirect); the JSON API says 401 to anonymous callers;
- an unpublished course is gone for everyone (404): its pages, its lessons' API and the
  questions under them; only the instructor still answers those questions (from the inbox);
- the studio (videos, analytics, orders, codes, inbox) and its APIs: only staff with the
  permission; staff without it get 403, like learners; anonymous visitors go to log in (pages)
  or get 401 (API);
- notes are their writer's alone: another learner's note is 404, for staff too;
- no answer shows the second learner's e-mail address, notes or order number to anyone but
  the instructor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.views import static

from media_pipeline.delivery.grants import grant_signature
from tests.security.conftest import (
    ENROLLED,
    INSTRUCTOR,
    OTHER_EMAIL,
    OTHER_LESSON_NOTE,
    OTHER_NOTE,
    ROLES,
    World,
    client_for,
    rolled_back,
    started_long_ago,
)

LOGIN = "login"  # a 302 to the log-in page (anything else that redirects is a plain 302)


# --- the routes, from the URL configuration ------------------------------------------------


def _skipped(pattern: str, entry: URLPattern | URLResolver) -> bool:
    """What the matrix leaves out, and why:

    - Django's own admin (mounted at settings.ADMIN_URL, from DJANGO_ADMIN_URL): Django's code
      with its own staff and model-permission checks, tested by Django; its hundred routes
      per model would say nothing about this project's rules;
    - static files and media: none has a route here (whitenoise's middleware serves static
      files, object storage the media), but a `django.views.static.serve` route would be
      development-only plumbing, and so would the debug toolbar (namespace "djdt").
    """
    if pattern.startswith(settings.ADMIN_URL):
        return True
    if isinstance(entry, URLResolver):
        return entry.namespace in ("admin", "djdt")
    return entry.callback is static.serve


def url_routes() -> dict[str, str]:
    """Every route: its key (the namespaced URL name, or the pattern if it has none) -> its
    pattern. A name used twice (Django's password_reset under ours) is one route: the first
    pattern is the one that answers."""
    routes: dict[str, str] = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str | None) -> None:
        for entry in resolver.url_patterns:
            pattern = prefix + str(entry.pattern)
            if _skipped(pattern, entry):
                continue
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, pattern, inner)
            else:
                name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
                routes.setdefault(name or pattern, pattern)

    walk(get_resolver(), "", None)
    return routes


# --- the table -----------------------------------------------------------------------------


def E(anonymous, signed_in, enrolled, staff, instructor) -> dict[str, int | str]:  # noqa: N802
    """One row: anonymous, signed in (not enrolled), enrolled, staff w/o permissions,
    instructor (staff with the permissions)."""
    return dict(zip(ROLES, (anonymous, signed_in, enrolled, staff, instructor), strict=True))


ALL_200 = E(200, 200, 200, 200, 200)
OWN_PAGE = E(LOGIN, 200, 200, 200, 200)  # any account's own page
STUDIO_PAGE = E(LOGIN, 403, 403, 403, 200)
STUDIO_API = E(401, 403, 403, 403, 200)
PAID_LESSON_API = E(401, 403, 200, 200, 200)


@dataclass(frozen=True)
class Case:
    expect: dict[str, int | str]
    kwargs: Callable[[World], dict] = lambda w: {}
    method: str = "get"
    data: Callable[[World], dict | str] | None = None
    content_type: str | None = None  # None: a form (POST) or a query string (GET)
    label: str = ""


def course(w: World) -> dict:
    return {"slug": w.course.slug}


def lesson(which: str) -> Callable[[World], dict]:
    return lambda w: {"slug": getattr(w, which).course.slug, "number": getattr(w, which).number}


def lesson_id(which: str) -> Callable[[World], dict]:
    return lambda w: {"lesson_id": getattr(w, which).pk}


def order(which: str) -> Callable[[World], dict]:
    return lambda w: {"number": getattr(w, which).number}


def hls(signature: Callable[[World, int], str], **extra) -> Callable[[World], dict]:
    def kwargs(w: World) -> dict:
        expires = 4_102_444_800  # 2100-01-01: valid all through the test
        return {"version_id": w.version_id, "expires": expires, **extra} | {
            "signature": signature(w, expires)
        }

    return kwargs


def learners_grant(w: World, expires: int) -> str:
    """A playback link as the API mints it for the enrolled learner (and only them)."""
    viewer = f"user:{w.users[ENROLLED].pk}"
    return grant_signature(version_id=w.version_id, expires=expires, viewer=viewer)


def bad_signature(w: World, expires: int) -> str:
    return "A" * 22


def comment(w: World) -> dict:
    return {
        "name": "Visitor",
        "email": "visitor@example.org",
        "body": "Thank you for the guide.",
        "website": "",
        "form_started": started_long_ago(),
    }


def post_text(body: str) -> Callable[[World], dict]:
    return lambda w: {"body": body, "website": "", "form_started": started_long_ago()}


def studio_upload(w: World) -> dict:
    # One byte over the limit: the instructor's answer is a 413 and nothing is started.
    return {"filename": "lesson.mp4", "size": settings.MEDIA_UPLOAD_MAX_BYTES + 1}


JSON = "application/json"

MATRIX: dict[str, list[Case]] = {
    # --- accounts (Django's auth views and the sign-up) ---
    "signup": [Case(E(200, 302, 302, 302, 302))],  # signed in: on to the dashboard
    "signup_confirm": [Case(E(400, 400, 400, 400, 400), kwargs=lambda w: {"token": "forged"})],
    "login": [Case(ALL_200)],
    "logout": [Case(E(302, 302, 302, 302, 302), method="post")],  # POST only (Django 5)
    "password_change": [Case(OWN_PAGE)],
    "password_change_done": [Case(OWN_PAGE)],
    "password_reset": [Case(ALL_200)],
    "password_reset_done": [Case(ALL_200)],
    "password_reset_confirm": [
        Case(ALL_200, kwargs=lambda w: {"uidb64": "MQ", "token": "forged-token"})
    ],  # "the link was invalid", as a page
    "password_reset_complete": [Case(ALL_200)],
    # --- the JSON API: public ---
    "api:openapi-json": [Case(ALL_200)],
    "api:openapi-view": [Case(ALL_200)],
    "api:api-root": [Case(E(404, 404, 404, 404, 404))],  # only there to reverse /api/
    "api:health": [Case(ALL_200)],
    "api:ping": [Case(ALL_200)],
    "api:courses_list": [Case(ALL_200)],
    "api:course_detail": [Case(ALL_200, kwargs=course)],
    # --- the JSON API: playback (session, not ninja, auth: previews are public) ---
    "api:lesson_playback": [
        Case(PAID_LESSON_API, kwargs=lesson_id("paid"), label="paid"),
        Case(ALL_200, kwargs=lesson_id("preview"), label="preview"),
        Case(E(404, 404, 404, 404, 404), kwargs=lesson_id("hidden"), label="unpublished"),
    ],
    "api:lesson_chapters": [
        Case(PAID_LESSON_API, kwargs=lesson_id("paid"), label="paid"),
        Case(ALL_200, kwargs=lesson_id("preview"), label="preview"),
    ],
    "api:lesson_caption": [
        Case(PAID_LESSON_API, kwargs=lambda w: {"lesson_id": w.paid.pk, "language": "en"}),
    ],
    # --- the JSON API: progress (enrolled learners and staff record) ---
    "api:lesson_progress_beat": [
        Case(
            PAID_LESSON_API,
            kwargs=lesson_id("paid"),
            method="post",
            data=lambda w: {"position_s": 5, "ranges": [[0, 5]], "beat_id": "matrix-1"},
            content_type=JSON,
            label="paid",
        ),
        Case(
            E(401, 403, 200, 200, 200),  # a preview is public to watch, not to record
            kwargs=lesson_id("preview"),
            method="post",
            data=lambda w: {"position_s": 5, "ranges": [[0, 5]], "beat_id": "matrix-2"},
            content_type=JSON,
            label="preview",
        ),
    ],
    "api:lesson_complete_mark": [
        Case(PAID_LESSON_API, kwargs=lesson_id("theory"), method="post", content_type=JSON),
    ],
    "api:lesson_complete_unmark": [
        Case(PAID_LESSON_API, kwargs=lesson_id("theory"), method="delete", content_type=JSON),
    ],
    "api:technique_practice": [
        Case(
            E(401, 403, 201, 201, 201),
            kwargs=lambda w: {"technique_id": w.paid.techniques.order_by("number")[0].pk},
            method="post",
            data=lambda w: {"note": "Practised on my partner."},
            content_type=JSON,
        ),
    ],
    "api:my_course_progress": [Case(PAID_LESSON_API, kwargs=course)],
    # --- the JSON API: studio and uploads (courses.change_lesson) ---
    "api:studio_lessons_get": [Case(STUDIO_API)],
    "api:lesson_upload_start_post": [
        Case(
            E(401, 403, 403, 403, 413),  # too big: refused before anything is started
            kwargs=lesson_id("paid"),
            method="post",
            data=studio_upload,
            content_type=JSON,
        ),
    ],
    "api:lesson_preview_post": [
        Case(
            STUDIO_API,
            kwargs=lesson_id("paid"),
            method="post",
            data=lambda w: {"is_preview": False},  # what it already is
            content_type=JSON,
        ),
    ],
    "api:lesson_technique_times_post": [
        Case(
            STUDIO_API,
            kwargs=lesson_id("paid"),
            method="post",
            data=lambda w: {"techniques": []},  # nothing to change
            content_type=JSON,
        ),
    ],
    "api:version_status_get": [Case(STUDIO_API, kwargs=lambda w: {"version_id": w.version_id})],
    "api:upload_get": [Case(STUDIO_API, kwargs=lambda w: {"version_id": w.version_id})],
    # A ready version: no upload to abort, no parts to send, completing it again is a no-op.
    "api:upload_abort": [
        Case(
            E(401, 403, 403, 403, 409),
            kwargs=lambda w: {"version_id": w.version_id},
            method="delete",
        )
    ],
    "api:upload_part_urls": [
        Case(
            E(401, 403, 403, 403, 409),
            kwargs=lambda w: {"version_id": w.version_id},
            method="post",
            data=lambda w: {"part_numbers": [1]},
            content_type=JSON,
        )
    ],
    "api:upload_complete": [
        Case(STUDIO_API, kwargs=lambda w: {"version_id": w.version_id}, method="post")
    ],
    # --- signed HLS delivery: the signature binds a viewer ---
    "media:hls_master": [
        Case(E(403, 403, 200, 403, 403), kwargs=hls(learners_grant), label="learner's grant"),
        Case(E(403, 403, 403, 403, 403), kwargs=hls(bad_signature), label="bad signature"),
    ],
    "media:hls_variant": [
        Case(E(403, 403, 403, 403, 403), kwargs=hls(bad_signature, name="720p")),
    ],
    "media:hls_thumbnails": [Case(E(403, 403, 403, 403, 403), kwargs=hls(bad_signature))],
    # --- the studio ---
    "studio:studio": [Case(STUDIO_PAGE)],
    "studio:lesson_editor": [Case(STUDIO_PAGE, kwargs=lesson_id("paid"))],
    "studio:analytics": [Case(STUDIO_PAGE)],
    "studio:analytics_csv": [Case(STUDIO_PAGE)],
    "community:studio_inbox": [
        Case(STUDIO_PAGE, label="GET"),
        Case(
            E(LOGIN, 403, 403, 403, 302),
            method="post",
            data=lambda w: {"action": "approve"},  # nothing selected: "choose what to do"
            label="POST",
        ),
    ],
    "commerce:studio_orders": [Case(STUDIO_PAGE)],
    "commerce:studio_orders_csv": [Case(STUDIO_PAGE)],
    "commerce:studio_order_refund": [
        Case(E(LOGIN, 403, 403, 403, 302), kwargs=order("learner_order"), method="post")
    ],
    "commerce:studio_codes": [Case(STUDIO_PAGE, kwargs=course)],
    "commerce:studio_codes_csv": [Case(STUDIO_PAGE, kwargs=course)],
    "commerce:studio_code_revoke": [
        Case(
            E(LOGIN, 403, 403, 403, 302),
            kwargs=lambda w: {"slug": w.course.slug, "code_id": w.code.pk},
            method="post",
        )
    ],
    # --- articles and comments (anyone may comment; drafts are for moderators) ---
    "articles:article_list": [Case(ALL_200)],
    "articles:article_feed": [Case(ALL_200)],
    "articles:article_detail": [
        Case(ALL_200, kwargs=lambda w: {"slug": w.article.slug}, label="published"),
        Case(E(404, 404, 404, 404, 200), kwargs=lambda w: {"slug": w.draft.slug}, label="draft"),
    ],
    "articles:article_cover": [
        Case(E(302, 302, 302, 302, 302), kwargs=lambda w: {"slug": w.article.slug})
    ],  # to a short-lived signed URL of the private bucket
    "articles:comment_create": [
        Case(
            E(302, 302, 302, 302, 302),  # back to the article's comments
            kwargs=lambda w: {"slug": w.article.slug},
            method="post",
            data=comment,
        ),
        Case(
            E(404, 404, 404, 404, 404),  # a draft takes no comments, not even from staff
            kwargs=lambda w: {"slug": w.draft.slug},
            method="post",
            data=comment,
            label="draft",
        ),
    ],
    "sitemap": [Case(ALL_200)],
    # --- questions under lessons (seen by whoever may watch, asked by enrolled learners) ---
    "community:question_create": [
        Case(E(403, 403, 302, 302, 302), kwargs=lesson("paid"), label="paid GET"),
        Case(E(302, 302, 302, 302, 302), kwargs=lesson("preview"), label="preview GET"),
        Case(
            E(403, 403, 302, 302, 302),
            kwargs=lesson("paid"),
            method="post",
            data=post_text("Where exactly do the fingertips rest?"),
            label="paid POST",
        ),
        Case(
            E(400, 400, 302, 302, 302),  # anyone sees a preview's questions; only learners ask
            kwargs=lesson("preview"),
            method="post",
            data=post_text("Can I do this on myself?"),
            label="preview POST",
        ),
        Case(
            E(404, 404, 404, 404, 404),  # as gone as the lesson page
            kwargs=lesson("hidden"),
            method="post",
            data=post_text("Is this course coming back?"),
            label="unpublished course",
        ),
    ],
    "community:question_reply": [
        Case(
            E(403, 403, 302, 302, 302),
            kwargs=lambda w: {"question_id": w.learner_question.pk},
            method="post",
            data=post_text("Thanks, that helped."),
            label="paid lesson",
        ),
        Case(
            E(400, 400, 302, 302, 302),
            kwargs=lambda w: {"question_id": w.preview_question.pk},
            method="post",
            data=post_text("Same question here."),
            label="preview",
        ),
        Case(
            E(404, 404, 404, 404, 302),  # the inbox still lists it: the instructor answers
            kwargs=lambda w: {"question_id": w.hidden_question.pk},
            method="post",
            data=post_text("Me too."),
            label="unpublished course",
        ),
    ],
    "community:question_follow": [
        Case(
            E(403, 403, 302, 302, 302),
            kwargs=lambda w: {"question_id": w.learner_question.pk},
            method="post",
            data=lambda w: {"follow": "1"},
            label="paid lesson",
        ),
        Case(
            E(LOGIN, 302, 302, 302, 302),
            kwargs=lambda w: {"question_id": w.preview_question.pk},
            method="post",
            data=lambda w: {"follow": "1"},
            label="preview",
        ),
        Case(
            E(404, 404, 404, 404, 302),
            kwargs=lambda w: {"question_id": w.hidden_question.pk},
            method="post",
            data=lambda w: {"follow": "1"},
            label="unpublished course",
        ),
    ],
    "community:unsubscribe": [
        Case(E(400, 400, 400, 400, 400), kwargs=lambda w: {"token": "forged"}),
    ],
    # --- buying, orders, codes ---
    # Buy: log in first; then to the payment page (a new order), or to lesson 1 if enrolled.
    "commerce:buy": [Case(E(LOGIN, 302, 302, 302, 302), kwargs=course)],
    "commerce:redeem": [
        Case(
            # A wrong code: the course page says why; already enrolled: nothing to redeem, on
            # to the dashboard (the code is not even looked at, so no oracle and no count).
            E(LOGIN, 400, 302, 400, 400),
            kwargs=course,
            method="post",
            data=lambda w: {"code": "NOT-A-CODE"},
        )
    ],
    "commerce:orders": [Case(OWN_PAGE)],
    "commerce:receipt": [
        Case(E(LOGIN, 404, 200, 404, 404), kwargs=order("learner_order"), label="learner's"),
        Case(E(LOGIN, 404, 404, 404, 404), kwargs=order("other_order"), label="another's"),
    ],
    "commerce:order_pay": [
        # The learner's order is paid: on to the course.
        Case(E(LOGIN, 404, 302, 404, 404), kwargs=order("learner_order"), label="learner's"),
        Case(E(LOGIN, 404, 404, 404, 404), kwargs=order("other_order"), label="another's"),
    ],
    # The payment page's JSON endpoints: 401 (log in again), 404 for anyone else's order.
    "commerce:payment_setup": [
        Case(
            E(401, 404, 409, 404, 404),  # paid already: "cannot be paid any more"
            kwargs=order("learner_order"),
            method="post",
            content_type=JSON,
            data=lambda w: {},
        ),
        Case(
            E(401, 404, 404, 404, 404),
            kwargs=order("other_order"),
            method="post",
            content_type=JSON,
            data=lambda w: {},
            label="another's",
        ),
    ],
    "commerce:payment_charge": [
        Case(
            E(401, 404, 409, 404, 404),  # no card set up: "enter your card details first"
            kwargs=order("learner_order"),
            method="post",
            content_type=JSON,
            data=lambda w: {},
        ),
        Case(
            E(401, 404, 404, 404, 404),
            kwargs=order("other_order"),
            method="post",
            content_type=JSON,
            data=lambda w: {"setup_intent": "seti_forged"},
            label="another's",
        ),
    ],
    "commerce:payment_confirm": [
        Case(
            E(401, 404, 200, 404, 404),  # {"status": "paid"}
            kwargs=order("learner_order"),
            method="post",
            content_type=JSON,
            data=lambda w: {},
        ),
        Case(
            E(401, 404, 404, 404, 404),
            kwargs=order("other_order"),
            method="post",
            content_type=JSON,
            data=lambda w: {},
            label="another's",
        ),
    ],
    "commerce:order_free": [
        Case(E(LOGIN, 404, 302, 404, 404), kwargs=order("learner_order"), method="post"),
        Case(
            E(LOGIN, 404, 404, 404, 404), kwargs=order("other_order"), method="post", label="other"
        ),
    ],
    "commerce:order_complete": [
        Case(E(LOGIN, 404, 302, 404, 404), kwargs=order("learner_order")),
        Case(E(LOGIN, 404, 404, 404, 404), kwargs=order("other_order"), label="another's"),
    ],
    # Stripe signs its events; without a valid signature nothing happens, for anyone.
    "commerce:stripe_webhook": [
        Case(
            E(400, 400, 400, 400, 400),
            method="post",
            content_type=JSON,
            data=lambda w: {"type": "charge.refunded", "data": {"object": {}}},
        )
    ],
    # --- notes at moments of a lesson: whoever may record progress, each their own ---
    "api:lesson_notes_get": [Case(E(401, 404, 200, 200, 200), kwargs=lesson_id("paid"))],
    "api:lesson_note_create": [
        Case(
            E(401, 404, 201, 201, 201),
            kwargs=lesson_id("paid"),
            method="post",
            data=lambda w: {"time_s": 30, "body": "Slower."},
            content_type=JSON,
        )
    ],
    "api:note_patch": [
        Case(
            E(401, 404, 200, 404, 404),
            kwargs=lambda w: {"note_id": w.learner_note.pk},
            method="patch",
            data=lambda w: {"body": "Softer still."},
            content_type=JSON,
            label="learner's",
        ),
        Case(
            E(401, 404, 404, 404, 404),
            kwargs=lambda w: {"note_id": w.other_note.pk},
            method="patch",
            data=lambda w: {"body": "Mine now."},
            content_type=JSON,
            label="another's",
        ),
    ],
    "api:note_remove": [
        Case(
            E(401, 404, 200, 404, 404),
            kwargs=lambda w: {"note_id": w.learner_note.pk},
            method="delete",
            content_type=JSON,
            label="learner's",
        ),
        Case(
            E(401, 404, 404, 404, 404),
            kwargs=lambda w: {"note_id": w.other_note.pk},
            method="delete",
            content_type=JSON,
            label="another's",
        ),
    ],
    # My notes, and their exports: a locked page for accounts that keep none here.
    "notes:my_notes": [Case(E(LOGIN, 403, 200, 200, 200), kwargs=course)],
    "notes:my_notes_markdown": [Case(E(LOGIN, 403, 200, 200, 200), kwargs=course)],
    "notes:my_notes_pdf": [Case(E(LOGIN, 403, 200, 200, 200), kwargs=course)],
    # --- taking a lesson home: for whoever may watch and record it ---
    "downloads:lesson_download": [
        # To a short-lived link to the MP4 (counted); a preview is not downloadable.
        Case(E(LOGIN, 403, 302, 302, 302), kwargs=lesson("paid"), label="paid"),
        Case(E(LOGIN, 403, 403, 403, 403), kwargs=lesson("preview"), label="preview"),
    ],
    "cards:lesson": [Case(E(404, 404, 200, 200, 200), kwargs=lesson("paid"))],  # PDFs
    "cards:technique": [
        Case(
            E(404, 404, 200, 200, 200),
            kwargs=lambda w: {
                "slug": w.course.slug,
                "number": w.paid.techniques.order_by("number")[0].number,
            },
        )
    ],
    # --- every account's own settings: the player's, the reminder e-mails ---
    "api:player_settings": [Case(E(401, 200, 200, 200, 200))],
    "api:player_settings_change": [
        Case(
            E(401, 200, 200, 200, 200),
            method="patch",
            data=lambda w: {"speed": 1.5},
            content_type=JSON,
        )
    ],
    "reminders:toggle": [
        Case(E(LOGIN, 302, 302, 302, 302), method="post", data=lambda w: {"reminders": "on"})
    ],  # back to the dashboard
    # --- certificates: the learner's own; the verification page is public ---
    "certificates:course_certificate": [
        Case(OWN_PAGE, kwargs=course, label="GET"),  # where they stand, or their certificate
        Case(
            E(LOGIN, 400, 200, 400, 400),  # not enrolled: refused; the learner has theirs
            kwargs=course,
            method="post",
            data=lambda w: {"full_name": "Somebody Else"},
            label="claim",
        ),
    ],
    "certificates:certificate_verify": [
        Case(ALL_200, kwargs=lambda w: {"code": w.other_certificate.code}, label="valid"),
        Case(E(404, 404, 404, 404, 404), kwargs=lambda w: {"code": "ABCD-EFGH-JKMN"}),
    ],
    "certificates:certificate_download": [
        # To a short-lived link to the PDF, for its learner and the certificates' staff.
        Case(
            E(LOGIN, 404, 302, 404, 302),
            kwargs=lambda w: {"code": w.learner_certificate.code},
            label="learner's",
        ),
        Case(
            E(LOGIN, 404, 404, 404, 302),
            kwargs=lambda w: {"code": w.other_certificate.code},
            label="another's",
        ),
    ],
    "certificates:studio_certificates": [Case(STUDIO_PAGE)],
    "certificates:studio_certificate_revoke": [
        Case(
            E(LOGIN, 403, 403, 403, 302),
            kwargs=lambda w: {"code": w.other_certificate.code},
            method="post",
            data=lambda w: {"reason": "refunded"},
        )
    ],
    "api:certificate_status_get": [Case(E(401, 200, 200, 200, 200), kwargs=course)],
    "api:certificate_claim_post": [
        Case(
            E(401, 403, 200, 403, 403),  # the learner's own, as it was claimed
            kwargs=course,
            method="post",
            data=lambda w: {"full_name": "Somebody Else"},
            content_type=JSON,
        )
    ],
    # --- the catalog, the course, lessons ---
    "courses:catalog": [Case(ALL_200)],
    "courses:course_detail": [
        Case(ALL_200, kwargs=course),
        Case(
            E(404, 404, 404, 404, 404),
            kwargs=lambda w: {"slug": w.hidden.course.slug},
            label="unpublished",
        ),
    ],
    "courses:technique_index": [Case(ALL_200, kwargs=course)],
    "courses:dashboard": [Case(OWN_PAGE)],
    "courses:enroll": [
        Case(E(LOGIN, 302, 302, 302, 302), kwargs=course, label="GET"),  # to the course page
        Case(
            E(LOGIN, 400, 302, 400, 400),  # a paid course: buy it; enrolled: "already enrolled"
            kwargs=course,
            method="post",
            label="POST",
        ),
    ],
    "courses:lesson_detail": [
        Case(E(403, 403, 200, 200, 200), kwargs=lesson("paid"), label="paid"),
        Case(ALL_200, kwargs=lesson("preview"), label="preview"),
        Case(E(404, 404, 404, 404, 404), kwargs=lesson("hidden"), label="unpublished course"),
    ],
}


# --- the tests -----------------------------------------------------------------------------

ROUTES = url_routes()
# Texts of the second learner that no page may show to anyone but the instructor (their
# question and name are public to whoever may watch the lesson, like every question).
PRIVATE = (OTHER_EMAIL, OTHER_NOTE, OTHER_LESSON_NOTE)


def _request(w: World, key: str, case: Case, role: str):
    path = reverse(key, kwargs=case.kwargs(w))
    match = resolve(path)
    # (An API path with two operations, e.g. POST and DELETE, resolves to the first's name.)
    assert match.view_name == key or match.route == ROUTES[key], (
        f"{path} resolves to {match.view_name}, not {key}"
    )
    kwargs = {}
    if case.data is not None:
        kwargs["data"] = case.data(w)
    if case.content_type is not None:
        kwargs["content_type"] = case.content_type
    with rolled_back():
        client = client_for(w.users[role])
        return path, getattr(client, case.method)(path, **kwargs)


def _mismatch(expected: int | str, response) -> str | None:
    if expected == LOGIN:
        login = resolve_url(settings.LOGIN_URL)
        location = response.headers.get("Location", "")
        if response.status_code == 302 and location.startswith(login):
            return None
        return f"expected a redirect to {login}, got {response.status_code} {location}".strip()
    if response.status_code != expected:
        return f"expected {expected}, got {response.status_code}"
    return None


@pytest.mark.parametrize("key", sorted(ROUTES))
def test_route_authorization(key, world_db):
    w = world_db
    cases = MATRIX.get(key)
    if cases is None:
        pytest.fail(
            f"new route without an authorization entry: {key} (/{ROUTES[key]}); add it to MATRIX"
        )
    problems = []
    for case in cases:
        for role in ROLES:
            where = f"{case.method.upper()} {key}" + (f" [{case.label}]" if case.label else "")
            try:
                path, response = _request(w, key, case, role)
            except Exception as exc:  # a 500: the test client re-raises the view's exception
                problems.append(f"{where} as {role}: raised {exc!r}")
                continue
            if wrong := _mismatch(case.expect[role], response):
                problems.append(f"{where} {path} as {role}: {wrong}")
            if role != INSTRUCTOR:
                body = response.content.decode(errors="replace")
                leaked = [text for text in (*PRIVATE, w.other_order.number) if text in body]
                if leaked:
                    problems.append(f"{where} as {role}: shows the other learner's {leaked}")
    assert not problems, "\n".join(problems)


def test_the_leak_check_would_see_the_second_learners_order(world_db):
    """A control for the check above: their own receipt does show their order number."""
    w = world_db
    path = reverse("commerce:receipt", kwargs={"number": w.other_order.number})
    with rolled_back():
        response = client_for(w.other).get(path)
    assert response.status_code == 200
    assert w.other_order.number in response.content.decode()


def test_matrix_has_no_stale_entries():
    stale = sorted(set(MATRIX) - set(ROUTES))
    assert not stale, "\n".join(
        f"authorization entry for a route that no longer exists: {key}" for key in stale
    )


def test_the_admin_is_the_only_thing_left_out():
    """The walk skips the admin and nothing else (a regression guard for `_skipped`)."""
    assert "courses:lesson_detail" in ROUTES and "api:lesson_playback" in ROUTES
    assert not any(pattern.startswith(settings.ADMIN_URL) for pattern in ROUTES.values())
