"""Certificates of completion: gated on completion however they are asked for, a PDF in the
object store behind a short-lived link, a public check that says valid, revoked or unknown
and nothing else about the learner, revocation by staff."""

import io
import re
import urllib.parse
import urllib.request
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from courses.certificates.selectors import certificate_by_code, certificate_eligibility
from courses.certificates.services import (
    CertificateRefused,
    certificate_claim,
    certificate_pdf_make,
)
from courses.models import Certificate, Enrollment, LessonProgress
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    LessonFactory,
    UserFactory,
    ready_video_create,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    course = CourseFactory(
        title="Craniosacral Massage Therapy", ce_hours=Decimal("24.0"),
        ce_provider="NCBTMB Approved Provider #000000", instructor_name="Dana Whitfield",
    )  # fmt: skip
    LessonFactory(course=course, number=1, title="Listening touch", video=ready_video_create(600))
    LessonFactory(course=course, number=2, title="A safe session", video=None)
    return course


@pytest.fixture
def learner(course):
    user = UserFactory(username="maria", email="maria@example.org", first_name="Maria")
    Enrollment.objects.create(user=user, course=course)
    return user


def complete(user, course, *, theory=True):
    video_lesson, theory_lesson = course.lessons.order_by("number")
    LessonProgress.objects.create(
        user=user, lesson=video_lesson, intervals=[[0, 600]], watched_s=600,
        last_watched_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    if theory:
        LessonProgress.objects.create(
            user=user, lesson=theory_lesson, marked_complete_at=timezone.now()
        )


def page(course) -> str:
    return f"/courses/{course.slug}/certificate/"


def test_nobody_gets_one_without_completing_every_lesson(course, learner):
    client = Client()
    client.force_login(learner)
    response = client.post(page(course), {"full_name": "Maria Lopez"})
    assert response.status_code == 400 and "0 of 2 done" in response.content.decode()
    complete(learner, course, theory=False)  # the theory lesson is not marked
    response = client.post(page(course), {"full_name": "Maria Lopez"})
    assert response.status_code == 400 and "1 of 2 done" in response.content.decode()
    with pytest.raises(CertificateRefused):
        certificate_claim(user=learner, course=course, full_name="Maria Lopez")
    # Not enrolled at all (a refund took the seat back): refused as well.
    stranger = UserFactory()
    complete(stranger, course)
    with pytest.raises(CertificateRefused, match="Enroll"):
        certificate_claim(user=stranger, course=course, full_name="Someone")
    assert not Certificate.objects.exists()


def test_a_completed_course_gives_a_certificate_with_what_it_certifies(course, learner):
    complete(learner, course)
    client = Client()
    client.force_login(learner)
    form = client.get(page(course)).content.decode()
    assert 'value="Maria"' in form  # the account's name, to be corrected before claiming
    response = client.post(page(course), {"full_name": "  Maria   López  "})
    assert response.status_code == 302
    certificate = Certificate.objects.get()
    assert certificate.full_name == "Maria López"
    assert (certificate.course_title, certificate.ce_hours) == (course.title, Decimal("24.0"))
    assert certificate.instructor_name == "Dana Whitfield"
    assert certificate.completed_on == (timezone.now() - timedelta(days=1)).date()
    group = "[2-9A-HJKMNP-Z]{4}"
    assert re.fullmatch(f"{group}-{group}-{group}", certificate.code)
    # Claiming again changes nothing (the name stays as claimed).
    again = certificate_claim(user=learner, course=course, full_name="Someone Else")
    assert again.pk == certificate.pk and again.full_name == "Maria López"
    # A later change of the course changes no certificate given.
    course.title = "Renamed"
    course.save(update_fields=["title"])
    certificate.refresh_from_db()
    assert certificate.course_title == "Craniosacral Massage Therapy"


def test_the_pdf_is_stored_and_downloaded_through_a_short_lived_link(
    course, learner, seaweedfs, settings
):
    complete(learner, course)
    learner_name = "Łukasz Zoë Ζωή"  # beyond Latin-1: DejaVu prints it
    certificate = certificate_claim(user=learner, course=course, full_name=learner_name)
    client = Client()
    client.force_login(learner)
    # Before the task ran: no link yet, the page says it is being made.
    assert "being made" in client.get(page(course)).content.decode()
    assert certificate_pdf_make(certificate_id=certificate.pk) is True
    assert certificate_pdf_make(certificate_id=certificate.pk) is False  # made once
    html = client.get(page(course)).content.decode()
    download = f"/certificates/{certificate.code}/download/"
    assert download in html
    response = client.get(download)
    assert response.status_code == 302 and response["Cache-Control"] == "no-store"
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(response.url).query)
    assert int(query["X-Amz-Expires"][0]) == settings.CERTIFICATE_URL_TTL_S
    with urllib.request.urlopen(response.url, timeout=10) as stored:
        body = stored.read()
        disposition = stored.headers["Content-Disposition"]
    assert body.startswith(b"%PDF") and "attachment" in disposition
    assert "Certificate - Craniosacral Massage Therapy" in disposition
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    for expected in (learner_name, course.title, certificate.code, "24 continuing-education hours",
                     "NCBTMB Approved Provider", "Dana Whitfield"):  # fmt: skip
        assert expected in text, expected
    # Another learner's code is not found (not "forbidden": codes are not confirmed).
    other = UserFactory()
    client.force_login(other)
    assert client.get(download).status_code == 404


