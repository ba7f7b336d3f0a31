"""The engine under Node.js + Pyodide vs CPython on the five samples' live-book grids.

    .venv/bin/python benchmarks/bench_pyodide.py

Prints Pyodide's load time (runtime + the engine's imports, once per session: what a WPS or web
add-in pays when it opens) and, per workbook, the time of one validation under Pyodide and under
CPython in this process (best of 3), with the ratio Pyodide / CPython.  Needs node and
addin/pyodide/install.sh (run here when node_modules is missing).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from addin.gridjson import validate_json  # noqa: E402
from test_addin_pyodide import NAMES, PYODIDE, SAMPLES, live_grids_json  # noqa: E402

REPEAT = 3


def main() -> int:
    node = shutil.which("node")
    if node is None:
        print("node is not installed")
        return 1
    subprocess.run(["bash", str(PYODIDE / "install.sh")], check=True)
    inputs = [live_grids_json(SAMPLES / name) for name in NAMES]
    cpython = []
    for text in inputs:
        best = float("inf")
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            validate_json(text)
            best = min(best, time.perf_counter() - t0)
        cpython.append(best * 1000)
    t0 = time.perf_counter()
    proc = subprocess.run([node, str(PYODIDE / "engine.mjs")], input="\n".join(inputs * REPEAT) + "\n",
                          capture_output=True, text=True, check=True, cwd=PYODIDE)
    wall = time.perf_counter() - t0
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    header, runs = lines[0], lines[1:]
    print(f"Pyodide (Python {header['python']}) load + engine import: {header['load_ms']:,.0f} ms; "
          f"whole Node process {wall * 1000:,.0f} ms for {len(runs)} validations")
    print(f"{'workbook':38} {'Pyodide ms':>11} {'CPython ms':>11} {'ratio':>7}")
    for i, name in enumerate(NAMES):
        ms = min(runs[i + k * len(NAMES)]["ms"] for k in range(REPEAT))
        print(f"{name:38} {ms:11,.1f} {cpython[i]:11,.1f} {ms / cpython[i]:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
