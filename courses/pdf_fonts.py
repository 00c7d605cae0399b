"""The fonts every PDF of the site prints with (certificates, notes, technique cards).

DejaVu (Debian's fonts-dejavu-core, in the image) covers the names and notes people write,
far beyond Latin-1; where it is missing, reportlab's own Bitstream Vera (the same design,
Latin-1 only) is used, with a warning. The standard PDF fonts are not: they cannot print most
text outside Western Europe.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import reportlab
from django.conf import settings
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

logger = logging.getLogger(__name__)


@functools.cache
def pdf_fonts() -> tuple[str, str]:
    """(regular, bold) font names registered with reportlab."""
    candidates = [
        (Path(settings.CERTIFICATE_FONT_DIR), "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
        (Path(reportlab.__file__).parent / "fonts", "Vera.ttf", "VeraBd.ttf"),
    ]
    for folder, regular, bold in candidates:
        if (folder / regular).exists() and (folder / bold).exists():
            pdfmetrics.registerFont(TTFont("SiteSans", str(folder / regular)))
            pdfmetrics.registerFont(TTFont("SiteSans-Bold", str(folder / bold)))
            if regular.startswith("Vera"):
                logger.warning(
                    "DejaVu fonts not found in %s: text outside Latin-1 will not print "
                    "(install fonts-dejavu-core)",
                    settings.CERTIFICATE_FONT_DIR,
                )
            return "SiteSans", "SiteSans-Bold"
    return "Helvetica", "Helvetica-Bold"
