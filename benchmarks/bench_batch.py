"""Batch benchmark: czcheck against the time to merely read the same workbooks, measured in the same run.

    .venv/bin/python benchmarks/bench_batch.py            # 500 generated workbooks, all cores
    .venv/bin/python benchmarks/bench_batch.py -n 100 -j 2

Prints, for the same files and the same number of worker processes:
- czcheck: full batch validation (validators.batch.validate_many), workbooks/s;
- floor: reading every sheet's values with python-calamine (nothing else);
- naive: reading every sheet's values with openpyxl read-only (what a tool built on openpyxl pays);
- peak memory (parent and largest worker, RSS) for a small and the full batch, in separate processes;
- recall of the injected mistakes (a mistake is found when a 错误 finding names its cell) and the
  false positives (错误 findings that name no injected cell);
then the targets: czcheck ≤ 1.5 × floor, ≥ 2 × faster than openpyxl, memory flat, 500 files < 60 s;
then (benchmarks/bench_perfile.py, alone with --per-file-only) CPU per file against the calamine floor on
the five samples and three generated large workbooks, the cost per stage, and a single-file
``czcheck validate`` process against a bare python process reading the same file with calamine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


# ---------------------------------------------------------------- baselines (module-level: picklable)

def read_calamine(path: str) -> int:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(path)
        n = 0
        for name in wb.sheet_names:
            n += len(wb.get_sheet_by_name(name).to_python(skip_empty_area=False))
        return n
    except Exception:  # a broken file costs what it costs; the floor must not stop
        return -1


def read_openpyxl(path: str) -> int:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # broken files: same as above
        return -1
    n = 0
    for ws in wb.worksheets:
        for _ in ws.iter_rows(values_only=True):
            n += 1
    wb.close()
    return n


def _noop() -> None:
    return None


def cpu_seconds() -> float:
    """CPU time of this process and of its reaped children (pool workers are reaped at shutdown)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed_pool(func, files: list[str], jobs: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) to run ``func`` over ``files`` on ``jobs`` processes."""
    start, cpu = time.perf_counter(), cpu_seconds()
    if jobs == 1:
        for f in files:
            func(f)
    else:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_noop) as pool:
            list(pool.map(func, files, chunksize=1))
    return time.perf_counter() - start, cpu_seconds() - cpu


# ---------------------------------------------------------------- czcheck probe (own process: clean memory numbers)

def probe(files_json: str, jobs: int, out_json: str) -> None:
    from validators.batch import validate_many
    from validators.report import render_json

    files = json.loads(Path(files_json).read_text(encoding="utf-8"))
    start, cpu = time.perf_counter(), cpu_seconds()
    result = validate_many(files, jobs)
    elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    stats = {
        "elapsed": elapsed, "cpu": cpu,
        "parent_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # holding every finding
        "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "findings": sum(len(r.findings) for r in result.reports),
    }
    Path(out_json).write_text(render_json(result.reports), encoding="utf-8")
    print(json.dumps(stats))


def run_probe(files: list[str], jobs: int, workdir: Path, tag: str) -> tuple[dict, dict]:
    files_json, out_json = workdir / f"files-{tag}.json", workdir / f"result-{tag}.json"
    files_json.write_text(json.dumps(files, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run([sys.executable, __file__, "--probe", str(files_json), "--jobs", str(jobs), "--probe-out", str(out_json)],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    return stats, json.loads(out_json.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- accuracy

def accuracy(manifest: dict, result: dict, root: Path) -> dict:
    by_file = {str((root / e["file"])): e for e in manifest["files"]}
    injected = found = found_any = false_pos = unreadable_expected = unreadable_unexpected = 0
    missed: list[str] = []
    for entry in result["files"]:
        m = by_file.get(entry["source"])
        if m is None:
            continue
        if entry["error"]:
            if m["broken"]:
                unreadable_expected += 1
            else:
                unreadable_unexpected += 1
            continue
        marks = {f"{x['sheet']}!{x['cell']}": x for x in m["mistakes"]}
        injected += len(marks)
        hit, hit_any = set(), set()
        for f in entry["findings"]:
            cells = set(f["cells"]) | set(f["related_cells"])
            touched = cells & set(marks)
            if f["severity"] == "错误":
                hit |= touched
                if not touched:
                    false_pos += 1
            if f["severity"] != "尾差":
                hit_any |= touched
        found += len(hit)
        found_any += len(hit_any)
        missed += [f"{marks[c]['table']}/{marks[c]['row_kind']}/{marks[c]['column']}" for c in marks if c not in hit]
    return {"injected": injected, "found": found, "found_any": found_any, "false_positives": false_pos,
            "unreadable_expected": unreadable_expected, "unreadable_unexpected": unreadable_unexpected, "missed": missed}


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--count", "-n", type=int, default=500)
    p.add_argument("--jobs", "-j", type=int, default=None)
    p.add_argument("--dir", default="/tmp/czcheck-bench", help="where the generated workbooks live")
    p.add_argument("--regenerate", action="store_true")
    p.add_argument("--broken", type=int, default=3)
    p.add_argument("--probe", help=argparse.SUPPRESS)
    p.add_argument("--probe-out", help=argparse.SUPPRESS)
    p.add_argument("--per-file-only", action="store_true",
                   help="only the per-file section: samples and large workbooks against the calamine floor")
    p.add_argument("--repeat", type=int, default=5, help="repetitions per measurement in the per-file section")
    args = p.parse_args(argv)

    from validators.batch import default_jobs

    jobs = args.jobs or default_jobs()
    if args.probe:
        probe(args.probe, jobs, args.probe_out)
        return 0

    from bench_perfile import report as per_file_report

    if args.per_file_only:
        per_file_report(Path(args.dir) / "large", args.repeat)
        return 0

    from generate import generate
    from validators.engine import collect_files

    root = Path(args.dir) / f"n{args.count}"
    manifest_path = root / "manifest.json"
    if args.regenerate or not manifest_path.exists():
        t = time.perf_counter()
        generate(root, args.count, broken=args.broken, log=lambda m: print("  " + m))
        print(f"generated {args.count} workbooks (+{args.broken} broken) in {time.perf_counter() - t:.1f} s under {root}")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    files = [str(f) for f in collect_files([str(root)])[0]]
    n = len(files)
    size_mb = sum(os.path.getsize(f) for f in files) / 1e6
    print(f"files: {n} ({size_mb:.1f} MB), jobs: {jobs}, cpus: {os.cpu_count()}, python {sys.version.split()[0]}")

    for f in files:  # warm the page cache so that every contender reads from memory
        Path(f).read_bytes()
    workdir = root.parent / f"work-n{args.count}"
    workdir.mkdir(exist_ok=True)

    t_cal = timed_pool(read_calamine, files, jobs)
    small = files[: max(20, n // 10)]
    stats_small, _ = run_probe(small, jobs, workdir, "small")
    stats, result = run_probe(files, jobs, workdir, "full")
    t_cal = min(t_cal, timed_pool(read_calamine, files, jobs))
    t_opx = timed_pool(read_openpyxl, files, jobs)
    t_cz = (stats["elapsed"], stats["cpu"])
    acc = accuracy(manifest, result, root)

    ratio_floor, ratio_opx = t_cz[0] / t_cal[0], t_opx[0] / t_cz[0]
    cpu_floor, cpu_opx = t_cz[1] / t_cal[1], t_opx[1] / t_cz[1]
    mem_growth = (stats["worker_rss_mb"] / stats_small["worker_rss_mb"], stats["parent_rss_mb"] / stats_small["parent_rss_mb"])
    load = os.getloadavg()[0]
    print()
    print(f"{'contender':<38}{'wall s':>8}{'files/s':>9}{'× floor':>9}{'CPU s':>8}{'CPU × floor':>12}")
    for name, t in (("czcheck validate (full rules)", t_cz), ("floor: python-calamine, read only", t_cal),
                    ("naive: openpyxl read-only, read only", t_opx)):
        print(f"{name:<38}{t[0]:>8.2f}{n / t[0]:>9.1f}{t[0] / t_cal[0]:>9.2f}{t[1]:>8.2f}{t[1] / t_cal[1]:>12.2f}")
    print(f"(load average {load:.2f} on {os.cpu_count()} CPUs; CPU seconds are less sensitive to other load than wall time)")
    print()
    print(f"peak RSS, {len(small)} files: parent {stats_small['parent_rss_mb']:.0f} MB ({stats_small['findings']} findings held), "
          f"largest worker {stats_small['worker_rss_mb']:.0f} MB")
    print(f"peak RSS, {n} files: parent {stats['parent_rss_mb']:.0f} MB ({stats['findings']} findings held), "
          f"largest worker {stats['worker_rss_mb']:.0f} MB (growth ×{mem_growth[1]:.2f} parent, ×{mem_growth[0]:.2f} worker for ×{n / len(small):.0f} files)")
    recall = acc["found"] / acc["injected"] if acc["injected"] else 1.0
    recall_any = acc["found_any"] / acc["injected"] if acc["injected"] else 1.0
    print(f"recall: {acc['found']}/{acc['injected']} injected mistakes named by a 错误 finding ({recall:.1%}); "
          f"by any finding except 尾差 {acc['found_any']}/{acc['injected']} ({recall_any:.1%})")
    print(f"false positives (错误 findings naming no injected cell): {acc['false_positives']}")
    print(f"unreadable files: {acc['unreadable_expected']} broken on purpose, {acc['unreadable_unexpected']} unexpected")
    if acc["missed"]:
        from collections import Counter

        print("missed mistakes by table/row/column: " + "; ".join(f"{k} ×{v}" for k, v in Counter(acc["missed"]).most_common(8)))
    print()
    targets = [
        (f"czcheck within 1.5× the calamine floor (wall {ratio_floor:.2f}×, CPU {cpu_floor:.2f}×)", ratio_floor <= 1.5),
        (f"≥ 2× faster than openpyxl read-only (wall {ratio_opx:.2f}×, CPU {cpu_opx:.2f}×)", ratio_opx >= 2),
        (f"worker memory flat as N grows (×{mem_growth[0]:.2f} for ×{n / len(small):.0f} files; ≤ ×1.2)", mem_growth[0] <= 1.2),
        (f"{n} workbooks under 60 s (is {t_cz[0]:.1f} s)", t_cz[0] < 60),
    ]
    for text, ok in targets:
        print(f"  [{'PASS' if ok else 'MISS'}] {text}")
    per_file_report(Path(args.dir) / "large", args.repeat)  # per file: samples and large books vs the floor
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
