"""Time travel at a cost that does not grow with the log.

Builds logs of 10^4 and 10^6 events (many partnerships, plans and actions), each
holding one plan with 200 actions whose history runs through the log, serves
each with `send-records serve`, and times the same plan query over HTTP three
ways: current state, asAt an instant mid-history, and asOf a date mid-history.

    .venv/bin/python bench/timetravel.py [--sizes 10000 1000000] [--requests 200]

Prints p50/p95 per size, the ratios as-at/current, as-of/current and 10^6/10^4
(targets: as-at <= 2x and as-of <= 1.5x current; <= 1.5x from 10^4 to 10^6), and
the store queries each of the three asks, counted on the same log in-process
(they are bounded by the query's nesting, not by the number of actions).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

import httpx

from common import BulkLoader, each, fill, latencies, p, partnership_with_plan, server, token

from domain.vocabulary import Role
from service.authorisation import Principal
from service.bootstrap import bootstrap
from service.graphql.context import Context
from service.graphql.schema import schema

QUERY = """query($id: ID!, $asAt: DateTime, $asOf: Date) { plan(id: $id, asAt: $asAt, asOf: $asOf) {
  title status version progress { total notStarted inProgress completed overdue }
  priorityAreas { title actions { id title status dueOn overdue latestNote rag version ownerAgency { name } } } } }"""


def build(size: int, data_dir: Path) -> tuple[str, str, str]:
    """A log of about `size` events; returns the target plan's id, an instant and a date mid-way through its history."""
    loader = BulkLoader(data_dir)
    _, plan, actions = partnership_with_plan(loader, "Lancashire", 200, date(2019, 1, 7))
    each(loader, actions, date(2019, 2, 1), lambda a: a.start())
    each(loader, actions, date(2019, 3, 1), lambda a: a.report_progress("On track", "GREEN"))
    loader.flush()
    instant = datetime.now(timezone.utc).isoformat()
    time.sleep(0.01)
    each(loader, actions, date(2019, 6, 1), lambda a: a.reschedule(date(2019, 12, 31), "Slipped"))
    each(loader, actions[::2], date(2019, 9, 1), lambda a: a.complete(date(2019, 9, 1), ["Report to the board"], None))
    fill(loader, size)
    return str(plan.id), instant, "2019-04-01"


def views(plan: str, instant: str, day: str) -> dict[str, dict]:
    return {"current": {"id": plan}, "asAt": {"id": plan, "asAt": instant}, "asOf": {"id": plan, "asOf": day}}


def store_queries(variables: dict) -> int:
    """The store queries one request makes for the query at these variables, counted in-process on the log."""
    services = bootstrap()
    store, asked = services.store, []
    fetch = store.fetch

    async def counted(sql, params):
        asked.append(sql)
        return await fetch(sql, params)

    store.fetch = counted
    context = Context(commands=services.commands, principal=Principal("bench", Role.AUDITOR))
    result = asyncio.run(schema.execute(QUERY, variable_values=variables, context_value=context))
    assert result.errors is None, result.errors
    services.commands.app.close()
    return len(asked)


def measure(size: int, requests: int, port: int) -> tuple[dict[str, list[float]], dict[str, int]]:
    with tempfile.TemporaryDirectory(prefix=f"bench-tt-{size}-") as directory:
        data_dir = Path(directory)
        started = time.perf_counter()
        plan, instant, day = build(size, data_dir)
        print(f"built a log of {size} events in {time.perf_counter() - started:.0f}s", flush=True)
        queries = {name: store_queries(variables) for name, variables in views(plan, instant, day).items()}
        with server(data_dir, port) as url, httpx.Client(timeout=60) as client:
            auditor = token()
            return {name: latencies(client, url, QUERY, variables, auditor, requests)
                    for name, variables in views(plan, instant, day).items()}, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[10_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    small, large = args.sizes
    measured = {size: measure(size, args.requests, 8780 + i) for i, size in enumerate((small, large))}
    results = {size: timings for size, (timings, _) in measured.items()}
    print(f"\nplan query, 200 actions, {args.requests} requests each (ms), and the store queries each makes")
    print(f"{'events':>9} {'query':>8} {'p50':>8} {'p95':>8} {'queries':>8}")
    for size, (timings, queries) in measured.items():
        for name, t in timings.items():
            print(f"{size:>9} {name:>8} {p(t, 50):8.2f} {p(t, 95):8.2f} {queries[name]:>8}")
    print("\nratios (p50)")
    for size, timings in results.items():
        current = p(timings["current"], 50)
        print(f"{size:>9} as-at/current {p(timings['asAt'], 50) / current:5.2f}   as-of/current {p(timings['asOf'], 50) / current:5.2f}")
    for name in ("current", "asAt", "asOf"):
        print(f"{large}/{small} {name:>8} {p(results[large][name], 50) / p(results[small][name], 50):5.2f}")


if __name__ == "__main__":
    main()
