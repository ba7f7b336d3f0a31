"""Reading: a workbook (or any list of Grids) becomes a Disclosure.  Owns every Excel quirk."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from .. import schemas
from ..model import CellRef, Disclosure, Paragraph
from .grid import Grid, ReadError, read_grids
from .tables import find_titles, parse_table
from .units import UNIT_YUAN, convert_value

__all__ = ["Grid", "ReadError", "read_grids", "read_workbook", "disclosure_from_grids"]

NARRATIVE_TITLES = {"情况说明", "部门预算情况说明", "部门决算情况说明", "预算情况说明", "决算情况说明", "情况和重要事项说明"}
_COVER_KEYS = {"部门名称": "department", "部门": "department", "单位名称": "department", "年度": "year", "公开类型": "kind", "金额单位": "unit"}
RESULTS_SHEET = re.compile(r"^校验结果\d*$")
_DEPT = re.compile(r"^部门(?:\(单位\))?[:：](.+)$")


def read_workbook(path: str | Path) -> Disclosure:
    """Read an .xlsx/.xlsm into a Disclosure.  Raises ReadError with a Chinese message."""
    return disclosure_from_grids(read_grids(path), source=str(path))


def disclosure_from_grids(grids: list[Grid], source: str = "") -> Disclosure:
    disclosure = Disclosure(source=source)
    for grid in grids:
        if RESULTS_SHEET.match(grid.name):
            continue  # czcheck's own 校验结果 sheet in a marked copy
        titles = find_titles(grid)
        for i, (r, c, kind, title) in enumerate(titles):
            r_end = titles[i + 1][0] if i + 1 < len(titles) else grid.height
            if i + 1 < len(titles) and titles[i + 1][0] == r:
                continue  # two titles on one row: keep the later one's own region
            table = parse_table(grid, kind, title, r, c, max(r_end, r + 1))
            table.hidden = grid.hidden
            disclosure.tables.setdefault(kind, []).append(table)
        _read_cover(grid, disclosure)
        _read_narrative(grid, disclosure)
    profile = schemas.detect_profile(set(disclosure.tables), {t.title for t in disclosure.all_tables()})
    if profile:
        disclosure.format = profile
        disclosure.kind = disclosure.kind or profile.disclosure_kind
        disclosure.unit = disclosure.unit or profile.unit
    if disclosure.unit is None:
        units = {t.unit for t in disclosure.all_tables() if t.unit}
        disclosure.unit = units.pop() if len(units) == 1 else None
    if len({t.unit for t in disclosure.all_tables() if t.unit}) > 1:
        _harmonise_units(disclosure)  # 上海 预算: 元 tables beside a 万元 三公 table
    return disclosure


def _harmonise_units(d: Disclosure) -> None:
    """The disclosure takes the unit most tables state; a table in another unit is converted exactly
    (units.convert_value: amount and half_ulp scaled, 28.50 万元 → 285000 元 ± 50) and then states the
    disclosure's unit (the printed one stays in ``cache["printed_unit"]``)."""
    counts = Counter(t.unit for t in d.all_tables() if t.unit in UNIT_YUAN)
    if not counts:
        return
    unit = counts.most_common(1)[0][0]
    d.unit = unit
    for t in d.all_tables():
        if t.unit in UNIT_YUAN and t.unit != unit:
            for row in t.rows:
                row.values = {k: convert_value(v, t.unit, unit) for k, v in row.values.items()}
            t.cache.clear()
            t.cache["printed_unit"] = t.unit
            t.unit = unit


_COVER_START = ("部门", "单位", "年度", "公开类型", "金额单位")


def _read_cover(grid: Grid, disclosure: Disclosure) -> None:
    for r, row in enumerate(grid.rows[:60]):
        texts = [(c, v) for c, v in enumerate(row) if isinstance(v, str) and v.lstrip().startswith(_COVER_START)]
        for c, v in texts:
            n = schemas.norm(v)
            m = _DEPT.match(n)
            if m and not disclosure.department:
                disclosure.department = m.group(1)
            key = _COVER_KEYS.get(n.rstrip(":："))
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
                    disclosure.unit = schemas.norm(value)
                elif not getattr(disclosure, key):
                    setattr(disclosure, key, schemas.norm(value))


def _read_narrative(grid: Grid, disclosure: Disclosure) -> None:
    start = None
    for r, row in enumerate(grid.rows[:10]):
        if any(isinstance(v, str) and "说明" in v and schemas.norm(v) in NARRATIVE_TITLES for v in row):
            start = r
            break
    if start is None:
        return
    text_col = section_col = None
    for r in range(start + 1, grid.height):
        row = grid.rows[r]
        if text_col is not None:  # the 段落 column is known: read it directly
            text = row[text_col] if text_col < len(row) else None
            if not isinstance(text, str) or not text.strip():
                continue
            section = row[section_col] if section_col is not None and section_col < len(row) else ""
            disclosure.narrative.append(Paragraph(text=text, ref=CellRef(grid.name, r, text_col), section=str(section or "")))
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
