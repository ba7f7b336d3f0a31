"""Seed tables whose printed headers cannot be trusted (OCR-garbled 决算 headers, shifted 吉林 headers):
the data rows keep the published column order, so they are carried into the template's columns one
by one.  Everything that is not carried over as printed is said in the 导入说明 sheet:

- rows above the first header row of a page (OCR residue of 部门/单位 lines) are left out;
- header and 栏次 rows repeated at page breaks, and repeated 合计 rows, are kept once;
- where the profile says every amount is printed (zeros as 0.00), a blank amount cell beside a code or
  a name is a conversion loss: the cell says 【缺失】 (unreadable, so every relation through it is
  无法校验), and an amount printed without its decimals ("2" among "2.69"s) is a cut number: kept
  as printed, marked 【残缺】.
"""

from __future__ import annotations

import re
from typing import Any

from .. import schemas
from ..amounts import try_amount
from ..reading.tables import HEADER_WORDS, NON_AMOUNT_ROLES, is_lanci_row
from ..workbook_writer import TableFill, spec_columns, template_header
from .seedtext import Chunk, clean, is_total, finish_fill

LOST = "【缺失】"
CUT = "【残缺】"
_DECIMAL = re.compile(r"\d\s*\.\s*\d")
_BLOCK_TOTAL = re.compile(r"^(人员经费|公用经费)合计")


def _decimal_amount(cell: str) -> bool:
    amount, problem = try_amount(cell)
    return amount is not None and problem is None and bool(_DECIMAL.search(cell))


def _header_like(row: list[str]) -> bool:
    """A printed header row (or the 栏次 row): header words, no amounts with decimals."""
    if is_lanci_row(row):
        return True
    cells = [schemas.norm(c) for c in row if c.strip()]
    if not cells or any(_decimal_amount(c) for c in row):
        return False
    return any(c in HEADER_WORDS or schemas.role_for([c]) is not None for c in cells)


def _data_rows(chunk: Chunk, spec: schemas.TableSpec, notes: list[str]) -> list[list[str]]:
    layout = schemas.table_kinds()[spec.kind].layout
    rows: list[list[str]] = []
    total_seen: list[str] | None = None
    dropped = 0
    for page in chunk.pages:
        started = False
        for row in page:
            if _header_like(row):
                started = True
                continue
            if not started and not any(_decimal_amount(c) for c in row):
                dropped += 1  # OCR residue above the header (部门/金额单位 lines)
                continue
            started = True
            if is_total(row) or (layout == "project" and not row[0].strip() and not rows):
                if total_seen is not None and [schemas.norm(c) for c in row] == total_seen:
                    continue
                total_seen = [schemas.norm(c) for c in row]
            rows.append(row)
    if dropped:
        notes.append(f"{spec.title}：表头上方 {dropped} 行转换残留文字（部门、金额单位等）未导入。")
    return rows


def _block_footer(row: list[str], width: int, notes: list[str], title: str) -> dict[int, Any] | None:
    """The 人员经费合计 … 公用经费合计 footer of the blocks table, rebuilt in the template's places."""
    texts = [schemas.norm(c) for c in row]
    if not any(_BLOCK_TOTAL.match(t) for t in texts):
        return None
    amounts = [(i, c) for i, c in enumerate(row) if _decimal_amount(c)]
    out: dict[int, Any] = {1: "人员经费合计", 4: "公用经费合计"}
    if amounts:
        out[2] = try_amount(amounts[0][1])[0]
    if len(amounts) > 1:
        out[width - 1] = try_amount(amounts[-1][1])[0]
    garbled = [c for i, c in enumerate(row) if c.strip() and not _decimal_amount(c) and not _BLOCK_TOTAL.match(schemas.norm(c))]
    if garbled:
        notes.append(f"{title}：合计行中的转换残留文字 {'、'.join(garbled)} 未导入；人员经费合计、公用经费合计按原表金额导入。")
    return out


def build_fill_by_position(chunk: Chunk, spec: schemas.TableSpec, profile: schemas.Profile, year: int | None, notes: list[str]) -> TableFill:
    layout = schemas.table_kinds()[spec.kind].layout
    header = template_header(spec, year)
    tcols = spec_columns(spec, header)
    width = max(len(r) for r in header)
    amount_idx = {c.index for c in tcols if c.role and c.role not in NON_AMOUNT_ROLES}
    label_idx = {c.index for c in tcols if c.role in ("科目编码", "名称", "项目名称", "部门经济分类名称")}
    side_of = {c.index: c.side for c in tcols}
    notes.append(f"{spec.title}：原表表头在转换中损坏或错位，数据按模板栏目顺序逐列导入。")

    fill_rows: list[dict[int, Any]] = []
    extra: dict[int, int] = {}
    lost: list[str] = []
    cut: list[str] = []
    for row in _data_rows(chunk, spec, notes):
        if layout == "blocks":
            footer = _block_footer(row, width, notes, spec.title)
            if footer is not None:
                fill_rows.append(footer)
                continue
        out: dict[int, Any] = {}
        for i, cell in enumerate(row):
            if not cell.strip():
                continue
            t = i if i < width else extra.setdefault(i, width + len(extra))
            if i >= width and len(extra) == 1 and t == width:
                notes.append(f"{spec.title}：原表第 {i + 1} 列超出模板栏目，已原样保留在表格最右侧。")
            if t in amount_idx:
                amount, problem = try_amount(cell)
                if amount is not None and problem is None:
                    if profile.amounts_always_printed and not _DECIMAL.search(cell):
                        out[t] = f"{CUT}{cell.strip()}"
                        cut.append(cell.strip())
                    else:
                        out[t] = amount
                else:
                    out[t] = cell.strip()
            else:
                out[t] = clean(cell)
        if profile.amounts_always_printed:
            for side in {side_of.get(i) for i in amount_idx}:
                has_label = any(out.get(i) not in (None, "") for i in label_idx if side_of.get(i) == side)
                if not has_label:
                    continue
                for i in sorted(amount_idx):
                    if side_of.get(i) == side and out.get(i) in (None, ""):
                        out[i] = LOST
                        lost.append(" ".join(str(out.get(j, "")) for j in sorted(label_idx) if side_of.get(j) == side))
        fill_rows.append(out)
    if lost:
        notes.append(f"{spec.title}：{'、'.join(lost)} 的金额在转换中丢失（原表各金额均有数字），单元格标为“{LOST}”，相关校验为无法校验。")
    if cut:
        notes.append(f"{spec.title}：金额 {'、'.join(cut)} 缺少小数部分（转换截断），按原样保留并标为“{CUT}”，相关校验为无法校验。")
    extra_headers = [f"未识别列：原表第 {i + 1} 列" for i in sorted(extra, key=extra.get)]
    return finish_fill(spec, fill_rows, chunk.note, header, extra_headers, notes)
