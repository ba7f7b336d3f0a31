"""Cross-document relations on document pairs built from the samples: every planted mismatch is found on its
cell, and nothing else is an 错误."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pairs import WEIHAI, YANTAI, amount_cells, edit, split_units
from validators.archive import identity
from validators.archive.run import cross_check
from validators.engine import validate_file
from validators.model import CellRef, Severity

NARRATIVE = "情况说明"


def cross(reports):
    return [f for r in reports for f in r.findings if f.code.startswith("KW")]


def errors_by_place(findings):
    return sorted((f.code, str(f.cells[0]) if f.cells else "") for f in findings if f.severity is Severity.ERROR)


def run(paths, with_paths=()):
    reports = [validate_file(p) for p in paths]
    result = cross_check(reports, with_paths=with_paths)
    return reports, result


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pairs")


# ---------------------------------------------------------------- 2025 预算 following the 2024 one

@pytest.fixture(scope="module")
def next_year(built) -> Path:
    sg = amount_cells(YANTAI)
    moved = {"合计": 5.70, "因公出国": 0, "公务用车小计": 2.55, "公务用车购置": 0, "公务用车运行": 2.55, "公务接待": 3.15}
    values = {sg[("三公经费表", "行1", f"{k}@2023年预算数")]: v for k, v in moved.items() if ("三公经费表", "行1", f"{k}@2023年预算数") in sg}
    values[sg[("三公经费表", "行1", "公务接待@2023年预算数")]] = 4.15  # planted: last year's 3.15 copied wrong
    texts = {
        CellRef(NARRATIVE, 24, 2): "（三）增减变化情况：2025年收支预算112,250.18万元，比上年增加100.00万元，其中：",  # planted
        CellRef(NARRATIVE, 25, 2): "1. 收入预算112,250.18万元，与上年持平；其中一般公共预算收入109,910.18万元，与上年持平。",
        CellRef(NARRATIVE, 26, 2): "2. 支出预算增加0.00万元，其中基本支出增加0.00万元，项目支出增加0.00万元。",
        CellRef(NARRATIVE, 35, 2): "2025年本部门机关运行经费安排70.94万元，较2024年预算减少2.00万元。",  # planted
    }
    return edit(YANTAI, built / "yantai-2025-budget.xlsx", years=(("2024", "2025"), ("2023", "2024")), values=values, texts=texts)


def test_next_year_budget_finds_every_planted_mismatch_and_no_other_error(next_year):
    reports, result = run([next_year], with_paths=[YANTAI])
    assert errors_by_place(cross(reports)) == sorted([
        ("KW103", "一般公共预算“三公”经费支出情况表!F6"),
        ("KW104", "情况说明!C25"),
        ("KW104", "情况说明!C36"),
    ])


def test_a_cross_document_finding_names_both_documents_and_their_cells(next_year):
    reports, _ = run([next_year], with_paths=[YANTAI])
    f = next(f for f in cross(reports) if f.code == "KW103")
    assert (f.expected, f.actual) == (Decimal("3.15"), Decimal("4.15"))
    assert "yantai-2024-budget.xlsx" in f.message and "一般公共预算“三公”经费支出情况表!L6" in f.message
    assert "一般公共预算“三公”经费支出情况表!F6" in f.message
    assert f.evidence["counterpart"]["cells"] == ["一般公共预算“三公”经费支出情况表!L6"]
    change = next(f for f in cross(reports) if f.cells == [CellRef(NARRATIVE, 24, 2)])
    assert change.expected == 0 and change.actual == 100


def test_the_same_pair_in_agreement_gives_no_cross_document_error(built):
    same = edit(YANTAI, built / "yantai-2025-clean.xlsx", years=(("2024", "2025"), ("2023", "2024")), texts={
        CellRef(NARRATIVE, 24, 2): "（三）增减变化情况：2025年收支预算112,250.18万元，与上年持平。",
        CellRef(NARRATIVE, 25, 2): "1. 收入预算增加0.00万元。", CellRef(NARRATIVE, 26, 2): "2. 支出预算减少0.00万元。",
        CellRef(NARRATIVE, 35, 2): "2025年本部门机关运行经费安排70.94万元，与上年持平。"})
    sg = amount_cells(YANTAI)
    reports, _ = run([same], with_paths=[YANTAI])
    # the copy's 2024 三公 column still holds the old 2023 figures: equal here (5.70 both years), so nothing fires
    assert sg and errors_by_place(cross(reports)) == []


def test_missing_counterpart_is_one_note_per_run_not_a_finding(next_year):
    reports, result = run([next_year, next_year])
    assert cross(reports) == []
    assert all(r.count(Severity.UNVERIFIABLE) == validate_file(next_year).count(Severity.UNVERIFIABLE) for r in reports)
    notes = [n for n in result.notes if "KW103" in n]
    assert len(notes) == 1 and "2024年部门预算" in notes[0]


# ---------------------------------------------------------------- 决算 against the same year's 预算

def test_final_accounts_budget_column_against_the_published_budget(built):
    sg = amount_cells(YANTAI)
    values = {sg[("三公经费表", "行1", f"{k}@2024年预算数")]: v
              for k, v in {"合计": 2.69, "公务用车小计": 0, "公务用车运行": 0, "公务接待": 3.69}.items()}  # 3.69: planted
    budget = edit(YANTAI, built / "weihai-2024-budget.xlsx", department=("烟台市医疗保障局", "威海市医疗保障局"), values=values)
    reports, _ = run([WEIHAI, budget])
    # (this budget copy keeps another department's 一般公共预算支出表: the 决算 narrative's 年初预算数 (KW108)
    # disagree with it for real; KW108 has its own test below)
    assert errors_by_place(f for f in cross(reports) if f.code != "KW108") == [("KW101", "财政拨款“三公”经费支出决算表!F7")]
    f = next(f for f in cross(reports) if f.code == "KW101")
    assert f.expected == Decimal("3.69") and f.actual == Decimal("2.69") and "weihai-2024-budget.xlsx" in f.message


def test_final_accounts_narrative_opening_budget_against_the_published_budget(built):
    """“年初预算数为 X 万元”: the total and each “(类)(款)(项)” the paragraph (or the line before) names."""
    c = amount_cells(YANTAI)

    def line(code):
        return c[("一般公共预算支出表", f"功能:{code}", "合计")]

    values = {c[("一般公共预算支出表", "合计", "合计")]: 1466.67,  # planted: the narrative says 1,465.67
              line(2080505): 126.25, line(2101102): 45.26, line(2101103): 15.79,
              line(2101101): 20.45,  # planted: 19.45, its (项) on the line before (情况说明!C58/C59)
              line(2101501): 333.38}  # planted: 332.38
    budget = edit(YANTAI, built / "weihai-2024-budget-lines.xlsx", department=("烟台市医疗保障局", "威海市医疗保障局"), values=values)
    reports, _ = run([WEIHAI], with_paths=[budget])
    found = [f for f in cross(reports) if f.code == "KW108" and f.cells != [CellRef(NARRATIVE, 84, 2)]]  # C85: below
    assert errors_by_place(found) == [("KW108", "情况说明!C55"), ("KW108", "情况说明!C59"), ("KW108", "情况说明!C62")]
    # lines the budget does not have (the sample budget is another department's, cut short): a 提示, never an 错误
    assert {f.severity for f in found} == {Severity.ERROR, Severity.WARNING}
    assert all("没有该科目" in f.message for f in found if f.severity is Severity.WARNING)


# ---------------------------------------------------------------- 决算 against last year's 决算

def test_opening_balance_against_last_years_closing_balance(built):
    cells = amount_cells(WEIHAI)
    closing = cells[("收支决算总表", "支出:年末结转和结余", "合计")]
    last_year = edit(WEIHAI, built / "weihai-2023-final.xlsx", years=(("2023", "2022"), ("2024", "2023")), values={closing: 5.0})
    reports, _ = run([WEIHAI], with_paths=[last_year])
    found = cross(reports)
    assert [p for p in errors_by_place(found) if p[0] == "KW102"] == [("KW102", str(cells[("收支决算总表", "收入:年初结转和结余", "合计")]))]
    # the narrative's “与上年决算数一致” lines agree (both documents hold 0 there): never an 错误
    agreeing = {p.ref for p in reports[0].disclosure.narrative if "一致" in p.text or "持平" in p.text}
    assert agreeing and not [f for f in found if f.code == "KW104" and f.cells[0] in agreeing]
    # and every KW104 that fires is a real change claimed against identical figures
    assert all(f.expected == 0 and f.actual != 0 for f in found if f.code == "KW104")


# ---------------------------------------------------------------- a department and its units

@pytest.fixture(scope="module")
def units(built) -> tuple[Path, Path]:
    a, b = built / "unit-bureau.xlsx", built / "unit-centre.xlsx"
    split_units(YANTAI, a, b, "烟台市医疗保障局", "烟台市医疗保险事业中心", "烟台市医疗保障局")
    return a, b


def test_department_equals_the_sum_of_its_units_line_by_line(units):
    reports, result = run([YANTAI, *units])
    assert errors_by_place(cross(reports)) == []
    assert not [n for n in result.notes if "KW105" in n or "不全" in n]


def test_a_unit_figure_off_by_one_breaks_the_sum_on_the_department_cell(built, units):
    from validators.archive.facts import index
    from validators.reading import read_workbook

    fact = index(read_workbook(units[1]))[("项目支出表", "名称:医疗保障工作经费", "合计")]
    planted = edit(units[1], built / "unit-centre-planted.xlsx", values={fact.ref: float(fact.amount + 1)})
    reports, _ = run([YANTAI, units[0], planted])
    assert errors_by_place(cross(reports)) == [("KW105", "项目支出预算情况表!C6")]
    f = cross(reports)[0]
    assert f.difference == Decimal(-1) and any(c["source"].endswith("unit-centre-planted.xlsx") and c["cells"] == ["项目支出预算情况表!C6"]
                                              for c in f.evidence["counterparts"])


def test_with_units_missing_each_unit_must_stay_within_the_department(built, units):
    cells = amount_cells(units[1])
    basic = cells[("支出总表", "合计", "基本支出")]
    over = edit(units[1], built / "unit-centre-over.xlsx", values={basic: 2093.98 + 10})
    reports, result = run([YANTAI, over])
    # said once, on the unit (the relation is the unit's), naming the department's cell as its counterpart
    assert errors_by_place(cross(reports)) == [("KW106", "支出总体情况表!F5")]
    assert [r.source for r in reports for f in r.findings if f.code == "KW106"] == [str(over)]
    assert any("不全" in n and "烟台市医疗保障局" in n for n in result.notes)
    # the unit given only as a counterpart: said on the department's cell
    reports, _ = run([YANTAI], with_paths=[over])
    assert errors_by_place(cross(reports)) == [("KW106", "支出总体情况表!F5")]
    f = cross(reports)[0]
    assert f.evidence["counterpart"]["source"] == str(over) and f.evidence["counterpart"]["level"] == "单位"


# ---------------------------------------------------------------- identity

def test_names_normalise_across_the_ways_they_are_printed():
    assert identity.normalise("编制部门：上海市普陀区人民政府办公室（本级）") == "上海市普陀区人民政府办公室"
    assert identity.normalise("威海市医疗保障局局机关") == "威海市医疗保障局"
    assert identity.normalise(" 烟台市 医疗保障局 ") == "烟台市医疗保障局"


def test_an_ambiguous_short_name_is_reported_and_linked_to_none():
    known = {"烟台市医疗保障局", "威海市医疗保障局"}
    res = identity.resolve("医疗保障局", known)
    assert res.ambiguous and res.candidates == sorted(known) and "不唯一" not in res.describe() and "多个部门" in res.describe()
    assert identity.resolve("威海市医疗保障局", known).key == "威海市医疗保障局"
    assert identity.resolve("淄博市医疗保障局", known).how == "新部门"  # another city is another department
    assert identity.resolve("医疗保障局", {"烟台市医疗保障局"}).key == "烟台市医疗保障局"


def test_a_document_whose_short_name_fits_two_departments_is_checked_against_neither(next_year, built):
    short = edit(next_year, built / "short-name-2025.xlsx", department=("烟台市医疗保障局", "医疗保障局"))
    reports, result = run([short], with_paths=[YANTAI, WEIHAI])
    assert cross(reports) == []
    assert any("多个部门" in n and "烟台市医疗保障局" in n and "威海市医疗保障局" in n for n in result.notes)
    # with only one candidate the short name links (and says so), and the planted mismatches are found again
    reports, result = run([short], with_paths=[YANTAI])
    assert ("KW103", "一般公共预算“三公”经费支出情况表!F6") in errors_by_place(cross(reports))
    assert any("按简称关联" in n for n in result.notes)


def test_mapping_file_renames_and_aliases(tmp_path):
    m = tmp_path / "部门对照.toml"
    m.write_text('[[department]]\nname = "烟台市医疗保障局"\naliases = ["市医保局"]\n\n'
                 '[[rename]]\nold = "烟台市卫生和计划生育委员会"\nnew = "烟台市卫生健康委员会"\nyear = 2019\n', encoding="utf-8")
    mapping = identity.load_mapping(m)
    assert identity.resolve("市医保局", {"烟台市医疗保障局"}, mapping).key == "烟台市医疗保障局"
    assert identity.resolve("烟台市卫生和计划生育委员会", set(), mapping).key == "烟台市卫生健康委员会"
    bad = tmp_path / "bad.toml"
    bad.write_text("[[rename]]\nold = 1", encoding="utf-8")
    with pytest.raises(identity.MappingError, match="部门对照文件"):
        identity.load_mapping(bad)


def test_level_and_unit_list_are_read_from_the_narrative(units):
    from validators.reading import read_workbook

    dept = read_workbook(YANTAI)
    assert identity.level_of(dept) == "部门" and identity.level_of(read_workbook(units[1])) == "单位"
    assert identity.listed_units(dept).separate == ["烟台市医疗保障局", "烟台市医疗保险事业中心"]


# ---------------------------------------------------------------- the reference 部门预算 / 单位预算 pair (PDF)

REFERENCES = Path(__file__).resolve().parent.parent.parent / "shared" / "references"


def pdf_places(findings):
    """(code, sheet!address) of the 错误: a PDF's cells are PdfRefs (named by page), compared by their grid cell."""
    return sorted((f.code, CellRef.__str__(f.cells[0]) if f.cells else "") for f in findings if f.severity is Severity.ERROR)


