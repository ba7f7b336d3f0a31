"""One call per file: read, run the catalogue, return a Report.  Never raises for bad input."""

from __future__ import annotations

from pathlib import Path

from .model import Report
from .reading import ReadError, read_workbook
from .rules import run_rules

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
REFUSED_SUFFIXES = {".xls", ".ods", ".et", ".csv"}


def validate_file(path: str | Path) -> Report:
    path = Path(path)
    report = Report(source=str(path))
    try:
        disclosure = read_workbook(path)
    except ReadError as exc:
        report.error = str(exc)
        return report
    except (OSError, MemoryError) as exc:
        report.error = f"读取文件失败：{type(exc).__name__}"
        return report
    report.disclosure = disclosure
    report.findings = run_rules(disclosure)
    return report


def collect_files(targets: list[str]) -> tuple[list[Path], list[str]]:
    """Expand files, folders (recursive) and globs; returns (files, Chinese problems)."""
    import glob

    files: list[Path] = []
    problems: list[str] = []
    for target in targets:
        p = Path(target)
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in WORKBOOK_SUFFIXES | REFUSED_SUFFIXES and not f.name.startswith("~$")
            )
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            matches = sorted(glob.glob(target, recursive=True))
            if matches:
                files.extend(Path(m) for m in matches if Path(m).is_file())
            else:
                problems.append(f"找不到文件或文件夹：{target}")
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, problems
