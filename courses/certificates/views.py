"""The learner's certificate page, its download, the public verification page, and the
studio's list with revocation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from courses import access
from courses.certificates.selectors import (
    certificate_by_code,
    certificate_eligibility,
    certificate_valid_get,
    certificates_for_staff,
)
from courses.certificates.services import (
    FULL_NAME_MAX,
    CertificateRefused,
    certificate_claim,
    certificate_download_url,
    certificate_pdf_ensure,
    certificate_revoke,
    certificate_verify_url,
)
from courses.models import Certificate, Course

DENIED = "Only staff who manage certificates can see this page."


@login_required
@require_http_methods(["GET", "POST"])
def course_certificate(request: HttpRequest, slug: str) -> HttpResponse:
    """Progress towards the certificate, the claim form (the name as it will be printed),
    then the certificate with its code, verification link and download."""
    course = get_object_or_404(Course, slug=slug, is_published=True)
    certificate = certificate_valid_get(user=request.user, course=course)
    error = ""
    typed = request.POST.get("full_name", "") if request.method == "POST" else ""
    if request.method == "POST" and certificate is None:
        try:
            certificate = certificate_claim(user=request.user, course=course, full_name=typed)
        except CertificateRefused as refused:
            error = str(refused)
        else:
            messages.success(request, "Your certificate is ready to download in a moment.")
            return redirect("certificates:course_certificate", slug=course.slug)
    if certificate is not None:
        certificate_pdf_ensure(certificate=certificate)
    eligibility = certificate_eligibility(user=request.user, course=course)
    suggested = typed or request.user.get_full_name()
    context = {
        "course": course,
        "certificate": certificate,
        "eligibility": eligibility,
        "full_name": suggested,
        "full_name_max": FULL_NAME_MAX,
        "error": error,
        "verify_url": certificate_verify_url(certificate) if certificate else "",
    }
    status = 400 if error else 200
    return render(request, "certificates/course_certificate.html", context, status=status)


@login_required
@require_safe
def certificate_download(request: HttpRequest, code: str) -> HttpResponse:
    certificate = certificate_by_code(code=code)
    # Another learner's code is "not found", not "forbidden": codes are not confirmed.
    if certificate is None or not access.can_download_certificate(
        user=request.user, owner_id=certificate.user_id
    ):
        raise Http404("No such certificate.")
    if not certificate.pdf_key:
        certificate_pdf_ensure(certificate=certificate)
        messages.info(request, "The PDF is still being made: try again in a few seconds.")
        return redirect("certificates:course_certificate", slug=certificate.course.slug)
    response = redirect(certificate_download_url(certificate=certificate))
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def certificate_verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: valid (name, course, hours, date), revoked, or unknown; nothing else."""
    certificate = certificate_by_code(code=code)
    if certificate is None:
        return render(request, "certificates/verify_unknown.html", {"code": code}, status=404)
    response = render(request, "certificates/verify.html", {"certificate": certificate})
    response["X-Robots-Tag"] = "noindex"
    return response


@access.page_requires(access.can_manage_certificates, denied=DENIED)
@require_safe
def studio_certificates(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    rows = certificates_for_staff(query=query)
    return render(request, "certificates/studio_certificates.html", {"rows": rows, "q": query})


@access.page_requires(access.can_manage_certificates, denied=DENIED)
@require_POST
def studio_certificate_revoke(request: HttpRequest, code: str) -> HttpResponse:
    certificate = get_object_or_404(Certificate, code=code)
    try:
        certificate_revoke(
            certificate=certificate, by=request.user, reason=request.POST.get("reason", "")
        )
    except CertificateRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Certificate {certificate.code} revoked.")
    return redirect("certificates:studio_certificates")
