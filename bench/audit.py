"""Audit-trail verification rate.

    .venv/bin/python bench/audit.py [--events 1000000]

Builds a log of the given size on the embedded store (real aggregates through the service's recorder, with
their audit links), then times, in one run: reading every position's event and link without hashing (the
baseline), and verifying the whole chain (`send-records verify`'s work). Prints events/s for both and their
ratio (target: verification >= 100,000 events/s).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import BulkLoader, fill

from projections.audit import walk
from service.audit import verify_log


def build(size: int, data_dir: Path) -> BulkLoader:
    loader = BulkLoader(data_dir)
    fill(loader, size)
    return loader


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as directory:
        started = time.perf_counter()
        loader = build(args.events, Path(directory))
        print(f"built a log of {loader.events} events in {time.perf_counter() - started:.0f}s", flush=True)
        from service.bootstrap import bootstrap

        store = bootstrap().store
        started = time.perf_counter()
        rows = sum(1 for _ in walk(store))
        read = time.perf_counter() - started
        started = time.perf_counter()
        result = verify_log(store)
        verified = time.perf_counter() - started
        assert result.ok and result.events_checked == rows, result
    print(f"\nread every event and link (baseline)  {rows / read:10.0f} events/s")
    print(f"verify the chain                      {rows / verified:10.0f} events/s   (target >= 100,000)")
    print(f"verify / read                         {read / verified:10.2f}")


if __name__ == "__main__":
    main()
