"""Every 决算 rule (JS5xx) has a passing and a failing workbook: the consistent 公开01–09 book built by
tests/builders_final.py passes; one targeted single-cell break per rule makes it report at its default
severity.  The generic rules that apply to the 决算 tables by their column roles are checked too."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from builders import assert_rule_fires
from builders_final import FinalBook

from validators.engine import validate_file
from validators.model import Severity
from validators.rules import get_rule

S, F = "收支决算总表", "财政拨款收支决算总表"

# rule code -> how to break the consistent book
FINAL_BREAKS: dict[str, Callable[[FinalBook], FinalBook]] = {
    "JS501": lambda b: b.bump(S, "年初结转和结余", "合计@收入"),
    "JS502": lambda b: b.bump(S, "结余分配", "合计@支出"),
    "JS503": lambda b: b.bump(S, "总计", "合计@收入"),
    "JS504": lambda b: b.bump(S, "八、其他收入", "合计@收入"),
    "JS505": lambda b: b.bump(S, "九、卫生健康支出", "合计@支出"),
    "JS506": lambda b: b.bump(F, "九、卫生健康支出", "政府性基金@支出"),
    "JS507": lambda b: b.bump(F, "二、政府性基金预算财政拨款", "合计@收入", 0) and _opening_fund(b),
    "JS508": lambda b: b.bump("政府性基金收支决算表", "合计", "年末结转和结余"),
    "JS511": lambda b: b.bump("收入决算表", "合计", "上级补助收入"),
    "JS512": lambda b: b.bump("支出决算表", "卫生健康支出", "合计"),
    "JS513": lambda b: b.bump("收入决算表", "一般行政管理事务", "合计", 5).bump("收入决算表", "一般行政管理事务", "其他收入", 5)
    .bump("收入决算表", "医疗保障管理事务", "合计", 5).bump("收入决算表", "医疗保障管理事务", "其他收入", 5)
    .bump("收入决算表", "卫生健康支出", "合计", 5).bump("收入决算表", "卫生健康支出", "其他收入", 5),
    "JS514": lambda b: b.bump("支出决算表", "行政运行", "经营支出"),
    "JS515": lambda b: b.bump("一般公共预算支出决算表", "卫生健康支出", "合计"),
    "JS516": lambda b: b.bump(F, "一、一般公共预算财政拨款", "合计@收入"),
    "JS521": lambda b: b.bump("一般公共预算基本支出决算表", "人员经费合计", "合计@1"),
    "JS522": lambda b: b.bump("一般公共预算基本支出决算表", "办公费", "合计@2"),
    "JS523": lambda b: b.bump("一般公共预算支出决算表", "合计", "基本支出"),
}
# generic rules that reach the 决算 tables through their column roles
GENERIC_BREAKS: dict[str, Callable[[FinalBook], FinalBook]] = {
    "BN201": lambda b: b.bump("支出决算表", "合计", "基本支出"),
    "BN202": lambda b: b.bump("收入决算表", "卫生健康支出", "其他收入"),
    "BN203": lambda b: b.bump("一般公共预算支出决算表", "医疗保障管理事务", "项目支出"),
    "BN211": lambda b: b.bump("一般公共预算支出决算表", "行政运行", "项目支出"),
    "BN214": lambda b: b.bump("收入决算表", "行政运行", "事业收入"),
    "SG401": lambda b: _sangong(b, "公务接待@决算数"),
    "SG402": lambda b: _sangong(b, "公务用车运行@预算数"),
}
FAMILIES = {"决算", "表内", "三公", "读取", "收支总表", "表间"}


def _opening_fund(b: FinalBook) -> FinalBook:
    rows = [r for r in b.rows[F] if r.get("名称@收入") == "政府性基金预算财政拨款"]
    rows[-1]["合计@收入"] = 10  # the 年初 sub-line, not the 本年收入 line
    return b


def _sangong(b: FinalBook, key: str) -> FinalBook:
    b.rows["三公经费表"][0][key] += 10
    return b


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


@pytest.mark.parametrize("code", sorted(FINAL_BREAKS) + sorted(GENERIC_BREAKS))
def test_rule_fails_on_its_broken_final_book(code, tmp_path: Path):
    breaker = FINAL_BREAKS.get(code) or GENERIC_BREAKS[code]
    report = validate_file(breaker(FinalBook()).save(tmp_path / f"{code}.xlsx"))
    assert_rule_fires(report, code, _mine(report), difference_always=True)


def test_js_rules_are_all_covered():
    from validators.rules import all_rules

    assert {r.code for r in all_rules() if r.family == "决算"} == {c for c in FINAL_BREAKS if get_rule(c).code == c}


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
