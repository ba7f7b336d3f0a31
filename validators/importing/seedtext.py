"""Seed text (a PDF converted to text) → a filled template workbook.

The text has tables as tab-separated rows under their titles, headers and 合计 rows repeated at
page breaks, OCR spaces inside numbers and names, and sometimes whole pages lost.  Every value is
carried over as printed; where a table was cut off, a visible marker row says rows are missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .. import schemas
from ..amounts import envelope, try_amount
from ..hierarchy import groups
from ..model import Column, RowKind
from ..reading.grid import Grid
from ..reading.tables import NON_AMOUNT_ROLES, header_paths, is_header_row, make_columns, parse_table
from ..workbook_writer import TableFill, spec_columns, template_header, with_years

_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff（）()、])\s+(?=[\u4e00-\u9fff（）()])")
PART = re.compile(r"^第[一二三四五六七八九十]+部分$")
# "第一部分 部门概况" on one line (seed 001): the table of contents ends where a part heading repeats
_PART_TITLED = re.compile(r"^\**(第[一二三四五六七八九十]+部分)(.+?)\**$")
_COVER = re.compile(r"^(\d{4})年度?(.+?)部门(预算|决算)")
_DEPT_LINE = re.compile(r"^部门(?:\(单位\))?[:：](.+)$")
_META = re.compile(r"^(部门(\(单位\))?|单位|金额单位|预算单位)[:：,，]|^(公开|预算表|决算表)\d+表?")
NOTE = re.compile(r"^[(（]?注[:：]")


MAX_TEXT_BYTES = 50_000_000


class ImportError_(Exception):
    """The seed cannot be imported; the message is Chinese."""


@dataclass
class Chunk:
    kind: str
    pages: list[list[list[str]]] = field(default_factory=list)
    note: str | None = None


def clean(text: str) -> str:
    return _CJK_GAP.sub("", text.strip())


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.rstrip("\n").split("\t")]


def parse_lines(lines: list[str], kinds: set[str]):
    """Split the text into table chunks (pages per kind) and narrative paragraphs."""
    chunks: dict[str, Chunk] = {}
    order: list[str] = []
    narrative: list[tuple[str, str]] = []
    department = year = None
    section, pending_section = "", False
    current: Chunk | None = None
    in_toc = False
    toc_parts: set[str] = set()
    for raw in lines:
        line = raw.rstrip("\n")
        stripped = line.strip().lstrip("#").strip()  # markdown headings in some conversions
        if not stripped:
            continue
        norm = schemas.norm(stripped)
        if norm == "目录":
            in_toc = True
            continue
        if in_toc:
            titled = _PART_TITLED.match(norm)
            if PART.match(norm) or (titled and titled.group(1) in toc_parts):
                in_toc = False
            else:
                if titled:
                    toc_parts.add(titled.group(1))
                continue
        kind = schemas.match_title(stripped) if "\t" not in line else None
        if kind in kinds:
            current = chunks.get(kind)
            if current is None:
                current = chunks[kind] = Chunk(kind)
                order.append(kind)
            current.pages.append([])
            continue
        if current is not None:
            if "\t" in line:
                current.pages[-1].append(_cells(line))
                continue
            if _META.match(norm):
                m = _DEPT_LINE.match(norm)
                if m and not department:
                    department = m.group(1)
                continue
            if NOTE.match(norm):
                current.note = clean(stripped)
                continue
            current = None
        if year is None:
            m = _COVER.match(norm)
            if m:
                year, department = int(m.group(1)), department or m.group(2)
        if PART.match(norm):
            section, pending_section = norm, True
            continue
        titled = _PART_TITLED.match(norm)
        if titled:
            section, pending_section = f"{titled.group(1)} {titled.group(2)}", False
            continue
        if pending_section:
            section, pending_section = f"{section} {clean(stripped)}", False
            continue
        text = " | ".join(c for c in _cells(line) if c) if "\t" in line else clean(stripped)
        narrative.append((section, text))
    return chunks, order, narrative, department, year


def split_header(page: list[list[str]]) -> tuple[list[list[str]], list[list[str]]]:
    header = []
    for row in page:
        if len(header) < 4 and is_header_row(row, first=not header):
            header.append(row)
        else:
            break
    return header, page[len(header):]


def is_total(row: list[str]) -> bool:
    texts = [schemas.norm(c) for c in row if c.strip()]
    return bool(texts) and texts[0] in ("合计", "总计")


def build_fill(chunk: Chunk, spec: schemas.TableSpec, year: int | None, notes: list[str]) -> TableFill:
    layout = schemas.table_kinds()[spec.kind].layout
    first_header, _ = split_header(chunk.pages[0])
    header = template_header(spec, year)
    if spec.year_headers and first_header:
        years = re.findall(r"(\d{4})年", " ".join(first_header[0]))
        if len(years) >= 2:
            header = with_years(spec.header, (f"{years[0]}年", f"{years[1]}年"))
    tcols = spec_columns(spec, header)
    target = {(c.side, c.key): c.index for c in tcols if c.key}
    seed_cols: list[Column] = []
    if first_header:
        width = max(len(r) for r in first_header)
        seed_cols = make_columns(header_paths(Grid("seed", first_header), list(range(len(first_header))), width), layout)
    mapping = {c.index: target.get((c.side, c.key)) for c in seed_cols}
    seed_keys = [(c.side, c.key) for c in seed_cols if c.key]
    if len(seed_keys) != len(set(seed_keys)):
        # the printed header is shifted (conversion damage): the same role twice.  Data rows keep
        # the published column order, so take the template's columns by position.
        mapping = {c.index: c.index for c in tcols}
        notes.append(f"{spec.title}：原表表头在转换中错位（同一栏目出现两次），已按模板栏目顺序逐列导入。")
    if layout == "project" and not any(v == 0 for v in mapping.values()):
        mapping.setdefault(0, 0)

    rows: list[list[str]] = []
    total_seen: list[str] | None = None
    for page in chunk.pages:
        _, data = split_header(page)
        for row in data:
            if is_total(row) or (layout == "project" and not row[0].strip() and not rows):
                if total_seen is not None and [schemas.norm(c) for c in row] == total_seen:
                    continue  # 合计 row repeated at a page break
                total_seen = [schemas.norm(c) for c in row]
            rows.append(row)

    width = len(tcols) and max(c.index for c in tcols) + 1
    extra: dict[int, int] = {}
    fill_rows: list[dict[int, Any]] = []
    amount_idx = {c.index for c in tcols if c.role and c.role not in NON_AMOUNT_ROLES}
    for row in rows:
        out: dict[int, Any] = {}
        for i, cell in enumerate(row):
            if not cell.strip():
                continue
            t = mapping.get(i)
            if t is None:
                if i not in extra:
                    head = next((c.header for c in seed_cols if c.index == i), f"第{i + 1}列")
                    extra[i] = width + len(extra)
                    notes.append(f"{spec.title}：原表第 {i + 1} 列（{head}）无法对应到模板列，已原样保留在表格最右侧。")
                t = extra[i]
            if t in amount_idx:
                amount, problem = try_amount(cell)
                out[t] = amount if amount is not None and problem is None else cell
            else:
                out[t] = clean(cell)
        if layout == "project" and not fill_rows and 0 not in out and any(k in amount_idx for k in out):
            out[0] = "合计"
        fill_rows.append(out)
    extra_headers = [f"未识别列：{next((c.header for c in seed_cols if c.index == i), '')}" for i in sorted(extra, key=extra.get)]
    return finish_fill(spec, fill_rows, chunk.note, header, extra_headers, notes)


def finish_fill(spec: schemas.TableSpec, rows: list[dict[int, Any]], note: str | None, header: list[list[str]],
                extra_headers: list[str], notes: list[str]) -> TableFill:
    """The imported table, with a visible 【数据缺失】 marker (and a note) when rows were lost at its end."""
    tf = TableFill(spec.kind, rows, note=note, header=header, extra_headers=extra_headers)
    tf.missing = _looks_truncated(spec, tf, header)
    if tf.missing:
        notes.append(f"{spec.title}：表尾的合计关系缺少行（PDF 转换时有页面丢失），已在表尾加“数据缺失”标记行，未补造任何数据。")
    return tf


def _looks_truncated(spec: schemas.TableSpec, tf: TableFill, header: list[list[str]]) -> bool:
    """Rows lost at the end: the groups still open at the last row fall short of their totals."""
    layout = schemas.table_kinds()[spec.kind].layout
    grid_rows = [[spec.title]] + [list(r) for r in header]
    for values in tf.rows:
        width = max(values, default=-1) + 1
        grid_rows.append([values.get(c, "") for c in range(width)])
    table = parse_table(Grid("probe", grid_rows), spec.kind, spec.title, 0, 0, len(grid_rows))
    if layout == "ledger":
        keys = {r.key for r in table.rows}
        return bool(table.rows) and not ({"收入总计", "支出总计", "总计"} & keys)
    data = [r for r in table.rows if r.kind is RowKind.DATA]
    if not data:
        return False
    last = data[-1]
    for g in groups(table, layout):
        open_at_end = g.level == "合计" or g.parent.index <= last.index and last in g.children or (
            g.level == "类" and last.code and last.code.startswith(g.parent.code or "-"))
        if not open_at_end:
            continue
        for key, total in g.parent.values.items():
            parts = [c.values.get(key) for c in g.children]
            if total.amount is None or any(p is not None and p.problem for p in parts):
                continue
            s = sum((p.number for p in parts if p is not None), Decimal(0))
            if total.amount - s > envelope(len(parts) + 1):
                return True
    return False