def _reset(*disclosures):
    """Forget what was derived from the edited values; keep where the PDF's cells are (pdf_where)."""
    for d in disclosures:
        kept = {k: v for k, v in d.cache.items() if k.startswith("pdf_")}
        d.cache.clear()
        d.cache.update(kept)


def test_reference_department_and_unit_budgets_agree_and_a_planted_change_is_found():
    """上海市普陀区人民政府办公室 2025: one unit (本部; 交流服务中心 “不单列预算，并入本部”), every figure agrees."""
    pdf = pytest.importorskip("validators.reading.pdf", reason="this build has no PDF reader")
    dept_pdf = REFERENCES / "shanghai-putuo-govoffice-2025-department-budget.pdf"
    unit_pdf = REFERENCES / "shanghai-putuo-govoffice-2025-unit-budget.pdf"
    if not dept_pdf.exists() or not unit_pdf.exists():
        pytest.skip("reference PDFs not available")
    from dataclasses import replace

    from validators.archive.facts import index

    dept, unit = pdf.read_pdf_disclosure(dept_pdf), pdf.read_pdf_disclosure(unit_pdf)
    assert identity.level_of(dept) == "部门" and identity.level_of(unit) == "单位"
    units = identity.listed_units(dept)
    assert units.separate == ["上海市普陀区人民政府办公室"] and units.merged == ["上海市普陀区交流服务中心"]
    from validators.model import Report

    reports = [Report(source=str(dept_pdf), disclosure=dept), Report(source=str(unit_pdf), disclosure=unit)]
    result = cross_check(reports)
    assert cross(reports) == [] and not [n for n in result.notes if "KW105" in n or "KW106" in n]
    assert {f.code for f in cross(reports)} == set()
    # the unit's 收支总表 splits 人员/公用/项目 (the department's does not): they are checked against the
    # department's 支出总表 (KW107), here in agreement, and not line by line
    assert ("收支总表", "支出:支出总计", "人员支出") in index(unit)
    # plant: one unit figure +100.00 元 → the department's cell is reported
    key = ("支出总表", "合计", "合计")
    staff = index(unit)[("收支总表", "支出:支出总计", "人员支出")]
    # (the index holds 万元 values; the tables hold the printed 元: edit the cells themselves)
    staff_row = next(r for t in unit.all_tables() if t.kind == "收支总表" for r in t.rows
                     if any(v.ref == staff.ref for v in r.values.values()))
    staff_printed = staff_row.values["人员支出"]
    staff_row.values["人员支出"] = replace(staff_printed, amount=staff_printed.amount + 50)
    fact = index(unit)[key]
    row = next(r for t in unit.all_tables() if t.kind == key[0] for r in t.rows if any(v.ref == fact.ref for v in r.values.values()))
    total_printed = row.values[key[2]]
    row.values[key[2]] = replace(total_printed, amount=total_printed.amount + 100)
    _reset(unit, dept)
    reports = [Report(source=str(dept_pdf), disclosure=dept), Report(source=str(unit_pdf), disclosure=unit)]
    cross_check(reports)
    # the department's cell breaks the sum; the unit's (the only one) now exceeds its department
    # the unit's 人员支出 +50.00 元 breaks its 基本支出 against the department's, and the 经济分类 人员支出 total
    # (all the department's 基本支出 is 一般公共预算 here, so the two must be equal)
    assert pdf_places(cross(reports)) == sorted([("KW105", str(index(dept)[key].ref)), ("KW106", str(fact.ref)),
                                                      ("KW107", str(index(dept)[("支出总表", "合计", "基本支出")].ref)),
                                                      ("KW107", str(index(dept)[("一般公共预算基本支出表", "合计", "人员支出")].ref))])
    # per 功能分类 类: 人员支出 moved from 类201 to 类208 in the unit's 收支总表 (totals unchanged) is found on both 类
    staff_row.values["人员支出"] = staff_printed  # undo the plants above
    by_class = {r.key: r for t in unit.all_tables() if t.kind == "收支总表" for r in t.rows}
    for cls, delta in (("类201", -100), ("类208", 100)):
        moved = next(r for r in by_class.values() if r.key and r.key.endswith(cls[1:]) and r.side == "支出")
        moved.values["人员支出"] = replace(moved.values["人员支出"], amount=moved.values["人员支出"].amount + delta)
    row.values[key[2]] = total_printed
    _reset(unit, dept)
    reports = [Report(source=str(dept_pdf), disclosure=dept), Report(source=str(unit_pdf), disclosure=unit)]
    cross_check(reports)
    assert pdf_places(cross(reports)) == sorted([("KW107", str(index(dept)[("支出总表", f"功能:{c}", "基本支出")].ref)) for c in ("201", "208")])
    f = next(f for f in cross(reports) if CellRef.__str__(f.cells[0]) == str(index(dept)[("支出总表", "功能:208", "基本支出")].ref))
    assert f.difference == Decimal("-0.01")
    # both PDFs' cells are named by page, row and column, in the message and in the counterpart field
    assert "（第" in f.message and "页 " in f.message and all(c["pages"][0] for c in f.evidence["counterparts"])
    # a second unit listed by the mapping file and absent: the sums are not checked, each unit ≤ its department is
    # (the 类208 plant exceeds it; 类201, now smaller, does not)
    mapping = identity.Mapping(units={"上海市普陀区人民政府办公室": {"上海市普陀区某某中心"}})
    _reset(unit, dept)
    reports = [Report(source=str(dept_pdf), disclosure=dept), Report(source=str(unit_pdf), disclosure=unit)]
    result = cross_check(reports, mapping=mapping)
    assert pdf_places(cross(reports)) == [("KW107", str(index(dept)[("支出总表", "功能:208", "基本支出")].ref))]
    assert "不全" in cross(reports)[0].message and any("不全" in n for n in result.notes)


