"""A learner's notes as a file to keep: Markdown (the text as typed) or a printable PDF."""

from __future__ import annotations

import io
from collections.abc import Iterable
from itertools import groupby

from django.utils.html import escape
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from courses.models import Course, LessonNote
from courses.pdf_fonts import pdf_fonts
from media_pipeline.formatting import duration_label


def _lesson_heading(note: LessonNote) -> str:
    return f"Lesson {note.lesson.number}: {note.lesson.title}"


def _note_heading(note: LessonNote) -> str:
    where = duration_label(note.time_s)
    if note.technique_id:
        where += f", technique {note.technique.number}: {note.technique.name}"
    return where


def notes_markdown(*, course: Course, notes: Iterable[LessonNote], site_url: str) -> str:
    lines = [f"# My notes: {course.title}", ""]
    for _, group in groupby(notes, key=lambda n: n.lesson_id):
        group = list(group)
        first = group[0]
        url = f"{site_url.rstrip('/')}/courses/{course.slug}/lessons/{first.lesson.number}/"
        lines += [f"## {_lesson_heading(first)}", ""]
        for note in group:
            link = f"{url}?t={int(note.time_s)}"
            lines += [f"### [{_note_heading(note)}]({link})", "", note.body or "(bookmark)", ""]
    if len(lines) == 2:
        lines += ["No notes yet.", ""]
    return "\n".join(lines)


def notes_pdf(*, course: Course, notes: Iterable[LessonNote]) -> bytes:
    regular, bold = pdf_fonts()
    styles = {
        "title": ParagraphStyle("title", fontName=bold, fontSize=18, leading=22, spaceAfter=8),
        "lesson": ParagraphStyle("lesson", fontName=bold, fontSize=13, leading=17, spaceBefore=10),
        "when": ParagraphStyle("when", fontName=bold, fontSize=10, leading=13, spaceBefore=6),
        "body": ParagraphStyle("body", fontName=regular, fontSize=10, leading=14),
    }
    story = [Paragraph(escape(f"My notes: {course.title}"), styles["title"])]
    count = 0
    for _, group in groupby(notes, key=lambda n: n.lesson_id):
        group = list(group)
        story.append(Paragraph(escape(_lesson_heading(group[0])), styles["lesson"]))
        for note in group:
            count += 1
            story.append(Paragraph(escape(_note_heading(note)), styles["when"]))
            # Plain text with its line breaks: Markdown's marks stay as the learner typed them.
            text = escape(note.body or "(bookmark)").replace("\n", "<br/>")
            story.append(Paragraph(text, styles["body"]))
    if not count:
        story.append(Paragraph("No notes yet.", styles["body"]))
    story.append(Spacer(1, 4 * mm))
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, title=f"My notes: {course.title}", leftMargin=18 * mm,
        rightMargin=18 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
    )  # fmt: skip
    doc.build(story)
    return out.getvalue()
