"""CZ_ worksheet functions, called as plain functions (the xlwings decorators are no-ops here)
with the argument shapes xlwings passes (ndim=2 lists of rows).  The same functions through
xlwings' own conversion (ranges, array constants, error values): test_addin_udf_conversion.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SAMPLES

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def addin_on_path(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "addin"))


@pytest.fixture
def udfs():
    import czcheck_udfs

    return czcheck_udfs


def test_sumcheck_scalar_and_envelope(udfs):
    assert udfs.CZ_SUMCHECK([[10]], [[3, 7]]) == "✓"
    assert udfs.CZ_SUMCHECK([[10.01]], [[3, 7]]) == "✓"  # 3 amounts: envelope 0.015
    assert udfs.CZ_SUMCHECK([[10.02]], [[3, 7]]) == pytest.approx(0.02)
    assert udfs.CZ_SUMCHECK([[9.9]], [[3, 7]]) == pytest.approx(-0.1)
    assert udfs.CZ_SUMCHECK([[10.01]], [[3, 7]], 0) == pytest.approx(0.01)  # explicit tolerance
    assert udfs.CZ_SUMCHECK([[None]], [[None, None]]) == "✓"
    assert udfs.CZ_SUMCHECK([["1,000.00"]], [["600", 400.0]]) == "✓"
    assert udfs.CZ_SUMCHECK([[10]], [["十元"]]).startswith("无法校验：")


def test_sumcheck_arrays_one_call_per_range(udfs):
    totals = [[10], [5], [7]]
    parts = [[3, 7], [2, 2], [7, None]]
    assert udfs.CZ_SUMCHECK(totals, parts) == [["✓"], [1], ["✓"]]
    assert udfs.CZ_SUMCHECK([[10, 5]], [[3, 2], [7, 3]]) == [["✓", "✓"]]
    assert udfs.CZ_SUMCHECK([[1], [2]], [[1]]).startswith("无法校验")


def test_sumcheck_agrees_with_the_engine_envelope():
    from decimal import Decimal

    from validators.amounts import envelope
    from validators import udf_logic

    for n_parts in (1, 2, 5):
        edge = envelope(n_parts + 1)
        parts = [1] * n_parts
        assert udf_logic.check_sum(Decimal(n_parts) + edge, parts) == "✓"
        assert udf_logic.check_sum(Decimal(n_parts) + edge + Decimal("0.001"), parts) != "✓"


def test_diff(udfs):
    assert udfs.CZ_DIFF([[5]], [[5.004]]) == "✓"
    assert udfs.CZ_DIFF([[5]], [[4]]) == 1
    assert udfs.CZ_DIFF([[1, 2], [3, 4]], [[1, 2], [3, 5]]) == [["✓", "✓"], ["✓", -1]]
    assert udfs.CZ_DIFF([[3]], [[3, 4]]) == [["✓", -1]]
    assert udfs.CZ_DIFF([[1, 2]], [[1], [2]]).startswith("无法校验")


def test_hierarchy_split_and_single_codes(udfs):
    # the yantai 一般公共预算支出表 layout: 类/款/项 columns, 款 and 项 rows leave 类 blank
    codes = [["208", None, None], [None, "05", None], [None, None, "01"], [None, None, "02"], [None, "27", None]]
    amounts = [[489.17], [224.17], [219.16], [5.01], [265.0]]
    assert udfs.CZ_HIERARCHY(codes, amounts) == [["✓"], ["✓"], [""], [""], [""]]
    amounts[2] = [200.0]
    assert udfs.CZ_HIERARCHY(codes, amounts) == [["✓"], [pytest.approx(19.16)], [""], [""], [""]]
    single = [[208.0], [20805.0], [2080501.0], [2080502.0]]
    assert udfs.CZ_HIERARCHY(single, [[10, 1], [10, 1], [4, 1], [6, 0]]) == [["✓", "✓"], ["✓", "✓"], ["", ""], ["", ""]]
    assert udfs.CZ_HIERARCHY([[201]], [[1], [2]])[0][0].startswith("无法校验")


def test_hierarchy_matches_the_engine_on_a_sample(udfs):
    """Every 类/款 break CZ_HIERARCHY reports on a sample table is a BN202/BN203 finding, and back."""
    from validators.reading import read_grids, read_workbook
    from validators.rules import run_rules

    path = SAMPLES / "yantai-2024-budget.xlsx"
    d = read_workbook(path)
    table = d.table("一般公共预算支出表")
    grid = next(g for g in read_grids(path) if g.name == table.sheet)
    rows = [r for r in table.rows if r.kind.value == "data"]
    first, last = rows[0].index, rows[-1].index
    col = table.columns[[c.key for c in table.columns].index("合计")].index
    code_cols = [c.index for c in table.columns if c.role in ("类", "款", "项")]
    codes = [[grid.rows[r][c] for c in code_cols] for r in range(first, last + 1)]
    amounts = [[grid.rows[r][col]] for r in range(first, last + 1)]
    result = udfs.CZ_HIERARCHY(codes, amounts)
    udf_breaks = {first + i for i, (v,) in enumerate(result) if v not in ("", "✓")}
    engine = {c.row for f in run_rules(d) if f.code in ("BN202", "BN203") and f.severity.value in ("错误", "无法校验")
              for c in f.cells if c.sheet == table.sheet and c.col == col}
    assert udf_breaks == engine


def test_sangong(udfs):
    row = [[5.7, None, 2.55, None, 2.55, 3.15, 5.7, None, 2.55, None, 2.55, 3.15]]
    assert udfs.CZ_SANGONG(row) == [["✓", "✓"]]
    row[0][9] = 1.0
    assert udfs.CZ_SANGONG(row) == [["✓", "公务用车差 -1.00"]]
    assert udfs.CZ_SANGONG([[6.7, 1, 2.55, 0, 2.55, 3.15]]) == "✓"
    assert udfs.CZ_SANGONG([[7, 1, 2, 0, 2, 3]]) == "合计差 1.00"
    assert udfs.CZ_SANGONG([[1, 2, 3]]).startswith("无法校验")


class Caller:
    def __init__(self, book):
        self.sheet = type("S", (), {"book": book})()


def test_rule_and_status_on_the_calling_workbook(udfs, monkeypatch):
    import addin.excel

    monkeypatch.setattr(addin.excel, "SNAPSHOT_SECONDS", -1)  # every call reads the book (the window: test_addin_udf_conversion)
    from test_addin import FakeBook
    from validators.rules import run_rules
    from validators.reading import read_workbook

    path = SAMPLES / "yantai-2024-budget.xlsx"
    book = FakeBook.from_xlsx(path)
    caller = Caller(book)
    expected = run_rules(read_workbook(path))
    counts = udfs.CZ_STATUS(caller)
    assert counts[0] == ["错误", "无法校验", "提示", "尾差"]
    assert counts[1] == [sum(1 for f in expected if f.severity.value == s) for s in counts[0]]
    assert udfs.CZ_STATUS(caller, "无法校验") == counts[1][1]
    assert udfs.CZ_STATUS(caller, "严重").startswith("未知严重程度")
    assert udfs.CZ_RULE("sz102", caller) == "✓"
    assert udfs.CZ_RULE("XX999", caller) == "未知规则 XX999"
    unverifiable = next(f.code for f in expected if f.severity.value == "无法校验")
    assert "无法校验" in udfs.CZ_RULE(unverifiable, caller)

    sheet = book.sheet("收支总体情况表")
    sheet.values[(31, 4)] += 100  # 支出总计 no longer equals 收入总计
    assert udfs.CZ_RULE("SZ102", caller) == "错误 1 项"
    from addin.excel import validate_book

    errors = sum(1 for f in validate_book(book) if f.severity.value == "错误")
    assert errors > counts[1][0]
    assert udfs.CZ_STATUS(caller, "错误") == errors
