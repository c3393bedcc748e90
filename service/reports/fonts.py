"""The report's typefaces in ReportLab: DejaVu Sans where the system has it (it covers most scripts a name or note
may use), else the Bitstream Vera that ReportLab ships (Western European letters only)."""

from __future__ import annotations

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

REGULAR, BOLD = "Sans", "Sans-Bold"


def register(name: str, *files: str) -> None:
    """The first of the files found on ReportLab's font search path, under the name."""
    for file in files:
        try:
            pdfmetrics.registerFont(TTFont(name, file))
            return
        except TTFError:
            continue
    raise TTFError(f"none of {files} is on ReportLab's font search path")


register(REGULAR, "DejaVuSans.ttf", "Vera.ttf")
register(BOLD, "DejaVuSans-Bold.ttf", "VeraBd.ttf")
pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
