"""The Excel summary for a batch: one row per finding with hyperlinks, a per-department sheet, a per-rule sheet.

Formula injection is neutralised: every text that starts with = + - @ (or a tab / carriage return) is
written as text with a leading apostrophe, so neither Excel nor a CSV export evaluates it.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from ..model import SEVERITY_ORDER, Report, Severity
from .summary import department_of, link_target, marked_for, primary_cell, rule_name, summarise, year_of

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in OOXML strings
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
SEVERITY_FILL = {
    Severity.ERROR: PatternFill("solid", fgColor="F4B6B0"),
    Severity.UNVERIFIABLE: PatternFill("solid", fgColor="D7BDE2"),
    Severity.WARNING: PatternFill("solid", fgColor="FAD7A0"),
    Severity.ROUNDING: PatternFill("solid", fgColor="E5E8E8"),
}
LINK_FONT = Font(color="1F5FA8", underline="single")


def safe_text(value: str) -> str:
    """Text that Excel will never read as a formula."""
    value = _ILLEGAL.sub("", value)
    return "'" + value if value.startswith(FORMULA_START) else value


def _put(ws, row: int, col: int, value: Any):
    cell = ws.cell(row, col)
    if isinstance(value, str):
        cell.value = safe_text(value)
        cell.data_type = "s"
    elif isinstance(value, Decimal):
        cell.value = value
        cell.number_format = "#,##0.00"
    else:
        cell.value = value
    return cell


def _header(ws, names: list[str], widths: list[int]) -> None:
    for c, (name, width) in enumerate(zip(names, widths), start=1):
        cell = ws.cell(1, c, name)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(names))}1"


def _quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _hyperlink(cell, target: str, location: str | None = None) -> None:
    """An external link (relative path) and optionally the cell to open; never a HYPERLINK() formula."""
    cell.hyperlink = Hyperlink(ref=cell.coordinate, target=target, location=location, display=None)
    cell.font = LINK_FONT


FINDING_COLUMNS = ["序号", "部门", "年度", "文件", "级别", "规则编号", "规则名称", "表", "单元格", "说明", "应为", "实际", "差额", "相关单元格", "标注副本"]
FINDING_WIDTHS = [6, 24, 7, 28, 9, 9, 28, 20, 24, 70, 14, 14, 12, 30, 14]


def write_xlsx(reports: list[Report], path: str | Path, *, marked: Mapping[str, str] | None = None) -> Path:
    """Write the summary workbook to ``path``.  Links are relative to its folder."""
    path = Path(path)
    base = path.resolve().parent
    s = summarise(reports)
    wb = Workbook()

    ws = wb.active
    ws.title = "问题清单"
    _header(ws, FINDING_COLUMNS, FINDING_WIDTHS)
    r = 1
    for report in reports:
        dept = department_of(report)
        year = year_of(report)
        source_link = link_target(report.source, base)
        mark = marked_for(report, marked)
        if report.error:
            r += 1
            values = [r - 1, dept, year, report.source, "无法读取", "", "", "", "", report.error]
            for c, v in enumerate(values, start=1):
                _put(ws, r, c, v)
            _hyperlink(ws.cell(r, 4), source_link)
            continue
        for f in report.findings:
            r += 1
            first = f.cells[0] if f.cells else None
            related = [str(c) for c in f.related_cells if c not in f.cells]
            values = [r - 1, dept, year, report.source, f.severity.value, f.code, rule_name(f), f.table or "",
                      primary_cell(f), f.message, f.expected, f.actual, f.difference, "、".join(related), ""]
            for c, v in enumerate(values, start=1):
                _put(ws, r, c, v)
            ws.cell(r, 5).fill = SEVERITY_FILL[f.severity]
            ws.cell(r, 10).alignment = Alignment(wrap_text=True, vertical="top")
            # the file column opens the workbook; the cell column jumps to the cell (in the marked copy if any)
            _hyperlink(ws.cell(r, 4), source_link)
            if first is not None:
                target = link_target(mark, base) if mark else source_link
                _hyperlink(ws.cell(r, 9), target, f"{_quote_sheet(first.sheet)}!{first.address}")
            if mark:
                _put(ws, r, 15, "打开")
                _hyperlink(ws.cell(r, 15), link_target(mark, base))

    ds = wb.create_sheet("部门汇总")
    names = ["部门", "年度", "文件数"] + [sev.value for sev in SEVERITY_ORDER] + ["无法读取", "主要问题规则", "文件"]
    _header(ds, names, [28, 10, 8, 8, 9, 8, 8, 9, 30, 50])
    for i, d in enumerate(s.departments, start=2):
        values = [d.name, "、".join(str(y) for y in sorted(d.years)), len(d.files)]
        values += [d.counts.get(sev, 0) for sev in SEVERITY_ORDER]
        values += [d.unreadable, "；".join(f"{code}×{n}" for code, n in d.top_rules()), "；".join(d.files)]
        for c, v in enumerate(values, start=1):
            _put(ds, i, c, v)
        if d.counts.get(Severity.ERROR, 0):
            ds.cell(i, 4).fill = SEVERITY_FILL[Severity.ERROR]
        if len(d.files) == 1:
            _hyperlink(ds.cell(i, len(names)), link_target(d.files[0], base))

    rs = wb.create_sheet("规则汇总")
    names = ["规则编号", "规则名称"] + [sev.value for sev in SEVERITY_ORDER] + ["合计", "涉及部门数"]
    _header(rs, names, [10, 36, 8, 9, 8, 8, 8, 10])
    for i, rule in enumerate(s.rules, start=2):
        values = [rule.code, rule.name] + [rule.counts.get(sev, 0) for sev in SEVERITY_ORDER] + [rule.total, len(rule.departments)]
        for c, v in enumerate(values, start=1):
            _put(rs, i, c, v)

    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
