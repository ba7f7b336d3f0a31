"""Locate tables in a Grid by title and turn them into typed Tables.

A table starts at a cell whose text is a known title (schemas/tables.toml) and runs to the
next title or the end of the sheet.  Below the title: optional 部门/单位 lines, 1–4 header
rows, then data rows.  Header text is mapped to canonical roles (schemas/roles.toml).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from .. import schemas
from ..amounts import try_amount
from ..model import CellRef, Column, Row, RowKind, Table, Value
from .grid import Grid

NON_AMOUNT_ROLES = {
    "类", "款", "项", "科目编码", "名称", "部门经济分类名称", "政府经济分类名称", "项目名称",
    "项目类别", "单位名称", "部门类", "部门款", "政府类", "政府款",
}
HEADER_WORDS = {"收入", "支出", "项目", "预算数", "决算数", "资金来源", "基本支出预算", "科目编码", "类", "款", "项"}
MISSING_MARKER = "数据缺失"
_YEAR_GROUP = re.compile(r"^\d{4}年")
_META = re.compile(r"^(部门(\(单位\))?|单位名称|编制单位|单位)[:：]|^金额单位|^单位[:：]")
_TOTAL_LABELS = {"合计", "总计"}


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def find_titles(grid: Grid) -> list[tuple[int, int, str, str]]:
    """(row, col, kind, title text) for every title cell, in reading order."""
    found = []
    for r, row in enumerate(grid.rows):
        for c, v in enumerate(row):
            if isinstance(v, str) and v and len(v) < 80:
                kind = schemas.match_title(v)
                if kind:
                    found.append((r, c, kind, v.strip()))
    return found


def _is_amount_cell(v: Any) -> bool:
    if v is None or v == "":
        return False
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return True
    amount, problem = try_amount(v)
    return amount is not None


def _header_vocab(t: str) -> bool:
    n = schemas.norm(t)
    return bool(n) and (n in HEADER_WORDS or bool(_YEAR_GROUP.match(n)) or schemas.role_for([n]) is not None)


def _is_header_row(row: list[Any], first: bool) -> bool:
    texts = [_text(v) for v in row if v not in (None, "")]
    if not texts or any(_is_amount_cell(v) for v in row):
        return False
    if first:
        return True
    return sum(1 for t in texts if _header_vocab(t)) >= 2


def _header_paths(grid: Grid, header_rows: list[int], width: int) -> list[list[str]]:
    """Per column: header texts top to bottom; a blank above a sub-header inherits from the left."""
    cells = [[_text(grid.cell(r, c)).strip() for c in range(width)] for r in header_rows]
    h = len(cells)
    for i in range(h - 1):
        for c in range(width):
            if not cells[i][c] and any(cells[j][c] for j in range(i + 1, h)):
                left = c - 1
                while left >= 0 and not cells[i][left]:
                    left -= 1
                if left >= 0:
                    cells[i][c] = cells[i][left]
    return [[cells[i][c] for i in range(h) if cells[i][c]] for c in range(width)]


def _make_columns(paths: list[list[str]], layout: str) -> list[Column]:
    columns = []
    for c, path in enumerate(paths):
        if not path:
            continue
        norm_path = [schemas.norm(p) for p in path]
        side = group = None
        if layout == "ledger" and norm_path[0] in ("收入", "支出"):
            side = norm_path[0]
        if _YEAR_GROUP.match(norm_path[0]) and len(norm_path) > 1:
            group = norm_path[0]
        role = schemas.role_for(path)
        columns.append(Column(index=c, header="/".join(p.strip() for p in path), role=role, group=group, side=side))
    if layout == "economic":
        _split_economic_codes(columns)
    return columns


def _split_economic_codes(columns: list[Column]) -> None:
    """类/款 columns left of the 部门 name are 部门 codes, those after it are 政府 codes."""
    dept_name = next((c.index for c in columns if c.role == "部门经济分类名称"), None)
    seen_class = 0
    for col in columns:
        if col.role in ("类", "款"):
            if dept_name is not None:
                prefix = "部门" if col.index < dept_name else "政府"
            else:
                prefix = "部门" if seen_class == 0 or (seen_class == 1 and col.role == "款") else "政府"
            if col.role == "类":
                seen_class += 1
            col.role = prefix + col.role


def _code_part(v: Any, width: int) -> str | None:
    """A code cell as digits, zero-padded ("5" -> "05" for 款/项); None when blank or not a code."""
    if v is None or v == "":
        return None
    if isinstance(v, float):
        if not v.is_integer():
            return None
        v = int(v)
    t = schemas.norm(v)
    if not t.isdigit():
        return None
    if isinstance(v, int) and len(t) < width:
        t = t.zfill(width)
    return t


def parse_table(grid: Grid, kind: str, title: str, r0: int, c0: int, r_end: int) -> Table:
    layout = schemas.table_kinds()[kind].layout
    width = max((len(row) for row in grid.rows[r0:r_end]), default=0)
    table = Table(kind=kind, title=title, sheet=grid.name, title_ref=CellRef(grid.name, r0, c0), columns=[], rows=[])

    r = r0 + 1
    # meta lines: 部门（单位）：…  单位：万元
    while r < r_end:
        texts = [_text(v) for v in grid.rows[r] if v not in (None, "")]
        if not texts:
            r += 1
            continue
        if all(_META.match(schemas.norm(t)) for t in texts):
            for t in texts:
                n = schemas.norm(t)
                if "万元" in n:
                    table.unit = "万元"
                elif n.endswith("元") and n.startswith(("单位", "金额单位")):
                    table.unit = "元"
            r += 1
            continue
        break
    header_rows = []
    while r < r_end and len(header_rows) < 4 and _is_header_row(grid.rows[r], first=not header_rows):
        header_rows.append(r)
        r += 1
    table.columns = _make_columns(_header_paths(grid, header_rows, width), layout)
    _read_rows(grid, table, layout, r, r_end)
    return table


def _values(grid: Grid, table: Table, r: int, cols: list[Column]) -> dict[str, Value]:
    values = {}
    for col in cols:
        if col.key is None or col.role in NON_AMOUNT_ROLES:
            continue
        raw = grid.cell(r, col.index)
        amount, problem = try_amount(raw)
        values[col.key] = Value(amount=amount, raw=raw, ref=CellRef(grid.name, r, col.index), problem=problem)
    return values


def _first_text(grid: Grid, r: int) -> tuple[str, int] | None:
    for c, v in enumerate(grid.rows[r]):
        if isinstance(v, str) and v.strip():
            return v.strip(), c
    return None


def _read_rows(grid: Grid, table: Table, layout: str, r_start: int, r_end: int) -> None:
    cols = table.columns
    by_role = {c.role: c for c in cols if c.role}
    cur_class = cur_kuan = cur_dept_class = cur_gov_class = None
    for r in range(r_start, r_end):
        row = grid.rows[r]
        if all(v in (None, "") for v in row):
            continue
        ft = _first_text(grid, r)
        if ft and MISSING_MARKER in ft[0]:
            table.missing_rows.append(CellRef(grid.name, r, ft[1]))
            table.rows.append(Row(index=r, kind=RowKind.MARKER, label=schemas.norm(ft[0]), label_ref=CellRef(grid.name, r, ft[1])))
            continue
        has_amount = any(_is_amount_cell(grid.cell(r, c.index)) for c in cols if c.role not in NON_AMOUNT_ROLES)
        if ft and not has_amount and re.match(r"^[(（]?(注|说明)[:：]", ft[0]):
            table.note = ft[0]
            continue

        if layout == "ledger":
            for side in ("收入", "支出"):
                side_cols = [c for c in cols if c.side == side]
                name_col = next((c for c in side_cols if c.role == "名称"), None)
                label_raw = grid.cell(r, name_col.index) if name_col else None
                values = _values(grid, table, r, side_cols)
                if not _text(label_raw).strip() and all(v.blank for v in values.values()):
                    continue
                key, code = schemas.ledger_key(_text(label_raw))
                table.rows.append(
                    Row(
                        index=r, kind=RowKind.DATA, label=schemas.norm(label_raw), side=side, key=key, code=code,
                        label_ref=CellRef(grid.name, r, name_col.index) if name_col else None, values=values,
                    )
                )
            continue

        values = _values(grid, table, r, cols)
        name_role = {"function": "名称", "economic": "部门经济分类名称", "project": "项目名称"}.get(layout)
        name_col = by_role.get(name_role) if name_role else None
        label_raw = grid.cell(r, name_col.index) if name_col else None
        label = schemas.norm(label_raw)
        label_ref = CellRef(grid.name, r, name_col.index) if name_col else None
        item = Row(index=r, kind=RowKind.DATA, label=label, label_ref=label_ref, values=values)

        if layout == "function":
            parts = {k: _code_part(grid.cell(r, by_role[k].index), 3 if k == "类" else 2) for k in ("类", "款", "项") if k in by_role}
            single = _code_part(grid.cell(r, by_role["科目编码"].index), 3) if "科目编码" in by_role else None
            code = None
            if single and len(single) in (3, 5, 7):
                code = single
            elif parts.get("类"):
                code = parts["类"] + (parts.get("款") or "") + ((parts.get("项") or "") if parts.get("款") else "")
            elif parts.get("款") and cur_class:
                code = cur_class + parts["款"] + (parts.get("项") or "")
            elif parts.get("项") and cur_kuan:
                code = cur_kuan + parts["项"]
            if code and len(code) in (3, 5, 7):
                item.code = code
                cur_class = code[:3]
                cur_kuan = code[:5] if len(code) >= 5 else None
        elif layout == "economic":
            dc = _code_part(grid.cell(r, by_role["部门类"].index), 3) if "部门类" in by_role else None
            dk = _code_part(grid.cell(r, by_role["部门款"].index), 2) if "部门款" in by_role else None
            gc = _code_part(grid.cell(r, by_role["政府类"].index), 3) if "政府类" in by_role else None
            gk = _code_part(grid.cell(r, by_role["政府款"].index), 2) if "政府款" in by_role else None
            dc = dc or (cur_dept_class if dk else None)
            gc = gc or (cur_gov_class if gk else None)
            if dc:
                item.econ_dept = dc + (dk or "")
                cur_dept_class = dc
            if gc:
                item.econ_gov = gc + (gk or "")
                cur_gov_class = gc
            if not label and ft:
                item.label, item.label_ref = schemas.norm(ft[0]), CellRef(grid.name, r, ft[1])

        is_total = item.label in _TOTAL_LABELS or (not item.label and ft and schemas.norm(ft[0]) in _TOTAL_LABELS)
        has_code = item.code or item.econ_dept or item.econ_gov
        if not has_code and (is_total or (layout == "project" and not item.label and not table.rows and has_amount)):
            item.kind = RowKind.TOTAL
        table.rows.append(item)
