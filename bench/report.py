"""The termly report's cost: a plan of 200 actions and a scorecard of 12 metrics measured every term for two years.

    .venv/bin/python bench/report.py [--repeat 5]

Builds the record on the embedded store, then times, in-process and in one run,
the GraphQL reads the report makes (its baseline: the same figures a portal
would fetch) and each format rendered from them. Prints the best of `--repeat`
runs in seconds and each format as a ratio to the reads. Target: the PDF within
2 s here.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

from common import LEAD, BulkLoader, each, partnership_with_plan

from domain.base import stamped
from domain.metric import Metric
from domain.vocabulary import Role
from service.authorisation import Principal
from service.bootstrap import bootstrap
from service.graphql.context import Context
from service.graphql.schema import schema
from service.reports.gather import gather
from service.reports.formats import FORMATS, render

TERMS = [("Autumn", 12, 20), ("Spring", 4, 3), ("Summer", 7, 22)]


def build(data_dir: Path) -> tuple[str, datetime]:
    """The plan, and an instant between its earlier history and the last term's changes (the report's period)."""
    loader = BulkLoader(data_dir)
    partnership, plan, actions = partnership_with_plan(loader, "Lancashire", 200, date(2021, 9, 6))
    each(loader, actions, date(2021, 10, 1), lambda a: a.start())
    each(loader, actions[::3], date(2022, 3, 1), lambda a: a.report_progress("Behind: recruitment", "RED"))
    each(loader, actions[1::3], date(2022, 3, 1), lambda a: a.report_progress("On track", "AMBER"))
    loader.flush()
    since = datetime.now(timezone.utc)
    each(loader, actions[::2], date(2023, 5, 4), lambda a: a.complete(date(2023, 5, 4), ["Board minutes"], None))
    with stamped(LEAD, date(2021, 9, 6)):
        metrics = [Metric.define(partnership, f"Scorecard measure {n + 1}", "PERCENT", "HIGHER_IS_BETTER", 60.0)
                   for n in range(12)]
        for metric in metrics:
            loader.change(metric)
    for year in (2021, 2022):
        for term, month, day in TERMS:
            end = date(year + (month < 9), month, day)
            with stamped(LEAD, end):
                for n, metric in enumerate(metrics):
                    metric.record_measurement(f"{term} term {end.year}", end, float(30 + n + 4 * len(metric.measurements)))
                    loader.change(metric)
    loader.flush()
    return str(plan.id), since


async def timed(plan: str, since: datetime, repeat: int) -> dict[str, float]:
    services = bootstrap()
    await services.store.start()
    context = Context(commands=services.commands, principal=Principal("bench", Role.AUDITOR))

    async def ask(query: str, variables: dict) -> dict:
        result = await schema.execute(query, variable_values=variables, context_value=context)
        assert result.errors is None, result.errors
        return result.data

    at = datetime.now(timezone.utc)
    best: dict[str, float] = {}
    for _ in range(repeat):
        started = time.perf_counter()
        report = await gather(ask, services.commands.read_model, plan, at, since)
        best["reads"] = min(best.get("reads", 1e9), time.perf_counter() - started)
        for form in FORMATS:
            started = time.perf_counter()
            render(report, form)
            best[form] = min(best.get(form, 1e9), time.perf_counter() - started)
    await services.store.close()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-report-") as directory:
        plan, since = build(Path(directory))
        best = asyncio.run(timed(plan, since, args.repeat))
    print(f"report on a plan of 200 actions and 12 metrics with 6 terms each, 100 actions completed in the period, "
          f"best of {args.repeat} (s)")
    print(f"{'':>8} {'seconds':>8} {'/ reads':>8} {'reads + it':>11}")
    print(f"{'reads':>8} {best['reads']:8.3f} {1:8.2f}")
    for form in FORMATS:
        print(f"{form:>8} {best[form]:8.3f} {best[form] / best['reads']:8.2f} {best[form] + best['reads']:11.3f}")


if __name__ == "__main__":
    main()
