"""The 绩效 part: target tables and 绩效 paragraphs checked against the tables and each other.

Every check has a failing case (a real mistake of a seed, carried by its sample, or one edit of a
sample) and a passing one.  Inputs are the shipped samples or copies edited with openpyxl.
"""

from __future__ import annotations

from decimal import Decimal

from conftest import SAMPLES
from test_blame import NARRATIVE, codes, edited, findings_on, replaced

from validators.engine import validate_file
from validators.model import Severity
from validators.performance import read_part
from validators.reading import read_workbook

YANBIAN, YANTAI, YANTAI_2019, WEIHAI, ZIBO = (
    "yanbian-2024-budget.xlsx", "yantai-2024-budget.xlsx", "yantai-2019-final-accounts.xlsx",
    "weihai-2024-final-accounts.xlsx", "zibo-2024-budget.xlsx")


def sample(name: str):
    return SAMPLES / name


def edit(tmp_path, name: str, *changes: tuple[str, str, str]):
    """A copy of sample ``name`` with each (cell, old, new) replacement made in its 情况说明."""
    edits = {}
    for cell, old, new in changes:
        key, text = replaced(name, cell, old, new)
        edits[key] = text
    return edited(tmp_path, name, edits)


# ---- reading -----------------------------------------------------------------------------------------------

def test_target_tables_are_read_with_their_funds():
    part = read_part(read_workbook(sample(YANTAI)))
    names = [t.name for t in part.targets]
    assert len(part.targets) == 12 and "医疗保障工作经费" in names
    first = next(t for t in part.targets if t.name == "医疗保障工作经费")
    assert (first.total.value, first.fiscal.value, first.other.value) == (452, 452, 0)


def test_indicator_values_are_not_read_as_amounts():
    # “≤64. 5万元”, “≥1000万元”, “≥85%”, “≥30家”, dates: none becomes a target amount or a claim
    part = read_part(read_workbook(sample(YANTAI)))
    amounts = {t.total.value for t in part.targets} | {c.amount.value for c in part.totals}
    assert not amounts & {Decimal("64.5"), 15, 85, 30}
    report = validate_file(sample(YANTAI))
    rows = {"C77", "C79", "C82", "C98", "C113", "C136"}  # indicator rows
    assert not [f for f in report.findings if any(c.sheet == NARRATIVE and c.address in rows for c in f.cells)]


def test_self_evaluation_tables_are_read_from_the_appendix():
    part = read_part(read_workbook(sample(YANTAI_2019)))
    assert sorted(e.budget.value for e in part.evaluations) == [350, Decimal("1807.5"), 5515]


def test_paragraph_claims_counts_names_and_grades():
    part = read_part(read_workbook(sample(WEIHAI)))
    first = part.totals[0]
    assert (first.count, first.amount.value, first.share) == (10, Decimal("16475.38"), 100)
    assert part.grades[0].total == 12 and part.grades[0].grades == {"优": 12, "良": 0, "中": 0, "差": 0}
    assert len(part.listed) == 7  # the item whose figures continue in the next paragraph included


# ---- WB602: a 绩效 table in 元 under a 万元 header, once per table ---------------------------------------------

def test_unit_slip_in_a_target_table_is_reported_once_on_its_total():
    # seed 001 (延边): “项目资金（万元）| 年度资金总额 | 50000.00” for a project of 5.00 万元
    found = findings_on(sample(YANBIAN), NARRATIVE, "C71")
    assert codes(found) == ["WB602"] and "一万倍" in found[0].message
    assert findings_on(sample(YANBIAN), NARRATIVE, "C72") == []  # the 财政拨款 row is the same slip
    report = validate_file(sample(YANBIAN))
    assert len([f for f in report.findings if f.code == "WB602" and "绩效目标表" in f.message]) == 5


def test_target_table_in_wan_is_quiet(tmp_path):
    path = edit(tmp_path, YANBIAN, ("C71", "50000.00", "5.00"), ("C72", "50000.00", "5.00"))
    assert findings_on(path, NARRATIVE, "C71") == []


# ---- WB601: a target table against the project table ------------------------------------------------------------

def test_target_table_disagreeing_with_the_project_table(tmp_path):
    path = edit(tmp_path, YANTAI, ("C72", "452. 00", "462. 00"), ("C73", "452. 00", "462. 00"))
    found = findings_on(path, NARRATIVE, "C72")
    assert codes(found) == ["WB601"] and "462.00" in found[0].message


def test_target_table_agreeing_with_the_project_table():
    assert findings_on(sample(YANTAI), NARRATIVE, "C72") == []


