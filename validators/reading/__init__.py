"""Reading: a workbook (or any list of Grids) becomes a Disclosure.  Owns every Excel quirk."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from .. import schemas
from ..model import CellRef, Disclosure, Paragraph, Table
from .grid import Grid, ReadError, read_grids
from .tables import find_title_matches, parse_table
from .units import UNIT_YUAN, convert, convert_value, declared_unit

__all__ = ["Grid", "ReadError", "read_grids", "read_workbook", "disclosure_from_grids"]

NARRATIVE_TITLES = {"情况说明", "部门预算情况说明", "部门决算情况说明", "预算情况说明", "决算情况说明", "情况和重要事项说明"}
_COVER_KEYS = {"部门名称": "department", "部门": "department", "单位名称": "department", "年度": "year", "公开类型": "kind", "金额单位": "unit"}
RESULTS_SHEET = re.compile(r"^校验结果\d*$")
NO_FORMULAS = "sheets_without_formulas"  # Disclosure.cache key
_DEPT = re.compile(r"^部门(?:\(单位\))?[:：](.+)$")


def read_workbook(path: str | Path) -> Disclosure:
    """Read an .xlsx/.xlsm into a Disclosure.  Raises ReadError with a Chinese message."""
    return disclosure_from_grids(read_grids(path, skip_check_sheet=True), source=str(path))


def disclosure_from_grids(grids: list[Grid], source: str = "") -> Disclosure:
    disclosure = Disclosure(source=source)
    for grid in grids:
        if RESULTS_SHEET.match(grid.name):
            continue  # czcheck's own 校验结果 sheet in a marked copy
        title_rows, cover_rows, narrative_start = sheet_rows(grid)
        titles = find_title_matches(grid, title_rows)
        if not titles:
            _table_named_by_sheet(grid, disclosure)
            for t in disclosure.tables.values():
                if t and t[-1].title_from_sheet and t[-1].sheet == grid.name:
                    _hidden_rows(grid, t[-1], -1)
        last: Table | None = None
        narrative_sheet = narrative_start is not None
        for i, (r, c, match, title) in enumerate(titles):
            kind = match.kind
            r_end = titles[i + 1][0] if i + 1 < len(titles) else grid.height
            if i + 1 < len(titles) and titles[i + 1][0] == r:
                continue  # two titles on one row: keep the later one's own region
            table = parse_table(grid, kind, title, r, c, max(r_end, r + 1))
            table.hidden = grid.hidden
            _hidden_rows(grid, table, r)
            if narrative_sheet and not any(c.key for c in table.columns):
                continue  # a line of the 情况说明 naming a table (“附件2-1：收支总体情况表”), not the table
            if match.continued and last is not None and last.kind == kind and _continue(last, table):
                continue  # 续表: its rows joined the table it continues
            disclosure.tables.setdefault(kind, []).append(table)
            last = table
        _read_cover(grid, disclosure, cover_rows)
        _read_narrative(grid, disclosure, narrative_start)
    # sheets the scan saw no formula in: no finding on them quotes a cached formula value (engine.py)
    disclosure.cache[NO_FORMULAS] = frozenset(g.name for g in grids if not g.formulas)
    profile = schemas.detect_profile(set(disclosure.tables), {t.title for t in disclosure.all_tables()})
    if profile:
        disclosure.format = profile
        disclosure.kind = disclosure.kind or profile.disclosure_kind
    resolve_units(disclosure, profile.unit if profile else None)
    return disclosure


def _hidden_rows(grid: Grid, table: Table, r0: int) -> None:
    """Hidden sheet rows between the title and the table's last row (a reader of the printed table
    does not see them; their amounts still count in the sums)."""
    if grid.hidden_rows and table.rows:
        last = max(row.index for row in table.rows)
        table.hidden_rows = sorted(r for r in grid.hidden_rows if r0 < r <= last)


def _continue(table: Table, more: Table) -> bool:
    """Join a 续表 to the table it continues when both print the same columns."""
    if [c.key for c in more.columns] != [c.key for c in table.columns]:
        return False
    table.rows.extend(more.rows)
    table.hidden_rows.extend(more.hidden_rows)
    table.missing_rows.extend(more.missing_rows)
    table.note = more.note or table.note
    return True


def _table_named_by_sheet(grid: Grid, disclosure: Disclosure) -> None:
    """A sheet called like a table (“收支总表”) whose cells print no title: row 1 is already the
    unit line or the header.  The sheet name is the title; the table starts at the top."""
    match = schemas.match_title_detail(grid.name)
    if match is None or not grid.height:
        return
    first = next(((r, c) for r, row in enumerate(grid.rows[:5]) for c, v in enumerate(row) if v not in (None, "")), None)
    if first is None:
        return
    table = parse_table(grid, match.kind, grid.name, -1, 0, grid.height)
    if not table.columns or not any(not v.blank for row in table.rows for v in row.values.values()):
        return  # not a table after all (a notes sheet called 收支总表说明 never gets here)
    table.title_ref, table.title_from_sheet, table.hidden = CellRef(grid.name, *first), True, grid.hidden
    disclosure.tables.setdefault(match.kind, []).append(table)


def resolve_units(disclosure: Disclosure, profile_unit: str | None = None) -> None:
    """Settle the disclosure's unit and express every table's amounts in it (exactly).

    The unit is the one the cover fixes (金额单位, our templates), else the one most tables declare,
    else the format's.  A table declaring another unit is converted value by value (units.py)."""
    declared = Counter(t.unit for t in disclosure.all_tables() if t.unit)
    if disclosure.unit not in UNIT_YUAN:
        disclosure.unit, disclosure.unit_ref = None, None
    if disclosure.unit is None and declared:
        top = max(declared.values())
        tied = [u for u, n in declared.items() if n == top]
        disclosure.unit = profile_unit if profile_unit in tied else tied[0]
    disclosure.unit = disclosure.unit or profile_unit
    if disclosure.unit not in UNIT_YUAN:
        return
    unit = disclosure.unit
    odd = [t for t in disclosure.all_tables() if t.unit and t.unit != unit]
    if not odd:
        return
    odd_ids = {id(t) for t in odd}
    anchors = {a for t in disclosure.all_tables() if id(t) not in odd_ids for a in _amounts(t)}
    if not anchors:  # every table declares another unit: the narrative's figures decide
        from ..narrative import extract

        per = UNIT_YUAN["万元"] / UNIT_YUAN[unit]
        anchors = {st.amount_wan * per for st in extract(disclosure.narrative) if st.kind == "amount" and st.amount_wan}
    for t in odd:
        raw = _amounts(t)
        converted = {convert(a, t.unit, unit) for a in raw}
        if len(raw & anchors) > len(converted & anchors):
            t.cache["unit_label_wrong"] = True  # the figures are in the disclosure's unit; the label is wrong
            continue
        for row in t.rows:
            row.values = {k: convert_value(v, t.unit, unit) for k, v in row.values.items()}