# ---------------------------------------------------------------- figures of last year the narrative quotes

@pytest.fixture(scope="module")
def last_final(built) -> Path:
    """烟台's “2024 决算”: the 威海 sample under 烟台's name (三公 决算数 2.69, 收支总计 2,315.94, 机关运行经费 51.1)."""
    return edit(WEIHAI, built / "yantai-2024-final.xlsx", department=("威海市医疗保障局", "烟台市医疗保障局"))


QUOTING = {
    CellRef(NARRATIVE, 24, 2): "（三）增减变化情况：2025年收支预算112,250.18万元，2024年收支执行数为2,316.94万元。",  # planted: 2,315.94
    CellRef(NARRATIVE, 25, 2): "1. 收入预算112,250.18万元，上年预算数为112,250.18万元。",  # agrees with the 2024 预算
    CellRef(NARRATIVE, 26, 2): "2. 支出预算112,250.18万元，2024年支出预算数为112,251.18万元。",  # planted: 112,250.18
    CellRef(NARRATIVE, 29, 2): "2025年通过一般公共预算财政拨款安排的“三公”经费预算共5.70万元，2024年执行数为2.69万元。",  # agrees
    CellRef(NARRATIVE, 33, 2): "3. 公务接待费3.15万元，比2024年执行数增加1.46万元。",  # planted: 3.15 − 2.69 = 0.46
    CellRef(NARRATIVE, 35, 2): "2025年本部门机关运行经费安排70.94万元，2024年预计执行数为55.10万元。",  # an estimate: 51.1 → 提示
}


