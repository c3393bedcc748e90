"""One trend chart per scorecard metric, drawn by matplotlib's SVG backend.

Readable printed in black and white: the measurements are one line with a
marker per period whose shape says its RAG (a square for RED, a triangle for
AMBER, a circle for GREEN, a cross where there is no target), the targets each
was judged against (milestones, else the metric's) are a dashed line, and
every marker is labelled with its value. Each chart carries a
text alternative. The SVG is the same bytes for the same figures (no dates, a
fixed hash salt for its ids).
"""

from __future__ import annotations

import io
from datetime import date

import matplotlib

matplotlib.use("svg")
matplotlib.rcParams.update({"svg.hashsalt": "send-records", "svg.fonttype": "none", "font.size": 9,
                            "axes.spines.top": False, "axes.spines.right": False})

from matplotlib import pyplot  # noqa: E402

MARKERS = {"RED": "s", "AMBER": "^", "GREEN": "o", None: "x"}


def trend(metric: dict) -> str:
    """An SVG document: the metric's measurements in order of period end, its target and each one's RAG."""
    measured = sorted(metric["measurements"], key=lambda m: m["periodEnd"])
    figure, axes = pyplot.subplots(figsize=(6.0, 2.6))
    try:
        ends = [date.fromisoformat(m["periodEnd"]) for m in measured]
        axes.plot(ends, [m["value"] for m in measured], color="black", linewidth=1.2)
        for end, m in zip(ends, measured):
            axes.plot([end], [m["value"]], marker=MARKERS[m["rag"]], color="black", markersize=7, linestyle="none",
                      fillstyle="none" if m["rag"] == "AMBER" else "full")
            axes.annotate(f"{m['value']:g}", (end, m["value"]), textcoords="offset points", xytext=(0, 7),
                          ha="center")
        targeted = [(end, m["target"]) for end, m in zip(ends, measured) if m["target"] is not None]
        if targeted:  # each measurement's own target (a milestone's, else the metric's): the trajectory agreed
            axes.plot([end for end, _ in targeted], [t for _, t in targeted], color="black", linestyle="--",
                      linewidth=0.9, marker="_", markersize=12)
            axes.annotate(f"target {targeted[-1][1]:g}", (1, targeted[-1][1]), xycoords=("axes fraction", "data"),
                          textcoords="offset points", xytext=(0, 3), ha="right")
        axes.set_ylabel(metric["unit"].lower())
        axes.set_xticks(ends, [m["period"].replace(" ", "\n", 1) for m in measured], rotation=0)
        figure.tight_layout()
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    finally:
        pyplot.close(figure)
    svg = out.getvalue()
    return svg[svg.index("<svg"):]  # inline: without the XML declaration and doctype


def alternative(metric: dict) -> str:
    """The chart in words, for readers who cannot see it."""
    measured = sorted(metric["measurements"], key=lambda m: m["periodEnd"])
    points = "; ".join(f"{m['period']}: {m['value']:g}" + (f" against {m['target']:g}" if m["target"] is not None else "")
                       + (f" ({m['rag']})" if m["rag"] else "") for m in measured)
    target = f", with a target of {metric['target']:g}" if metric["target"] is not None else ""
    better = "higher" if metric["polarity"] == "HIGHER_IS_BETTER" else "lower"
    return f"{metric['name']} ({better} is better){target}: {points or 'no measurements yet'}."
