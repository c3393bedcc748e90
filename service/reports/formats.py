"""The termly report in four formats: HTML (Jinja2), PDF from that HTML (ReportLab), CSV and XLSX (openpyxl).

HTML, CSV and PDF are the same bytes for the same plan and instant (the XLSX
the same cells: its file carries the moment it was written). Every page of the
HTML and PDF says the audit chain's head at the report's instant, so the paper
can be checked against the record later (`send-records verify --as-at`).
"""

from __future__ import annotations

import csv
import io
from importlib.resources import files

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from service.reports import paper
from service.reports.charts import alternative, svg, trend
from service.reports.gather import Report

STATUSES = [("Not started", "notStarted"), ("In progress", "inProgress"), ("Completed", "completed"),
            ("Cancelled", "cancelled")]
RAGS = ["RED", "AMBER", "GREEN", "NOT_RATED"]
ACTION_COLUMNS = ["Priority area", "Action", "Owner agency", "Lead officer", "Due on", "Originally due on",
                  "Times rescheduled", "Status", "RAG", "Overdue", "Latest note"]
templates = Environment(loader=PackageLoader("service.reports"), autoescape=select_autoescape(["html"]),
                        trim_blocks=True, lstrip_blocks=True)
# Text inside a CSS string in the <style> element (the printed footer): there HTML's escapes mean nothing, so quotes,
# backslashes, line ends and "<" (which could end the element) are written as CSS escapes.
templates.filters["css_string"] = lambda text: Markup("".join(f"\\{ord(c):x} " if c in '\\"<>&\n' else c for c in text))


NAMES = {"LOCAL_AREA_SEND_2016": "2016 local area SEND framework", "AREA_SEND_2023": "2023 area SEND framework",
         "OFSTED_CQC": "Ofsted/CQC", "DFE": "DfE", "NHS_ENGLAND": "NHS England"}


def words(value: str | None) -> str:
    """An enum value as the paper says it: WRITTEN_STATEMENT_OF_ACTION -> Written statement of action."""
    return NAMES.get(value or "") or (value or "").replace("_", " ").capitalize()


def footer(report: Report) -> str:
    head = f"position {report.chain_position}, hash {report.chain_hash}" if report.chain_hash else "no events yet"
    return (f"{report.partnership['name']}: {report.plan['title']}, as at {report.as_at.isoformat()}. "
            f"Audit chain head at that instant: {head}. Check it with send-records verify --as-at {report.as_at.isoformat()}.")


def html(report: Report) -> str:
    return page(report, [svg(trend(m), alternative(m), n) for n, m in enumerate(report.plan["partnership"]["metrics"])])


def pdf(report: Report) -> bytes:
    """The HTML laid out on paper, with each chart's drawing where the HTML has its SVG."""
    drawings = [trend(m) for m in report.plan["partnership"]["metrics"]]
    return paper.pdf(page(report, [f'<img data-chart="{n}">' for n in range(len(drawings))]), drawings)


def page(report: Report, charts: list[str]) -> str:
    """The report's HTML, with `charts` (markup, one per scorecard metric) in the scorecard's figures."""
    plan = report.plan
    areas = [{**area, "actions": report.actions_of(area["id"])} for area in plan["priorityAreas"]]
    if report.actions_of(None):
        areas.append({"title": "Actions outside the priority areas", "successMeasures": [],
                      "actions": report.actions_of(None)})
    metrics = [{**m, "chart": chart, "alternative": alternative(m),
                "measured": sorted(m["measurements"], key=lambda x: x["periodEnd"])}
               for m, chart in zip(plan["partnership"]["metrics"], charts)]
    total = plan["progress"]["total"]
    return templates.get_template("report.html").render(
        css=files("service.reports").joinpath("templates/report.css").read_text(), plan=plan,
        partnership=report.partnership, as_at=report.as_at.isoformat(),
        since=report.since.isoformat(), day=report.day.isoformat(), statuses=STATUSES,
        rags=RAGS, by_rag=report.by_rag, areas=areas, changes=report.changes, exceptions=report.exceptions,
        judgements=report.judgements, meetings=report.meetings, metrics=metrics, ahead=report.ahead, footer=footer(report), words=words,
        completed_share=round(100 * plan["progress"]["completed"] / total) if total else 0)


