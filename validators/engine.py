"""One call per file: read, run the catalogue, return a Report.  Never raises for bad input."""

from __future__ import annotations

import gc
import re
from pathlib import Path

from .blanks import name_blank_cells
from .model import Report
from .reading import ReadError, read_workbook
from .reading.grid import is_pdf  # the PDF reader itself is imported only for a PDF
from .config import ConfigError, active as active_config
from .schemas.formats import FormatError
from .rules import run_rules
from .status import file_status

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls"}  # .xls: read, never written (reading/grid._read_xls)
PDF_SUFFIXES = {".pdf"}
REFUSED_SUFFIXES = {".ods", ".et", ".csv"}


def validate_file(path: str | Path) -> Report:
    """Read and check one workbook.  Bad input becomes ``Report.error`` (Chinese), never an exception.

    The source file is only ever read (the reader loads its bytes once and checks them before any
    parser runs, see reading/safety.py); nothing here writes to it.
    """
    # Reading allocates a hundred thousand small objects that live until the report is done; the
    # cycle collector would walk them again and again (10–15 % of the CPU).  Plain reference counting
    # still frees everything; cycles made meanwhile are collected when the collector is back on.
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _validate_file(Path(path))
    finally:
        if paused:
            gc.enable()


def _validate_file(path: Path) -> Report:
    report = Report(source=str(path))
    pdf = is_pdf(path)
    try:
        config = active_config()  # first: it may name format packs the reader must know
        from .schemas.formats import formats

        formats()  # a malformed format pack is said here, in Chinese, not as an internal error
    except (ConfigError, FormatError) as exc:
        report.error = str(exc)
        return report
    try:
        if pdf:
            from .reading.pdf import read_pdf_disclosure

            disclosure = read_pdf_disclosure(path)
        else:
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
        if pdf:  # name the page and row label of every cell
            from .reading.pdf.locate import locate

            report.findings = locate(report.findings, disclosure.cache.get("pdf_where", {}))
    except FormatError as exc:  # a format pack's codes.toml that cannot be used: say so in Chinese
        report.error = str(exc)
    except Exception as exc:  # noqa: BLE001 - as above: report it on this file, keep the batch going
        report.error = _internal_error(exc)
    else:
        if not pdf:
            _note_cached_formulas(report, path)
    # decided here, while the tables are still in memory and before a baseline hides anything
    report.file_status = file_status(report)
    return report


def _note_cached_formulas(report: Report, path: Path) -> None:
    """A finding that quotes a formula's cached value says so when that cache is doubtful
    (reading/formulas.py: recalculation on open requested, or written by a program)."""
    import zipfile

    from .package import UnsafeWorkbook
    from .reading import NO_FORMULAS
    from .reading.formulas import formula_notes

    sheets = {c.sheet for f in report.findings for c in f.all_cells}
    if report.disclosure is not None:
        sheets -= report.disclosure.cache.get(NO_FORMULAS, frozenset())
    if not sheets:
        return
    try:
        reason, cells = formula_notes(path, sheets)
    except (OSError, UnsafeWorkbook, zipfile.BadZipFile, KeyError, ValueError):
        return  # the file changed since it was read: the findings stand as they are
    if reason is None or not cells:
        return
    for finding in report.findings:
        quoted = [c for c in finding.all_cells if c.address in cells.get(c.sheet, ())]
        if quoted:
            shown = "、".join(str(c) for c in quoted[:3]) + (f" 等 {len(quoted)} 个单元格" if len(quoted) > 3 else "")
            finding.message += f"（注意：{shown} 是公式，这里用的是文件中保存的计算结果（缓存值）；{reason}）"
            finding.evidence["cached_formulas"] = [str(c) for c in quoted]


INTERNAL_ERROR = "校验程序内部错误"


def _internal_error(exc: BaseException) -> str:
    return f"{INTERNAL_ERROR}（{type(exc).__name__}），请把该文件报告给维护人员"


# czcheck's own outputs: marked copies (<name>.校验.xlsx) and in-place backups (<name>.备份[N].xlsx)
OWN_OUTPUT = re.compile(r"\.(校验|备份\d*)$")


def is_own_output(path: str | Path) -> bool:
    return bool(OWN_OUTPUT.search(Path(path).stem))


def collect_files(targets: list[str]) -> tuple[list[Path], list[str]]:
    """Expand files, folders (recursive) and globs; returns (files, Chinese problems).

    Folders and wildcards skip czcheck's own outputs (marked copies, backups); a file named
    explicitly is kept."""
    files: list[Path] = []
    problems: list[str] = []
    for target in targets:
        p = Path(target)
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in WORKBOOK_SUFFIXES | PDF_SUFFIXES | REFUSED_SUFFIXES and not f.name.startswith("~$")
                and not is_own_output(f)
            )
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            matches = sorted(_glob(target))
            if matches:
                files.extend(Path(m) for m in matches if Path(m).is_file() and not is_own_output(m))
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


def _glob(pattern: str) -> list[str]:
    """``glob.glob(pattern, recursive=True)`` that terminates on symlink loops: a ``**`` walk follows
    directory links but enters each real directory once; patterns without ``**`` use glob itself."""
    import fnmatch
    import glob
    import os
    import re

    if "**" not in pattern:
        return glob.glob(pattern)
    parts = re.split(r"[/\\]", pattern)
    root_parts: list[str] = []
    for part in parts:
        if glob.has_magic(part):
            break
        root_parts.append(part)
    root = os.sep.join(root_parts) if root_parts else "."
    if pattern.startswith(("/", "\\")) and not root:
        root = os.sep
    if not os.path.isdir(root):
        return []
    rest = parts[len(root_parts):]
    regex = []
    for i, part in enumerate(rest):
        last = i == len(rest) - 1
        if part == "**":
            regex.append(".*" if last else "(?:.*/)?")
        else:
            regex.append(fnmatch.translate(part).replace("(?s:", "(?:", 1)[:-2].replace(".*", "[^/]*")
                         + ("" if last else "/"))
    matcher = re.compile("".join(regex) + r"\Z", re.S)
    seen: set[tuple[int, int]] = set()
    out: list[str] = []
    for folder, dirs, names in os.walk(root, followlinks=True):
        try:
            st = os.stat(folder)
        except OSError:
            dirs[:] = []
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:  # a symlink loop (or a second link to a folder already walked)
            dirs[:] = []
            continue
        seen.add(key)
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel_folder = os.path.relpath(folder, root)
        for name in names:
            if name.startswith("."):
                continue
            rel = name if rel_folder == "." else os.path.join(rel_folder, name)
            if matcher.match(rel.replace(os.sep, "/")):
                out.append(os.path.join(folder, name) if root_parts else rel)
    return out
