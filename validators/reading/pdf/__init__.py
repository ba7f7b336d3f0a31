"""The PDF door: a published disclosure PDF → Grids → the same Disclosure a workbook gives.

Owns every PDF quirk (see tables.py and lines.py).  ``read_pdf`` returns the Grids (one per table, a
narrative grid, a cover grid) and where every grid cell sits on the pages, so that findings can name the
page and row label and ``--mark`` can annotate the cell boxes.  Nothing here writes to the file.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..grid import Grid, ReadError, is_pdf  # noqa: F401 - is_pdf is read from here too
from .document import open_pdf
from .lines import Line, group_lines
from .tables import (
    Box, LogicalTable, PageTable, caption, emit_header, inner_caption, header_paths, merge_code_columns, normalise_paths,
    page_tables, split_header, body_rows, to_grid, line_in_header,
)

__all__ = ["PdfRead", "is_pdf", "read_pdf", "read_pdf_disclosure", "NARRATIVE_SHEET", "COVER_SHEET"]

MAX_SECONDS = 300  # a PDF that takes longer is not a department disclosure (25 pages read in ~1 s)
NARRATIVE_SHEET = "情况说明"
COVER_SHEET = "封面"
_PAGE_NO = re.compile(r"^[-—–\s]*(第\s*)?\d{1,3}(\s*页)?[-—–\s]*$|^\d+\s*/\s*\d+$")
_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|第[一二三四五六七八九十]+部分)")
_LEADER = re.compile(r"…|\.{3,}|·{3,}")
_NOTE = re.compile(r"^[(（]?(注|说明)[:：]|^【?数据缺失")
_PART = re.compile(r"^第[一二三四五六七八九十]+部分")
_COVER_YEAR = re.compile(r"(\d{4})\s*年度?.{0,40}?(预算|决算)")  # 2024年 延边朝鲜族自治州医疗保障局部门 预算
_COVER_YEAR_LINE = re.compile(r"年度[:：]?\s*(\d{4})\s*年?度?")  # a cover listing 年度 2024
_COVER_KIND_LINE = re.compile(r"公开类型[:：]?\s*((?:部门|单位)(?:预算|决算))")  # … and 公开类型 部门预算


@dataclass
class Where:
    page: int
    box: Box
    label: str = ""
    column: str = ""


@dataclass
class PdfRead:
    path: str
    pages: int
    grids: list[Grid]
    where: dict[tuple[str, int, int], Where] = field(default_factory=dict)  # (sheet, row, col) → place
    page_sizes: dict[int, tuple[float, float]] = field(default_factory=dict)
    contents: list[str] = field(default_factory=list)  # the 目录's entries as printed (leaders kept)




def read_pdf(path: str | Path) -> PdfRead:
    """Read a PDF's tables and narrative.  Raises ReadError (Chinese) for scanned, encrypted or broken files."""
    from .document import broken_message

    with open_pdf(path) as pdf:
        try:
            return _read(pdf, str(path))
        except ReadError:
            raise
        except MemoryError as exc:
            raise ReadError("内存不足，无法读取该 PDF（内容过多）") from exc
        except Exception as exc:  # noqa: BLE001 - a damaged page: the parser's own error types
            raise ReadError(broken_message(exc)) from exc


def read_pdf_disclosure(path: str | Path):
    """The Disclosure of a PDF, with ``cache['pdf_where']`` mapping its cells to pages and boxes."""
    from .. import disclosure_from_grids

    read = read_pdf(path)
    d = disclosure_from_grids(read.grids, source=str(path))
    d.cache["pdf_where"] = read.where
    d.cache["pdf_pages"] = read.pages
    d.contents = read.contents  # read by the published-document checks (WZ811), where the model has the field
    return d


