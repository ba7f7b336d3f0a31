"""Formula cells whose *cached* value a finding quotes, and whether that cache can be trusted.

A workbook keeps, for each formula, the value computed when it was last saved.  czcheck reads that
cached value (it never recalculates).  The cache is doubtful when the workbook asks to be recalculated
on open (``<calcPr fullCalcOnLoad="1">``: Excel will show other numbers) or was written by a program
rather than by Excel, WPS or LibreOffice (the program may have written any number as the cache).
Then each finding that quotes such a cell says so (engine.py adds the note).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from .. import package
from . import safety

_CALC_ON_LOAD = re.compile(rb"<(?:\w+:)?calcPr\b[^>]*\bfullCalcOnLoad\s*=\s*[\"'](?:1|true)[\"']")
_APPLICATION = re.compile(rb"<(?:\w+:)?Application>([^<]{0,200})</")
_CREATOR = re.compile(rb"<dc:creator>([^<]{0,200})</dc:creator>")
_OFFICE_APPS = ("microsoft excel", "microsoft macintosh excel", "wps", "kingsoft", "libreoffice", "openoffice",
                "numbers", "et ")
_PROGRAM_MARKS = ("openpyxl", "xlsxwriter", "compatible", "python", "apache poi", "epplus", "closedxml", "rubyxl",
                  "phpspreadsheet", "phpexcel", "pandas", "sheetjs", "excelize", "exceljs", "npoi", "aspose")
_FORMULA_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?<!/)>((?:(?!</(?:\w+:)?c>).){0,20000}?)</(?:\w+:)?c>", re.S)
_F_TAG = re.compile(rb"<f")  # (a regex finds a literal in bytes faster than ``in`` does)
_REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]{1,3}\d{1,7})["']""")


def doubtful_cache(zf: zipfile.ZipFile) -> str | None:
    """Why cached formula values cannot be trusted (Chinese), or None."""
    names = {i.filename.lower(): i.filename for i in zf.infolist()}
    parts = safety.classify_package(zf)
    if _CALC_ON_LOAD.search(package.member_bytes(zf, parts.workbook)):
        return "该工作簿要求打开时重新计算（fullCalcOnLoad），Excel 中显示的结果可能与此不同"
    app = b""
    if "docprops/app.xml" in names:
        m = _APPLICATION.search(package.member_bytes(zf, names["docprops/app.xml"]))
        app = m.group(1) if m else b""
    creator = b""
    if "docprops/core.xml" in names:
        m = _CREATOR.search(package.member_bytes(zf, names["docprops/core.xml"]))
        creator = m.group(1) if m else b""
    text = (app + b" " + creator).decode("utf-8", "replace").lower()
    program = app.decode("utf-8", "replace").strip()
    if any(mark in text for mark in _PROGRAM_MARKS) or not program:
        who = program or creator.decode("utf-8", "replace").strip() or "未注明的程序"
        return f"该工作簿由程序生成（{who[:40]}），缓存值未必经过 Excel 计算"
    if not any(program.lower().startswith(o) for o in _OFFICE_APPS):
        return f"该工作簿由程序生成（{program[:40]}），缓存值未必经过 Excel 计算"
    return None


def cached_formula_cells(zf: zipfile.ZipFile, sheets: set[str]) -> dict[str, set[str]]:
    """Sheet name -> addresses of formula cells that carry a cached value, for the given sheets."""
    parts = safety.classify_package(zf)
    out: dict[str, set[str]] = {}
    for name in sheets:
        part = parts.sheets.get(name)
        if part is None:
            continue
        data = package.member_bytes(zf, part)  # inflated once, when the file was checked
        if not _F_TAG.search(data) and not safety._COLON_F.search(data):
            continue
        found = _simple_cached(data)
        if found is None:
            found = _cached_by_regex(data)
        if found:
            out.setdefault(name, set()).update(found)
    return out


def _cached_by_regex(data: bytes) -> set[str]:
    found = set()
    for m in _FORMULA_CELL.finditer(data):
        body = m.group(2)
        if not re.search(rb"<(?:\w+:)?f[\s>/]", body) or not re.search(rb"<(?:\w+:)?v>[^<]", body):
            continue
        ref = _REF.search(m.group(1))
        if ref:
            found.add(ref.group(1).decode("ascii").upper())
    return found


def _simple_cached(data: bytes) -> set[str] | None:
    """The addresses _FORMULA_CELL would find, by the sheet scan's one pass over formula cells of the
    usual shape (reading/safety.py); None when some formula cell has another shape (or a prefix)."""
    if safety._COLON_FC.search(data):
        return None
    marks = len(safety._FORMULA_TAG.findall(data))
    found = set()
    matched = 0
    for letters, digits, _, text, _, cached in safety._SIMPLE_FORMULA_CELL.findall(data):
        matched += 1
        if len(text) > 19_000:
            return None  # _FORMULA_CELL looks no further than 20,000 characters into a cell
        if cached:
            found.add((letters + digits).decode("ascii"))
    return found if matched == marks else None


def formula_notes(path: str | Path, sheets: set[str]) -> tuple[str | None, dict[str, set[str]]]:
    """(reason, formula cells) for the sheets findings name; (None, {}) when the cache is trusted."""
    zf = package.open_package(package.read_file(path))  # the same guards as the first read
    reason = doubtful_cache(zf)
    if reason is None:
        return None, {}
    return reason, cached_formula_cells(zf, sheets)
