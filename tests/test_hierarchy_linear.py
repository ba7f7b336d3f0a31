"""The linear hierarchy grouping gives exactly the groups of the former pairwise scans.

The former implementation is kept here, verbatim, as the reference; it is compared with
validators.hierarchy on every table of the shipped samples and on randomly shaped tables (codes of
several lengths, rows with lost codes, markers, two economic code columns, project levels).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from validators import hierarchy
from validators.hierarchy import PROJECT_LEVELS, Group
from validators.model import CellRef, Row, RowKind, Table
from validators.reading import read_workbook

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "workbooks" / "samples").glob("*.xlsx"))


# ---------------------------------------------------------------- the former (quadratic) implementation

def _span_end(table, parent, same_or_higher):
    rows = table.rows
    start = rows.index(parent)
    for other in rows[start + 1:]:
        if other.kind is RowKind.DATA and same_or_higher(other):
            return other.index
    return 1 << 30


def _complete(table, parent, end):
    return not any(parent.index < m.row < end for m in table.missing_rows)


def reference_groups(table, layout):
    data = [r for r in table.rows if r.kind is RowKind.DATA]
    result = []
    total = table.total_row()
    if layout == "function":
        coded = [r for r in data if r.code]
        top = [r for r in coded if len(r.code) == 3]
        if total and top:
            result.append(Group(total, top, not table.truncated, "合计"))
        for parent in coded:
            n = len(parent.code)
            if n == 7:
                continue
            kids = [r for r in coded if len(r.code) == n + 2 and r.code.startswith(parent.code)]
            end = _span_end(table, parent, lambda o, n=n: o.code is not None and len(o.code) <= n)
            if n == 5:
                kids = sorted(kids + [r for r in data if r.code is None and parent.index < r.index < end],
                              key=lambda r: r.index)
            if not kids:
                continue
            result.append(Group(parent, kids, _complete(table, parent, end), "类" if n == 3 else "款"))
    elif layout == "economic":
        coded = [r for r in data if r.econ_dept]
        subtotals = [r for r in coded if len(r.econ_dept) == 3]
        items = [r for r in coded if len(r.econ_dept) == 5]
        if total and (subtotals or items):
            result.append(Group(total, subtotals or items, not table.truncated, "合计"))
        for parent in subtotals:
            def same(r, p=parent):
                return r.econ_dept[:3] == p.econ_dept and (
                    not (p.econ_gov and r.econ_gov) or r.econ_gov[:3] == p.econ_gov[:3])

            kids = [r for r in items if same(r)]
            if not kids:
                continue
            end = _span_end(table, parent, lambda o: o.econ_dept is not None and len(o.econ_dept) == 3)
            result.append(Group(parent, kids, _complete(table, parent, end), "经济分类类"))
    elif layout == "project":
        if any(r.key in PROJECT_LEVELS for r in data):
            rows = [r for r in data if r.key in PROJECT_LEVELS]
            rank = {k: i for i, k in enumerate(PROJECT_LEVELS)}
            top = min(rank[r.key] for r in rows)
            if total:
                result.append(Group(total, [r for r in rows if rank[r.key] == top], not table.truncated, "合计"))
            for i, parent in enumerate(rows):
                level = rank[parent.key]
                kids = []
                for other in rows[i + 1:]:
                    if rank[other.key] <= level:
                        break
                    if not kids or rank[other.key] == rank[kids[0].key]:
                        kids.append(other)
                if kids:
                    end = next((o.index for o in rows[i + 1:] if rank[o.key] <= level), 1 << 30)
                    result.append(Group(parent, kids, _complete(table, parent, end), parent.key))
        elif total and data:
            result.append(Group(total, data, not table.truncated, "合计"))
    return result


# ---------------------------------------------------------------- comparison

def _shape(groups):
    return [(id(g.parent), [id(c) for c in g.children], g.complete, g.level) for g in groups]


def _same(table):
    for layout in ("function", "economic", "project"):
        table.clear_views()
        assert _shape(hierarchy.groups(table, layout)) == _shape(reference_groups(table, layout)), layout


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_samples_group_as_before(sample):
    tables = list(read_workbook(sample).all_tables())
    assert tables
    for t in tables:
        _same(t)


def _random_table(rng: random.Random) -> Table:
    rows = [Row(0, RowKind.TOTAL, "合计", None)]
    markers = []
    heads = [f"{rng.randint(201, 215)}" for _ in range(3)]
    for i in range(1, rng.randint(2, 60)):
        roll = rng.random()
        if roll < 0.05:
            rows.append(Row(i, RowKind.MARKER, "……", None))
            markers.append(CellRef("s", i, 0))
            continue
        code = None
        if roll < 0.85:
            head = rng.choice(heads)
            code = head + "".join(f"{rng.randint(1, 3):02d}" for _ in range(rng.choice((0, 1, 1, 2, 2, 2))))
            if rng.random() < 0.05:
                code = code[:rng.randint(0, len(code))]  # odd lengths and empty codes
        dept = rng.choice((None, "301", "302", "30101", "30102", "30201", "3019", ""))
        gov = rng.choice((None, "501", "502", "50101", "50201"))
        key = rng.choice((None,) * 3 + PROJECT_LEVELS)
        rows.append(Row(i, RowKind.DATA, f"行{i}", None, code=code, econ_dept=dept, econ_gov=gov, key=key))
    return Table("t", "t", "s", CellRef("s", 0, 0), [], rows, missing_rows=markers)


def test_random_tables_group_as_before():
    rng = random.Random(15)
    for _ in range(1500):
        _same(_random_table(rng))
