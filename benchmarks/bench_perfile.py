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

FUNCTION_SHEETS = ("收入总体情况表", "支出总体情况表", "一般公共预算支出情况表")  # rows by 功能科目 code


def _function_table(dest: Path, rows: int = 5000) -> None:
    """The base sample with about ``rows`` more 款/项 rows in each table listed by 功能科目 (收入总体情况表,
    支出总体情况表, 一般公共预算支出情况表), the same rows in the three.  They take the 项目支出 of the
    sample's largest project row (which keeps 5.00), so every 类, every total and every other table still
    agree: a realistic large book whose findings are the sample's, not thousands of disagreements."""
    from openpyxl import load_workbook

    wb = load_workbook(BASE)
    src = wb["一般公共预算支出情况表"]
    cls, best = "", None  # the donor: (项目支出 in cents, 类, 款, 项)
    kuan = ""
    for r in range(6, src.max_row + 1):
        a, b, c = (str(src.cell(r, i).value or "") for i in (1, 2, 3))
        cls, kuan = (a, kuan) if a else (cls, b or kuan)
        j = round((src.cell(r, 9).value or 0) * 100)
        if c and (best is None or j > best[0]):
            best = (j, cls, kuan, c)
    if best is None or best[0] < 100_000:
        raise SystemExit("一般公共预算支出情况表 of the base sample has no project row to take from")
    donor, d_cls, d_kuan, d_xiang = best
    moved = donor - 500
    n_kuan = max(1, min(88, -(-rows // 100)))  # 款 codes 10..98 not used by the sample; 项 01..99 each
    n_xiang = max(1, min(99, rows // n_kuan - 1))
    rng = random.Random(5000)
    weights = [rng.randint(1, 1000) for _ in range(n_kuan * n_xiang)]
    leaves = [moved * w // sum(weights) for w in weights]
    for i in range(moved - sum(leaves)):
        leaves[i] += 1
    used = set()
    for r in range(6, src.max_row + 1):  # 款 codes of the donor's 类 (a 款 row's 类 cell is blank)
        if src.cell(r, 2).value and not src.cell(r, 3).value:
            used.add(str(src.cell(r, 2).value))
    codes = [f"{k:02d}" for k in range(10, 99) if f"{k:02d}" not in used][:n_kuan]
    extra = []  # (款, 项, name, 项目支出 in cents)
    for k, code in enumerate(codes):
        part = leaves[k * n_xiang:(k + 1) * n_xiang]
        extra.append((code, "", f"款{d_cls}{code}", sum(part)))
        extra += [("", f"{x + 1:02d}", f"项{d_cls}{code}{x + 1:02d}", v) for x, v in enumerate(part)]

    for title in ("收入总体情况表", "支出总体情况表", "一般公共预算支出情况表"):
        ws = wb[title]
        width = ws.max_column
        old = [[ws.cell(r, c).value for c in range(1, width + 1)] for r in range(6, ws.max_row + 1)]
        project = {"收入总体情况表": (5, 6, 7), "支出总体情况表": (5, 7), "一般公共预算支出情况表": (5, 9)}[title]
        out, cls, kuan, placed = [], "", "", False
        for row in old:
            a, b, c = (str(v or "") for v in row[:3])
            if a and cls == d_cls and not placed:  # the donor's 类 ends: the new 款 go here
                out += [["", b2, c2, name] + [v / 100 if i + 5 in project and v else None for i in range(width - 4)]
                        for b2, c2, name, v in extra]
                placed = True
            cls, kuan = (a, kuan) if a else (cls, b or kuan)
            if cls == d_cls and kuan == d_kuan and not a and ((b and not c) or c == d_xiang):
                # the donor's 款 and 项 rows give the moved amount
                row = [v - moved / 100 if i + 1 in project and isinstance(v, (int, float)) else v
                       for i, v in enumerate(row)]
            out.append(row)
        if not placed:
            raise SystemExit(f"{title}: the donor's 类 {d_cls} was not found (or is the last)")
        ws.delete_rows(6, ws.max_row)
        for r, row in enumerate(out, start=6):
            for c, v in enumerate(row, start=1):
                if v not in (None, ""):
                    ws.cell(r, c, round(v, 2) if isinstance(v, float) else v)
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


def _made(path: Path, make) -> Path:
    """``path``, made by ``make(path)`` unless it is newer than the base sample and this script; written
    under another name and renamed, whole or not at all (several benches may share the folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.stat().st_mtime < max(BASE.stat().st_mtime, Path(__file__).stat().st_mtime):
        part = path.with_name(f".{path.stem}.{os.getpid()}.xlsx")
        make(part)
        os.replace(part, path)
    return path


def large_workbooks(folder: Path) -> list[Path]:
    return [_made(folder / name, make) for name, make in (("function-5000-rows.xlsx", _function_table),
                                                          ("twenty-departments.xlsx", _twenty_departments),
                                                          ("narrative-2mb.xlsx", _narrative))]


SIZES = (1000, 2000, 4000, 8000)  # rows added to each 功能科目 table (the generator's limit is 8,800)


def scaled_workbooks(folder: Path) -> list[tuple[int, Path]]:
    """The 5,000-row book's recipe at several sizes: CPU should grow linearly with the rows."""
    return [(rows, _made(folder / f"function-{rows}-rows.xlsx", lambda dest, rows=rows: _function_table(dest, rows)))
            for rows in SIZES]


def _validate(path: Path) -> None:
    from validators.engine import validate_file

    validate_file(path)


# ---------------------------------------------------------------- in-process CPU

def read_calamine(path: str, skip: frozenset[str] = frozenset()) -> int:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(path)
    return sum(len(wb.get_sheet_by_name(n).to_python(skip_empty_area=False)) for n in wb.sheet_names if n not in skip)


def own_check_sheets(path: Path) -> frozenset[str]:
    """The sheets validation leaves unread (czcheck's own 校验 sheet, reading/safety.own_check_sheet)."""
    from validators import package
    from validators.reading import safety

    zf = package.check_package(package.read_file(path))
    parts = safety.classify_package(zf)
    return frozenset(name for name, part in parts.sheets.items()
                     if safety.own_check_sheet(zf, part, name, parts.shared_strings))


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
            if not safety.own_check_sheet(zf, part, name, parts.shared_strings):
                safety.scan_sheet(zf, part, name)

    grids = read_grids(path, skip_check_sheet=True)
    report = validate_file(path)
    out = {
        "full": cpu_min(lambda: validate_file(path), repeat),
        "guards": cpu_min(guards, repeat),
        "read+guards": cpu_min(lambda: read_grids(path, skip_check_sheet=True), repeat),
        "tables": cpu_min(lambda: disclosure_from_grids(read_grids(path, skip_check_sheet=True), source=str(path)), repeat),
        # rules on a fresh disclosure each time: what they compute once per disclosure (the narrative's
        # statements, the 绩效 part, …) is paid as in a real run, not served from the first run's memo
        "build": cpu_min(lambda: disclosure_from_grids(grids, source=str(path)), repeat),
        "build+rules": cpu_min(lambda: run_rules(disclosure_from_grids(grids, source=str(path)), select=others), repeat),
        "build+all": cpu_min(lambda: run_rules(disclosure_from_grids(grids, source=str(path))), repeat),
        "report": cpu_min(lambda: render_text([report]), repeat),
    }
    out["read"] = max(out["read+guards"] - out["guards"], 0.0)
    out["tables"] = max(out["tables"] - out["read+guards"], 0.0)
    out["rules"] = max(out["build+rules"] - out["build"], 0.0)
    out["narrative"] = max(out["build+all"] - out["build+rules"], 0.0)
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


# what a one-file command costs before it opens the file: the regex/dataclass caches installed as cli.main
# does, the validation modules and every rule module imported, the format packs loaded
IMPORTS_ONLY = ("from validators.recache import install\ninstall()\nimport validators.cli, validators.engine\n"
                "from validators.rules import all_rules\nall_rules()\n")


def report(folder: Path | None = None, repeat: int = 5, out=print) -> dict[str, float]:
    """Print the per-file and single-process tables; return the worst ratios."""
    folder = folder or Path(tempfile.gettempdir()) / "czcheck-bench" / "large"
    files = list(SAMPLES) + large_workbooks(folder)
    out("")
    out("per file, CPU ms (minimum of %d runs, in one process after a warm-up)" % repeat)
    head = f"{'file':<34}{'KB':>6}{'czcheck':>9}{'floor':>8}{'× floor':>8}{'read':>6} |{'guards':>7}{'read':>7}{'tables':>7}{'rules':>7}{'narr.':>7}{'report':>7}"
    out(head)
    worst = 0.0
    for f in files:
        floor = cpu_min(lambda: read_calamine(str(f)), repeat)
        skip = own_check_sheets(f)
        floor_read = cpu_min(lambda: read_calamine(str(f), skip), repeat) if skip else floor
        s = stages(f, repeat)
        ratio = s["full"] / floor
        worst = max(worst, ratio)
        out(f"{f.name[:33]:<34}{f.stat().st_size // 1024:>6}{s['full'] * 1e3:>9.1f}{floor * 1e3:>8.1f}{ratio:>8.2f}"
            f"{s['full'] / floor_read:>6.1f} |"
            + "".join(f"{s[k] * 1e3:>7.1f}" for k in ("guards", "read", "tables", "rules", "narrative", "report")))
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # what users have: compiled modules cached after the first run
    env.setdefault("PYTHONPYCACHEPREFIX", str(folder / "pycache"))
    py = sys.executable
    out("")
    out(f"single-file process, CPU ms (minimum of {repeat + 2} runs; python alone: "
        f"{process_cpu([py, '-c', 'pass'], repeat + 2, env) * 1e3:.0f} ms)")
    imports = process_cpu([py, "-c", IMPORTS_ONLY], repeat + 2, env)
    out(f"czcheck's start-up alone (its imports and format packs, no file): {imports * 1e3:.0f} ms")
    out(f"{'file':<34}{'czcheck validate':>17}{'python+calamine':>16}{'ratio':>7}{'start-up alone':>16}")
    worst_proc = 0.0
    for f in (SAMPLES[0], files[-3]):
        process_cpu([py, "-m", "validators", "validate", str(f), "-o", os.devnull], 1, env)  # compile once
        cz = process_cpu([py, "-m", "validators", "validate", str(f), "-o", os.devnull], repeat + 2, env)
        bare = process_cpu([py, "-c", BARE, str(f)], repeat + 2, env)
        worst_proc = max(worst_proc, cz / bare)
        out(f"{f.name[:33]:<34}{cz * 1e3:>17.0f}{bare * 1e3:>16.0f}{cz / bare:>7.2f}{imports / bare:>15.2f}×")
    out("")
    out("growth with size: the 功能科目 tables grown by n rows each (three tables), CPU ms")
    out(f"{'rows':>8}{'czcheck':>9}{'floor':>8}{'× floor':>8}   per 1,000 more rows: czcheck  floor")
    last = None
    for rows, f in scaled_workbooks(folder):
        cz = cpu_min(lambda: _validate(f), repeat)
        floor = cpu_min(lambda: read_calamine(str(f)), repeat)
        more = (f"{(cz - last[1]) * 1e6 / (rows - last[0]):>30.1f}{(floor - last[2]) * 1e6 / (rows - last[0]):>7.1f}"
                if last else "")
        out(f"{rows:>8,}{cz * 1e3:>9.1f}{floor * 1e3:>8.1f}{cz / floor:>8.2f}{more}")
        last = (rows, cz, floor)
    out("")
    out("  rules: every rule but the narrative module's, on a fresh disclosure; narr.: what the narrative module adds.")
    out("  × floor: czcheck's CPU over calamine reading every sheet of the file.  read: over calamine reading only the")
    out("  sheets czcheck reads (it leaves its own 校验 sheet unread, reading/safety.own_check_sheet).")
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
