"""Table data read lazily: a reader's Row builds its Values when first read (``Row.lazy``), and the rules'
exact fast pass, RD001/WZ801 and the file status read the sheet's cells instead (reading/tables.py:
``AmountNumbers``, ``odd_rows``, ``any_amount``).  Each must answer as the Values do, on the samples and on
samples whose cells were changed in the sheet before reading (so that the Rows stay unbuilt): off by a cent
or by 1.00, three decimals, negative, blank, text, an amount written as text, not a number, a bool, huge.
"""

from __future__ import annotations

import pickle
import random
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from validators.model import CellRef, Row, Value
from validators.reading import disclosure_from_grids, read_grids
from validators.reading.tables import AmountNumbers, any_amount, any_value, odd_rows
from validators.rules import run_rules
from validators.rules.relations import Recorder, _amount_keys

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "workbooks" / "samples").glob("*.xlsx"))


def _changed_grids(path: Path, seed: int, count: int = 40):
    """The sample's grids with ``count`` amount cells changed in the sheet, in every way a cell can be."""
    grids = read_grids(path)
    d = disclosure_from_grids(grids, source=str(path))
    cells = sorted({v.ref for t in d.all_tables() for r in t.rows for v in r.values.values() if v.amount is not None},
                   key=lambda c: (c.sheet, c.row, c.col))
    by_name = {g.name: g for g in grids}
    rng = random.Random(seed)
    for ref in rng.sample(cells, min(count, len(cells))):
        row = by_name[ref.sheet].rows[ref.row]
        old = row[ref.col]
        x = float(old) if isinstance(old, (int, float)) else 1234.5
        row[ref.col] = rng.choice([
            round(x + 0.01, 2), round(x + 1, 2), round(x + 0.004, 3), -x, "", "一百", f"{x:,.2f}", float("nan"),
            True, int(x), 1e14 + 0.5, 0.0, -0.0, round(x * 3, 6),
        ])
    return grids


def _fresh(grids, path: Path):
    return disclosure_from_grids(grids, source=str(path))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_a_run_reading_cells_finds_what_the_recorded_run_finds(path: Path):
    for seed in (1, 2):
        grids = _changed_grids(path, seed)
        fast = run_rules(_fresh(grids, path))
        plain = run_rules(_fresh(grids, path), recorder=Recorder())
        assert [f.to_dict() for f in fast] == [f.to_dict() for f in plain]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_amount_numbers_are_the_values_hundredths(path: Path):
    grids = _changed_grids(path, 3)
    d = _fresh(grids, path)
    for t in d.all_tables():
        numbers = AmountNumbers(t.rows)
        columns = {key: numbers.column(key) for key in dict.fromkeys(_amount_keys(t))}  # read before any Value is built
        for key, column in columns.items():
            for row, n in zip(t.rows, column):
                v = row.values.get(key)
                if v is None or v.problem:
                    continue  # an unreadable cell: a check with it says nothing, whatever the number
                if isinstance(n, Decimal) and n.is_nan():  # too long to add exactly: equal to nothing, to judge
                    assert abs(v.number) >= Decimal("1e13") or v.number.as_tuple().exponent < -8, v
                    continue
                assert n == v.number * 100, (t.kind, row.index, key, v.raw, n)
        # once the Values are built (and may be changed), they are what counts
        for key, column in columns.items():
            assert AmountNumbers(t.rows).column(key) == column
        if t.rows and t.rows[0].values:
            key = next(iter(t.rows[0].values))
            t.rows[0].values[key] = Value(Decimal("7.125"), 7.125, t.rows[0].values[key].ref)
            assert AmountNumbers(t.rows).column(key)[0] == Decimal("712.5")


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_amount_numbers_read_rows_of_every_length(path: Path):
    """Sheet rows cut short (a row ends before the table's last columns) are read as blank there."""
    grids = _changed_grids(path, 5)
    rng = random.Random(5)
    for g in grids:
        for row in g.rows:
            if len(row) > 2 and rng.random() < 0.3:
                del row[rng.randrange(1, len(row)):]
    d = _fresh(grids, path)
    for t in d.all_tables():
        numbers = AmountNumbers(t.rows, {None: 0, "": 0})
        columns = {key: numbers.column(key) for key in dict.fromkeys(_amount_keys(t))}
        for key, column in columns.items():
            for row, n in zip(t.rows, column):
                v = row.values.get(key)
                if v is None or v.problem or (isinstance(n, Decimal) and n.is_nan()):
                    continue
                assert n == v.number * 100, (t.kind, row.index, key, v.raw, n)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_odd_rows_and_any_amount_answer_as_the_values(path: Path):
    d = _fresh(_changed_grids(path, 4, count=80), path)
    for t in d.all_tables():
        odd = {id(r) for r in odd_rows(t.rows)}
        found = any_amount(t.rows)
        some = any_value(t.rows)
        for r in t.rows:
            if any(v.problem or v.number < 0 for v in r.values.values()):
                assert id(r) in odd, (t.kind, r.index)
        assert found == any(v.amount is not None for r in t.rows for v in r.values.values())
        assert some == any(not v.blank for r in t.rows for v in r.values.values())