# ---- WB604: 年度资金总额 = 财政拨款 + 其他资金 --------------------------------------------------------------------

def test_target_funds_that_do_not_add_up(tmp_path):
    path = edit(tmp_path, YANTAI, ("C73", "452. 00", "442. 00"))
    found = findings_on(path, NARRATIVE, "C72")
    assert codes(found) == ["WB604"] and "442.00" in found[0].message


def test_target_funds_that_add_up(tmp_path):
    path = edit(tmp_path, YANTAI, ("C73", "452. 00", "442. 00"), ("C74", "0. 00", "10. 00"))
    assert findings_on(path, NARRATIVE, "C72") == []


# ---- WB601: a paragraph's total for N projects against the amounts listed ----------------------------------

def test_seed_paragraph_totals_differ_from_the_listed_projects():
    # seed 003 (烟台 2019 决算): 7752.50 and 7782.50 for three projects whose 自评表 sum to 7672.50
    for cell, stated in (("C86", "7752.50"), ("C87", "7782.50")):
        found = [f for f in findings_on(sample(YANTAI_2019), NARRATIVE, cell) if f.code == "WB601"]
        assert len(found) == 1 and stated in found[0].message and "7,672.50" in found[0].message


def test_paragraph_totals_agreeing_with_the_listed_projects(tmp_path):
    path = edit(tmp_path, YANTAI_2019, ("C86", "7752.50", "7672.50"), ("C87", "7782.50", "7672.50"))
    assert [f for f in findings_on(path, NARRATIVE, "C86") + findings_on(path, NARRATIVE, "C87") if f.code in ("WB601", "WB603")] == []


def test_named_projects_total_against_the_project_table(tmp_path):
    assert findings_on(sample(YANTAI), NARRATIVE, "C45") == []  # 1,000.00 + 1,605.00 = 2,605.00
    path = edit(tmp_path, YANTAI, ("C45", "2605.00万元，其中", "2705.00万元，其中"))
    found = findings_on(path, NARRATIVE, "C45")
    assert codes(found) == ["WB601"] and found[0].expected == 2605


def test_target_tables_total_reads_unit_slips_as_meant(tmp_path):
    # 延边: “10 个二级项目…涉及金额 416.57 万元” = the ten target tables, five of them in 元
    assert findings_on(sample(YANBIAN), NARRATIVE, "C257") == []
    path = edit(tmp_path, YANBIAN, ("C257", "416.57", "426.57"))
    assert codes(findings_on(path, NARRATIVE, "C257")) == ["WB601"]


# ---- WB603: the same total stated twice --------------------------------------------------------------------------

def _without_appendix(tmp_path, *changes):
    # the 自评表 removed, nothing settles which total is right
    blank = [(cell, old, "（略）") for cell, old in (("C148", "年度资金总额"), ("C181", "年度资金总额"), ("C195", "年度资金总额"))]
    return edit(tmp_path, YANTAI_2019, *blank, *changes)


def test_two_totals_for_the_same_projects(tmp_path):
    found = [f for f in findings_on(_without_appendix(tmp_path), NARRATIVE, "C87") if f.code.startswith("WB")]
    assert codes(found) == ["WB603"] and "7,752.50" in found[0].message


def test_the_same_total_stated_twice_alike(tmp_path):
    path = _without_appendix(tmp_path, ("C87", "7782.50", "7752.50"))
    assert [f for f in findings_on(path, NARRATIVE, "C87") if f.code.startswith("WB")] == []


# ---- WB604: listed projects against the count and total; grade counts -------------------------------------------

def test_seed_count_and_total_that_cannot_be_reconciled():
    # seed 002 (威海): 10 projects for 16,475.38 万元, yet seven of them listed one by one sum to 16,528.34,
    # and the 16,475.38 is said to be 100% of 项目支出 while the tables print 870.85
    found = findings_on(sample(WEIHAI), NARRATIVE, "C93")
    assert codes(found) == ["WB604"] and "16,528.34" in found[0].message
    shares = findings_on(sample(WEIHAI), NARRATIVE, "C93", Severity.WARNING)
    assert codes(shares) == ["WB605"] and "870.85" in shares[0].message


def test_listed_projects_within_the_total(tmp_path):
    path = edit(tmp_path, WEIHAI, ("C93", "16475.38", "16528.34"))
    assert findings_on(path, NARRATIVE, "C93") == []


def test_grade_counts_that_add_up():
    assert findings_on(sample(WEIHAI), NARRATIVE, "C95") == []