def action_rows(report: Report) -> list[list]:
    area_titles = {area["id"]: area["title"] for area in report.plan["priorityAreas"]}
    return [[area_titles.get((a["priorityArea"] or {}).get("id"), ""), a["title"], a["ownerAgency"]["name"],
             a["leadOfficer"] or "", a["dueOn"], a["originalDueOn"], a["rescheduleCount"], a["status"], a["rag"] or "",
             "yes" if a["overdue"] else "no", a["latestNote"] or ""] for a in report.actions]


def csv_text(report: Report) -> str:
    """The actions, one row each, under a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ACTION_COLUMNS)
    writer.writerows([[inert(value) for value in row] for row in action_rows(report)])
    return out.getvalue()


def inert(value: object) -> object:
    """Text that a spreadsheet would take for a formula (a note beginning "=HYPERLINK(…"), with a leading
    apostrophe, as OWASP advises for CSV: the record's text is shown, never run."""
    return f"'{value}" if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")) else value


def xlsx(report: Report) -> bytes:
    """A workbook: the cover and summary, the actions, the changes, the exceptions, the judgements, the scorecard."""
    book = Workbook()
    cover = book.active
    cover.title = "Summary"
    progress = report.plan["progress"]
    sheet(cover, ["", ""], [
        ["Partnership", report.partnership["name"]], ["Plan", report.plan["title"]],
        ["Kind", words(report.plan["kind"])], ["Status", words(report.plan["status"])],
        ["As at", report.as_at.isoformat()], ["Since", report.since.isoformat()],
        *[[label, progress[key]] for label, key in STATUSES], ["Total", progress["total"]],
        ["Overdue", progress["overdue"]], *[[f"RAG {words(rag)}", report.by_rag[rag]] for rag in RAGS],
        ["Audit chain head", footer(report)]])
    sheet(book.create_sheet("Actions"), ACTION_COLUMNS, action_rows(report))
    sheet(book.create_sheet("Changes"), ["Recorded", "Took effect", "Action", "Change", "By", "Why"],
          [[c.recorded_at, c.effective_on, c.action, c.what, c.who, c.why] for c in report.changes])
    rag, overdue = ACTION_COLUMNS.index("RAG"), ACTION_COLUMNS.index("Overdue")
    sheet(book.create_sheet("Exceptions"), ACTION_COLUMNS[1:], [row[1:] for row in action_rows(report)
                                                                if row[rag] == "RED" or row[overdue] == "yes"])
    sheet(book.create_sheet("Judgements"), ["Made on", "By", "About", "Outcome", "RAG", "Rationale"],
          [[j["madeOn"], j["body"], j["subject"], j["outcome"] or "", j["rag"] or "", j["rationale"]]
           for j in report.judgements])
    sheet(book.create_sheet("Meetings"), ["Held on", "Kind", "Summary", "Decisions"],
          [[m["heldOn"], words(m["kind"]), m["summary"], "; ".join(m["decisions"])] for m in report.meetings])
    sheet(book.create_sheet("Scorecard"), ["Metric", "Period", "Period end", "Value", "RAG", "Target", "Direction",
                                           "England average"],
          [[m["name"], x["period"], x["periodEnd"], x["value"], x["rag"] or "", x["target"], x["direction"] or "",
            x["englandAverage"]]
           for m in report.plan["partnership"]["metrics"] for x in sorted(m["measurements"], key=lambda x: x["periodEnd"])])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet(worksheet, header: list, rows: list[list]) -> None:
    worksheet.append(header)
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        # Control characters, which a workbook cannot hold, are left out; text is text, never a formula.
        worksheet.append([ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value for value in row])
        for cell in worksheet[worksheet.max_row]:
            if cell.data_type == "f":
                cell.data_type = "s"


def render(report: Report, form: str) -> bytes:
    return {"html": lambda r: html(r).encode(), "pdf": pdf, "csv": lambda r: csv_text(r).encode(), "xlsx": xlsx}[form](report)