def _read(pdf: Any, source: str) -> PdfRead:
    tables: list[LogicalTable] = []
    narrative: list[tuple[int, Line]] = []
    page_sizes: dict[int, tuple[float, float]] = {}
    cover_lines: list[Line] = []
    any_text = False
    n_chars = 0
    started = time.monotonic()
    for page_no, page in enumerate(pdf.pages, start=1):
        if time.monotonic() - started > MAX_SECONDS:
            raise ReadError(f"PDF 内容过于复杂，读取超过 {MAX_SECONDS} 秒（读到第 {page_no} 页），已停止。请检查是否误选了文件")
        page_sizes[page_no] = (float(page.width), float(page.height))
        chars = [c for c in page.chars if c["text"].strip()]
        n_chars += len(chars)
        if chars:
            any_text = True
        ruled = bool(page.rects or page.lines)
        pts = page_tables(page, page_no, chars) if ruled and chars else []
        pts = [pt for pt in pts if len(pt.cells) >= 2 or any(c and c.text for c in pt.cells[0])]
        pts.sort(key=lambda pt: pt.bbox[1])
        inside = [pt.bbox for pt in pts]
        free = [c for c in chars if not _in_any(c, inside)]
        lines = group_lines(free)
        if page_no == 1:
            cover_lines = lines
        used: set[int] = set()
        frames: list[PageTable] = []  # ruled boxes that hold no table: their text is narrative
        prev_bottom = 0.0
        for pt in pts:
            above = [ln for ln in lines if prev_bottom - 1 <= ln.top and ln.bottom <= pt.bbox[1] + 1]
            cap = caption(above)
            taken = True
            if cap.kind:
                used.update(id(ln) for ln in above)
                tables.append(_start_table(pt, cap))
            elif (inner := inner_caption(pt)) is not None:  # the title printed in the table's first row
                tables.append(_start_table(inner[1], inner[0]))
            elif (tables and not _has_body_text(above) and tables[-1].pages[-1] == page_no - 1 and prev_bottom == 0.0
                  and (start := _continuation_start(tables[-1], pt)) is not None):
                used.update(id(ln) for ln in above)
                _continue_table(tables[-1], pt, start)
            else:
                taken = False
                if max((len(r) for r in pt.cells), default=0) <= 2:
                    frames.append(pt)
            prev_bottom = pt.bbox[3]
            if taken and tables and tables[-1].pages[-1] == page_no:
                nxt = next((o.bbox[1] for o in pts if o.bbox[1] > pt.bbox[3]), float("inf"))
                for ln in lines:
                    if pt.bbox[3] - 1 <= ln.top < nxt and _NOTE.match(ln.text.strip()) and id(ln) not in used:
                        used.add(id(ln))
                        tables[-1].rows.append([ln.text.strip()] + [""] * (tables[-1].n_cols - 1))
                        tables[-1].boxes.append([(page_no, (ln.x0, ln.top, ln.x1, ln.bottom))] + [None] * (tables[-1].n_cols - 1))
        if frames:  # text inside a frame is read as text: lines again without the frames' boxes
            kept = [pt.bbox for pt in pts if pt not in frames]
            framed = group_lines([c for c in chars if _in_any(c, [f.bbox for f in frames]) and not _in_any(c, kept)])
            lines = sorted(lines + framed, key=lambda ln: ln.top)
        for ln in lines:
            if id(ln) not in used and not _PAGE_NO.match(ln.text.strip()):
                narrative.append((page_no, ln))
    if not any_text or (not tables and n_chars < 20 * len(page_sizes)):
        raise ReadError(
            "这份 PDF 没有可提取的文字（可能是扫描件或图片），czcheck 无法读取其中的表格。"
            "请使用带文字层的 PDF（由 Word、WPS 或 Excel 直接导出），或先做文字识别（OCR）"
        )
    from ... import schemas

    for t in tables:
        if schemas.table_kinds()[t.kind].layout == "blocks":
            merge_code_columns(t)
    grids: list[Grid] = []
    where: dict[tuple[str, int, int], Where] = {}
    names: set[str] = set()
    for t in tables:
        name = _sheet_name(t.title, names)
        grid, cells = to_grid(t, name)
        grids.append(grid)
        label_col = _label_column(t)
        header_row = len(grid.rows) - len(t.rows) - 1
        for (r, c), (page, box) in cells.items():
            label = _row_label(grid.rows[r], label_col)
            column = grid.rows[header_row][c] if 0 <= header_row < len(grid.rows) and c < len(grid.rows[header_row]) else ""
            where[(name, r, c)] = Where(page, box, label, str(column or ""))
    contents: list[str] = []
    narrative_grid, para_where = _narrative_grid(_without_running_lines(narrative), contents)
    if narrative_grid is not None:
        grids.append(narrative_grid)
        where.update(para_where)
    grids.append(_cover_grid(cover_lines, tables))
    return PdfRead(source, len(pdf.pages), grids, where, page_sizes, contents)


