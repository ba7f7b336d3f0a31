"""Marking 1,000 findings vs a plain openpyxl load+save of the same workbook, in the same run.

    .venv/bin/python benchmarks/bench_marking.py [--repeat N]

Prints both timings (best of N) and the ratio marking / (load+save); target: ratio <= 1.
Marking patches the package (styles, a few sheet start tags, comments, VML, one new sheet); the
baseline parses and rewrites every part, and would drop images and charts besides.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from validators.marking import clear_marks, mark_workbook  # noqa: E402
from validators.model import CellRef, Finding, Severity  # noqa: E402

SHEETS, ROWS, COLS, FINDINGS = 8, 300, 12, 1000


def build(path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    rng = random.Random(4)
    for s in range(SHEETS):
        ws = wb.create_sheet(f"表{s + 1}")
        ws.append(["科目编码", "科目名称"] + [f"金额{c}" for c in range(COLS - 2)])
        for r in range(ROWS):
            ws.append([f"2010{r:03d}", f"项目{r}"] + [round(rng.uniform(0, 1e5), 2) for _ in range(COLS - 2)])
            for c in range(3, COLS + 1):
                ws.cell(r + 2, c).number_format = "#,##0.00"
    wb.save(path)


def findings() -> list[Finding]:
    rng = random.Random(7)
    severities = list(Severity)
    out = []
    for i in range(FINDINGS):
        sheet = f"表{rng.randrange(SHEETS) + 1}"
        row, col = rng.randrange(1, ROWS + 1), rng.randrange(2, COLS)
        related = [CellRef(sheet, rng.randrange(1, ROWS + 1), col) for _ in range(2)]
        out.append(Finding(f"BM{i % 50:03d}", severities[i % 4], f"第 {i} 项：合计数与明细之和不一致",
                           [CellRef(sheet, row, col)], Decimal("100.00"), Decimal("100.05"), Decimal("0.05"),
                           related_cells=related))
    return out


def best(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "bench.xlsx"
        build(src)
        found = findings()
        cells = len({c for f in found for c in f.all_cells})

        def baseline() -> None:
            openpyxl.load_workbook(src).save(Path(tmp) / "openpyxl.xlsx")

        def mark() -> None:
            mark_workbook(src, found, Path(tmp) / "marked.xlsx")

        def clear() -> None:
            clear_marks(Path(tmp) / "marked.xlsx", Path(tmp) / "cleared.xlsx")

        t_base = best(baseline, args.repeat)
        t_mark = best(mark, args.repeat)
        t_clear = best(clear, args.repeat)
        size = src.stat().st_size
    print(f"workbook: {SHEETS} sheets x {ROWS} rows x {COLS} cols, {size / 1024:.0f} KiB; "
          f"{FINDINGS} findings on {cells} cells")
    print(f"openpyxl load+save : {t_base:.3f} s")
    print(f"mark_workbook      : {t_mark:.3f} s   ratio {t_mark / t_base:.2f}")
    print(f"clear_marks        : {t_clear:.3f} s   ratio {t_clear / t_base:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