def test_grade_counts_that_do_not_add_up(tmp_path):
    path = edit(tmp_path, WEIHAI, ("C95", "0个项目自评等级为良", "1个项目自评等级为良"))
    found = findings_on(path, NARRATIVE, "C95")
    assert codes(found) == ["WB604"] and found[0].actual == 13


# ---- WB605: “占…项目支出总额的 X%” -----------------------------------------------------------------------------

def test_budget_share_of_project_expenditure(tmp_path):
    right = edit(tmp_path, YANTAI, ("C45", "2605.00万元，其中", "2605.00万元，占项目支出总额的2.36%，其中"))
    assert findings_on(right, NARRATIVE, "C45") == []
    (tmp_path / "wrong").mkdir()
    wrong = edit(tmp_path / "wrong", YANTAI, ("C45", "2605.00万元，其中", "2605.00万元，占项目支出总额的3.36%，其中"))
    found = findings_on(wrong, NARRATIVE, "C45")
    assert codes(found) == ["WB605"] and found[0].expected == Decimal("2.36")  # once, not by two rules


def test_budget_share_of_all_projects(tmp_path):
    # 延边: the ten target tables' 416.57 万元 are not all of 项目支出 (507.67 in the tables)
    wrong = edit(tmp_path, YANBIAN, ("C257", "416.57 万元。", "416.57 万元，占项目支出总额的100%。"))
    assert codes(findings_on(wrong, NARRATIVE, "C257")) == ["WB605"]
    (tmp_path / "right").mkdir()
    right = edit(tmp_path / "right", YANBIAN, ("C257", "416.57 万元。", "416.57 万元，占项目支出总额的82.05%。"))
    assert findings_on(right, NARRATIVE, "C257") == []


def test_final_accounts_share_is_a_warning():
    # seed 003: 7,752.50 万元 “占部门预算项目支出总额的 100%” against 项目支出 463.33 in the 决算 tables
    found = findings_on(sample(YANTAI_2019), NARRATIVE, "C86", Severity.WARNING)
    assert codes(found) == ["WB605"]


# ---- WZ804: template instructions left in the text ---------------------------------------------------------------

def test_template_instruction_left_in_the_text():
    found = findings_on(sample(WEIHAI), NARRATIVE, "C92", Severity.WARNING)
    assert codes(found) == ["WZ804"]


def test_no_template_instruction():
    report = validate_file(sample(YANTAI))
    assert not [f for f in report.findings if f.code == "WZ804"]


# ---- WB609: what cannot be linked, listed once ---------------------------------------------------------------------

def test_unlinked_paragraph_listed_once():
    # 威海 C109: a 转移支付 project's 40065 万元, in no table and in no list
    found = findings_on(sample(WEIHAI), NARRATIVE, "C109", Severity.UNVERIFIABLE)
    assert codes(found) == ["WB609"]
    listed = findings_on(sample(WEIHAI), NARRATIVE, "C98", Severity.UNVERIFIABLE)
    assert listed == []  # a listed project is linked to the total it belongs to


def test_target_table_without_a_project_of_its_name(tmp_path):
    found = findings_on(sample(YANTAI), NARRATIVE, "C206", Severity.UNVERIFIABLE)
    assert codes(found) == ["WB609"]  # “医保服务管理费” vs “医保服务管理经费” in the project table
    path = edit(tmp_path, YANTAI, ("C206", "医保服务管理费", "医保服务管理经费"))
    assert findings_on(path, NARRATIVE, "C206", Severity.UNVERIFIABLE) == []


# ---- 专项资金 tables and project counts ----------------------------------------------------------------------------

def test_special_fund_against_the_projects_of_its_tasks(tmp_path):
    # 淄博 “其他运转类项目” 94 万元 = its twelve 主要政策任务 “2024年医疗保障工作经费” in the project table
    assert findings_on(sample(ZIBO), NARRATIVE, "C60") == []
    assert findings_on(sample(ZIBO), NARRATIVE, "C58", Severity.UNVERIFIABLE) == []
    path = edit(tmp_path, ZIBO, ("C60", "| 94", "| 95"))
    found = findings_on(path, NARRATIVE, "C60")
    assert codes(found) == ["WB601"] and found[0].expected == 94


def test_project_count_against_the_project_table(tmp_path):
    assert findings_on(sample(ZIBO), NARRATIVE, "C55", Severity.WARNING) == []  # 13 projects, 13 rows
    path = edit(tmp_path, ZIBO, ("C55", "项目支出13个", "项目支出14个"))
    found = findings_on(path, NARRATIVE, "C55", Severity.WARNING)
    assert codes(found) == ["WB604"] and found[0].expected == 13