@pytest.fixture(scope="module")
def quoting(built) -> Path:
    return edit(YANTAI, built / "yantai-2025-quoting.xlsx", years=(("2024", "2025"), ("2023", "2024")), texts=QUOTING)


def test_quoted_execution_and_budget_figures_are_checked_against_last_years_documents(quoting, last_final):
    reports, result = run([quoting], with_paths=[YANTAI, last_final])
    found = [f for f in cross(reports) if f.code in ("KW109", "KW110")]
    assert errors_by_place(found) == [("KW110", "情况说明!C27")]
    # a 预算's 执行数 is often preliminary: every mismatch with the 决算 is found, as 提示
    estimate = [f for f in found if f.severity is Severity.WARNING]
    assert sorted(str(f.cells[0]) for f in estimate) == ["情况说明!C25", "情况说明!C34", "情况说明!C36"]
    assert next(f for f in estimate if str(f.cells[0]) == "情况说明!C36").difference == Decimal("4.00")
    assert len(found) == 4  # the agreeing quotes (C26, C30) say nothing
    change = next(f for f in found if str(f.cells[0]) == "情况说明!C34")
    assert (change.expected, change.actual) == (Decimal("0.46"), Decimal("1.46"))
    assert change.evidence["counterpart"]["source"].endswith("yantai-2024-final.xlsx")
    assert change.evidence["counterpart"]["cells"] == ["财政拨款“三公”经费支出决算表!L7"]
    total = next(f for f in found if str(f.cells[0]) == "情况说明!C25")
    assert total.expected == Decimal("2315.94") and "yantai-2024-final.xlsx" in total.message


