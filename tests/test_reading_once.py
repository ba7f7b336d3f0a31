"""Reading work done once (issue 15, twenty departments in one book): one pass over a sheet's cells finds the
rows each search wants (``reading.sheet_rows``), and a table head (title, 部门/单位 lines, headers) read before
is not read again (``reading.tables._known_head``).  Each must answer as the work it saves: on the samples, on
books holding the same tables many times, and on copies whose heads differ from the first in one cell, in
every way a cell can differ (text, type, a formula error spelled as text, a unit, a blank)."""

from __future__ import annotations

from pathlib import Path

import pytest

from validators.amounts import FormulaError
from validators.reading import SPACES, Grid, _cover_rows, _narrative_start, disclosure_from_grids, read_grids, sheet_rows
from validators.reading import tables
from validators.reading.tables import _title_rows

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "workbooks" / "samples").glob("*.xlsx"))


def _copy(grid: Grid, name: str) -> Grid:
    return Grid(name, [list(row) for row in grid.rows], grid.hidden, grid.hidden_rows, grid.formulas)


def _edits(value):
    """Cells that differ from ``value`` in one way each (several are equal to it under ``==``)."""
    out = ["", "合计", "单位：元", "金额单位：元", " 部门名称", "2024年预算数", "栏次"]
    if isinstance(value, str) and value:
        out += [FormulaError(value), value + " ", "　" + value]
        if value.strip().isdigit():
            out += [float(value), int(value)]
    if isinstance(value, float):
        out += [int(value) if value.is_integer() else value, True, str(value)]
    return out


def _edited_copies(grids: list[Grid]) -> list[Grid]:
    """Copies of the table sheets, each with one cell of a table head changed."""
    d = disclosure_from_grids(grids)
    by_name = {g.name: g for g in grids}
    out = []
    for t in d.all_tables():
        if t.title_from_sheet or t.sheet not in by_name:
            continue
        grid = by_name[t.sheet]
        first = min((r.index for r in t.rows), default=t.title_ref.row + 1)
        cells = [(r, c) for r in range(t.title_ref.row, min(first + 1, grid.height)) for c in range(len(grid.rows[r]))]
        for r, c in cells[:: max(1, len(cells) // 4)]:
            for value in _edits(grid.rows[r][c]):
                copy = _copy(grid, f"{len(out):03d}{grid.name}"[:31])
                copy.rows[r][c] = value
                out.append(copy)
        # the sheet cut right after the head, then the head's last row printed twice before the data
        if t.title_ref.row < first <= grid.height and first > 0:
            cut = _copy(grid, f"{len(out):03d}{grid.name}"[:31])
            cut.rows[first:] = []
            again = _copy(grid, f"{len(out) + 1:03d}{grid.name}"[:31])
            again.rows.insert(first, list(grid.rows[first - 1]))
            out += [cut, again]
        # numbers in a head as floats, then one of them as True or an int (equal under ==, read otherwise)
        for r in range(t.title_ref.row, min(first + 1, grid.height)):
            digits = [c for c, v in enumerate(grid.rows[r]) if isinstance(v, str) and v.strip().isdigit()]
            if not digits:
                continue
            floats = _copy(grid, f"{len(out):03d}{grid.name}"[:31])
            for c in digits:
                floats.rows[r][c] = float(grid.rows[r][c])
            out.append(floats)
            for swap in (lambda x: True if x == 1 else x, int):
                copy = _copy(floats, f"{len(out):03d}{grid.name}"[:31])
                copy.rows[r] = [swap(v) if c in digits else v for c, v in enumerate(copy.rows[r])]
                out.append(copy)
    return out


def _tables(d):
    return [(t, t.cache.get("ambiguous_columns")) for t in d.all_tables()]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_one_pass_over_a_sheet_finds_the_rows_each_search_finds(path: Path):
    grids = read_grids(path)
    edited = []
    for g in grids[:6]:
        for r in range(min(g.height, 12)):
            copy = _copy(g, g.name)
            if copy.rows[r]:
                copy.rows[r][0] = ["  部门：某某", FormulaError("收支总表"), "情况说明", " 情况说明", "表" * 90,
                                   1.0, "\t年度"][r % 7]
            edited.append(copy)
    for g in grids + edited:
        assert sheet_rows(g) == (_title_rows(g), _cover_rows(g), _narrative_start(g)), g.name


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_table_heads_read_before_give_what_reading_them_gives(path: Path, monkeypatch):
    grids = read_grids(path)
    twice = grids + [_copy(g, f"副本{g.name}"[:31]) for g in grids]
    books = [twice, grids + _edited_copies(grids)]
    known = [disclosure_from_grids(book, source=str(path)) for book in books]
    monkeypatch.setattr(tables, "_known_head", lambda *args: None)  # every head read from its cells
    for book, d in zip(books, known):
        fresh = disclosure_from_grids(book, source=str(path))
        assert d == fresh
        assert _tables(d) == _tables(fresh)
        assert [t.unit_ref for t in d.all_tables()] == [t.unit_ref for t in fresh.all_tables()]


def test_the_spaces_a_cover_line_may_open_with_are_those_python_strips():
    assert SPACES == {c for c in map(chr, range(0x110000)) if c.isspace()}
