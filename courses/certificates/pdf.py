"""The certificate as a one-page PDF (reportlab), with a QR code of its verification URL,
in the site's PDF fonts (courses.pdf_fonts)."""

from __future__ import annotations

import io

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from courses.models import Certificate
from courses.pdf_fonts import pdf_fonts

INK = HexColor("#1f2933")
MUTED = HexColor("#52606d")
ACCENT = HexColor("#2f6f62")


def _fit(canvas: Canvas, text: str, font: str, size: float, width: float) -> float:
    """The largest size up to ``size`` at which ``text`` fits ``width``."""
    while size > 8 and canvas.stringWidth(text, font, size) > width:
        size -= 1
    return size


def _hours(certificate: Certificate) -> str:
    if certificate.ce_hours is None:
        return ""
    hours = f"{certificate.ce_hours.normalize():f}"
    return f"{hours} continuing-education hour{'' if hours == '1' else 's'}"


def certificate_pdf_render(*, certificate: Certificate, verify_url: str) -> bytes:
    regular, bold = pdf_fonts()
    out = io.BytesIO()
    width, height = landscape(A4)
    canvas = Canvas(out, pagesize=(width, height), pageCompression=1)
    canvas.setTitle(f"Certificate of completion: {certificate.course_title}")
    canvas.setAuthor(certificate.instructor_name or "Course platform")
    canvas.setSubject(f"Verification code {certificate.code}")
    margin = 18 * mm
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(2)
    canvas.rect(margin / 2, margin / 2, width - margin, height - margin)
    centre = width / 2
    usable = width - 3 * margin

    y = height - 48 * mm
    canvas.setFillColor(ACCENT)
    canvas.setFont(bold, 30)
    canvas.drawCentredString(centre, y, "Certificate of Completion")
    canvas.setFillColor(MUTED)
    canvas.setFont(regular, 13)
    canvas.drawCentredString(centre, y - 14 * mm, "This certifies that")
    canvas.setFillColor(INK)
    size = _fit(canvas, certificate.full_name, bold, 28, usable)
    canvas.setFont(bold, size)
    canvas.drawCentredString(centre, y - 30 * mm, certificate.full_name)
    canvas.setFillColor(MUTED)
    canvas.setFont(regular, 13)
    canvas.drawCentredString(centre, y - 43 * mm, "has completed the course")
    canvas.setFillColor(INK)
    size = _fit(canvas, certificate.course_title, bold, 18, usable)
    canvas.setFont(bold, size)
    canvas.drawCentredString(centre, y - 55 * mm, certificate.course_title)

    lines = [
        f"Completed on {certificate.completed_on:%B} {certificate.completed_on.day}, "
        f"{certificate.completed_on.year}"
    ]
    if hours := _hours(certificate):
        lines.append(hours)
    if certificate.ce_provider:
        lines.append(certificate.ce_provider)
    if certificate.instructor_name:
        lines.append(f"Instructor: {certificate.instructor_name}")
    canvas.setFont(regular, 12)
    for n, line in enumerate(lines):
        canvas.setFillColor(INK if n == 0 else MUTED)
        size = _fit(canvas, line, regular, 12, usable)
        canvas.setFont(regular, size)
        canvas.drawCentredString(centre, y - (70 + 7 * n) * mm, line)

    # The QR code and the code: anyone holding the paper can check it is real.
    qr_size = 30 * mm
    widget = QrCodeWidget(verify_url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(
        qr_size, qr_size, transform=[qr_size / (x1 - x0), 0, 0, qr_size / (y1 - y0), 0, 0]
    )
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, width - margin - qr_size, margin)
    canvas.setFillColor(MUTED)
    canvas.setFont(regular, 9)
    canvas.drawRightString(
        width - margin - qr_size - 4 * mm, margin + 12 * mm, f"Verification code {certificate.code}"
    )
    canvas.drawRightString(width - margin - qr_size - 4 * mm, margin + 6 * mm, verify_url)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
