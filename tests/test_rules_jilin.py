"""The consistent 吉林 预算表1–9 book of tests/builders_jilin.py: it passes, its columns, groups and levels
read as meant, rounding and unit income lines are handled.

The JL9xx rules' (and the generic rules') failing books are cases on it (tests/cases/<CODE>.toml,
base = "book:jilin-budget", run by tests/test_cases.py)."""

from __future__ import annotations

import pytest
from builders_jilin import C, P, JilinBook

from validators import schemas
from validators.engine import validate_file
from validators.hierarchy import groups
from validators.model import Severity
from validators.rules import get_rule

S, F = "收支总表", "财政拨款收支总表"
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
