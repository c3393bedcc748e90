"""The termly report on paper: its own HTML laid out as an A4 landscape PDF by ReportLab.

The HTML is the one source of the report's words; this reads the few elements
its template uses (headings, paragraphs, the cover's definition list, lists,
tables with captions and header cells, figures) into ReportLab flowables, so
screen and paper cannot drift apart. Tables repeat their header row on every
page; every page carries the report's footer (the audit chain's head) and
"page n of m". The same HTML gives the same PDF bytes (ReportLab's invariant
mode: no creation date or random document id).
"""

from __future__ import annotations

import io
from html import escape
from html.parser import HTMLParser

from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor, black
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (CondPageBreak, HRFlowable, KeepTogether, ListFlowable, Paragraph, SimpleDocTemplate,
                                Table, TableStyle)

from service.reports.fonts import BOLD, REGULAR

PAGE = landscape(A4)
MARGIN = 1.5 * cm
WIDTH = PAGE[0] - 2 * MARGIN - 12  # within the frame's padding of 6 pt a side
BODY = ParagraphStyle("p", fontName=REGULAR, fontSize=9, leading=11.5, spaceAfter=4)
CELL = ParagraphStyle("td", BODY, fontSize=8, leading=10, spaceAfter=0)
STYLES = {
    "p": BODY, "li": BODY, "td": CELL, "dd": CELL,
    "th": ParagraphStyle("th", CELL, fontName=BOLD), "dt": ParagraphStyle("dt", CELL, fontName=BOLD),
    "h1": ParagraphStyle("h1", BODY, fontName=BOLD, fontSize=18, leading=22, spaceAfter=6),
    "h2": ParagraphStyle("h2", BODY, fontName=BOLD, fontSize=13, leading=16, spaceBefore=14, spaceAfter=2),
    "h3": ParagraphStyle("h3", BODY, fontName=BOLD, fontSize=10.5, leading=13, spaceBefore=9),
    "kicker": ParagraphStyle("kicker", BODY, fontSize=8, textTransform="uppercase"),
    "caption": ParagraphStyle("caption", BODY, fontName=BOLD, spaceBefore=4),
    "figcaption": ParagraphStyle("figcaption", BODY, fontSize=8, leading=10),
    "footer": ParagraphStyle("footer", BODY, fontSize=6.5, leading=8),
}
GRID = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, HexColor("#505a5f")),
                   ("BACKGROUND", (0, 0), (-1, 0), HexColor("#f3f2f1")), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                   ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                   ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)])
COVER = TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "TOP")])
ROOM = {"h2": 8 * cm, "h3": 8 * cm, "caption": 3 * cm}  # a heading or caption with less below it starts a page
TEXT = {"h1", "h2", "h3", "p", "li", "caption", "figcaption", "th", "td", "dt", "dd"}


class Paper(HTMLParser):
    """Reads the report's HTML into flowables; `<img data-chart="n">` stands for the nth chart's drawing."""

    def __init__(self, charts: list[Drawing]) -> None:
        super().__init__()
        self.charts = charts
        self.flowables: list = []
        self.title = self.footer = ""
        self.text: list[str] | None = None  # the words of the element being read
        self.style = ""
        self.rows: list[list[tuple[str, str]]] = []
        self.caption = ""
        self.items: list[Paragraph] = []
        self.figure: list[Drawing] = []
        self.in_footer = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag in ("tr", "dt"):  # a row of a table, or of the cover's definition list
            self.rows.append([])
        if tag in TEXT or tag == "title":
            self.text, self.style = [], "kicker" if attributes.get("class") == "kicker" else tag
        elif tag in ("table", "dl"):
            self.rows = []
        elif tag == "footer":
            self.in_footer = True
        elif tag == "img" and "data-chart" in attributes:
            self.figure.append(self.charts[int(attributes["data-chart"])])

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag not in TEXT and tag != "title":
            {"table": self.end_table, "dl": self.end_cover, "ul": self.end_list}.get(tag, lambda: None)()
            return
        text, self.text = " ".join("".join(self.text).split()), None
        if tag in ("th", "td", "dt", "dd"):
            self.rows[-1].append((self.style, text))
        elif tag == "title":
            self.title = text
        elif self.in_footer:
            self.footer = text
        elif tag == "caption":
            self.caption = text
        elif tag == "li":
            self.items.append(paragraph(text, BODY))
        elif tag == "figcaption":
            self.flowables.append(KeepTogether([*self.figure, paragraph(text, STYLES[tag])]))
            self.figure = []
        else:
            self.add(paragraph(text, STYLES[self.style]), tag)
            if tag == "h2":
                self.flowables.append(HRFlowable(width="100%", thickness=1.5, color=black, spaceAfter=6))

    def add(self, flowable: Paragraph, tag: str) -> None:
        """A paragraph, on a new page if it is a heading or caption too near the foot of this one."""
        if tag in ROOM:
            self.flowables.append(CondPageBreak(ROOM[tag]))
        self.flowables.append(flowable)

    def end_table(self) -> None:
        """A caption over a grid whose columns are as wide as their words ask, within the page."""
        wanted = [min(max(len(row[n][1]) for row in self.rows), 60) + 4 for n in range(len(self.rows[0]))]
        self.add(paragraph(self.caption, STYLES["caption"]), "caption")
        self.flowables.append(Table(self.cells(), colWidths=[WIDTH * w / sum(wanted) for w in wanted], repeatRows=1,
                                    splitInRow=1, style=GRID, hAlign="LEFT", spaceAfter=6))  # (a long note goes on)

    def end_cover(self) -> None:
        self.flowables.append(Table(self.cells(), colWidths=[3 * cm, WIDTH - 3 * cm], style=COVER, hAlign="LEFT"))

    def end_list(self) -> None:
        self.flowables.append(ListFlowable(self.items, bulletType="bullet", leftIndent=12, bulletFontSize=7))
        self.items = []

    def cells(self) -> list[list[Paragraph]]:
        return [[paragraph(text, STYLES[style]) for style, text in row] for row in self.rows]


def paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    """Words as a paragraph (ReportLab reads its text as markup, so the words are escaped)."""
    return Paragraph(escape(text, quote=False), style)


def pdf(page: str, charts: list[Drawing]) -> bytes:
    """The PDF of the report's HTML (`page`), with `charts` where it has `<img data-chart="n">`."""
    paper = Paper(charts)
    paper.feed(page)
    paper.close()
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                                 bottomMargin=2 * cm, title=paper.title, invariant=True)
    document.build(paper.flowables, canvasmaker=numbered(paper.footer))
    return out.getvalue()


def numbered(footer: str) -> type[Canvas]:
    """A canvas that holds its pages until the last, then writes on each the footer and "page n of m"."""

    class Numbered(Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.pages: list[dict] = []

        def showPage(self) -> None:
            self.pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for number, state in enumerate(self.pages, 1):
                self.__dict__.update(state)
                note = paragraph(footer, STYLES["footer"])
                _, height = note.wrap(WIDTH - 3 * cm, 2 * cm)
                note.drawOn(self, MARGIN, 1.3 * cm - height)
                self.setFont(REGULAR, 6.5)
                self.drawRightString(PAGE[0] - MARGIN, 1.3 * cm - 8, f"page {number} of {len(self.pages)}")
                super().showPage()
            super().save()

    return Numbered
