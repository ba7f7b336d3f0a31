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
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet.hyperlink import Hyperlink

from ..model import SEVERITY_ORDER, Report, Severity
from ..status import Status
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
WRAP = Alignment(wrap_text=True, vertical="top")


def safe_text(value: str) -> str:
    """Text that Excel will never read as a formula."""
    value = _ILLEGAL.sub("", value)
    return "'" + value if value.startswith(FORMULA_START) else value


def _cell(ws, value: Any, *, fill=None, link: str | None = None, location: str | None = None, wrap: bool = False) -> WriteOnlyCell:
    """One cell for a write-only sheet: text neutralised, Decimals as numbers, optional link and fill."""
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, safe_text(value))
        cell.data_type = "s"
    else:
        cell = WriteOnlyCell(ws, value)
        if isinstance(value, Decimal):
            cell.number_format = "#,##0.00"
    if fill is not None:
        cell.fill = fill
    if wrap:
        cell.alignment = WRAP
    if link:
        link = _ILLEGAL.sub(lambda m: f"%{ord(m.group(0)):02X}", link)  # a control character in a file name
        location = _ILLEGAL.sub("", location) if location else location
        # an external link (relative path) and optionally the cell to open; never a HYPERLINK() formula
        cell.hyperlink = Hyperlink(ref="", target=link, location=location, display=None)
        cell.font = LINK_FONT
    return cell


def _sheet(wb, title: str, names: list[str], widths: list[int]):
    ws = wb.create_sheet(title)
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(names))}1"
    header = []
    for name in names:
        cell = WriteOnlyCell(ws, name)
        cell.font, cell.fill, cell.alignment = Font(bold=True), HEADER_FILL, Alignment(vertical="center", wrap_text=True)
        header.append(cell)
    ws.append(header)
    return ws


def _quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


FINDING_COLUMNS = ["序号", "部门", "年度", "文件", "级别", "规则编号", "规则名称", "表", "单元格", "说明", "应为", "实际", "差额", "相关单元格", "标注副本"]
FINDING_WIDTHS = [6, 24, 7, 28, 9, 9, 28, 20, 24, 70, 14, 14, 12, 30, 14]


STATUS_FILL = {
    Status.VERIFIED: PatternFill("solid", fgColor="C6EFCE"),
    Status.PARTIAL: PatternFill("solid", fgColor="FFE699"),
    Status.FAILED: PatternFill("solid", fgColor="F4B6B0"),
}
STATUS_COLUMNS = ["序号", "文件", "部门", "年度", "状态", "说明", "缺少的表", "未能完整读取的表",
                  *[sev.value for sev in SEVERITY_ORDER], "已按基线忽略"]
STATUS_WIDTHS = [6, 30, 24, 7, 10, 60, 30, 30, 8, 9, 8, 8, 12]


def _status_sheet(wb, reports: list[Report], base: Path) -> None:
    """The first sheet: one row per file with its status (已校验 / 部分校验 / 未能校验) and why."""
    ws = _sheet(wb, "文件状态", STATUS_COLUMNS, STATUS_WIDTHS)
    for i, r in enumerate(reports, start=1):
        st = r.status
        ws.append([_cell(ws, i), _cell(ws, r.source, link=link_target(r.source, base)), _cell(ws, department_of(r)),
                   _cell(ws, year_of(r)), _cell(ws, st.value, fill=STATUS_FILL[st.level]), _cell(ws, "；".join(st.reasons), wrap=True),
                   _cell(ws, "、".join(st.missing_tables)), _cell(ws, "、".join(st.unreadable_tables)),
                   *[_cell(ws, r.count(sev)) for sev in SEVERITY_ORDER], _cell(ws, len(r.baselined))])


def write_xlsx(reports: list[Report], path: str | Path, *, marked: Mapping[str, str] | None = None,
               force: bool = False) -> Path:
    """Write the summary workbook to ``path`` (streaming, write-only).  Links are relative to its folder."""
    path = Path(path)
    base = path.resolve().parent
    s = summarise(reports)
    wb = Workbook(write_only=True)

    _status_sheet(wb, reports, base)
    ws = _sheet(wb, "问题清单", FINDING_COLUMNS, FINDING_WIDTHS)
    n = 0
    for report in reports:
        dept = department_of(report)
        year = year_of(report)
        source_link = link_target(report.source, base)
        mark = marked_for(report, marked)
        if report.error:
            n += 1
            ws.append([_cell(ws, n), _cell(ws, dept), _cell(ws, year), _cell(ws, report.source, link=source_link),
                       _cell(ws, "无法读取"), None, None, None, None, _cell(ws, report.error, wrap=True)])
            continue
        for f in report.findings:
            n += 1
            first = f.cells[0] if f.cells else None
            related = [str(c) for c in f.related_cells if c not in f.cells]
            # the file column opens the workbook; the cell column jumps to the cell (in the marked copy if any)
            target = link_target(mark, base) if mark else source_link
            location = f"{_quote_sheet(first.sheet)}!{first.address}" if first is not None else None
            ws.append([
                _cell(ws, n), _cell(ws, dept), _cell(ws, year), _cell(ws, report.source, link=source_link),
                _cell(ws, f.severity.value, fill=SEVERITY_FILL[f.severity]), _cell(ws, f.code), _cell(ws, rule_name(f)),
                _cell(ws, f.table or ""), _cell(ws, primary_cell(f), link=target if first is not None else None, location=location),
                _cell(ws, f.message, wrap=True), _cell(ws, f.expected), _cell(ws, f.actual), _cell(ws, f.difference),
                _cell(ws, "、".join(related)), _cell(ws, "打开", link=link_target(mark, base)) if mark else None,
            ])

    names = ["部门", "年度", "文件数"] + [sev.value for sev in SEVERITY_ORDER] + ["无法读取", "主要问题规则", "文件"]
    ds = _sheet(wb, "部门汇总", names, [28, 10, 8, 8, 9, 8, 8, 9, 30, 50])
    for d in s.departments:
        counts = [_cell(ds, d.counts.get(sev, 0), fill=SEVERITY_FILL[sev] if sev is Severity.ERROR and d.counts.get(sev, 0) else None)
                  for sev in SEVERITY_ORDER]
        link = link_target(d.files[0], base) if len(d.files) == 1 else None
        ds.append([_cell(ds, d.name), _cell(ds, "、".join(str(y) for y in sorted(d.years))), _cell(ds, len(d.files)), *counts,
                   _cell(ds, d.unreadable), _cell(ds, "；".join(f"{code}×{k}" for code, k in d.top_rules())),
                   _cell(ds, "；".join(d.files), link=link)])

    names = ["规则编号", "规则名称"] + [sev.value for sev in SEVERITY_ORDER] + ["合计", "涉及部门数"]
    rs = _sheet(wb, "规则汇总", names, [10, 36, 8, 9, 8, 8, 8, 10])
    for rule in s.rules:
        rs.append([_cell(rs, rule.code), _cell(rs, rule.name), *[_cell(rs, rule.counts.get(sev, 0)) for sev in SEVERITY_ORDER],
                   _cell(rs, rule.total), _cell(rs, len(rule.departments))])

    from io import BytesIO

    from .. import package, safewrite

    buffer = BytesIO()
    wb.save(buffer)
    safewrite.write_output(path, buffer.getvalue(), force=force, verify=package.is_valid_package)
    return path
