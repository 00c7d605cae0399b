"""`make bench`: certificate and technique-card PDFs render in under 2 s each (issue 15).

Renders each 10 times on this machine (reportlab, the site's DejaVu fonts; the card with a
720p still from the video) and prints the median and the slowest; bench-results/pdf.json.
"""

import json
import statistics
import subprocess
import time
from datetime import date
from decimal import Decimal

from bench.harness import RESULTS
from courses.certificates.pdf import certificate_pdf_render
from courses.learning.cards.pdf import technique_cards_pdf
from courses.models import Certificate, Course, Lesson, Technique
from media_pipeline.processing.encode.runner import ffmpeg_path

ROUNDS = 10


def _timed(render) -> dict:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        body = render()
        times.append(time.perf_counter() - started)
    return {
        "median_ms": round(statistics.median(times) * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
        "bytes": len(body),
        "target_met": max(times) < 2.0,
    }


def test_pdfs_render_in_under_two_seconds(tmp_path, capsys):
    still = tmp_path / "still.jpg"
    subprocess.run(
        [ffmpeg_path(), "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720",
         "-frames:v", "1", "-q:v", "3", str(still)],
        check=True,
    )  # fmt: skip
    course = Course(title="Craniosacral Massage Therapy", slug="c")
    certificate = Certificate(
        code="K7QX-9M2P-4DHT", full_name="Łukasz Zoë Papadopoulou-Nakamura",
        course_title=course.title, ce_hours=Decimal("24.0"),
        ce_provider="NCBTMB Approved Provider #000000", instructor_name="Dana Whitfield",
        completed_on=date(2026, 12, 4),
    )  # fmt: skip
    lesson = Lesson(number=5, title="The Cranial Base, Occipital-Atlas Junction and CV-4")
    techniques = [
        Technique(pk=n, number=n, name=f"Technique {n}", description="Cup the occiput. " * 20,
                  cautions="Not after a recent head injury. " * 5, start_s=10.0 * n)
        for n in range(1, 4)
    ]  # fmt: skip
    frames = {t.pk: still.read_bytes() for t in techniques}
    results = {
        "certificate": _timed(
            lambda: certificate_pdf_render(
                certificate=certificate, verify_url="https://example.org/certificates/K7QX/"
            )
        ),
        "technique card": _timed(
            lambda: technique_cards_pdf(lesson=lesson, techniques=techniques[:1], frames=frames)
        ),
        "lesson cards (3 techniques)": _timed(
            lambda: technique_cards_pdf(lesson=lesson, techniques=techniques, frames=frames)
        ),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pdf.json").write_text(json.dumps(results, indent=2))
    with capsys.disabled():
        for name, result in results.items():
            print(
                f"\n[bench] pdf {name}: median {result['median_ms']} ms, slowest "
                f"{result['max_ms']} ms, {result['bytes']} bytes (target < 2 s: "
                f"{'met' if result['target_met'] else 'NOT met'})"
            )
