"""One trend chart per scorecard metric, drawn by ReportLab's charts: inline SVG in the HTML, vectors in the PDF.

Readable printed in black and white: the measurements are one line with a
marker per period whose shape says its RAG (a square for RED, a hollow triangle
for AMBER, a circle for GREEN, a cross where there is no RAG), the targets each
was judged against (milestones, else the metric's) are a dashed line, and
every marker is labelled with its value. Each chart carries a text
alternative. The same figures give the same drawing, and the same SVG bytes.
"""

from __future__ import annotations

from datetime import date
from html import escape

from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.renderSVG import drawToString
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib.colors import black, white

from service.reports.fonts import REGULAR

MARKERS = {"RED": ("FilledSquare", black), "AMBER": ("Triangle", white), "GREEN": ("FilledCircle", black),
           None: ("Cross", black)}
WIDTH, HEIGHT = 430, 190


def trend(metric: dict) -> Drawing:
    """The metric's measurements in order of period end, its targets and each one's RAG."""
    measured = sorted(metric["measurements"], key=lambda m: m["periodEnd"])
    drawing = Drawing(WIDTH, HEIGHT)
    drawing.add(String(4, HEIGHT - 12, metric["unit"].lower(), fontName=REGULAR, fontSize=8))
    if not measured:
        return drawing
    ends = [date.fromisoformat(m["periodEnd"]).toordinal() for m in measured]
    periods = dict(zip(ends, (m["period"].replace(" ", "\n", 1) for m in measured)))
    targeted = [(end, m["target"]) for end, m in zip(ends, measured) if m["target"] is not None]
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 40, 34, WIDTH - 90, HEIGHT - 60
    plot.data = [list(zip(ends, (m["value"] for m in measured)))] + ([targeted] if targeted else [])
    plot.lines[0].strokeWidth, plot.lines[0].strokeColor = 1.2, black
    plot.lines[1].strokeWidth, plot.lines[1].strokeColor, plot.lines[1].strokeDashArray = 0.9, black, (4, 3)
    for n, m in enumerate(measured):
        shape, fill = MARKERS[m["rag"]]
        plot.lines[0, n].symbol = makeMarker(shape, size=7, fillColor=fill, strokeColor=black, strokeWidth=1)
    plot.lineLabelFormat = value_label
    plot.lineLabels.fontName, plot.lineLabels.fontSize, plot.lineLabels.dy = REGULAR, 8, 8
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName, axis.labels.fontSize, axis.strokeColor = REGULAR, 8, black
    plot.xValueAxis.valueSteps = ends
    room = max(ends[-1] - ends[0], 365) * 0.06
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = ends[0] - room, ends[-1] + room
    plot.xValueAxis.labelTextFormat = periods.get
    plot.xValueAxis.labels.boxAnchor = "n"
    values = [m["value"] for m in measured] + [t for _, t in targeted]
    margin = (max(values) - min(values)) * 0.15 or 1
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = min(values) - margin, max(values) + margin
    plot.yValueAxis.labelTextFormat = "%g"
    drawing.add(plot)
    if targeted:
        drawing.add(String(WIDTH - 4, _at(plot, targeted[-1][1]) + 4,
                           f"target {targeted[-1][1]:g}", fontName=REGULAR, fontSize=8, textAnchor="end"))
    return drawing


def _at(plot: LinePlot, value: float) -> float:
    """Where a value sits on the plot's vertical axis."""
    axis = plot.yValueAxis
    return plot.y + plot.height * (value - axis.valueMin) / (axis.valueMax - axis.valueMin)


def value_label(plot: LinePlot, row: int, column: int, x: float, y: float) -> str | None:
    """Each measurement's value over its marker; the target line is labelled once, at its end."""
    return f"{plot.data[row][column][1]:g}" if row == 0 else None


value_label.__labelFmtEX__ = True


def svg(drawing: Drawing, title: str, n: int) -> str:
    """The drawing as the nth SVG element to put inline in the HTML (without the XML declaration and doctype; its
    ids its own), titled (a pointer over it shows the title) and hidden from screen readers, which read the
    figure's text alternative."""
    text = drawToString(drawing, svgAttrs={"aria-hidden": "true"})
    return (text[text.index("<svg"):].replace("<title>...</title>", f"<title>{escape(title)}</title>", 1)
            .replace("<desc>...</desc>", "", 1).replace('id="clip"', f'id="chart-{n}-clip"')
            .replace("url(#clip)", f"url(#chart-{n}-clip)").replace('id="group"', f'id="chart-{n}-group"'))


def alternative(metric: dict) -> str:
    """The chart in words, for readers who cannot see it."""
    measured = sorted(metric["measurements"], key=lambda m: m["periodEnd"])
    points = "; ".join(f"{m['period']}: {m['value']:g}" + (f" against {m['target']:g}" if m["target"] is not None else "")
                       + (f" ({m['rag']})" if m["rag"] else "") for m in measured)
    target = f", with a target of {metric['target']:g}" if metric["target"] is not None else ""
    better = "higher" if metric["polarity"] == "HIGHER_IS_BETTER" else "lower"
    return f"{metric['name']} ({better} is better){target}: {points or 'no measurements yet'}."