def test_the_public_check_says_valid_revoked_or_unknown_and_nothing_else(course, learner):
    complete(learner, course)
    certificate = certificate_claim(user=learner, course=course, full_name="Maria López")
    verify = Client().get(f"/certificates/{certificate.code.lower().replace('-', '')}/")
    html = verify.content.decode()
    assert verify.status_code == 200 and "Valid." in html
    for shown in ("Maria López", course.title, "24", "NCBTMB"):
        assert shown in html
    for hidden in ("maria@example.org", "maria", learner.username):
        assert hidden not in html.replace("Maria", "")  # no e-mail, no account name
    assert "noindex" in verify["X-Robots-Tag"]
    unknown = Client().get("/certificates/ZZZZ-ZZZZ-ZZZZ/")
    assert unknown.status_code == 404 and "Unknown certificate" in unknown.content.decode()
    assert Client().get("/certificates/not-a-code/").status_code == 404

    staff = Client()
    staff.force_login(InstructorFactory())
    refused = staff.post(f"/studio/certificates/{certificate.code}/revoke", {"reason": " "})
    assert refused.status_code == 302
    certificate.refresh_from_db()
    assert certificate.is_valid  # a reason is required
    staff.post(f"/studio/certificates/{certificate.code}/revoke", {"reason": "Refunded"})
    certificate.refresh_from_db()
    assert certificate.revoked_reason == "Refunded" and certificate.revoked_by is not None
    revoked = Client().get(f"/certificates/{certificate.code}/").content.decode()
    assert "Revoked." in revoked
    assert "Maria" not in revoked and "Refunded" not in revoked  # nothing about the learner


def test_only_staff_with_the_permission_see_and_revoke(course, learner):
    complete(learner, course)
    certificate = certificate_claim(user=learner, course=course, full_name="Maria López")
    no_rights = Client()
    no_rights.force_login(UserFactory(is_staff=True))
    assert no_rights.get("/studio/certificates/").status_code == 403
    assert (
        no_rights.post(
            f"/studio/certificates/{certificate.code}/revoke", {"reason": "x"}
        ).status_code
        == 403
    )
    assert Client().get("/studio/certificates/").status_code == 302  # to log in
    staff = Client()
    staff.force_login(InstructorFactory())
    listing = staff.get("/studio/certificates/?q=maria").content.decode()
    assert certificate.code in listing and "maria" in listing
    certificate.refresh_from_db()
    assert certificate.is_valid


def test_codes_are_found_however_they_are_typed(course, learner):
    complete(learner, course)
    certificate = certificate_claim(user=learner, course=course, full_name="Maria López")
    for typed in (certificate.code, certificate.code.lower(), certificate.code.replace("-", " ")):
        assert certificate_by_code(code=typed) == certificate
    assert certificate_by_code(code="") is None
    assert certificate_eligibility(user=learner, course=course).complete


def test_the_api_refuses_without_completion_and_gives_it_after(course, learner):
    client = Client(enforce_csrf_checks=False)
    url = f"/api/me/courses/{course.slug}/certificate"
    anonymous = Client().post(url, {"full_name": "X"}, content_type="application/json")
    assert anonymous.status_code == 401
    client.force_login(UserFactory())  # not enrolled
    assert client.post(url, {"full_name": "X"}, content_type="application/json").status_code == 403
    client.force_login(learner)
    status = client.get(url).json()
    assert status == {"enrolled": True, "lessons_done": 0, "lessons_total": 2,
                      "complete": False, "certificate": None}  # fmt: skip
    refused = client.post(url, {"full_name": "Maria"}, content_type="application/json")
    assert refused.status_code == 409 and "0 of 2 done" in refused.json()["detail"]
    assert not Certificate.objects.exists()
    complete(learner, course)
    blank = client.post(url, {"full_name": "   "}, content_type="application/json")
    assert blank.status_code == 400
    given = client.post(url, {"full_name": "Maria López"}, content_type="application/json")
    assert given.status_code == 200
    body = given.json()
    assert body["full_name"] == "Maria López" and body["verify_url"].endswith(
        f"/certificates/{body['code']}/"
    )
    assert client.get(url).json()["certificate"]["code"] == body["code"]
