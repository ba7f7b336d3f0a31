"""Write a profile's template workbook, empty or filled (used by workbooks/build_templates.py and
by ``czcheck import``).  One sheet per table: title, 部门/单位 line, headers as published
(merged like the printed tables), then rows; plus 封面, 情况说明 and, for imports, 导入说明.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from . import schemas
from .model import Column
from .reading.grid import Grid
from .reading.tables import NON_AMOUNT_ROLES, header_paths, make_columns

MISSING_TEXT = "【数据缺失】PDF 转换时本表此处以下的行缺失，请对照原文件补齐后删除本行"
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
AMOUNT_FORMAT = "#,##0.00"


@dataclass
class TableFill:
    kind: str
    rows: list[dict[int, Any]] = field(default_factory=list)  # template column index -> value
    note: str | None = None
    missing: bool = False  # rows were lost: a marker row is written after the last row
    header: list[list[str]] | None = None  # headers actually printed (years in 三公), else the spec's
    extra_headers: list[str] = field(default_factory=list)  # unrecognised source columns kept at the right


@dataclass
class WorkbookFill:
    department: str | None = None
    year: int | None = None
    source: str | None = None
    tables: dict[str, TableFill] = field(default_factory=dict)
    narrative: list[tuple[str, str]] = field(default_factory=list)  # (section, paragraph)
    import_notes: list[str] = field(default_factory=list)


def spec_columns(spec: schemas.TableSpec, header: list[list[str]] | None = None) -> list[Column]:
    """The template's columns with roles, derived from its own header text like any workbook."""
    rows = header or spec.header
    width = max(len(r) for r in rows)
    layout = schemas.table_kinds()[spec.kind].layout
    return make_columns(header_paths(Grid("spec", [list(r) for r in rows]), list(range(len(rows))), width), layout)


def template_header(spec: schemas.TableSpec, year: int | None) -> list[list[str]]:
    if not spec.year_headers:
        return spec.header
    return with_years(spec.header, (f"{year - 1}年", f"{year}年") if year else ("上年", "本年"))


def with_years(header: list[list[str]], years: tuple[str, str]) -> list[list[str]]:
    """Replace the previous/current year labels of a 三公 header in one pass."""
    def sub(text: str) -> str:
        return _YEAR_LABEL.sub(lambda m: years[0] if m.group(1) in ("2023", "上") else years[1], text)

    return [[sub(h) for h in row] for row in header]


_YEAR_LABEL = re.compile(r"(2023|2024|上|本)年(?=预算数|决算数)")


def _header_merges(header: list[list[str]]) -> list[tuple[int, int, int, int]]:
    """(r1, c1, r2, c2) merges, 0-based within the header block, as the printed tables show them."""
    h, w = len(header), max(len(r) for r in header)
    cells = [list(r) + [""] * (w - len(r)) for r in header]
    merges = []
    for i in range(h):
        for c in range(w):
            if not cells[i][c]:
                continue
            end = c
            while end + 1 < w and not cells[i][end + 1] and any(cells[j][end + 1] for j in range(i + 1, h)):
                end += 1
            if end > c:
                merges.append((i, c, i, end))
            elif i < h - 1 and not any(cells[j][c] for j in range(i + 1, h)):
                merges.append((i, c, h - 1, c))
    return merges


def write_workbook(profile: schemas.Profile, path: str | Path, fill: WorkbookFill | None = None) -> Path:
    path = Path(path)
    wb = Workbook()
    cover = wb.active
    cover.title = "封面"
    year = fill.year if fill else None
    dept = fill.department if fill else None
    cover["A1"] = f"{year or '____'}年{dept or '__________'}部门{profile.disclosure_kind}公开表"
    cover["A1"].font = Font(bold=True, size=16)
    meta = [("部门名称", dept or ""), ("年度", year or ""), ("公开类型", f"部门{profile.disclosure_kind}"),
            ("格式", profile.name), ("金额单位", profile.unit)]
    if fill and fill.source:
        meta.append(("来源", fill.source))
    for i, (k, v) in enumerate(meta, start=3):
        cover.cell(i, 1, k).font = Font(bold=True)
        cover.cell(i, 2, v)
    cover.column_dimensions["A"].width = 14
    cover.column_dimensions["B"].width = 60
    fit_to_width(cover)

    for spec in profile.tables:
        tf = fill.tables.get(spec.kind) if fill else None
        _write_table(wb, profile, spec, tf, dept, year)

    ws = wb.create_sheet("情况说明")
    ws["A1"] = "情况说明"
    ws["A1"].font = Font(bold=True, size=14)
    for c, h in enumerate(("序号", "部分", "段落"), start=1):
        cell = ws.cell(2, c, h)
        cell.font, cell.fill, cell.border = Font(bold=True), HEADER_FILL, BORDER
    for i, (section, text) in enumerate(fill.narrative if fill else [], start=1):
        ws.cell(i + 2, 1, i)
        ws.cell(i + 2, 2, section)
        ws.cell(i + 2, 3, text).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 22
    ws.column_dimensions["C"].width = 110
    fit_to_width(ws, landscape=True)

    if fill and fill.import_notes:
        ws = wb.create_sheet("导入说明")
        ws["A1"] = "导入说明（czcheck import 自动生成）"
        ws["A1"].font = Font(bold=True)
        for i, note in enumerate(fill.import_notes, start=2):
            ws.cell(i, 1, note)
        ws.column_dimensions["A"].width = 120

    from io import BytesIO

    from . import safewrite
    from .package import is_valid_package

    buffer = BytesIO()
    wb.save(buffer)
    # exclusive temp + verify + rename, as every file czcheck writes (a failure raises WriteRefused/OSError)
    safewrite.write_output(path, buffer.getvalue(), force=True, verify=is_valid_package)
    return path


