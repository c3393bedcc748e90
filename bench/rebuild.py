"""Rebuild rate: the read models replayed from the event log.

    .venv/bin/python bench/rebuild.py [--events 1000000]

Builds a log of the given size on the embedded store, then times, in one run: reading every stored event
(the baseline) and `send-records rebuild`'s work (replaying every aggregate through the read models' writer
and swapping the tables in). Prints events/s for both and their ratio (target: rebuild >= 20,000 events/s).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from common import BulkLoader, fill

from projections.rebuild import rebuild


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as directory:
        started = time.perf_counter()
        loader = BulkLoader(Path(directory))
        fill(loader, args.events)
        print(f"built a log of {loader.events} events in {time.perf_counter() - started:.0f}s", flush=True)
        from service.bootstrap import bootstrap, store_and_app

        services = bootstrap()
        store = services.store
        started = time.perf_counter()
        ids = [aggregate_id for _, aggregate_id in store.aggregates_created(0, store.chain_end())]
        read = sum(len(store.stored_with_links(ids[n:n + 500])) for n in range(0, len(ids), 500))
        reading = time.perf_counter() - started
        started = time.perf_counter()
        replayed = rebuild(store, services.commands.app.mapper, batch=500, workers=os.cpu_count() or 1,
                           opener=store_and_app)
        rebuilding = time.perf_counter() - started
        assert replayed == read == loader.events
    print(f"\nread every stored event, aggregate by aggregate (baseline)  {read / reading:10.0f} events/s")
    print(f"rebuild the read models                                     {replayed / rebuilding:10.0f} events/s"
          "   (target >= 20,000)")
    print(f"rebuild / read                                              {reading / rebuilding:10.2f}")


if __name__ == "__main__":
    main()
