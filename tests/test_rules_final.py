"""The consistent 部门决算 公开01–09 book of tests/builders_final.py: it passes, its tables read as meant.

The 决算 rules' (and the generic rules') failing books are cases on it (tests/cases/<CODE>.toml,
base = "book:final-accounts", run by tests/test_cases.py)."""

from __future__ import annotations

import pytest
from builders_final import FinalBook

from validators.engine import validate_file
from validators.model import Severity
from validators.rules import get_rule

FAMILIES = {"决算", "表内", "三公", "读取", "收支总表", "表间"}


def _mine(report) -> list:
    return [f for f in report.findings if get_rule(f.code) and get_rule(f.code).family in FAMILIES]


@pytest.fixture(scope="module")
def base_report(tmp_path_factory):
    return validate_file(FinalBook().save(tmp_path_factory.mktemp("final") / "base.xlsx"))


def test_base_final_accounts_book_passes(base_report):
    assert base_report.error is None
    d = base_report.disclosure
    assert d.profile == "final-accounts" and d.kind == "决算"
    assert len(d.tables) == 9
    assert _mine(base_report) == [], [f.message for f in _mine(base_report)]


def test_lost_amount_is_unverifiable_not_error(tmp_path):
    """A 【缺失】 cell (conversion loss) blocks its relations: 无法校验 (RD001), never 错误."""
    book = FinalBook()
    book.row("一般公共预算基本支出决算表", "办公费")["合计@2"] = "【缺失】"
    report = validate_file(book.save(tmp_path / "lost.xlsx"))
    assert not [f for f in _mine(report) if f.severity is Severity.ERROR]
    assert any(f.code == "RD001" for f in report.findings)


@pytest.mark.parametrize("title, kind", [
    ("收支总表(预算表1)", "收支总表"), ("支出总表（预算表 3）", "支出总表"), ("本年一般公共预算支出表（预算表5）", "一般公共预算支出表"),
    ("收入支出决算总表", "收支决算总表"), ("财政拨款收入支出决算总表", "财政拨款收支决算总表"),
    ("一般公共预算财政拨款基本支出决算明细表", "一般公共预算基本支出决算表"), ('财政拨款"三公"经费支出决算表', "三公经费表"),
])
def test_titles_with_table_numbers_are_recognised(title, kind):
    from validators import schemas

    assert schemas.match_title(title) == kind


def test_detect_titles_outweigh_shared_kinds():
    from validators import schemas

    kinds = {"收支总表", "收入总表", "支出总表", "三公经费表"}
    assert schemas.detect_profile(kinds).id == "shandong-budget"
    assert schemas.detect_profile({"收支决算总表", "三公经费表"}, {"收入支出决算总表"}).id == "final-accounts"


def test_lanci_and_hangci_columns_are_not_amounts(base_report):
    t = base_report.disclosure.table("收支决算总表")
    assert all("行次" not in r.values for r in t.rows)
    assert t.line("总计", "支出") is not None and t.line("年初结转和结余", "收入") is not None
    fz = base_report.disclosure.table("财政拨款收支决算总表")
    assert fz.line("年初结转和结余:一般公共预算", "收入").values["合计"].amount == 20
