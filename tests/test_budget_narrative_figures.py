"""Narrative figures of a 预算 resolved from the 预算's own tables, on the real 上海市普陀区 PDFs
(../shared/references): the 一般公共预算 expenditure a 预算 states, and the 机关运行经费 its 三公 table prints."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pytest

from validators.engine import validate_file
from validators.reading.pdf import read_pdf_disclosure
from validators.rules import narrative

REFS = Path(__file__).resolve().parent.parent.parent / "shared" / "references"
BUDGET = REFS / "shanghai-putuo-govoffice-2025-department-budget.pdf"
UNIT = REFS / "shanghai-putuo-govoffice-2025-unit-budget.pdf"
FINAL = REFS / "shanghai-putuo-finance-bureau-2024-final-accounts.pdf"

pytestmark = pytest.mark.skipif(not BUDGET.exists(), reason=f"reference PDFs not available at {REFS}")


@lru_cache(maxsize=None)
def disclosure(path: Path):
    return read_pdf_disclosure(path)


@lru_cache(maxsize=None)
def report(path: Path):
    return validate_file(path)


def _linked(d, subject_end: str) -> list[tuple[Decimal, narrative.Figure]]:
    sts = narrative.statements(d)
    links = narrative.linked_statements(d)
    return [(sts[i].amount_wan, fig) for i, fig in links.items() if narrative.schemas.norm(sts[i].subject).endswith(subject_end)]


@pytest.mark.parametrize("path", [BUDGET, UNIT], ids=["department", "unit"])
def test_budget_general_expenditure_quote_is_checked_against_its_own_function_table(path):
    # “财政拨款支出预算中，一般公共预算拨款支出预算9,101.68万元”: the 一般公共预算支出表 total (元)
    d = disclosure(path)
    linked = _linked(d, "一般公共预算拨款支出预算")
    assert len(linked) == 1
    stated, fig = linked[0]
    assert stated == Decimal("9101.68")
    assert fig.source == ("一般公共预算支出表", "合计")
    assert fig.amount == Decimal("9101.677535")  # 91,016,775.35 元
    quoted = [f for f in report(path).findings if f.code in ("WB601", "WB609") and "一般公共预算拨款支出预算9,101.68" in f.message]
    assert [f.severity.value for f in quoted] == ["尾差"]  # agrees; the 元 → 万元 rounding only


def test_final_accounts_still_resolve_the_quote_from_their_own_table():
    d = disclosure(FINAL)
    linked = _linked(d, "一般公共预算财政拨款支出")
    assert linked and all(fig.source == ("一般公共预算支出决算表", "合计") for _, fig in linked)
    assert {stated for stated, _ in linked} == {Decimal("2940.05")}


# ---- 机关运行经费: the 上海 三公 table prints it (role 机关运行经费), the narrative is checked against it ----

SANGONG = "2025年部门三公经费和机关运行经费预算表"
JIGUAN_PARAGRAPH = "2025年上海市普陀区人民政府办公室下属1家机关和1家事业单位财政拨款的机关运行经费预算为{}万元。"


@pytest.fixture(scope="module")
def budget_book(tmp_path_factory) -> Path:
    from validators import cli

    book = tmp_path_factory.mktemp("jiguan") / "budget.xlsx"
    assert cli.main(["import", str(BUDGET), "-o", str(book), "--force"]) == 0
    return book


def _edited(book: Path, out: Path, sheet: str, address: str, value) -> Path:
    from openpyxl import load_workbook

    wb = load_workbook(book)
    wb[sheet][address] = value
    wb.save(out)
    return out


def _jiguan_cell(book: Path) -> str:
    """The 情况说明 cell of the 机关运行经费 paragraph (found, not assumed)."""
    from openpyxl import load_workbook

    ws = load_workbook(book, read_only=True)["情况说明"]
    return next(c.coordinate for row in ws.iter_rows() for c in row
                if isinstance(c.value, str) and c.value == JIGUAN_PARAGRAPH.format("213.28"))


@pytest.mark.parametrize("path", [BUDGET, UNIT], ids=["department", "unit"])
def test_shanghai_sangong_table_gives_its_jiguan_column_a_role(path):
    t = disclosure(path).table("三公经费表")
    value = t.rows[0].values["机关运行经费"]
    assert value.raw == "213.28" and value.amount == Decimal("2132800.00")  # 万元 table, read in 元
    sts = narrative.statements(disclosure(path))
    st = next(s for s in sts if s.kind == "amount" and "机关运行经费" in s.subject)
    fig = narrative.resolve(disclosure(path), st, sts)
    assert fig.cells == [value.ref] and fig.amount == Decimal("213.28")
    jy = [(f.code, f.severity.value) for f in report(path).findings if f.code.startswith("JY")]
    # the printed 213.28 万元 and the 公用经费 total 2,132,777.54 元 agree within the rounding of 万元 (JY704)
    assert jy == [("JY704", "尾差")]


def test_jiguan_paragraph_differing_from_the_printed_column_is_an_error(budget_book, tmp_path):
    assert not [f for f in validate_file(budget_book).findings if f.code == "JY701"]
    cell = _jiguan_cell(budget_book)
    # the narrative still equals the 基本支出表 公用经费 (the 口径 used before), but not the printed column
    book = _edited(budget_book, tmp_path / "column.xlsx", SANGONG, "G6", 223.28)
    found = [f for f in validate_file(book).findings if f.code == "JY701"]
    assert [(f.severity.value, str(f.cells[0])) for f in found] == [("错误", f"情况说明!{cell}")]
    assert [str(c) for c in found[0].related_cells] == [f"{SANGONG}!G6"]
    assert found[0].expected == Decimal("223.28") and found[0].difference == Decimal("-10.00")
    # and the other way round: the narrative differs from the printed column
    book = _edited(budget_book, tmp_path / "text.xlsx", "情况说明", cell, JIGUAN_PARAGRAPH.format("213.38"))
    found = [f for f in validate_file(book).findings if f.code == "JY701"]
    assert [(f.severity.value, str(f.cells[0])) for f in found] == [("错误", f"情况说明!{cell}")]


def test_blank_jiguan_column_falls_back_to_the_basic_expenditure_table(budget_book, tmp_path):
    book = _edited(budget_book, tmp_path / "blank.xlsx", SANGONG, "G6", None)
    assert not [f for f in validate_file(book).findings if f.code == "JY701"]  # 公用经费 213.28 (口径)
    book = _edited(book, tmp_path / "blank-text.xlsx", "情况说明", _jiguan_cell(budget_book), JIGUAN_PARAGRAPH.format("313.28"))
    assert [f.severity.value for f in validate_file(book).findings if f.code == "JY701"] == ["错误"]
