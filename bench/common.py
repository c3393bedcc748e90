"""What the benchmarks share: building large logs fast, running a server, timing queries over HTTP."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from copy import deepcopy  # noqa: E402

from domain.action import Action  # noqa: E402
from domain.base import Record, stamped  # noqa: E402
from domain.partnership import Partnership  # noqa: E402
from domain.plan import Plan  # noqa: E402
from domain.vocabulary import Role  # noqa: E402
from projections.writes import Change  # noqa: E402
from service.authorisation import Principal  # noqa: E402
from service.bootstrap import bootstrap  # noqa: E402

SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
LEAD = Principal("bench-lead", Role.PARTNERSHIP_LEAD).actor


class BulkLoader:
    """Records real aggregates' events with their read models as the service does, many changes per
    transaction (the service commits each change on its own; a benchmark's log needs to be built faster)."""

    def __init__(self, data_dir: Path, batch: int = 500):  # (PostgreSQL's pipelined commit stalls at some 2,000 changes; the service commits at most 32)
        os.environ["SEND_RECORDS_DATA_DIR"] = str(data_dir)
        os.environ["SEND_RECORDS_JWT_SECRET"] = SECRET
        self.app = bootstrap().commands.app
        self.batch = batch
        self.pending: list[Change] = []
        self.events = 0

    def change(self, aggregate: Record) -> None:
        """Queue the aggregate's one new event (as one command would record it), with a copy of the aggregate as
        that event leaves it (its read models are built from it as the batch is stored)."""
        events = aggregate.collect_events()
        assert len(events) == 1
        self.pending.append(Change(deepcopy(aggregate), events))
        if len(self.pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            stored = self.app.recorder.insert_all(lambda: self.pending)
            assert not stored.refused, "a bulk load's changes follow one another's versions"
        self.events += len(self.pending)
        self.pending.clear()


def partnership_with_plan(loader: BulkLoader, name: str, actions: int, on: date) -> tuple[Partnership, Plan, list[Action]]:
    """A partnership with four agencies, a plan with four priority areas, and its actions added."""
    with stamped(LEAD, on):
        partnership = Partnership.register(name, f"{name} Council")
        loader.change(partnership)
        agencies = []
        for agency, kind in [("Council", "LOCAL_AUTHORITY"), ("ICB", "HEALTH"), ("Schools", "EDUCATION"),
                             ("Forum", "PARENT_CARER_FORUM")]:
            agencies.append(partnership.add_agency(f"{name} {agency}", kind))
            loader.change(partnership)
        plan = Plan.draft(partnership, "IMPROVEMENT_PLAN", f"{name} Improvement Plan")
        loader.change(plan)
        areas = []
        for n in range(4):
            areas.append(plan.add_priority_area(f"Priority area {n + 1}", [], ["A measure"], None))
            loader.change(plan)
        added = []
        for n in range(actions):
            action = Action.add(plan, partnership, f"Action {n + 1}", agencies[n % 4], on + timedelta(days=90 + n % 200),
                                areas[n % 4], None, "Lead officer")
            loader.change(action)
            added.append(action)
    return partnership, plan, added


def fill(loader: BulkLoader, size: int) -> None:
    """Add partnerships with a plan of 40 actions, started, reported on and half completed, to about `size` events."""
    n = 0
    while loader.events + len(loader.pending) < size:
        n += 1
        _, _, actions = partnership_with_plan(loader, f"Area {n}", 40, date(2020, 1, 6))
        each(loader, actions, date(2020, 2, 3), lambda a: a.start())
        each(loader, actions, date(2020, 3, 2), lambda a: a.report_progress("Update", "AMBER"))
        each(loader, actions[::2], date(2020, 5, 4), lambda a: a.complete(date(2020, 5, 4), ["Minutes"], None))
    loader.flush()


def each(loader: BulkLoader, actions: list[Action], on: date, change) -> None:
    with stamped(LEAD, on):
        for action in actions:
            change(action)
            loader.change(action)


@contextmanager
def server(data_dir: Path, port: int, workers: int = 1) -> Iterator[str]:
    env = {**os.environ, "SEND_RECORDS_DATA_DIR": str(data_dir), "SEND_RECORDS_JWT_SECRET": SECRET}
    binary = Path(sys.executable).parent / "send-records"
    log = open(data_dir / "server.log", "ab")
    process = subprocess.Popen([str(binary), "serve", "--port", str(port), "--workers", str(workers)], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield f"{url}/graphql"
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def token(role: str = "AUDITOR", subject: str = "bench") -> str:
    from service.authorisation import Principal
    from service.tokens import issue

    return issue(SECRET, Principal(subject, Role(role)))


def latencies(client: httpx.Client, url: str, query: str, variables: dict, token: str, n: int) -> list[float]:
    """Seconds per request, after a warm-up; every answer is checked for errors."""
    timings = []
    for i in range(n + 10):
        started = time.perf_counter()
        response = client.post(url, json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"})
        elapsed = time.perf_counter() - started
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"query failed: {response.text[:500]}")
        if i >= 10:
            timings.append(elapsed)
    return timings


def p(timings: list[float], q: float) -> float:
    return statistics.quantiles(timings, n=100)[int(q) - 1] * 1000
