"""The certificate as JSON (mounted at /api/ by config/api.py): where a learner stands, and
claiming it. The same services as the page: no completion, no certificate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.security import django_auth

from courses.certificates.selectors import certificate_eligibility, certificate_valid_get
from courses.certificates.services import (
    CertificateRefused,
    certificate_claim,
    certificate_verify_url,
)
from courses.models import Course

router = Router(tags=["certificates"], auth=django_auth)


class CertificateOut(Schema):
    code: str
    full_name: str
    course_title: str
    ce_hours: Decimal | None
    completed_on: date
    verify_url: str
    pdf_ready: bool


class CertificateStatusOut(Schema):
    enrolled: bool
    lessons_done: int
    lessons_total: int
    complete: bool
    certificate: CertificateOut | None


class ClaimIn(Schema):
    full_name: str


class DetailOut(Schema):
    detail: str


def _certificate_out(certificate) -> dict:
    return {
        "code": certificate.code,
        "full_name": certificate.full_name,
        "course_title": certificate.course_title,
        "ce_hours": certificate.ce_hours,
        "completed_on": certificate.completed_on,
        "verify_url": certificate_verify_url(certificate),
        "pdf_ready": bool(certificate.pdf_key),
    }


@router.get(
    "/me/courses/{slug}/certificate",
    response={200: CertificateStatusOut, 401: DetailOut, 404: DetailOut},
    summary="Where the learner stands towards the course's certificate",
)
def certificate_status_get(request: HttpRequest, slug: str):
    course = get_object_or_404(Course, slug=slug, is_published=True)
    eligibility = certificate_eligibility(user=request.user, course=course)
    certificate = certificate_valid_get(user=request.user, course=course)
    return {
        "enrolled": eligibility.enrolled,
        "lessons_done": eligibility.lessons_done,
        "lessons_total": eligibility.lessons_total,
        "complete": eligibility.complete,
        "certificate": _certificate_out(certificate) if certificate else None,
    }


@router.post(
    "/me/courses/{slug}/certificate",
    response={
        200: CertificateOut,
        400: DetailOut,
        401: DetailOut,  # django_auth: not signed in ({"detail": "Unauthorized"})
        403: DetailOut,
        404: DetailOut,
        409: DetailOut,
    },
    summary="Claim the certificate of a completed course (the name as it will be printed)",
)
def certificate_claim_post(request: HttpRequest, slug: str, payload: ClaimIn):
    course = get_object_or_404(Course, slug=slug, is_published=True)
    eligibility = certificate_eligibility(user=request.user, course=course)
    if not eligibility.enrolled:
        return Status(403, {"detail": "Enroll in the course first."})
    try:
        certificate = certificate_claim(
            user=request.user, course=course, full_name=payload.full_name
        )
    except CertificateRefused as refused:
        return Status(409 if not eligibility.complete else 400, {"detail": str(refused)})
    return Status(200, _certificate_out(certificate))