def test_a_change_against_last_years_execution_is_not_compared_with_last_years_budget(quoting):
    """“比2024年执行数增加” is not a “比上年” against the 2024 预算 (KW104); without the 2024 决算 it is not checked."""
    reports, result = run([quoting], with_paths=[YANTAI])
    assert not [f for f in cross(reports) if f.code in ("KW104", "KW109")]
    assert errors_by_place(f for f in cross(reports) if f.code == "KW110") == [("KW110", "情况说明!C27")]
    assert any("2024年部门决算" in n and "KW109" in n for n in result.notes)


def test_a_final_accounts_comparison_with_its_opening_budget_is_not_last_years(built):
    """“比年初预算数增加13.3万元” in a 决算 is this year's 预算, never last year's 决算 (KW104)."""
    last_year = edit(WEIHAI, built / "weihai-2023-same.xlsx", years=(("2023", "2022"), ("2024", "2023")))
    reports, _ = run([WEIHAI], with_paths=[last_year])
    c85 = CellRef(NARRATIVE, 84, 2)
    assert "比年初预算数增加13.3万元" in next(p.text for p in reports[0].disclosure.narrative if p.ref == c85)
    assert not [f for f in cross(reports) if f.cells and f.cells[0] == c85]


def test_quotes_are_read_with_their_year_basis_and_subject(quoting):
    from validators.archive.quoted import quotes
    from validators.reading import read_workbook

    got = {(str(q.statement.ref), q.form, q.year, q.basis) for q in quotes(read_workbook(quoting)) if q.basis}
    assert got == {("情况说明!C25", "amount", 2024, "执行数"), ("情况说明!C26", "amount", 2024, "预算数"),
                   ("情况说明!C27", "amount", 2024, "预算数"), ("情况说明!C30", "amount", 2024, "执行数"),
                   ("情况说明!C34", "change", 2024, "执行数"), ("情况说明!C36", "amount", 2024, "预计执行数")}


