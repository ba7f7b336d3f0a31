"""Per-file CPU of czcheck against the python-calamine read floor (used by bench_batch.py; runs alone too).

    .venv/bin/python benchmarks/bench_perfile.py          # the five samples + three generated large books

Prints, for each file: CPU ms of a full validation (validate_file) and of the floor (calamine reading
every sheet), the ratio, and the cost per stage (guards, read, tables, rules, narrative, report); then a
single-file ``czcheck validate`` process against a bare python process reading the same file with
calamine.  CPU times are the minimum over a few repetitions (process_time / RUSAGE_CHILDREN).
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SAMPLES = sorted((ROOT / "workbooks" / "samples").glob("*.xlsx"))
BASE = ROOT / "workbooks" / "samples" / "zibo-2024-budget.xlsx"


# ---------------------------------------------------------------- generated large workbooks (openpyxl)

def _function_table(dest: Path, rows: int = 5000) -> None:
    """The 一般公共预算支出情况表 of the base sample with ``rows`` 类/款/项 rows whose sums hold."""
    from openpyxl import load_workbook

    wb = load_workbook(BASE)
    ws = wb["一般公共预算支出情况表"]
    ws.delete_rows(6, ws.max_row)
    rng = random.Random(5000)
    cells, r = [], 6
    total = [0] * 5
    for k in range(300, 300 + rows // 7):
        kuan_rows = []
        cls = [0] * 5
        for kuan in ("01", "02"):
            sub = [0] * 5
            items = []
            for xiang in ("01", "02"):
                p, q, j = rng.randint(0, 99999), rng.randint(0, 9999), rng.randint(0, 99999)
                v = [p + q + j, p + q, p, q, j]
                items.append(("", "", xiang, f"项{k}{kuan}{xiang}", v))
                sub = [a + b for a, b in zip(sub, v)]
            kuan_rows.append(("", kuan, "", f"款{k}{kuan}", sub))
            kuan_rows += items
            cls = [a + b for a, b in zip(cls, sub)]
        cells.append((str(k), "", "", f"类{k}", cls))
        cells += kuan_rows
        total = [a + b for a, b in zip(total, cls)]
    for a, b, c, name, v in cells:
        ws.cell(r, 1, a), ws.cell(r, 2, b), ws.cell(r, 3, c), ws.cell(r, 4, name)
        for i, cents in enumerate(v):
            ws.cell(r, 5 + i, cents / 100 if cents else None)
        r += 1
    for i, cents in enumerate(total):
        ws.cell(5, 5 + i, cents / 100)
    wb.save(dest)


def _twenty_departments(dest: Path, copies: int = 20) -> None:
    """Every table sheet of the base sample, twenty times, in one book."""
    from openpyxl import load_workbook

    wb = load_workbook(BASE)
    tables = [ws for ws in wb.worksheets if ws.title not in ("封面", "情况说明", "导入说明", "校验")]
    for i in range(1, copies):
        for ws in tables:
            wb.copy_worksheet(ws).title = f"{i:02d}{ws.title}"[:31]
    wb.save(dest)


def _narrative(dest: Path, megabytes: float = 2.0) -> None:
    """The base sample with its 情况说明 sheet grown to about ``megabytes`` MB of text."""
    from openpyxl import load_workbook

    wb = load_workbook(BASE)
    ws = wb["情况说明"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3) if isinstance(row[-1].value, str)]
    if not rows:
        raise SystemExit("情况说明 of the base sample has no paragraphs")
    size, r = sum(len(row[-1].encode()) for row in rows), ws.max_row + 1
    while size < megabytes * 1e6:
        for row in rows:
            ws.cell(r, 1, r - 2)
            for c, value in enumerate(row[1:], start=2):
                ws.cell(r, c, value)
            r += 1
            size += len(row[-1].encode())
    wb.save(dest)


def large_workbooks(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for name, make in (("function-5000-rows.xlsx", _function_table), ("twenty-departments.xlsx", _twenty_departments),
                       ("narrative-2mb.xlsx", _narrative)):
        path = folder / name
        if not path.exists() or path.stat().st_mtime < BASE.stat().st_mtime:
            make(path)
        made.append(path)
    return made


# ---------------------------------------------------------------- in-process CPU

def read_calamine(path: str) -> int:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(path)
    return sum(len(wb.get_sheet_by_name(n).to_python(skip_empty_area=False)) for n in wb.sheet_names)


def cpu_min(func, repeat: int) -> float:
    """Minimum CPU seconds of ``func``; the cycle collector paused as validate_file pauses it (for the
    floor too), so that the stages add up to the whole."""
    import gc

    best = float("inf")
    for _ in range(repeat):
        enabled = gc.isenabled()
        gc.disable()
        try:
            t = time.process_time()
            func()
            best = min(best, time.process_time() - t)
        finally:
            if enabled:
                gc.enable()
    return best


def stages(path: Path, repeat: int) -> dict[str, float]:
    """CPU seconds per stage of validate_file, each the minimum over ``repeat`` runs."""
    from validators import package
    from validators.engine import validate_file
    from validators.reading import disclosure_from_grids, read_grids, safety
    from validators.report import render_text
    from validators.rules import all_rules, run_rules

    narrative = {r.code for r in all_rules() if r.module.endswith(".narrative")}
    others = {r.code for r in all_rules()} - narrative

    def guards():
        zf = package.check_package(package.read_file(path))
        parts = safety.classify_package(zf)
        for name, part in parts.sheets.items():
            safety.scan_sheet(zf, part, name)

    grids = read_grids(path)
    disclosure = disclosure_from_grids(grids, source=str(path))
    report = validate_file(path)
    out = {
        "full": cpu_min(lambda: validate_file(path), repeat),
        "guards": cpu_min(guards, repeat),
        "read+guards": cpu_min(lambda: read_grids(path), repeat),
        "tables": cpu_min(lambda: disclosure_from_grids(read_grids(path), source=str(path)), repeat),
        "rules": cpu_min(lambda: run_rules(disclosure, select=others), repeat),
        "narrative": cpu_min(lambda: run_rules(disclosure, select=narrative), repeat),
        "report": cpu_min(lambda: render_text([report]), repeat),
    }
    out["read"] = max(out["read+guards"] - out["guards"], 0.0)
    out["tables"] = max(out["tables"] - out["read+guards"], 0.0)
    return out


# ---------------------------------------------------------------- processes

def process_cpu(cmd: list[str], repeat: int, env: dict[str, str]) -> float:
    best = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best = min(best, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return best


BARE = ("import sys\nfrom python_calamine import CalamineWorkbook\nwb = CalamineWorkbook.from_path(sys.argv[1])\n"
        "[wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names]\n")


def report(folder: Path | None = None, repeat: int = 5, out=print) -> dict[str, float]:
    """Print the per-file and single-process tables; return the worst ratios."""
    folder = folder or Path(tempfile.gettempdir()) / "czcheck-bench" / "large"
    files = list(SAMPLES) + large_workbooks(folder)
    out("")
    out("per file, CPU ms (minimum of %d runs, in one process after a warm-up)" % repeat)
    head = f"{'file':<34}{'KB':>6}{'czcheck':>9}{'floor':>8}{'× floor':>8} |{'guards':>7}{'read':>7}{'tables':>7}{'rules':>7}{'narr.':>7}{'report':>7}"
    out(head)
    worst = 0.0
    for f in files:
        floor = cpu_min(lambda: read_calamine(str(f)), repeat)
        s = stages(f, repeat)
        ratio = s["full"] / floor
        worst = max(worst, ratio)
        out(f"{f.name[:33]:<34}{f.stat().st_size // 1024:>6}{s['full'] * 1e3:>9.1f}{floor * 1e3:>8.1f}{ratio:>8.2f} |"
            + "".join(f"{s[k] * 1e3:>7.1f}" for k in ("guards", "read", "tables", "rules", "narrative", "report")))
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # what users have: compiled modules cached after the first run
    env.setdefault("PYTHONPYCACHEPREFIX", str(folder / "pycache"))
    py = sys.executable
    out("")
    out(f"single-file process, CPU ms (minimum of {repeat + 2} runs; python alone: "
        f"{process_cpu([py, '-c', 'pass'], repeat + 2, env) * 1e3:.0f} ms)")
    out(f"{'file':<34}{'czcheck validate':>17}{'python+calamine':>16}{'ratio':>7}")
    worst_proc = 0.0
    for f in (SAMPLES[0], files[-3]):
        process_cpu([py, "-m", "validators", "validate", str(f), "-o", os.devnull], 1, env)  # compile once
        cz = process_cpu([py, "-m", "validators", "validate", str(f), "-o", os.devnull], repeat + 2, env)
        bare = process_cpu([py, "-c", BARE, str(f)], repeat + 2, env)
        worst_proc = max(worst_proc, cz / bare)
        out(f"{f.name[:33]:<34}{cz * 1e3:>17.0f}{bare * 1e3:>16.0f}{cz / bare:>7.2f}")
    out("")
    out(f"  [{'PASS' if worst <= 3 else 'MISS'}] full validation ≤ 3× the calamine floor per file (worst {worst:.2f}×)")
    out(f"  [{'PASS' if worst_proc <= 2 else 'MISS'}] single-file czcheck validate ≤ 2× a bare python+calamine process "
        f"(worst {worst_proc:.2f}×)")
    return {"per_file": worst, "process": worst_proc}


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--dir", default=None, help="where the generated large workbooks live")
    a = p.parse_args()
    report(Path(a.dir) if a.dir else None, a.repeat)
