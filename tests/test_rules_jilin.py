"""Every 吉林 rule (JL9xx) has a passing and a failing workbook: the consistent 预算表1–9 book built by
tests/builders_jilin.py passes; one targeted single-cell break per rule makes it report at its default
severity.  The generic rules that read the 吉林 tables column by column are checked on it too."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from builders import assert_rule_fires
from builders_jilin import C, P, JilinBook

from validators import schemas
from validators.engine import validate_file
from validators.hierarchy import groups
from validators.model import Severity
from validators.rules import all_rules, get_rule

S, F = "收支总表", "财政拨款收支总表"


def _lose_code(b: JilinBook) -> JilinBook:
    b.row("一般公共预算支出表", "行政运行")["科目编码"] = None  # a 项 code lost in conversion
    return b


# rule code -> how to break the consistent book
JILIN_BREAKS: dict[str, Callable[[JilinBook], JilinBook]] = {
    "JL901": lambda b: b.bump(F, "十、卫生健康支出", f"{C}@支出"),
    "JL902": lambda b: b.bump("支出总表", "卫生健康支出", "合计"),
    "JL903": lambda b: b.bump("收入总表", "测试中心", "一般公共预算@上年结转结余"),
    "JL904": lambda b: b.bump("项目支出表", "宣传经费", "合计"),
    "JL905": lambda b: b.bump("一般公共预算支出表", "卫生健康支出", "合计"),
    "JL906": _lose_code,
}
# generic rules that now read the 编制预算 | 上年结转 columns one by one, and the project levels
GENERIC_BREAKS: dict[str, Callable[[JilinBook], JilinBook]] = {
    "SZ101": lambda b: b.bump(S, "本年收入合计", f"{C}@收入"),
    "SZ103": lambda b: b.bump(S, "本年收入合计", f"{P}@收入"),
    "SZ104": lambda b: b.bump(S, "一、财政拨款收入", f"{C}@收入"),
    "SZ106": lambda b: b.bump(S, "十、卫生健康支出", f"{C}@支出"),
    "SZ107": lambda b: b.bump(F, "支出总计", f"{C}@支出"),
    "BN206": lambda b: b.bump("项目支出表", "运行经费", "一般公共预算@财政拨款结转").bump("项目支出表", "运行经费", "合计"),
}
FAMILIES = {"表内", "表间", "收支总表", "三公", "读取"}


def _mine(report) -> list:
    return [f for f in report.findings if f.code.startswith("JL") or (get_rule(f.code) and get_rule(f.code).family in FAMILIES)]


@pytest.fixture(scope="module")
def base_report(tmp_path_factory):
    return validate_file(JilinBook().save(tmp_path_factory.mktemp("jilin") / "base.xlsx"))


def test_base_jilin_book_passes(base_report):
    assert base_report.error is None
    d = base_report.disclosure
    assert d.profile == "jilin-budget" and d.kind == "预算"
    assert len(d.tables) == 10
    assert _mine(base_report) == [], [f.message for f in _mine(base_report)]


@pytest.mark.parametrize("code", sorted(JILIN_BREAKS) + sorted(GENERIC_BREAKS))
def test_rule_fails_on_its_broken_jilin_book(code, tmp_path: Path):
    breaker = JILIN_BREAKS.get(code) or GENERIC_BREAKS[code]
    report = validate_file(breaker(JilinBook()).save(tmp_path / f"{code}.xlsx"))
    assert_rule_fires(report, code, _mine(report), difference_always=False)


def test_jl_rules_are_all_covered():
    assert {r.code for r in all_rules() if r.code.startswith("JL")} == set(JILIN_BREAKS)


def test_rounding_difference_between_summary_tables_is_rounding_with_both_cells(tmp_path):
    book = JilinBook().bump(F, "十、卫生健康支出", f"{C}@支出", -0.01)
    report = validate_file(book.save(tmp_path / "r.xlsx"))
    found = [f for f in report.findings if f.code == "JL901"]
    assert [f.severity for f in found] == [Severity.ROUNDING]
    assert len(found[0].all_cells) == 2 and {c.sheet for c in found[0].all_cells} == {"收支总表(预算表1)", "财政拨款收支总表(预算表4)"}


def test_columns_groups_and_levels_are_read(base_report):
    d = base_report.disclosure
    s = d.table(S)
    assert s.line("收入总计", "收入").values[P].amount == 430 and s.line("收入总计", "收入").values[C].amount == 20
    fz = d.table(F)
    assert fz.line("本年收入合计", "收入") is not None and fz.line("上年结转:一般公共预算", "收入") is not None
    inc = d.table("收入总表")
    assert "一般公共预算@上年结转结余" in inc.keys() and "一般公共预算@当年预算" in inc.keys()
    assert all("单位代码" not in r.values for r in inc.rows)  # the unit code is never an amount
    assert [r.key for r in inc.data_rows()] == ["单位:900", "单位:900001", "单位:900002"]
    econ = d.table("一般公共预算基本支出表")
    assert [r.econ_dept for r in econ.data_rows()] == ["301", "30101", "30108", "302", "30201", "30217"]
    proj = d.table("项目支出表")
    assert [r.key for r in proj.data_rows()] == ["项目类型", "一级项目", "二级项目", "二级项目"]
    levels = {g.level: len(g.children) for g in groups(proj, "project")}
    assert levels == {"合计": 1, "项目类型": 1, "一级项目": 2}  # no amount counted twice


def test_jilin_titles_pick_the_jilin_profile_and_kinds_alone_keep_shandong():
    titles = {"收支总表(预算表1)", "收入总表(预算表2)"}
    kinds = {schemas.match_title(t) for t in titles}
    assert schemas.detect_profile(kinds, titles).id == "jilin-budget"
    assert schemas.detect_profile({"收支总表", "收入总表", "支出总表", "三公经费表"}).id == "shandong-budget"


def test_unit_income_lines_inside_current_year_income_are_not_counted_twice(tmp_path):
    """吉林 prints 上级补助收入 above 本年收入合计 (a part of it), 山东 below it (added to 收入总计)."""
    book = JilinBook()
    for label in ("上级补助收入", "本年收入合计", "收入总计"):
        book.bump(S, label, f"{P}@收入", 5)
    report = validate_file(book.save(tmp_path / "u.xlsx"))
    assert not [f for f in report.findings if f.code in ("SZ103", "SZ105")], [f.message for f in report.findings if f.code in ("SZ103", "SZ105")]
    assert [f.code for f in report.findings if f.code == "SZ101"]  # income now exceeds expenditure
