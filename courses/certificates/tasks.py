"""Celery entry point of certificates: thin, the work is in services."""

from celery import shared_task

from courses.certificates.services import CERTIFICATE_PDF_TASK, certificate_pdf_make


@shared_task(name=CERTIFICATE_PDF_TASK, autoretry_for=(OSError,), retry_backoff=10, max_retries=8)
def certificate_pdf_make_task(certificate_id: int) -> bool:
    return certificate_pdf_make(certificate_id=certificate_id)
