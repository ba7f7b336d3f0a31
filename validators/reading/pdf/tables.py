"""Ruled tables of a PDF page → logical tables (rows of cell texts as printed) → Grids.

pdfplumber finds the ruled cells; each cell's text is read with the font-size line grouping of
lines.py, wrapped lines rejoined and letter-spacing closed up.  A table is located by the title printed
above it (schemas.match_title, the same matcher as for workbooks); a titleless table at the top of the
next page continues the previous one, its repeated header rows dropped.  The header is rebuilt from the
cell spans as one path per column (merged cells span their children), so that reading/tables.py reads
the Grid exactly like a workbook sheet.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Any

from ... import schemas
from ...amounts import try_amount
from ..grid import Grid
from .lines import Line, close_up, group_lines

Box = tuple[float, float, float, float]
_UNIT = re.compile(r"(?:金额)?单位[:：]\s*(万元|元)")
_DEPT = re.compile(r"(?:编制部门|编制单位|部门|单位名称)[:：]\s*(\S+?)(?:\s|单位[:：]|$)")
_CODE = re.compile(r"^\d{3}(\d{2}){0,2}$")
_CODE_PART = re.compile(r"^\d{2,3}$")
_AMOUNT_TEXT = re.compile(r"^-?[\d,]*\d(\.\d+)?$")
_NUMBERED = re.compile(r"^(?:[一二三四五六七八九十]+、|\d+[.、．]|[(（][一二三四五六七八九十\d]+[)）])")
_TOTALS = {"合计", "总计", "收入总计", "支出总计", "本年收入合计", "本年支出合计"}
_CODE_HEADS = ("类", "款", "项")
_BUDGET_FINAL = ("预算数", "决算数")


@dataclass
class Cell:
    text: str
    box: Box
    origin: tuple[int, int]  # (row, col) of the cell's top-left band


@dataclass
class PageTable:
    page: int  # 1-based
    bbox: Box
    cells: list[list[Cell | None]]  # per band row, per band column: the ruled cell covering it
    xs: list[float] = field(default_factory=list)  # band column edges, left to right


@dataclass
class LogicalTable:
    kind: str
    title: str
    unit: str | None
    department: str | None
    pages: list[int]
    header: list[list[str]] = field(default_factory=list)  # emitted header rows
    header_boxes: list[list[tuple[int, Box] | None]] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)  # data rows, texts at origins
    boxes: list[list[tuple[int, Box] | None]] = field(default_factory=list)  # (page, box) per data cell
    head_signature: tuple[str, ...] = ()
    n_cols: int = 0
    xs: list[float] = field(default_factory=list)  # column edges on the first page


def cell_text(chars: list[dict[str, Any]]) -> str:
    lines = group_lines(chars)
    text = "".join(line.text for line in lines)
    return close_up(text.strip())


def page_tables(page: Any, page_no: int, chars: list[dict[str, Any]]) -> list[PageTable]:
    """The ruled tables of a page, each as a band grid of cells with their texts."""
    found = []
    for t in page.find_tables():
        rows = [_row_boxes(r) for r in t.rows]
        if not rows or not any(rows):
            continue
        n_cols = max(len(r) for r in rows)
        ys = _row_tops(rows, t.bbox) + [t.bbox[3]]
        xs = _column_edges(rows, tuple(t.bbox), n_cols)
        real: list[Box] = []
        for r in rows:
            real.extend(c for c in r if c is not None)
        real = list(dict.fromkeys(real))
        # which ruled cell covers each band (row × column); merged cells cover several
        cys = [(ys[ri] + ys[ri + 1]) / 2 for ri in range(len(rows))]
        cxs = [(xs[ci] + xs[ci + 1]) / 2 for ci in range(n_cols)]
        band: list[list[Box | None]] = [[None] * n_cols for _ in rows]
        for b in real:
            for ri in range(bisect_left(cys, b[1] - 0.5), bisect_right(cys, b[3] + 0.5)):
                for ci in range(bisect_left(cxs, b[0] - 0.5), bisect_right(cxs, b[2] + 0.5)):
                    if band[ri][ci] is None:
                        band[ri][ci] = b
        texts = _texts_by_band(band, ys, xs, chars)
        grid: list[list[Cell | None]] = []
        origin: dict[Box, tuple[int, int]] = {}
        for ri in range(len(rows)):
            out: list[Cell | None] = []
            for ci in range(n_cols):
                box = band[ri][ci]
                if box is None:
                    out.append(None)
                    continue
                origin.setdefault(box, (ri, ci))
                out.append(Cell(texts.get(box, ""), box, origin[box]))
            grid.append(out)
        found.append(PageTable(page_no, tuple(t.bbox), grid, xs))
    return found


def _row_boxes(row: Any) -> list[Box | None]:
    """A table row's cell boxes, None where a merged cell spans into it.  pdfplumber gives
    ``row.cells`` (tuples or None); pdfplumber-rs gives a list of dicts with an empty box there."""
    cells = getattr(row, "cells", None)
    if cells is not None:
        return [tuple(c) if c is not None else None for c in cells]
    out: list[Box | None] = []
    for c in row:
        box = (float(c["x0"]), float(c["top"]), float(c["x1"]), float(c["bottom"]))
        out.append(box if box[2] > box[0] and box[3] > box[1] else None)
    return out


def _row_tops(rows: list[list[Box | None]], bbox: Any) -> list[float]:
    tops: list[float] = []
    for r in rows:
        starts = [c[1] for c in r if c is not None]
        tops.append(min(starts) if starts else (tops[-1] if tops else float(bbox[1])))
    return tops


def _column_edges(rows: list[list[Box | None]], bbox: Box, n_cols: int) -> list[float]:
    xs: list[float] = []
    for ci in range(n_cols):
        lefts = [r[ci][0] for r in rows if ci < len(r) and r[ci] is not None]
        xs.append(min(lefts) if lefts else (xs[-1] if xs else bbox[0]))
    xs.append(bbox[2])
    return xs


def _texts_by_band(band: list[list[Box | None]], ys: list[float], xs: list[float], chars: list[dict[str, Any]]) -> dict[Box, str]:
    """Each ruled cell's text: every character goes to the cell covering the band its centre falls in,
    except a run of text that crosses a column rule (_overflowing): it belongs to the cell it starts in."""
    buckets: dict[Box, list[dict[str, Any]]] = {}
    placed: list[tuple[int, int, Box, dict[str, Any]]] = []
    for c in chars:
        cy = (c["top"] + c["bottom"]) / 2
        cx = (c["x0"] + c["x1"]) / 2
        ri = bisect_right(ys, cy) - 1
        ci = bisect_right(xs, cx) - 1
        if 0 <= ri < len(band) and 0 <= ci < len(band[ri]):
            box = band[ri][ci]
            if box is not None and box[0] <= cx <= box[2] and box[1] <= cy <= box[3]:
                placed.append((ri, ci, box, c))
    for box, c in _overflowing(placed):
        buckets.setdefault(box, []).append(c)
    return {b: cell_text(cs) for b, cs in buckets.items()}


_RUN_GAP = 0.1  # × font size: glyphs of one run of text lie this close (CJK: ~0.02); cell padding keeps texts apart


def _overflowing(placed: list[tuple[int, int, Box, dict[str, Any]]]) -> list[tuple[Box, dict[str, Any]]]:
    """(box, char) for every placed character, a run that crosses a column rule moved to its first cell.

    A spreadsheet prints a cell's text that is too long for it across the empty cells to its right
    (“医疗服务与保障能力提升补助资金(医 | 疗保障服务能力提升部分)”); when the cell to the right holds
    text of its own, the two are printed on top of each other, their glyphs interleaved.  Both come
    apart by following each run of glyphs: a glyph continues the run whose last glyph ends where it
    begins.  Texts of two cells never touch (each cell has its padding), so nothing else moves."""
    out: list[tuple[Box, dict[str, Any]]] = []
    lines: dict[tuple[int, int], list[tuple[int, Box, dict[str, Any]]]] = {}
    for ri, ci, box, c in placed:
        if not c.get("upright", True) or not c["text"].strip():
            out.append((box, c))
            continue
        size = float(c.get("size") or 10)
        lines.setdefault((ri, round(c["top"] / max(size * 0.5, 0.5))), []).append((ci, box, c))
    for line in lines.values():
        line.sort(key=lambda t: t[2]["x0"])
        runs: list[list[tuple[int, Box, dict[str, Any]]]] = []
        for item in line:
            c = item[2]
            near = _RUN_GAP * float(c.get("size") or 10)
            run = min((r for r in runs if abs(c["x0"] - r[-1][2]["x1"]) <= near),
                      key=lambda r: abs(c["x0"] - r[-1][2]["x1"]), default=None)
            if run is None:
                runs.append([item])
            else:
                run.append(item)
        for run in runs:
            first = run[0][1]
            crosses = any(ci != run[0][0] for ci, _, _ in run)
            out.extend((first if crosses else box, c) for _, box, c in run)
    return out


# ---- the text above a table: title, unit, department ------------------------------------------------


@dataclass
class Caption:
    kind: str | None
    title: str | None
    unit: str | None
    department: str | None
    has_text: bool  # any text between the previous table (or the page top) and this table


def caption(lines: list[Line], header_lines: int = 0) -> Caption:
    """Title, unit and department printed above a table.  A title may share its line with the unit
    (“收入支出决算总表　单位：万元”) or wrap onto a second line."""
    kind = title = unit = dept = None
    texts = [line.text.strip() for line in lines]
    for i, text in enumerate(texts):
        m = _UNIT.search(text)
        if m:
            unit = m.group(1)
        d = _DEPT.search(text)
        if d and "单位：" not in d.group(1):
            dept = d.group(1)
        bare = _strip_meta(text)
        candidates = [bare] + ([bare + _strip_meta(texts[i + 1])] if i + 1 < len(texts) else [])
        for cand in candidates:
            k = schemas.match_title(cand) if cand else None
            if k:
                kind, title = k, cand
                break
    return Caption(kind, title, unit, dept, bool(lines))


def _strip_meta(text: str) -> str:
    """A caption line without its 单位/编制部门 parts and brackets around them."""
    t = re.sub(r"[(（]?(?:金额)?单位[:：]\s*(?:亿元|万元|千元|元)[)）]?", "", text)
    t = re.sub(r"(?:编制部门|编制单位)[:：]\s*\S+", "", t)
    return close_up(t).strip()


def inner_caption(pt: PageTable) -> tuple[Caption, PageTable] | None:
    """A title printed in the first ruled row(s) of the table itself (one cell across the table), with the
    unit row under it: the caption and the table without those rows; None when the first row is no title."""
    kind = title = unit = dept = None
    k = 0
    for ri, cells in enumerate(pt.cells[:3]):
        origins = [c for c in _origins(cells, ri) if c.text]
        if len(origins) > 2 or not origins:
            break
        text = " ".join(c.text for c in origins)
        found = schemas.match_title(close_up(text))
        if found and kind is None:
            kind, title = found, close_up(text)
        elif _UNIT.search(text) or _DEPT.search(text):
            m = _UNIT.search(text)
            unit = m.group(1) if m else unit
            d = _DEPT.search(text)
            dept = d.group(1) if d else dept
        else:
            break
        k = ri + 1
    if kind is None or k >= len(pt.cells):
        return None
    return Caption(kind, title, unit, dept, True), PageTable(pt.page, pt.bbox, [_shift(r, k) for r in pt.cells[k:]], pt.xs)


def _shift(row: list[Cell | None], k: int) -> list[Cell | None]:
    return [Cell(c.text, c.box, (c.origin[0] - k, c.origin[1])) if c is not None else None for c in row]


# ---- header and rows ---------------------------------------------------------------------------------


def is_amount_text(text: str) -> bool:
    """A printed amount (with decimals or thousands separators), not a code or a year."""
    return _is_amount(text)


def _is_amount(text: str) -> bool:
    t = text.replace(" ", "")
    if not t or not _AMOUNT_TEXT.match(t):
        return False
    amount, problem = try_amount(t)
    return amount is not None and problem is None and ("." in t or "," in t)


def _is_data_row(cells: list[Cell | None], ri: int) -> bool:
    texts = [c.text for c in _origins(cells, ri)]
    if not any(texts):
        return False
    if any(_is_amount(t) for t in texts):
        return True
    filled = [t for t in texts if t]
    n = schemas.norm(filled[0])
    if n in _TOTALS:
        return len(filled) == 1  # a 合计 row of an empty table; 合计 beside other headers is a header
    return bool(_CODE.match(n) or _NUMBERED.match(n))


def _origins(cells: list[Cell | None], ri: int) -> list[Cell]:
    """The ruled cells that start in band row ``ri``, each once (a merged cell covers several columns;
    a header cell merged down from the row above is not this row's)."""
    seen: set[Box] = set()
    out = []
    for c in cells:
        if c is not None and c.origin[0] == ri and c.box not in seen:
            seen.add(c.box)
            out.append(c)
    return out


def _row_blank(cells: list[Cell | None]) -> bool:
    return not any(c is not None and c.text for c in cells)


def split_header(pt: PageTable) -> int:
    """Number of header rows at the top of a page table (0 for a continuation without header)."""
    n = 0
    for i, cells in enumerate(pt.cells[:8]):
        mixed = _header_part(pt.cells, i)
        if _is_data_row(cells, i) and not mixed:
            break
        if mixed:
            return i + 1
        n = i + 1
    # trailing blank rows belong to the body
    while n and _row_blank(pt.cells[n - 1]):
        n -= 1
    return n


def _header_part(grid: list[list[Cell | None]], ri: int) -> set[int]:
    """Columns of a data row that hold header labels: the 类/款/项 labels printed in the 合计 row, or
    sub-headers (合计 | 基本支出 | 项目支出) sharing the ruled row of a 合计 line that sits under the
    项目/科目名称 header (上海 决算 template)."""
    cells = grid[ri]
    heads = _code_heads(cells)
    if heads:
        return set(heads)
    origins = _origins(cells, ri)
    if not origins or schemas.norm(origins[0].text) not in _TOTALS:
        return set()
    first = origins[0]
    col = first.origin[1]
    above = {schemas.role_for([c.text]) for row in grid[:ri] if col < len(row) and (c := row[col]) is not None and c.text}
    if not above & {"名称", "科目编码"}:
        return set()  # 合计 is a column header here (三公), not a line label
    return {
        ci for ci, c in enumerate(cells)
        if c is not None and c is not first and c.origin == (ri, ci) and c.text and not _is_amount(c.text)
        and schemas.role_for([c.text]) is not None
    }


def line_in_header(pt: PageTable, ri: int) -> bool:
    """Whether header row ``ri``, past the header labels _header_part finds in it, holds a line of the
    table: an amount, or a total's label."""
    heads = _header_part(pt.cells, ri)
    return any(
        c is not None and c.origin == (ri, ci) and ci not in heads and c.text
        and (_is_amount(c.text) or schemas.norm(c.text) in _TOTALS)
        for ci, c in enumerate(pt.cells[ri])
    )


def _code_heads(cells: list[Cell | None]) -> list[int]:
    """Columns holding the 类/款/项 labels of a header (printed in the same ruled row as 合计 by some producers)."""
    cols = [ci for ci, c in enumerate(cells) if c is not None and c.origin[1] == ci and schemas.norm(c.text) in _CODE_HEADS]
    return cols if len(cols) >= 2 else []


def header_paths(pt: PageTable, n_header: int) -> list[list[str]]:
    """Per band column: the header texts top to bottom, one per ruled cell (spans counted once)."""
    n_cols = len(pt.cells[0]) if pt.cells else 0
    heads = _header_part(pt.cells, n_header - 1) if n_header else set()
    paths: list[list[str]] = []
    for ci in range(n_cols):
        path: list[str] = []
        seen: set[Box] = set()
        for ri in range(n_header):
            c = pt.cells[ri][ci]
            if c is None or c.box in seen:
                continue
            if ri == n_header - 1 and heads and ci not in heads and c.origin[0] == ri:
                continue  # the 合计 part of a mixed 类/款/项 row
            seen.add(c.box)
            t = schemas.norm(c.text)
            if t:
                path.append(t)
        paths.append(path)
    return paths


_YEAR_GROUP = re.compile(r"(?:\d{4}年度?|上年度?|本年度?)(?:预算|决算|执行)数")


def normalise_paths(paths: list[list[str]], layout: str, year: str | None = None) -> list[list[str]]:
    filled = [p for p in paths if p]
    # a caption spanning every column (“财政拨款“三公”经费”) is a title, not a column group
    common = set.intersection(*(set(p) for p in filled)) if len(filled) > 1 else set()
    common = {t for t in common if all(len(p) > 1 for p in filled)}
    if layout == "flat":  # one year's group over every column (“2024年预算数”) is a group, as the workbook reader has it
        common = {t for t in common if not _YEAR_GROUP.fullmatch(t)}
    out = []
    for path in paths:
        path = [t for t in path if t not in common]
        path = list(path)
        if layout == "flat" and len(path) > 1 and path[-1] in _BUDGET_FINAL:  # 三公 决算: 合计/预算数 → 预算数/合计
            path = [path[-1]] + path[:-1]
        if layout == "flat" and path and re.fullmatch(r"三公经费(预算|决算)数", path[0]):
            # 上海 预算: one year, printed as “三公”经费预算数 over the items: the year group of the 三公 rules
            path[0] = f"{year}年{path[0][-3:]}" if year else path[0][-3:]
        if layout == "ledger" and path:
            top = path[0]
            if top.endswith("收入") and top != "收入":
                path[0] = "收入"
            elif top.endswith("支出") and top != "支出":
                path[0] = "支出"
        out.append(path)
    return out


def emit_header(paths: list[list[str]]) -> list[list[str]]:
    """Header rows from column paths: top-aligned, each path's leaf repeated down to the full depth
    (no blank cell above a sub-header, so reading/tables.py needs no span information)."""
    depth = max((len(p) for p in paths), default=0)
    rows = [["" for _ in paths] for _ in range(depth)]
    for ci, path in enumerate(paths):
        if not path:
            continue
        for ri in range(depth):
            rows[ri][ci] = path[min(ri, len(path) - 1)]
    return rows


def body_rows(pt: PageTable, start: int, mixed_heads: bool) -> tuple[list[list[str]], list[list[tuple[int, Box] | None]]]:
    rows, boxes = [], []
    heads = _header_part(pt.cells, start - 1) if mixed_heads and start else set()
    first = start - 1 if heads else start
    for ri in range(first, len(pt.cells)):
        cells = pt.cells[ri]
        texts, bx = [], []
        for ci, c in enumerate(cells):
            if c is None or c.origin != (ri, ci) or (ri == start - 1 and ci in heads):
                texts.append("")
                bx.append((pt.page, c.box) if c is not None else None)
                continue
            texts.append(c.text)
            bx.append((pt.page, c.box))
        rows.append(texts)
        boxes.append(bx)
    return rows, boxes


def merge_code_columns(table: LogicalTable) -> None:
    """Side-by-side blocks (基本支出 经济分类): 类 | 款 code columns → one 科目编码 column per block."""
    paths = table.header
    if not paths:
        return
    leaf = paths[-1]
    pairs = [ci for ci in range(len(leaf) - 1) if leaf[ci] == "类" and leaf[ci + 1] == "款"]
    if not pairs:
        return
    drop = {ci + 1 for ci in pairs}
    for rows in (table.header, table.rows):
        for row in rows:
            for ci in pairs:
                if rows is table.header:
                    row[ci] = "科目编码"
                else:
                    cls, kuan = schemas.norm(row[ci]), schemas.norm(row[ci + 1])
                    row[ci] = cls + kuan if cls and (not kuan or _CODE_PART.match(kuan)) else row[ci] or row[ci + 1]
    for rows in (table.header, table.rows, table.header_boxes, table.boxes):
        for i, row in enumerate(rows):
            rows[i] = [v for ci, v in enumerate(row) if ci not in drop]
    table.n_cols -= len(drop)


def to_grid(table: LogicalTable, name: str) -> tuple[Grid, dict[tuple[int, int], tuple[int, Box]]]:
    """The Grid reading/tables.py parses (title, unit line, header rows, data rows) and where each of
    its cells is on the page."""
    rows: list[list[Any]] = [[table.title]]
    where: dict[tuple[int, int], tuple[int, Box]] = {}
    if table.unit:
        rows.append([f"单位：{table.unit}"])
    rows.extend([list(r) for r in table.header])
    offset = len(rows)
    for i, r in enumerate(table.rows):
        rows.append(list(r))
        for ci, b in enumerate(table.boxes[i]):
            if b is not None:
                where[(offset + i, ci)] = b
    return Grid(name, rows), where