def test_a_quote_settled_by_a_counterpart_is_no_longer_unverifiable(quoting, last_final):
    """WB609 (“无法与表格数字对应，需人工核对”) on another year's figure goes once that year's document checked it."""
    def unlinked(reports):
        return sorted(str(f.cells[0]) for f in reports[0].findings if f.code == "WB609" and str(f.cells[0]) in QUOTED_CELLS)

    QUOTED_CELLS = {str(c) for c in QUOTING}
    alone = [validate_file(quoting)]
    assert unlinked(alone) == sorted(QUOTED_CELLS)
    reports, _ = run([quoting], with_paths=[YANTAI])  # the 2024 预算 settles the 预算数 quotes only
    assert unlinked(reports) == ["情况说明!C25", "情况说明!C30", "情况说明!C34", "情况说明!C36"]
    reports, _ = run([quoting], with_paths=[YANTAI, last_final])
    assert unlinked(reports) == []


def test_quoted_figures_are_checked_in_reverse_on_last_years_final_accounts(quoting, last_final):
    """The 2024 决算 validated with next year's 预算 beside it: the same mismatches, said once, on the 决算's cells."""
    forward, _ = run([quoting], with_paths=[YANTAI, last_final])
    reports, _ = run([last_final], with_paths=[quoting])
    found = [f for f in cross(reports) if f.code == "KW109"]
    assert sorted((f.severity.value, tuple(map(str, f.cells)), tuple(f.evidence["counterpart"]["cells"])) for f in found) == sorted(
        (f.severity.value, tuple(f.evidence["counterpart"]["cells"]), tuple(map(str, f.cells)))
        for f in cross(forward) if f.code == "KW109")
    assert {str(c) for f in found for c in f.cells} == {"收入支出决算总表!C36", "财政拨款“三公”经费支出决算表!L7", "情况说明!C85"}
    assert all("yantai-2025-quoting.xlsx" in f.message and "本文件" not in f.message for f in found)


