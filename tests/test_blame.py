"""Blame precisely: the side in the minority is the one marked 错误, and one slip gives one finding.

Inputs are copies of the shipped samples with one edit each (openpyxl), checked by the real engine.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
from conftest import SAMPLES

from validators.engine import validate_file
from validators.model import Severity

NARRATIVE = "情况说明"


def edited(tmp_path: Path, sample: str, edits: dict[tuple[str, str], object]) -> Path:
    """A copy of ``sample`` with ``{(sheet, cell): value}`` written."""
    out = tmp_path / sample
    shutil.copy(SAMPLES / sample, out)
    wb = openpyxl.load_workbook(out)
    for (sheet, cell), value in edits.items():
        wb[sheet][cell] = value
    wb.save(out)
    return out


def replaced(sample: str, cell: str, old: str, new: str) -> tuple[tuple[str, str], str]:
    """A 情况说明 edit: the paragraph in ``cell`` with ``old`` replaced by ``new``."""
    wb = openpyxl.load_workbook(SAMPLES / sample, read_only=True)
    text = str(wb[NARRATIVE][cell].value)
    wb.close()
    assert old in text, f"{old!r} not in {cell}"
    return (NARRATIVE, cell), text.replace(old, new, 1)


def findings_on(path: Path, sheet: str, cell: str, severity=Severity.ERROR):
    report = validate_file(path)
    assert report.error is None
    return [f for f in report.findings if f.severity is severity and any(c.sheet == sheet and c.address == cell for c in f.cells)]


def codes(findings) -> list[str]:
    return sorted(f.code for f in findings)


# ---- the minority is blamed -----------------------------------------------------------------------

def test_narrative_agreeing_with_the_other_table_is_not_blamed(tmp_path):
    # 项目支出 110,156.20 stated twice; 支出总表 says so too; only the 项目支出表 total is changed
    path = edited(tmp_path, "yantai-2024-budget.xlsx", {("项目支出预算情况表", "C5"): 110166.20})
    assert findings_on(path, NARRATIVE, "C24") == []
    assert findings_on(path, NARRATIVE, "C45") == []
    table = findings_on(path, "项目支出预算情况表", "C5")
    assert "BJ310" in codes(table)


def test_narrative_disagreeing_with_two_agreeing_tables_is_blamed(tmp_path):
    # yanbian: “公用经费 79.96 万元” against 79.86 in both 一般公共预算 tables (a real slip of the sample)
    found = findings_on(SAMPLES / "yanbian-2024-budget.xlsx", NARRATIVE, "C235")
    assert codes(found) == ["WB601"]
    assert "79.86" in found[0].message


def test_narrative_disagreeing_with_every_table_is_blamed(tmp_path):
    edit = replaced("yantai-2024-budget.xlsx", "C45", "110156.20", "110256.20")
    path = edited(tmp_path, "yantai-2024-budget.xlsx", dict([edit]))
    assert codes(findings_on(path, NARRATIVE, "C45")) == ["WB601"]


def test_tables_that_disagree_are_reported_by_the_cross_table_rule_alone(tmp_path):
    # zibo 基本支出: the narrative and the 基本支出表 say 7,196.83, the 支出总表 7,096.83: the narrative
    # is not in the minority; BJ308 reports the two tables
    edit = replaced("zibo-2024-budget.xlsx", "C34", "7,096.83", "7,196.83")
    path = edited(tmp_path, "zibo-2024-budget.xlsx", {("基本支出预算情况表", "G5"): 7196.83, edit[0]: edit[1]})
    assert [f for f in findings_on(path, NARRATIVE, "C34") if f.code == "WB601"] == []
    assert "BJ308" in codes(findings_on(path, "基本支出预算情况表", "G5"))


# ---- one slip, one finding -------------------------------------------------------------------------

def test_a_unit_slip_is_one_finding(tmp_path):
    edit = replaced("yantai-2024-budget.xlsx", "C24", "2,093.98万元", "2,093.98元")
    path = edited(tmp_path, "yantai-2024-budget.xlsx", dict([edit]))
    assert codes(findings_on(path, NARRATIVE, "C24")) == ["WB602"]


def test_a_wan_for_yuan_slip_is_one_finding(tmp_path):
    edit = replaced("yantai-2024-budget.xlsx", "C24", "2,093.98万元", "20,939,800万元")
    path = edited(tmp_path, "yantai-2024-budget.xlsx", dict([edit]))
    found = findings_on(path, NARRATIVE, "C24")
    assert codes(found) == ["WB602"] and "“元”" in found[0].message


def test_a_unit_slip_in_the_jiguan_figure_is_one_finding(tmp_path):
    # “机关运行经费安排70.94元”: WB602 only, not also JY701 “0.01 万元” nor a JY702 rate
    edit = replaced("yantai-2024-budget.xlsx", "C36", "70.94万元", "70.94元")
    path = edited(tmp_path, "yantai-2024-budget.xlsx", dict([edit]))
    assert codes(findings_on(path, NARRATIVE, "C36")) == ["WB602"]


def test_a_wrong_jiguan_figure_is_still_reported(tmp_path):
    edit = replaced("yantai-2024-budget.xlsx", "C36", "70.94万元", "80.94万元")
    path = edited(tmp_path, "yantai-2024-budget.xlsx", dict([edit]))
    assert "JY701" in codes(findings_on(path, NARRATIVE, "C36"))


def _sangong_change(tmp_path, sentence: str) -> Path:
    # zibo 三公: 公务接待 上年 6.10 (合计 24.10), 本年 8.10: an increase of 2.00, 32.79 %
    edit = replaced("zibo-2024-budget.xlsx", "C44", "与上年基本持平", sentence)
    return edited(tmp_path, "zibo-2024-budget.xlsx", {("一般公共预算“三公”经费支出情况表", "F6"): 6.10,
                                                      ("一般公共预算“三公”经费支出情况表", "A6"): 24.10, edit[0]: edit[1]})


def test_a_right_change_is_quiet(tmp_path):
    path = _sangong_change(tmp_path, "比上年增加2.00万元，增长32.79%")
    assert codes(findings_on(path, NARRATIVE, "C44")) == []


def test_a_wrong_direction_is_one_wb606_finding(tmp_path):
    path = _sangong_change(tmp_path, "比上年减少2.00万元，下降32.79%")
    found = [f for f in findings_on(path, NARRATIVE, "C44") if f.code == "WB606"]
    assert len(found) == 1 and "应为增加 2.00" in found[0].message


def test_a_wrong_rate_alone_is_blamed_on_the_rate(tmp_path):
    path = _sangong_change(tmp_path, "比上年增加2.00万元，增长35.00%")
    found = [f for f in findings_on(path, NARRATIVE, "C44") if f.code == "WB606"]
    assert len(found) == 1 and "32.79" in found[0].message


def test_a_wrong_change_amount_is_one_finding_not_wb606_and_wb607(tmp_path):
    path = _sangong_change(tmp_path, "比上年增加2.10万元，增长32.79%")
    assert codes(findings_on(path, NARRATIVE, "C44")) == ["WB606"]


# ---- three tables print the same figure ---------------------------------------------------------------------

GENERAL = ("yantai-2024-budget.xlsx", "C23", "一般公共预算收入109,910.18万元")  # 收支总表, 收入总表, 财政拨款收支总表


def _wb601_on_general_income(path: Path):
    return [f for f in findings_on(path, NARRATIVE, "C23") if f.code == "WB601" and "一般公共预算" in f.message]


def test_narrative_agreeing_with_two_of_three_tables_is_not_blamed(tmp_path):
    path = edited(tmp_path, GENERAL[0], {("收入总体情况表", "G5"): 109920.18})
    assert _wb601_on_general_income(path) == []
    assert any(c.startswith("BJ3") for c in codes(findings_on(path, "收入总体情况表", "G5")))  # the odd table


def test_narrative_siding_with_the_odd_table_is_blamed(tmp_path):
    # the narrative and 财政拨款收支总表 say 109,920.18; 收支总表 and 收入总表 109,910.18
    edit = replaced(GENERAL[0], "C23", "109,910.18", "109,920.18")
    path = edited(tmp_path, GENERAL[0], {("财政拨款收支总体情况表", "B6"): 109920.18, edit[0]: edit[1]})
    found = _wb601_on_general_income(path)
    assert len(found) == 1 and found[0].expected == Decimal("109910.18")


def test_narrative_against_all_three_tables_is_blamed(tmp_path):
    edit = replaced(GENERAL[0], "C23", "109,910.18", "109,930.18")
    path = edited(tmp_path, GENERAL[0], dict([edit]))
    assert len(_wb601_on_general_income(path)) == 1