def _write_table(wb: Workbook, profile: schemas.Profile, spec: schemas.TableSpec, tf: TableFill | None, dept: str | None, year: int | None) -> None:
    ws = wb.create_sheet(spec.title[:31])
    header = (tf.header if tf and tf.header else None) or template_header(spec, year)
    extra = tf.extra_headers if tf else []
    width = max(len(r) for r in header)
    header = [list(r) + [""] * (width - len(r)) + ([""] * len(extra)) for r in header]
    for k, name in enumerate(extra):
        header[0][width + k] = name
    total_width = width + len(extra)
    columns = spec_columns(spec, header)
    amount_cols = {c.index for c in columns if c.role and c.role not in NON_AMOUNT_ROLES}

    ws.cell(1, 1, spec.title).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=total_width)
    ws.cell(2, 1, f"部门（单位）：{dept or ''}")
    ws.cell(2, total_width, f"单位：{spec.unit or profile.unit}").alignment = Alignment(horizontal="right")

    top = 3
    for i, row in enumerate(header):
        for c, text in enumerate(row):
            cell = ws.cell(top + i, c + 1, text or None)
            cell.font, cell.fill, cell.border = Font(bold=True), HEADER_FILL, BORDER
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r1, c1, r2, c2 in _header_merges(header):
        ws.merge_cells(start_row=top + r1, start_column=c1 + 1, end_row=top + r2, end_column=c2 + 1)
    first = top + len(header)

    if tf is not None:
        rows = tf.rows
    elif spec.lines and all(len(line) == 2 for line in spec.lines):
        right = next(c.index for c in columns if c.side == "支出" and c.role == "名称")
        rows = [{0: left or None, right: r or None} for left, r in spec.lines]
    elif spec.lines:  # full-width lines (行次 columns, side-by-side blocks): cell by cell
        rows = [{c: v for c, v in enumerate(line) if v} for line in spec.lines]
    else:
        rows = []
        if spec.total_row:
            rows.append({spec.total_label_col: "合计"})
        rows += [{} for _ in range(spec.data_rows)]
    r = first
    for values in rows:
        for c in range(total_width):
            cell = ws.cell(r, c + 1)
            cell.border = BORDER
            v = values.get(c)
            if isinstance(v, Decimal):
                v = float(v)
            if v is not None:
                cell.value = v
            if c in amount_cols:
                cell.number_format = AMOUNT_FORMAT
            elif isinstance(v, str) and v.isdigit():
                cell.number_format = "@"
        r += 1
    if tf is not None and tf.missing:
        ws.cell(r, 1, MISSING_TEXT).font = Font(bold=True, color="C00000")
        r += 1
    if tf is not None and tf.note:
        ws.cell(r, 1, tf.note)
    for c, w in enumerate(spec.widths + [16] * len(extra), start=1):
        ws.column_dimensions[get_column_letter(c)].width = w
    ws.freeze_panes = ws.cell(first, 1)
    ws.print_title_rows = f"{top}:{first - 1}"
    fit_to_width(ws, landscape=True)


def fit_to_width(ws: Any, landscape: bool = False) -> None:
    """Print setup: all columns on one page width, as many pages down as needed (fitToWidth alone is
    ignored by Excel unless the sheet's fitToPage flag is set; fitToHeight 0 means “automatic”)."""
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.print_options.horizontalCentered = True
