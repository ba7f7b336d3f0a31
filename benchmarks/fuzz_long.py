"""Long fuzz run of the reader, the amount parser and title matching (the CI test is bounded).

    .venv/bin/python benchmarks/fuzz_long.py [--examples N] [--seconds S]

Runs the properties of tests/test_fuzz.py with N examples each (default 20,000), in batches
with fresh seeds, moving on to the next property after S seconds (default 600); prints examples per second for each.
Exit code 1 and the falsifying example when a property fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from hypothesis import HealthCheck, given, settings  # noqa: E402

from hostile.strategies import amount_inputs, grids, title_inputs  # noqa: E402
from test_fuzz import check_amount, check_reader, check_title  # noqa: E402


def run(name: str, strategy, check, examples: int, seconds: float) -> bool:
    """Batches of 200 examples (fresh random seeds) until ``examples`` or ``seconds`` are used up."""
    end = time.monotonic() + seconds
    count = 0

    def counted(value) -> None:
        nonlocal count
        count += 1
        check(value)

    started = time.monotonic()
    ok = True
    while ok and count < examples and time.monotonic() < end:
        prop = settings(max_examples=min(200, examples - count), deadline=None, database=None,
                        suppress_health_check=list(HealthCheck))(given(strategy)(counted))
        try:
            prop()
        except AssertionError as exc:  # hypothesis prints the falsifying example
            print(f"{name}: FAILED: {exc}")
            ok = False
    elapsed = time.monotonic() - started
    print(f"{name:<10} {count:>8,} examples in {elapsed:6.1f} s  ({count / max(elapsed, 1e-9):,.0f}/s)  {'ok' if ok else 'FAIL'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=600.0, help="per property")
    args = parser.parse_args()
    results = [
        run("amounts", amount_inputs, check_amount, args.examples, args.seconds),
        run("titles", title_inputs, check_title, args.examples, args.seconds),
        run("reader", grids, check_reader, args.examples, args.seconds),
    ]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