def _without_running_lines(lines: list[tuple[int, Line]]) -> list[tuple[int, Line]]:
    """Drop running headers and footers: the same text as the first or last line of three or more pages."""
    by_page: dict[int, list[Line]] = {}
    for page, ln in lines:
        by_page.setdefault(page, []).append(ln)
    edges: dict[str, set[int]] = {}
    for page, lns in by_page.items():
        for ln in {id(lns[0]): lns[0], id(lns[-1]): lns[-1]}.values():
            edges.setdefault(ln.text.replace(" ", ""), set()).add(page)
    running = {t for t, pages in edges.items() if len(pages) >= 3 and len(pages) >= 0.3 * len(by_page)}
    if not running:
        return lines
    out = []
    for page, ln in lines:
        lns = by_page[page]
        if (ln is lns[0] or ln is lns[-1]) and ln.text.replace(" ", "") in running:
            continue
        out.append((page, ln))
    return out


def _in_any(c: dict[str, Any], boxes: list[Box]) -> bool:
    cx = (c["x0"] + c["x1"]) / 2
    cy = (c["top"] + c["bottom"]) / 2
    return any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in boxes)


def _has_body_text(lines: list[Line]) -> bool:
    """Text above a table that stops it from continuing the previous page's table: a sentence or more
    than a running header (page numbers, a short page header, “续表”, a repeated unit line do not)."""
    texts = [ln.text.strip() for ln in lines if not _PAGE_NO.match(ln.text.strip())]
    texts = [t for t in texts if not re.fullmatch(r"[(（]?续表\d*[)）]?|(?:金额)?单位[:：].*", t.replace(" ", ""))]
    return len(texts) > 2 or any("。" in t or len(t) > 40 for t in texts)


def _start_table(pt: PageTable, cap) -> LogicalTable:
    from ... import schemas

    layout = schemas.table_kinds()[cap.kind].layout
    n_header = split_header(pt)
    paths = header_paths(pt, n_header)
    t = LogicalTable(kind=cap.kind, title=cap.title, unit=cap.unit, department=cap.department, pages=[pt.page])
    t.head_signature = tuple("/".join(p) for p in paths)
    year = re.search(r"(\d{4})年", cap.title or "")
    t.header = emit_header(normalise_paths(paths, layout, year.group(1) if year else None))
    t.header_boxes = [[None] * len(paths) for _ in t.header]
    t.n_cols = len(paths)
    t.xs = list(pt.xs)
    rows, boxes = body_rows(pt, n_header, mixed_heads=True)
    t.rows, t.boxes = rows, boxes
    return t


def _repeated_header(t: LogicalTable, pt: PageTable) -> int:
    """How many rows at the top of a continuation page repeat the table's header: the most rows that give its
    signature, else the most that hold only header words (spans may differ a little).  Fewer than
    split_header counts when the first lines under the header have no amount (a ledger's 其他收入 |
    十一、节能环保支出 line, a blank 上年结转 | 结转下年 line)."""
    most = split_header(pt)
    paths = {n: header_paths(pt, n) for n in range(most, 0, -1)}
    for n, p in paths.items():  # the table's own header first: a blank line after it may hold header words
        if tuple("/".join(x) for x in p) == t.head_signature:
            return n
    return next((n for n, p in paths.items() if _all_header_words(p)), 0)


def _continuation_start(t: LogicalTable, pt: PageTable) -> int | None:
    """The first body row of a ruled table at the top of a page that continues the previous page's table
    (past its repeated header, ``_repeated_header``); None when it cannot continue it: ruled into other
    columns and opening with a header of its own (neither the table's nor header words), such as a
    narrative printed in a grid after the last table."""
    start = _repeated_header(t, pt)
    width = len(pt.cells[0]) if pt.cells else 0
    if start == 0 and width != t.n_cols and split_header(pt):
        return None
    return start