def test_a_file_of_the_run_given_again_with_with_is_one_document(units):
    reports, result = run([YANTAI, *units], with_paths=[units[0], str(units[1])])
    assert errors_by_place(cross(reports)) == [] and not [n for n in result.notes if "份" in n]


def test_final_accounts_change_against_the_opening_budget_uses_the_same_years_budget(built):
    """“机关运行经费支出51.1万元，比年初预算数增加13.3万元”: 51.1 − the 预算's 机关运行经费 (the budget copy is 烟台's:
    70.94, or 50.34 without 30239 其他交通费用; the 口径 nearer the implied 37.8 is taken) — the 决算's own figure is the
    one its narrative states (its tables only bound it)."""
    budget = edit(YANTAI, built / "weihai-2024-budget-jiguan.xlsx", department=("烟台市医疗保障局", "威海市医疗保障局"))
    c85 = CellRef(NARRATIVE, 84, 2)
    reports, _ = run([WEIHAI], with_paths=[budget])
    (f,) = [f for f in cross(reports) if f.cells == [c85]]
    assert (f.code, f.severity, f.expected, f.actual) == ("KW108", Severity.ERROR, Decimal("0.76"), Decimal("13.3"))
    assert f.evidence["counterpart"]["source"].endswith("weihai-2024-budget-jiguan.xlsx")
    agreeing = edit(WEIHAI, built / "weihai-2024-final-agreeing.xlsx",
                    texts={c85: "2024年度机关运行经费支出51.1万元,比年初预算数增加0.76万元,主要原因是本年度承接工作量增加。"})
    reports, _ = run([agreeing], with_paths=[budget])
    assert not [f for f in cross(reports) if f.cells == [c85]]


