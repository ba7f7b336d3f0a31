"""吉林 预算表1–9 (seed 001) → the jilin-budget template.  Most tables go through the generic
tab-separated importer (seedtext.build_fill); three need more, and each is said in 导入说明:

- 一般公共预算“三公”经费支出表 is printed vertically (项目 | 2024年预算数): its lines are carried
  into the template's columns by item name;
- 收入总表(预算表2): the conversion dropped a blank cell inside the data rows, so the 上年结转结余
  amounts print one column to the left of their header.  A row is realigned only when the arithmetic
  says so (合计 = 当年预算小计 + the first amount after the 当年 group, and 当年预算小计 = its parts as
  printed); every amount keeps its value, none is added;
- 项目支出表(预算表9): the 合计 row repeated under the header at a page break is kept once.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from .. import schemas
from ..amounts import envelope, try_amount
from ..workbook_writer import TableFill, spec_columns, template_header
from .seedtext import Chunk, build_fill, clean, split_header

# 三公 item names (normalised, numbering removed) → role; order matters (运行维护 before 购置)
_SANGONG = [
    (re.compile(r"^合计$"), "合计"),
    (re.compile(r"因公出国"), "因公出国"),
    (re.compile(r"公务接待"), "公务接待"),
    (re.compile(r"运行(维护)?费?$"), "公务用车运行"),
    (re.compile(r"^公务用车费$|购置及运行"), "公务用车小计"),
    (re.compile(r"购置"), "公务用车购置"),
]
_NUMBERING = re.compile(r"^(其中[:：])?(\d+[、.．]|[(（]\d+[)）])")


def build_fill_jilin(chunk: Chunk, spec: schemas.TableSpec, year: int | None, notes: list[str]) -> TableFill:
    if spec.kind == "三公经费表":
        return _sangong_fill(chunk, spec, year, notes)
    if spec.kind == "收入总表":
        return _income_fill(chunk, spec, notes)
    return build_fill(_without_repeated_totals(chunk, notes, spec), spec, year, notes)


def _key(row: list[str]) -> list[str]:
    return [schemas.norm(c) for c in row]


def _without_repeated_totals(chunk: Chunk, notes: list[str], spec: schemas.TableSpec) -> Chunk:
    """Pages after the first repeat the header and the 合计 row (序号 1): keep the 合计 once."""
    if len(chunk.pages) < 2:
        return chunk
    _, first_data = split_header(chunk.pages[0])
    if not first_data:
        return chunk
    first = _key(first_data[0])
    pages = [chunk.pages[0]]
    dropped = 0
    for page in chunk.pages[1:]:
        header, data = split_header(page)
        kept = [r for r in data if _key(r) != first]
        dropped += len(data) - len(kept)
        pages.append(header + kept)
    if dropped:
        notes.append(f"{spec.title}：分页处重复打印的表头和合计行只保留一次。")
    return Chunk(chunk.kind, pages, chunk.note)


def _sangong_fill(chunk: Chunk, spec: schemas.TableSpec, year: int | None, notes: list[str]) -> TableFill:
    header = template_header(spec, year)
    index = {c.role: c.index for c in spec_columns(spec, header) if c.role}
    out: dict[int, Any] = {}
    for page in chunk.pages:
        for row in page:
            cells = [c for c in row if c.strip()]
            if len(cells) < 2:
                continue
            label = _NUMBERING.sub("", schemas.norm(cells[0]))
            amount, problem = try_amount(cells[1])
            if amount is None:
                continue  # the header line (项目 | 2024年预算数)
            role = next((r for pattern, r in _SANGONG if pattern.search(label)), None)
            if role is None or role not in index:
                notes.append(f"{spec.title}：原表项目“{cells[0]}”无法对应到模板栏目，未导入。")
                continue
            out[index[role]] = amount if problem is None else cells[1]
    notes.append(f"{spec.title}：原表为竖排（项目 | 预算数），已按项目名称转为模板的横排栏目，金额照录。")
    return TableFill(spec.kind, [out], note=chunk.note, header=header)


def _income_fill(chunk: Chunk, spec: schemas.TableSpec, notes: list[str]) -> TableFill:
    columns = spec_columns(spec)
    amount_idx = {c.index for c in columns if c.key and c.key not in ("序号", "单位代码", "名称")}
    current = [c.index for c in columns if c.group == "当年预算"]  # 小计 first, then its parts
    carried = min(c.index for c in columns if c.group == "上年结转结余")
    total_idx = next(c.index for c in columns if c.key == "合计")
    rows: list[dict[int, Any]] = []
    realigned = 0
    for page in chunk.pages:
        _, data = split_header(page)
        for row in data:
            amounts = {i: try_amount(c)[0] for i, c in enumerate(row) if c.strip() and i in amount_idx}
            shift = _carried_shift(amounts, total_idx, current, carried)
            realigned += bool(shift)
            out: dict[int, Any] = {}
            for i, cell in enumerate(row):
                if not cell.strip():
                    continue
                if i in amount_idx:
                    amount, problem = try_amount(cell)
                    target = i + shift if shift and i >= carried - shift else i
                    out[target] = amount if amount is not None and problem is None else cell
                else:
                    out[i] = clean(cell)
            rows.append(out)
    if realigned:
        notes.append(
            f"{spec.title}：原文数据行比表头少一个空单元格（PDF 转换丢失），上年结转结余各栏金额印在左边一栏；"
            f"按“合计 = 当年预算小计 + 上年结转结余小计”已将 {realigned} 行的上年结转结余金额右移到所属栏目，金额照录。"
        )
    return TableFill(spec.kind, rows, note=chunk.note)


def _carried_shift(amounts: dict[int, Decimal | None], total: int, current: list[int], carried: int) -> int:
    """Columns to move the 上年结转结余 amounts right by (0 when the row reads right as printed)."""
    subtotal, parts = current[0], current[1:]
    t, s = amounts.get(total), amounts.get(subtotal)
    if t is None or s is None:
        return 0
    tail = sorted(i for i, v in amounts.items() if v is not None and i > parts[0])
    if not tail or tail[0] >= carried:
        return 0
    first = tail[0]
    printed_parts = sum((amounts.get(i) or Decimal(0) for i in parts), Decimal(0))
    head_parts = sum((amounts.get(i) or Decimal(0) for i in parts if i < first), Decimal(0))
    reads_as_printed = abs(s - printed_parts) <= envelope(len(parts) + 1)
    reads_shifted = abs(s - head_parts) <= envelope(len(parts) + 1) and abs(t - s - amounts[first]) <= envelope(3)
    if reads_shifted and not reads_as_printed:
        return carried - first
    return 0


_SENTENCE_END = re.compile(r"[。；;：:！!？?）)】\]]$")
_CJK_START = re.compile(r"^[\u4e00-\u9fff]")
_HEADING = re.compile(r"^([一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d+[、.])")


def join_split_paragraphs(narrative: list[tuple[str, str]], notes: list[str]) -> list[tuple[str, str]]:
    """A sentence cut at a page break prints as two paragraphs ("比2023年预" | "算增加 3.24 万元"):
    a paragraph that ends inside a sentence is joined with the next one of the same section when that
    one starts with a character, not a heading.  No text is added or removed."""
    out: list[tuple[str, str]] = []
    joined = 0
    for section, text in narrative:
        if out and out[-1][0] == section and "|" not in out[-1][1] and "|" not in text:
            prev = out[-1][1]
            if prev and not _SENTENCE_END.search(prev) and _CJK_START.match(text) and not _HEADING.match(text) \
                    and not _HEADING.match(prev) and len(prev) > 20:
                out[-1] = (section, prev + text)
                joined += 1
                continue
        out.append((section, text))
    if joined:
        notes.append(f"情况说明：{joined} 处句子在分页处被断成两段，已按原句接回（文字未改动）。")
    return out


_YEAR_LINE = re.compile(r"^(\d{4})年度?部门预算$")
_UNIT_LINE = re.compile(r"^(?:预算单位[:：])+(.+?)(?:\(汇总\))?(?:[:：]?万元)?$")


def cover(lines: list[str], year: int | None, department: str | None) -> tuple[int | None, str | None]:
    """The cover prints the department and "2024 年部门预算" on separate lines; the tables print
    "预算单位：延边朝鲜族自治州医疗保障局（汇总）"."""
    for line in lines[:400]:
        n = schemas.norm(line.strip().lstrip("#").strip())
        m = _YEAR_LINE.match(n)
        if year is None and m:
            year = int(m.group(1))
        u = _UNIT_LINE.match(n)
        if department is None and u and "单位" not in u.group(1):
            department = u.group(1)
        if year is not None and department is not None:
            break
    return year, department