def _amounts(t: Table) -> set:
    return {v.amount for row in t.rows for v in row.values.values() if v.amount}


_COVER_START = ("部门", "单位", "年度", "公开类型", "金额单位")


COVER_LEFTOVERS = "cover_leftovers"  # Disclosure.cache key: [(cell, Chinese description)] for WZ804
_COVER_BLANK = re.compile(r"_{2,}|＿{2,}|XX|ＸＸ|××|某某")
_COVER_REQUIRED = {"部门名称": "部门名称", "单位名称": "单位名称", "年度": "年度"}


# every character str.isspace() is true of (what lstrip() strips; tests/test_reading_once.py checks the list)
SPACES = frozenset("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
                   "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
# what a text that opens (past spaces) as a cover line does opens with: a space or a start's first character
_COVER_FIRST = frozenset(s[0] for s in _COVER_START) | SPACES


def sheet_rows(grid: Grid) -> tuple[list[int], list[int], int | None]:
    """One pass over a sheet's cells for what every sheet is searched for: the rows holding a title
    candidate (``tables._title_rows``), the rows among the first 60 holding a cover text
    (``_cover_rows``), and the row of the 情况说明 title (``_narrative_start``).  Each answer is the one
    its own pass gives (tests/test_table_data.py compares them)."""
    titles: list[int] = []
    cover: list[int] = []
    narrative = None
    starts, norm, narrative_titles, cover_first = _COVER_START, schemas.norm, NARRATIVE_TITLES, _COVER_FIRST
    text = str
    for r, row in enumerate(grid.rows):
        if r >= 60:  # past the cover's rows: only titles are looked for
            for v in row:
                if v.__class__ is text:  # a text (or a blank): the usual cells, first
                    if "表" in v and len(v) < 80:
                        titles.append(r)
                        break
                elif v.__class__ is not float and isinstance(v, str) and "表" in v and len(v) < 80:
                    titles.append(r)
                    break
            continue
        title = is_cover = False
        for v in row:
            if v.__class__ is not text:
                if v.__class__ is float or not v or not isinstance(v, str):
                    continue
            elif not v:
                continue
            if not title and "表" in v and len(v) < 80:
                title = True
                titles.append(r)
            # v.lstrip().startswith(starts), tried only when v opens with a space or a start's first character
            if not is_cover and v[0] in cover_first and v.lstrip().startswith(starts):
                is_cover = True
                cover.append(r)
            if narrative is None and r < 10 and "说明" in v and norm(v) in narrative_titles:
                narrative = r
    return titles, cover, narrative


def _cover_rows(grid: Grid) -> list[int]:
    """The rows among the first 60 with a text opening (past spaces) as a cover line does."""
    out = []
    starts = _COVER_START
    for r, row in enumerate(grid.rows[:60]):
        for v in row:  # most rows hold none: their cells are looked at once, without positions
            if v.__class__ is float or not v:  # an amount or a blank: the usual cells, first
                continue
            if isinstance(v, str) and v.lstrip().startswith(starts):
                out.append(r)
                break
    return out


def _read_cover(grid: Grid, disclosure: Disclosure, rows: list[int] | None = None) -> None:
    """The cover's 部门名称 / 年度 / 公开类型 / 金额单位 lines; ``rows``: the candidate rows (``_cover_rows``)
    when the caller's pass over the sheet found them."""
    is_cover = False
    for r in _cover_rows(grid) if rows is None else rows:
        row = grid.rows[r]
        texts = [(c, v) for c, v in enumerate(row)
                 if isinstance(v, str) and v and v[0] in _COVER_FIRST and v.lstrip().startswith(_COVER_START)]
        for c, v in texts:
            n = schemas.norm(v)
            m = _DEPT.match(n)
            if m and not disclosure.department:
                disclosure.department = m.group(1)
            key = _COVER_KEYS.get(n.rstrip(":："))
            if key and c + 1 < len(row) and n.rstrip(":：") in _COVER_REQUIRED and r < 20:
                is_cover = True  # a cover (封面) block: 部门名称 | … / 年度 | …
                if row[c + 1] in (None, "") or _COVER_BLANK.search(str(row[c + 1])):
                    disclosure.cache.setdefault(COVER_LEFTOVERS, []).append(
                        (CellRef(grid.name, r, c + 1), f"封面“{n.rstrip(':：')}”未填写"))
            if key and c + 1 < len(row):
                value = row[c + 1]
                if value in (None, ""):
                    continue
                if key == "year":
                    m2 = re.search(r"\d{4}", str(value))
                    if m2:
                        disclosure.year = int(m2.group())
                elif key == "kind":
                    disclosure.kind = "决算" if "决算" in str(value) else "预算"
                elif key == "unit":
                    disclosure.unit = declared_unit(f"单位：{schemas.norm(value)}") or schemas.norm(value)
                    disclosure.unit_ref = CellRef(grid.name, r, c + 1)
                elif not getattr(disclosure, key):
                    setattr(disclosure, key, schemas.norm(value))
    if is_cover:  # the cover's own texts: “____年____部门预算公开表”
        for r, row in enumerate(grid.rows[:20]):
            for c, v in enumerate(row):
                if isinstance(v, str) and _COVER_BLANK.search(v) and not any(ref == CellRef(grid.name, r, c) for ref, _ in disclosure.cache.get(COVER_LEFTOVERS, [])):
                    disclosure.cache.setdefault(COVER_LEFTOVERS, []).append((CellRef(grid.name, r, c), f"封面“{v.strip()[:30]}”仍是模板内容"))


def _narrative_start(grid: Grid) -> int | None:
    """The row of the 情况说明 title when this sheet holds the narrative."""
    for r, row in enumerate(grid.rows[:10]):
        for v in row:
            if v.__class__ is float or not v:  # an amount or a blank: the usual cells, first
                continue
            if isinstance(v, str) and "说明" in v and schemas.norm(v) in NARRATIVE_TITLES:
                return r
    return None


def _read_narrative(grid: Grid, disclosure: Disclosure, start: int | None = -1) -> None:
    if start == -1:  # not worked out by the caller
        start = _narrative_start(grid)
    if start is None:
        return
    text_col = section_col = None
    sheet, paragraphs = grid.name, disclosure.narrative
    for r in range(start + 1, grid.height):
        row = grid.rows[r]
        if text_col is not None:  # the 段落 column is known: read it directly
            text = row[text_col] if text_col < len(row) else None
            if not isinstance(text, str) or not text or text.isspace():  # (not text.strip(), without a copy)
                continue
            section = row[section_col] if section_col is not None and section_col < len(row) else ""
            paragraphs.append(Paragraph(text, CellRef(sheet, r, text_col), str(section or "")))
            continue
        texts = [(c, v) for c, v in enumerate(row) if isinstance(v, str) and v.strip()]
        if not texts:
            continue
        names = {schemas.norm(v): c for c, v in texts}
        if "段落" in names or "内容" in names:
            text_col = names.get("段落", names.get("内容"))
            section_col = names.get("部分")
            continue
        c, text = max(texts, key=lambda cv: len(cv[1]))  # no header row: the longest text is the paragraph
        section = texts[0][1] if len(texts) > 1 and texts[0][0] < c else ""
        disclosure.narrative.append(Paragraph(text=text, ref=CellRef(grid.name, r, c), section=str(section or "")))