def _continue_table(t: LogicalTable, pt: PageTable, start: int) -> None:
    # the repeated header's last row is read as a line only when it is one (类/款/项 printed in the 合计 line);
    # its other texts are sub-headers the first page's rows gave already, not a row of the table
    rows, boxes = body_rows(pt, start, mixed_heads=start > 0 and line_in_header(pt, start - 1))
    width = len(pt.cells[0]) if pt.cells else 0
    if width != t.n_cols and t.xs and pt.xs:  # ruled differently on this page: columns by position
        centres = [(t.xs[i] + t.xs[i + 1]) / 2 for i in range(t.n_cols)]
        target = [min(range(t.n_cols), key=lambda i: abs(centres[i] - (pt.xs[c] + pt.xs[c + 1]) / 2)) for c in range(width)]
        pairs = [_remap(r, b, target, t.n_cols) for r, b in zip(rows, boxes)]
        rows, boxes = [p[0] for p in pairs], [p[1] for p in pairs]
    t.rows.extend(rows)
    t.boxes.extend(boxes)
    t.pages.append(pt.page)


def _all_header_words(paths: list[list[str]]) -> bool:
    """Every text of these header paths is a known header word (so the rows are a repeated header)."""
    from ... import schemas
    from ..tables import HEADER_WORDS

    texts = {t for p in paths for t in p}
    typical = any(t in ("项目", "类", "款", "项", "预算数", "决算数") or "科目" in t for t in texts)
    return typical and all(t in HEADER_WORDS or schemas.role_for([t]) is not None or "科目" in t for t in texts)


def _remap(row: list[str], boxes: list[Any], target: list[int], width: int) -> tuple[list[str], list[Any]]:
    """A continuation row laid onto the first page's columns (each cell to the nearest column centre)."""
    out: list[str] = [""] * width
    out_boxes: list[Any] = [None] * width
    for c, v in enumerate(row):
        if c < len(target) and v and not out[target[c]]:
            out[target[c]], out_boxes[target[c]] = v, boxes[c]
    return out, out_boxes


def _sheet_name(title: str, taken: set[str]) -> str:
    from ... import schemas

    base = re.sub(r"[\[\]:*?/\\]", "", schemas.norm(title))
    base = re.sub(r"^[0-9一二三四五六七八九十]+[、.．]", "", base)[:28] or "表"
    name, n = base, 2
    while name in taken:
        name = f"{base[:26]}{n}"
        n += 1
    taken.add(name)
    return name


def _label_column(t: LogicalTable) -> int | None:
    leaf = t.header[-1] if t.header else []
    for i, v in enumerate(leaf):
        if "名称" in v or v == "项目":
            return i
    return None


def _row_label(row: list[Any], label_col: int | None) -> str:
    if label_col is not None and label_col < len(row) and str(row[label_col] or "").strip():
        return str(row[label_col]).strip()
    for v in row:
        if isinstance(v, str) and v.strip() and not re.match(r"^[\d,.\-]+$", v.strip()):
            return v.strip()
    return ""


