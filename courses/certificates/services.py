"""Claiming, making, handing out and revoking certificates of completion."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from courses.certificates.pdf import certificate_pdf_render
from courses.certificates.selectors import certificate_eligibility, certificate_valid_get
from courses.models import Certificate, Course
from courses.queue import task_send_on_commit
from media_pipeline.storage import object_put_bytes, presigned_get_url

logger = logging.getLogger(__name__)

CERTIFICATE_PDF_TASK = "courses.certificates.tasks.certificate_pdf_make"
FULL_NAME_MAX = 150


class CertificateRefused(Exception):
    """Why a certificate cannot be claimed (shown to the learner as it is)."""


def full_name_clean(full_name: str) -> str:
    name = " ".join(full_name.split())
    if not name:
        raise CertificateRefused("Enter your full name as it should appear on the certificate.")
    if len(name) > FULL_NAME_MAX:
        raise CertificateRefused(f"The name can be at most {FULL_NAME_MAX} characters.")
    if any(not ch.isprintable() for ch in name):
        raise CertificateRefused("The name contains characters that cannot be printed.")
    return name


def certificate_claim(*, user, course: Course, full_name: str) -> Certificate:
    """The learner's certificate for ``course``, created now if they completed every lesson.

    Refused (CertificateRefused) without an enrollment or before completion, however it is
    called. Claiming again returns the certificate already given (its name stays as claimed).
    """
    existing = certificate_valid_get(user=user, course=course)
    if existing is not None:
        return existing
    eligibility = certificate_eligibility(user=user, course=course)
    if not eligibility.enrolled:
        raise CertificateRefused("Enroll in the course first.")
    if not eligibility.complete:
        raise CertificateRefused(
            f"Complete every lesson first: {eligibility.lessons_done} of "
            f"{eligibility.lessons_total} done."
        )
    name = full_name_clean(full_name)
    try:
        with transaction.atomic():
            certificate = Certificate.objects.create(
                user=user,
                course=course,
                full_name=name,
                course_title=course.title,
                ce_hours=course.ce_hours,
                ce_provider=course.ce_provider,
                instructor_name=course.instructor_name,
                completed_on=eligibility.completed_on,
            )
            task_send_on_commit(CERTIFICATE_PDF_TASK, [certificate.pk])
    except IntegrityError:  # a second tab claimed at the same moment
        return certificate_valid_get(user=user, course=course)
    return certificate


def certificate_verify_url(certificate: Certificate) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/certificates/{certificate.code}/"


def certificate_pdf_key(certificate: Certificate) -> str:
    return f"certificates/{certificate.code}.pdf"


def certificate_pdf_make(*, certificate_id: int) -> bool:
    """Render the PDF and store it (the Celery task's work); True if it was made now."""
    certificate = Certificate.objects.filter(pk=certificate_id).first()
    if certificate is None or certificate.pdf_key:
        return False
    pdf = certificate_pdf_render(
        certificate=certificate, verify_url=certificate_verify_url(certificate)
    )
    key = certificate_pdf_key(certificate)
    object_put_bytes(pdf, key, content_type="application/pdf")
    certificate.pdf_key, certificate.pdf_made_at = key, timezone.now()
    certificate.save(update_fields=["pdf_key", "pdf_made_at"])
    return True


def certificate_pdf_ensure(*, certificate: Certificate) -> None:
    """Queue the PDF again if it is missing (a task lost while the broker was down)."""
    if not certificate.pdf_key:
        task_send_on_commit(CERTIFICATE_PDF_TASK, [certificate.pk])


def certificate_download_url(*, certificate: Certificate) -> str:
    """A short-lived link to the PDF, saved under a name that says what it is."""
    title = "".join(ch for ch in certificate.course_title if ch.isalnum() or ch in " -,")
    filename = f"Certificate - {title.strip()[:80]} - {certificate.code}.pdf"
    return presigned_get_url(
        certificate.pdf_key,
        expires_s=settings.CERTIFICATE_URL_TTL_S,
        filename=filename,
    )


def certificate_revoke(*, certificate: Certificate, by, reason: str) -> Certificate:
    reason = " ".join(reason.split())
    if not reason:
        raise CertificateRefused("Say why the certificate is revoked (it is kept on record).")
    if certificate.revoked_at is None:
        certificate.revoked_at = timezone.now()
        certificate.revoked_reason = reason[:300]
        certificate.revoked_by = by
        certificate.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
        logger.info("certificate %s revoked by %s: %s", certificate.code, by, reason)
    return certificate
