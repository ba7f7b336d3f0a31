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