def test_a_change_in_an_item_paragraph_is_not_read_as_the_total(built):
    """“（项）。年初预算数为126.25万元,支出决算数为124.44万元,比年初预算减少1.81万元”: that 项 in the 预算, found by
    its 类/款/项 names, never the 支出总计 the words “支出决算” alone would name."""
    budget = edit(YANTAI, built / "weihai-2024-budget-items.xlsx", department=("烟台市医疗保障局", "威海市医疗保障局"))
    c56 = CellRef(NARRATIVE, 55, 2)
    final = edit(WEIHAI, built / "weihai-2024-final-item-change.xlsx", texts={c56: (
        "- 1、社会保障和就业支出(类)行政事业单位养老支出(款)机关事业单位基本养老保险缴费支出(项)。"
        "年初预算数为126.25万元,支出决算数为124.44万元,比年初预算减少1.81万元。")})
    reports, _ = run([final], with_paths=[budget])
    (change,) = [f for f in cross(reports) if f.cells == [c56] and "比年初预算" in f.message]
    # the budget copy is 烟台's: that 项 is 191.17 there, so 124.44 − 191.17 = −66.73, not −1.81
    assert (change.expected, change.actual) == (Decimal("-66.73"), Decimal("-1.81")) and "191.17" in change.message
    assert change.evidence["counterpart"]["cells"] == ["一般公共预算支出情况表!E10"]
    # and the 年初预算数 of the same paragraph is said separately
    assert [f for f in cross(reports) if f.cells == [c56] and "年初预算数为126.25万元" in f.message]


def test_a_change_on_last_year_in_an_item_paragraph_compares_that_item(built):
    c56 = CellRef(NARRATIVE, 55, 2)
    text = ("- 1、社会保障和就业支出(类)行政事业单位养老支出(款)机关事业单位基本养老保险缴费支出(项)。"
            "支出决算数为124.44万元,比上年增加1.00万元。")
    final = edit(WEIHAI, built / "weihai-2024-item-vs-last-year.xlsx", texts={c56: text})
    last_year = edit(WEIHAI, built / "weihai-2023-items.xlsx", years=(("2023", "2022"), ("2024", "2023")))
    reports, _ = run([final], with_paths=[last_year])
    (f,) = [f for f in cross(reports) if f.cells == [c56]]
    item = amount_cells(last_year)[("一般公共预算支出决算表", "功能:2080505", "合计")]
    assert (f.code, f.expected, f.actual) == ("KW104", Decimal(0), Decimal("1.00"))
    assert f.evidence["counterpart"]["cells"] == [str(item)]


def test_missing_counterparts_of_a_large_batch_are_said_per_kind_not_per_file():
    """A 财政 reviewer's batch of hundreds of departments: one line per kind of missing counterpart."""
    from validators.archive.crossdoc import Notes

    few = Notes()
    few.missing[("烟台.xlsx", "2023年部门预算")] = ["KW103", "KW104"]
    assert few.lines == ["烟台.xlsx：未找到2023年部门预算，跳过 KW103、KW104"]
    many = Notes()
    for i in range(30):
        many.missing[(f"部门{i:02d}.xlsx", f" {2020 + i % 3}年部门预算")] = ["KW103", "KW104"]
    many.missing[("部门.xlsx", "所属单位的 2024年单位预算")] = ["KW105"]
    many.add("某部门：部门未能唯一识别，跳过跨文件核对")
    assert many.lines == ["30 份文件未找到对应年度部门预算，跳过 KW103、KW104（部门00.xlsx、部门01.xlsx、部门02.xlsx 等）",
                          "1 份文件未找到所属单位的对应年度单位预算，跳过 KW105（部门.xlsx）",
                          "某部门：部门未能唯一识别，跳过跨文件核对"]
