"""The WPS 加载项 in Node + Pyodide: cold load, one click per sample, object-model calls.

    .venv/bin/python benchmarks/bench_wps.py [--repeat N]

Builds the offline folder into a temporary directory (addin/wps/build.py), then runs
addin/wps/tools/click.mjs on the five samples in one Node process (one Pyodide load, each sample
clicked twice) and prints per sample:

  - click ms (first click and re-run) and, as the baseline measured in the same run, the engine
    alone on CPython over the same live-book grids (tests/test_addin.py's FakeBook): the ratio is
    what Pyodide and the object-model round trips cost over plain CPython;
  - object-model calls of the click (the fake WPS Application counts every property read or write
    and every method call) beside the Excel door's operations for the same sample
    (benchmarks/bench_com_calls.py), first run and re-run.

Target (issue 18): a click on a sample in under 2 s after load.  Exit status 1 when a click misses it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "addin"), str(ROOT / "benchmarks")]

from conftest import SAMPLES  # noqa: E402

TARGET_MS = 2000.0


def cpython_engine_ms(path: Path, repeat: int) -> float:
    from addin.excel import read_grids
    from test_addin import FakeBook
    from validators.reading import disclosure_from_grids
    from validators.rules import run_rules

    grids = read_grids(FakeBook.from_xlsx(path))
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run_rules(disclosure_from_grids(grids, source=path.name))
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def excel_door_ops(path: Path) -> tuple[int, int]:
    from bench_com_calls import click
    from test_addin import FakeBook

    book = FakeBook.from_xlsx(path)
    first = click(book)[0]
    again = click(book)[0]
    return first, again


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="CPython baseline repetitions (median)")
    args = parser.parse_args(argv)
    node = shutil.which("node")
    if node is None:
        print("Node.js is not installed: nothing to measure")
        return 2
    samples = sorted(SAMPLES.glob("*.xlsx"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "czcheck-wps"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "addin" / "wps" / "build.py"), "--out", str(out)], check=True,
                       capture_output=True)
        build_s = time.perf_counter() - t0
        (addin,) = [p for p in out.iterdir() if p.is_dir()]
        size_mb = (out.parent / "czcheck-wps.zip").stat().st_size / 1e6
        t0 = time.perf_counter()
        proc = subprocess.run([node, str(ROOT / "addin" / "wps" / "tools" / "click.mjs"), "--addin", str(addin),
                               *map(str, samples), "--twice", "--calls"], capture_output=True, text=True, cwd=ROOT)
        node_s = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stderr[-3000:])
        return 2
    results = {Path(d["book"]).name: d for d in map(json.loads, proc.stdout.splitlines())}
    load_ms = next(iter(results.values()))["load_ms"]
    print(f"build: {build_s:.1f} s, zip {size_mb:.1f} MB; one Node process for {len(samples)} samples: {node_s:.1f} s")
    print(f"cold load (Pyodide runtime + engine.zip + engine import): {load_ms:.0f} ms")
    print()
    head = (f"{'sample':34} {'cells':>5} {'click ms':>8} {'rerun ms':>8} {'CPython ms':>10} {'ratio':>6} "
            f"{'WPS calls':>9} {'rerun':>5} {'Excel ops':>9} {'rerun':>5}  verdict")
    print(head)
    missed = False
    for path in samples:
        d = results[path.name]
        base = cpython_engine_ms(path, args.repeat)
        excel_first, excel_again = excel_door_ops(path)
        calls, again = sum(d["calls"].values()), sum(d["rerun"]["calls"].values())
        ok = d["click_ms"] < TARGET_MS and d["rerun"]["click_ms"] < TARGET_MS
        missed |= not ok
        print(f"{path.name:34} {len(d['marked']):5} {d['click_ms']:8.0f} {d['rerun']['click_ms']:8.0f} {base:10.0f} "
              f"{d['rerun']['click_ms'] / base:6.2f} {calls:9} {again:5} {excel_first:9} {excel_again:5}  "
              f"{'ok' if ok else 'OVER 2 s'}")
    print()
    print("ratio = re-run click in Pyodide (engine + object-model calls on the fake) / engine alone on CPython")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