@pytest.mark.parametrize("fill", [" ", "", "\u3000", "无", float("nan"), 0.0], ids=repr)
def test_any_value_answers_as_the_values_when_every_amount_cell_holds_the_same(fill):
    path = SAMPLES[0]
    grids = read_grids(path)
    by_name = {g.name: g for g in grids}
    for t in _fresh(grids, path).all_tables():
        for r in t.rows:
            for v in r.values.values():
                by_name[v.ref.sheet].rows[v.ref.row][v.ref.col] = fill
    for t in _fresh(grids, path).all_tables():
        assert any_value(t.rows) == any(not v.blank for r in t.rows for v in r.values.values()), t.kind


def _eager(row: Row) -> Row:
    """The same row made by hand, its values and label cell given."""
    return Row(row.index, row.kind, row.label, row.label_ref, dict(row.values), row.side, row.key, row.code,
               row.econ_dept, row.econ_gov)


def test_a_reader_row_builds_its_values_when_first_read_and_behaves_as_a_row():
    path = SAMPLES[0]
    d = _fresh(read_grids(path), path)
    rows = [r for t in d.all_tables() for r in t.rows if "_cells" in r.__dict__]
    assert rows and all("values" not in r.__dict__ for r in rows)
    row = rows[len(rows) // 2]
    eager = _eager(row)
    assert "values" in row.__dict__ and row == eager and row.values is row.values
    again = pickle.loads(pickle.dumps(rows[0]))
    assert again == rows[0] and "_cells" not in again.__dict__
    assert replace(rows[1], label="x").values == rows[1].values
    rows[2].values = {}
    assert rows[2].values == {} and AmountNumbers([rows[2]]).column("合计") == [0]
    with pytest.raises(AttributeError):
        Row.values  # noqa: B018  (the class has no default: a Row made by hand always has its own)
    with pytest.raises(AttributeError):
        Value.ref  # noqa: B018
    with pytest.raises(AttributeError):
        Row.label_ref  # noqa: B018


def test_a_reader_row_builds_its_label_cell_when_first_read():
    path = SAMPLES[0]
    d = _fresh(read_grids(path), path)
    rows = [r for t in d.all_tables() for r in t.rows if "_label_at" in r.__dict__]
    assert rows and all("label_ref" not in r.__dict__ for r in rows)
    row = rows[len(rows) // 2]
    assert row.label_ref == CellRef(*row.__dict__["_label_at"]) and row.label_ref is row.label_ref
    eager = _eager(row)
    assert rows[0] == replace(rows[0]) and row == eager
    again = pickle.loads(pickle.dumps(rows[1]))
    assert again == rows[1] and "_label_at" not in again.__dict__ and again.label_ref == rows[1].label_ref
    rows[2].label_ref = None
    assert rows[2].label_ref is None
