"""Single-use codes: one account, once; revocable; wrong tries limited and logged."""

import csv
import io
import logging

import pytest
from django.core.cache import cache
from django.urls import reverse

from courses.client_ip import client_ip
from courses.commerce.services.codes import (
    CodeError,
    access_code_redeem,
    access_code_revoke,
    access_codes_generate,
    code_display,
)
from courses.models import AccessCode, Enrollment
from tests.factories import InstructorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def test_a_code_enrolls_one_account_once(course, make_user):
    code = access_codes_generate(course=course, count=3, batch="Workshop")[0]
    alice, bob = make_user("alice"), make_user("bob")
    typed = code_display(code.code).lower().replace("-", " - ")
    enrollment = access_code_redeem(user=alice, course=course, code=typed, client_ip="10.0.0.1")
    assert enrollment.source == Enrollment.Source.CODE
    code.refresh_from_db()
    assert code.redeemed_by == alice and code.redeemed_at
    with pytest.raises(CodeError, match="already been used"):
        access_code_redeem(user=bob, course=course, code=code.code, client_ip="10.0.0.2")
    assert not Enrollment.objects.filter(user=bob).exists()


def test_an_enrolled_learner_does_not_use_up_a_code(course, make_user):
    code = access_codes_generate(course=course, count=1)[0]
    alice = make_user("alice")
    Enrollment.objects.create(user=alice, course=course, source="comp")
    access_code_redeem(user=alice, course=course, code=code.code, client_ip="10.0.0.1")
    code.refresh_from_db()
    assert code.redeemed_at is None


def test_a_revoked_code_is_refused(course, make_user):
    code = access_codes_generate(course=course, count=1)[0]
    assert access_code_revoke(access_code=code) is True
    assert access_code_revoke(access_code=code) is False
    with pytest.raises(CodeError, match="withdrawn"):
        access_code_redeem(user=make_user("alice"), course=course, code=code.code, client_ip="1")


def test_a_code_works_only_for_its_course(course, make_user):
    from tests.factories import CourseFactory

    other = CourseFactory(price_minor=5000)
    code = access_codes_generate(course=other, count=1)[0]
    with pytest.raises(CodeError, match="not right"):
        access_code_redeem(user=make_user("alice"), course=course, code=code.code, client_ip="1")


def test_wrong_codes_are_limited_per_account_and_logged(course, make_user, settings, caplog):
    settings.ACCESS_CODE_MAX_FAILURES = 3
    good = access_codes_generate(course=course, count=1)[0]
    alice = make_user("alice")
    with caplog.at_level(logging.WARNING, logger="courses.commerce.services.codes"):
        for n in range(3):
            with pytest.raises(CodeError, match="not right"):
                access_code_redeem(
                    user=alice, course=course, code=f"WRONG{n}", client_ip=f"10.0.0.{n}"
                )
        # Even the right code is refused now: the window has to pass.
        with pytest.raises(CodeError, match="Too many"):
            access_code_redeem(user=alice, course=course, code=good.code, client_ip="10.9.9.9")
    assert sum("unknown code tried" in r.message for r in caplog.records) == 3
    assert "throttled" in caplog.records[-1].message
    good.refresh_from_db()
    assert good.redeemed_at is None


def test_wrong_codes_are_limited_per_ip(course, make_user, settings):
    settings.ACCESS_CODE_MAX_FAILURES_PER_IP = 2
    for name in ("a", "b"):
        with pytest.raises(CodeError):
            access_code_redeem(
                user=make_user(name), course=course, code="NOPE", client_ip="6.6.6.6"
            )
    good = access_codes_generate(course=course, count=1)[0]
    with pytest.raises(CodeError, match="Too many"):
        access_code_redeem(user=make_user("c"), course=course, code=good.code, client_ip="6.6.6.6")


def test_the_legacy_shared_code_still_works_where_a_course_has_one(course, make_user):
    course.requires_access_code, course.access_code = True, "CRANIO-2024"
    course.save(update_fields=["requires_access_code", "access_code"])
    enrollment = access_code_redeem(
        user=make_user("dvd"), course=course, code="cranio-2024", client_ip="1"
    )
    assert enrollment.source == Enrollment.Source.LEGACY_CODE


def test_redeeming_on_the_course_page_keeps_a_refused_code(client, course, make_user):
    client.force_login(make_user("alice"))
    response = client.post(reverse("commerce:redeem", args=[course.slug]), {"code": "ABCD-1234"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="ABCD-1234"' in html and "not right" in html
    code = access_codes_generate(course=course, count=1)[0]
    response = client.post(reverse("commerce:redeem", args=[course.slug]), {"code": code.code})
    assert response.status_code == 302 and Enrollment.objects.filter(course=course).exists()


def test_the_studio_generates_exports_and_revokes_codes(client, course):
    client.force_login(InstructorFactory())
    url = reverse("commerce:studio_codes", args=[course.slug])
    response = client.post(url, {"count": "5", "batch": "DVD owners"})
    assert response.status_code == 302 and AccessCode.objects.filter(course=course).count() == 5
    rows = list(csv.DictReader(io.StringIO(
        client.get(reverse("commerce:studio_codes_csv", args=[course.slug])).content.decode()
    )))  # fmt: skip
    assert len(rows) == 5 and {row["batch"] for row in rows} == {"DVD owners"}
    assert all(len(row["code"]) == 14 and row["status"] == "unused" for row in rows)
    code = AccessCode.objects.filter(course=course).first()
    client.post(reverse("commerce:studio_code_revoke", args=[course.slug, code.pk]))
    code.refresh_from_db()
    assert code.revoked_at is not None
    refused = client.post(url, {"count": "lots", "batch": "x"})
    assert refused.status_code == 400 and 'value="x"' in refused.content.decode()


def test_codes_are_unguessable_and_unique(course):
    codes = access_codes_generate(course=course, count=500)
    assert len({c.code for c in codes}) == 500
    assert all(len(c.code) == 12 and c.code.isalnum() and c.code.isupper() for c in codes)


def test_the_client_ip_behind_the_trusted_proxy(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_ip(request) == "10.0.0.2"  # no proxy trusted: the header is ignored
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.9"  # the forged left entry is never used
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"
