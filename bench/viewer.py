"""The record viewer in a real browser: how long a plan of 200 actions takes to show, against the GraphQL
requests behind it.

Builds a log holding one plan of 200 actions (each started, reported on, half of them rescheduled and completed:
about 800 events), serves it, and drives headless Chromium (Debian's package, through Playwright) on /app:

- navigation: from following a link to the plan (in the page: no reload, the token stays in memory) to the plan
  with its 200 actions rendered (the view shown and the next frame painted);
- slider: from moving the asAt slider (one stop) to the plan re-rendered at that instant;
- a cold start: loading /app, pasting the token, to the plan rendered;

and, as the baseline of each, the GraphQL requests the view makes for it (the plan and its second page of actions:
`readPlan` of service/static/app/views/plan.js, called in the same page).

    .venv/bin/python bench/viewer.py [--runs 40]

Prints p50/p95 in ms and the ratios view/requests (target: under 1 s for both here).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

from common import BulkLoader, each, p, partnership_with_plan, server, token

from playwright.sync_api import sync_playwright

PORT = 8766

# Runs in the page: goes to a place as a link or the slider would, and resolves with the milliseconds until it is
# rendered (the view shown, then the next frame) and the milliseconds its GraphQL requests take alone.
MEASURE = """async ([target, move]) => {
  const content = document.getElementById('content');
  const shown = new Promise((resolve) => new MutationObserver((_, observer) => {
    if (content.dataset.shown === target) { observer.disconnect(); resolve(); }
  }).observe(content, { attributes: true, attributeFilter: ['data-shown'] }));
  const started = performance.now();
  if (move === 'slider') {
    const slider = document.getElementById('asAt-slider');
    slider.value = JSON.parse(slider.dataset.stops).indexOf(new URLSearchParams(target.split('?')[1]).get('asAt'));
    slider.dispatchEvent(new Event('change', { bubbles: true }));
  } else {
    const link = [...document.querySelectorAll('a')].find((a) => a.getAttribute('href') === target);
    link.click();
  }
  await shown;
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)));
  const rendered = performance.now() - started;
  while (content.dataset.logged !== target) await new Promise((resolve) => setTimeout(resolve, 5));
  const { readPlan } = await import('/static/app/views/plan.js');
  const query = new URLSearchParams(target.split('?')[1]);
  const asked = performance.now();
  const plan = await readPlan({ id: query.get('plan'), asAt: query.get('asAt'), asOf: query.get('asOf') });
  if (plan.actions.length !== 200) throw new Error(`the plan has ${plan.actions.length} actions`);
  return [rendered, performance.now() - asked];
}"""


def build(data_dir: Path) -> tuple[str, str]:
    """The log; returns the plan's id and its partnership's."""
    loader = BulkLoader(data_dir)
    partnership, plan, actions = partnership_with_plan(loader, "Lancashire", 200, date(2019, 1, 7))
    each(loader, actions, date(2019, 2, 1), lambda a: a.start())
    each(loader, actions, date(2019, 3, 1), lambda a: a.report_progress("On track", "GREEN"))
    loader.flush()
    time.sleep(0.01)
    each(loader, actions[::2], date(2019, 6, 1), lambda a: a.reschedule(date(2019, 12, 31), "Slipped"))
    each(loader, actions[::2], date(2019, 9, 1), lambda a: a.complete(date(2019, 9, 1), ["Report to the board"], None))
    loader.flush()
    print(f"log: {loader.events} events", flush=True)
    return str(plan.id), str(partnership.id)


def summary(name: str, timings: list[tuple[float, float]]) -> tuple[float, float]:
    view, requests = [t[0] / 1000 for t in timings], [t[1] / 1000 for t in timings]
    print(f"| {name} | {p(view, 50):.1f} | {p(view, 95):.1f} | {p(requests, 50):.1f} | {p(requests, 95):.1f} | "
          f"{p(view, 50) / p(requests, 50):.2f} |")
    return p(view, 50), p(view, 95)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("no browser: install Debian's chromium package (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="bench-viewer-") as directory:
        plan, partnership = build(Path(directory))
        bearer = token("AUDITOR")
        with server(Path(directory), PORT) as url, sync_playwright() as playwright:
            origin = url.removesuffix("/graphql")
            browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            plan_at = f"/app?plan={plan}"
            away = f"/app?partnership={partnership}"

            cold = []
            for _ in range(max(5, args.runs // 4)):
                started = time.perf_counter()
                page.goto(f"{origin}{plan_at}")
                page.fill("#token", bearer)
                page.press("#token", "Enter")
                page.wait_for_function("target => document.getElementById('content').dataset.shown === target", arg=plan_at)
                cold.append(time.perf_counter() - started)
                page.wait_for_function("target => document.getElementById('content').dataset.logged === target", arg=plan_at)

            navigation, slider = [], []
            stops = page.evaluate("() => JSON.parse(document.getElementById('asAt-slider').dataset.stops)")
            instant = stops[len(stops) // 2]  # a stop mid-way through the plan's history
            for i in range(args.runs + 3):
                page.evaluate(f"() => document.querySelector('a[href=\"{away}\"]').click()")
                page.wait_for_function("target => document.getElementById('content').dataset.logged === target", arg=away)
                navigated = page.evaluate(MEASURE, [plan_at, "link"])
                moved = page.evaluate(MEASURE, [f"/app?{urlencode({'plan': plan, 'asAt': instant})}", "slider"])
                page.go_back()
                page.wait_for_function("target => document.getElementById('content').dataset.logged === target", arg=plan_at)
                if i >= 3:  # warm-up
                    navigation.append(navigated)
                    slider.append(moved)
            print(f"\nChromium {browser.version}; {args.runs} runs; the plan has 200 actions (2 pages of GraphQL)\n")
            print("| what | view p50 ms | view p95 ms | requests p50 ms | requests p95 ms | view / requests (p50) |")
            print("|---|---|---|---|---|---|")
            results = {"navigation to the plan": summary("navigation to the plan", navigation),
                       "slider to the plan at an instant": summary("slider to the plan at an instant", slider)}
            print(f"| cold start (load /app, paste the token) | {p(cold, 50):.1f} | {p(cold, 95):.1f} | | | |")
            print()
            for name, (p50, p95) in results.items():
                print(f"{name}: p95 {p95:.0f} ms, {'under' if p95 < 1000 else 'OVER'} the 1 s target")
            browser.close()
    print(f"measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main()
