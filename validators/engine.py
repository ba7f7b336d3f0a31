"""One call per file: read, run the catalogue, return a Report.  Never raises for bad input."""

from __future__ import annotations

from pathlib import Path

from .blanks import name_blank_cells
from .model import Report
from .reading import ReadError, read_workbook
from .config import ConfigError, active as active_config
from .rules import run_rules

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
REFUSED_SUFFIXES = {".xls", ".ods", ".et", ".csv"}


def validate_file(path: str | Path) -> Report:
    """Read and check one workbook.  Bad input becomes ``Report.error`` (Chinese), never an exception.

    The source file is only ever read (the reader loads its bytes once and checks them before any
    parser runs, see reading/safety.py); nothing here writes to it.
    """
    path = Path(path)
    report = Report(source=str(path))
    try:
        config = active_config()  # first: it may name format packs the reader must know
    except ConfigError as exc:
        report.error = str(exc)
        return report
    try:
        disclosure = read_workbook(path)
    except ReadError as exc:
        report.error = str(exc)
        return report
    except MemoryError:
        report.error = "内存不足，无法读取该工作簿（内容过多）"
        return report
    except OSError as exc:
        report.error = f"读取文件失败：{exc.strerror or type(exc).__name__}"
        return report
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop a batch; this is a czcheck bug
        report.error = _internal_error(exc)
        return report
    report.disclosure = disclosure
    try:
        report.findings = name_blank_cells(disclosure, run_rules(disclosure, config=config))
    except Exception as exc:  # noqa: BLE001 - as above: report it on this file, keep the batch going
        report.error = _internal_error(exc)
    return report


INTERNAL_ERROR = "校验程序内部错误"


def _internal_error(exc: BaseException) -> str:
    return f"{INTERNAL_ERROR}（{type(exc).__name__}），请把该文件报告给维护人员"


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