def _narrative_grid(lines: list[tuple[int, Line]], contents: list[str]) -> tuple[Grid | None, dict[tuple[str, int, int], Where]]:
    """The 情况说明 grid (部分 | 段落) and where each paragraph is; the 目录's entries go to ``contents``."""
    if not lines:
        return None, {}
    paragraphs: list[tuple[str, int, Box, str]] = []  # text, page, box of first line, section
    section = heading = ""
    margins: dict[int, float] = {}
    rights: dict[int, float] = {}
    pitches: dict[int, list[float]] = {}
    last: tuple[int, Line] | None = None
    for page, ln in lines:
        margins[page] = min(margins.get(page, ln.x0), ln.x0)
        rights[page] = max(rights.get(page, ln.x1), ln.x1)
        if last is not None and last[0] == page and abs(last[1].size - ln.size) < 0.5:
            pitches.setdefault(page, []).append(ln.top - last[1].top)
        last = (page, ln)
    # the usual distance between two lines of a page: a paragraph break is a wider one
    pitch = {page: sorted(p)[len(p) // 2] for page, p in pitches.items() if p}
    cur: list[str] = []
    cur_page, cur_box = 0, (0.0, 0.0, 0.0, 0.0)
    prev: tuple[int, Line] | None = None

    def flush() -> None:
        nonlocal cur
        if cur:
            text = "".join(cur).strip()
            if text:
                paragraphs.append((text, cur_page, cur_box, section or heading))
        cur = []

    toc: str | None = None  # inside the 目录: its first entry, seen again where the body starts
    toc_page, toc_leaders = 0, False
    in_toc = False
    for page, ln in lines:
        text = ln.text.strip()
        n = text.replace(" ", "")
        if n == "目录":
            in_toc, toc = True, None
            flush()
            prev = None
            continue
        if in_toc:
            leader = bool(_LEADER.search(n))
            if toc is None:
                toc, toc_page, toc_leaders = n, page, leader
                contents.append(text)
                continue
            new_page_without_leaders = page != toc_page and toc_leaders and not leader
            if n != toc and "。" not in n and not new_page_without_leaders:
                toc_page = page
                contents.append(text)
                continue
            in_toc = False
        indent = ln.x0 - margins[page] > 0.4 * ln.size
        is_heading = bool(_HEADING.match(text)) and len(text) < 60
        gap = prev is not None and prev[0] == page and ln.top - prev[1].top > 1.4 * pitch.get(page, 1.2 * ln.size)
        # a short previous line ends its paragraph only where lines are justified (ragged CJK right edges vary)
        prev_short = prev is not None and prev[1].x1 < rights[prev[0]] - 6 * prev[1].size
        resized = prev is not None and abs(prev[1].size - ln.size) > 1.5
        wrapped_part = (len(cur) == 1 and bool(_PART.match(cur[0])) and len(text) <= 8 and not is_heading
                        and prev is not None and abs(prev[1].size - ln.size) <= 0.5)
        if wrapped_part:  # “第三部分 …决算情况” / “说明”: one part title over two lines
            cur.append(text)
            section = "".join(cur)
            prev = (page, ln)
            continue
        if not cur or indent or is_heading or gap or prev_short or resized:
            flush()
            if _PART.match(text):
                section = text
            elif is_heading and re.match(r"^[一二三四五六七八九十]+、", text) and not section.startswith("第"):
                heading = text
            cur_page, cur_box = page, (ln.x0, ln.top, ln.x1, ln.bottom)
        elif page == cur_page:  # the paragraph's box on its first page grows with its lines
            cur_box = (min(cur_box[0], ln.x0), cur_box[1], max(cur_box[2], ln.x1), max(cur_box[3], ln.bottom))
        cur.append(text)
        prev = (page, ln)
    flush()
    # a part title printed over two lines ("…决算情况" / "说明") stays one section name
    from ... import schemas

    rows: list[list[Any]] = [[NARRATIVE_SHEET], ["部分", "段落"]]
    where: dict[tuple[str, int, int], Where] = {}
    for text, page, box, sec in paragraphs:
        if len(text) < 60 and schemas.match_title(text):
            continue  # a table's name as a heading or list item: in the sheet it would read as a table title
        r = len(rows)
        rows.append([sec, text])
        where[(NARRATIVE_SHEET, r, 1)] = Where(page, box, text[:12], "")
    return Grid(NARRATIVE_SHEET, rows), where


def _cover_grid(lines: list[Line], tables: list[LogicalTable]) -> Grid:
    from ... import schemas

    dept = year = kind = None
    for ln in lines[:12]:
        text = ln.text.strip()
        m = _COVER_YEAR.search(text)
        if m and year is None:
            year, kind = m.group(1), ("单位" if "单位" in text else "部门") + m.group(2)
        elif year is None and (m := _COVER_YEAR_LINE.fullmatch(text)):
            year = m.group(1)
        elif kind is None and (m := _COVER_KIND_LINE.fullmatch(text)):
            kind = m.group(1)
        elif (dept is None and text and not re.search(r"\d", text) and "目录" not in text and len(text) < 40
              and not schemas.match_title(text) and "单位：" not in text and "单位:" not in text):
            dept = text
    if dept:
        dept = re.sub(r"^(?:(?:预算主管部门|预算单位|编制部门|编制单位|部门|单位)[:：]|(?:部门|单位)名称[:：]?)\s*", "", dept)
    dept = dept or next((t.department for t in tables if t.department), None)
    rows: list[list[Any]] = [["部门名称", dept or ""], ["年度", year or ""], ["公开类型", kind or ""]]
    return Grid(COVER_SHEET, rows)
