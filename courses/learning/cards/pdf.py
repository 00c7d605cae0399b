"""Technique cards: a printable page per technique (name, lesson, hand placement, cautions
and contraindications set apart, a still from the video at its start), in the site's fonts."""

from __future__ import annotations

import io

from django.utils.html import escape
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from courses.models import Lesson, Technique
from courses.pdf_fonts import pdf_fonts
from media_pipeline.formatting import duration_label

CAUTION = HexColor("#8a1c1c")
CAUTION_BACKGROUND = HexColor("#fbeaea")


def _styles() -> dict:
    regular, bold = pdf_fonts()
    return {
        "kicker": ParagraphStyle("kicker", fontName=regular, fontSize=10, leading=13,
                                 textColor=HexColor("#52606d")),
        "title": ParagraphStyle("title", fontName=bold, fontSize=20, leading=24, spaceAfter=6),
        "heading": ParagraphStyle("heading", fontName=bold, fontSize=12, leading=16, spaceBefore=8),
        "body": ParagraphStyle("body", fontName=regular, fontSize=11, leading=15),
        "caution_title": ParagraphStyle("ct", fontName=bold, fontSize=12, leading=16,
                                        textColor=CAUTION),
        "caution": ParagraphStyle("c", fontName=regular, fontSize=11, leading=15,
                                  textColor=CAUTION),
    }  # fmt: skip


def _text(value: str) -> str:
    return escape(value).replace("\n", "<br/>")


def _card(technique: Technique, lesson: Lesson, frame: bytes | None, styles: dict) -> list:
    story = [
        Paragraph(_text(f"Lesson {lesson.number}: {lesson.title}"), styles["kicker"]),
        Paragraph(_text(f"Technique {technique.number}: {technique.name}"), styles["title"]),
    ]
    if technique.cautions:
        # Cautions first and boxed: the one part of the card nobody may skip.
        box = Table(
            [[Paragraph("Cautions and contraindications", styles["caution_title"])],
             [Paragraph(_text(technique.cautions), styles["caution"])]],
            colWidths=[170 * mm],
        )  # fmt: skip
        box.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, -1), CAUTION_BACKGROUND),
            ("BOX", (0, 0), (-1, -1), 1.5, CAUTION),
            ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
        ]))  # fmt: skip
        story += [box, Spacer(1, 4 * mm)]
    if frame:
        image = Image(io.BytesIO(frame))
        scale = min(170 * mm / image.imageWidth, 95 * mm / image.imageHeight)
        image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
        story.append(image)
        if technique.start_s is not None:
            story.append(
                Paragraph(f"The video at {duration_label(technique.start_s)}", styles["kicker"])
            )
    story.append(Paragraph("Hand placement", styles["heading"]))
    story.append(Paragraph(_text(technique.description or "See the lesson video."), styles["body"]))
    return [KeepTogether(story)]


def technique_cards_pdf(*, lesson: Lesson, techniques: list[Technique], frames: dict) -> bytes:
    """One page per technique, in their order; ``frames``: {technique id: JPEG bytes}."""
    styles = _styles()
    story: list = []
    for n, technique in enumerate(techniques):
        if n:
            story.append(PageBreak())
        story += _card(technique, lesson, frames.get(technique.pk), styles)
    out = io.BytesIO()
    title = (
        f"Technique {techniques[0].number}: {techniques[0].name}"
        if len(techniques) == 1
        else f"Lesson {lesson.number}: technique cards"
    )
    doc = SimpleDocTemplate(
        out, pagesize=A4, title=title, leftMargin=20 * mm, rightMargin=20 * mm,
        topMargin=18 * mm, bottomMargin=18 * mm,
    )  # fmt: skip
    doc.build(story)
    return out.getvalue()
