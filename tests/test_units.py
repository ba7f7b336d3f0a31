"""Units: each table's declared unit is read, amounts are compared in the disclosure's unit
(converted exactly, with the rounding envelope of the printed unit), and a unit is reported once."""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from validators.engine import validate_file
from validators.model import Severity, Value, CellRef
from validators.reading import read_workbook
from validators.reading.units import convert, convert_value, declared_unit

SAMPLES = Path(__file__).resolve().parent.parent / "workbooks" / "samples"


@pytest.mark.parametrize("text, unit", [
    ("单位：万元", "万元"), ("单位:元", "元"), ("金额单位：万元", "万元"), ("单位：千元", "千元"),
    ("编制部门：上海市普陀区人民政府办公室 单位：元", "元"), ("（单位：万元）", "万元"), ("（元）", "元"),
    ("万元", "万元"), ("单 位 ： 元", "元"),
    ("部门（单位）：元宝山区财政局", None), ("单位：元宝山区财政局", None), ("合计（元）", None), ("", None), (None, None),
])
def test_declared_unit(text, unit):
    assert declared_unit(text) == unit


def test_conversion_is_exact_and_scales_the_rounding():
    assert convert(Decimal("1234.56"), "元", "万元") == Decimal("0.123456")
    assert convert(Decimal("3.6"), "万元", "元") == Decimal("36000")
    v = Value(Decimal("1234.56"), 1234.56, CellRef("s", 0, 0))
    assert convert_value(v, "元", "万元").half_ulp == Decimal("0.0000005")
    assert convert_value(v, "万元", "元").half_ulp == Decimal("50")
    assert convert_value(v, "万元", "元").amount == Decimal("12345600")


def _amount_cells(path: Path) -> dict[str, set[str]]:
    d = read_workbook(path)
    cells: dict[str, set[str]] = {}
    for t in d.all_tables():
        for row in t.rows:
            for v in row.values.values():
                if v.amount is not None:
                    cells.setdefault(v.ref.sheet, set()).add(v.ref.address)
    return cells


def _in_yuan(src: Path, out: Path, tables: set[str] | None = None, scale: bool = True, cover: bool = True,
             narrative_in_yuan: bool = False) -> Path:
    """A copy kept in 元: amounts x 10000 (unless ``scale`` is False), 单位：元 on the tables
    (all, or the sheets in ``tables``), 金额单位 元 on the cover; narrative figures restated in 元."""
    cells = _amount_cells(src)
    wb = openpyxl.load_workbook(src)
    for ws in wb.worksheets:
        if tables is not None and ws.title not in tables and ws.title != "封面":
            continue
        for row in ws.iter_rows():
            for cell in row:
                if scale and cell.coordinate in cells.get(ws.title, ()) and isinstance(cell.value, (int, float)):
                    cell.value = round(cell.value * 10000, 2)
                elif isinstance(cell.value, str) and re.search(r"单位[:：]\s*万元", cell.value):
                    cell.value = cell.value.replace("万元", "元")
                elif ws.title == "封面" and cell.value == "万元" and cover:
                    cell.value = "元"
    if narrative_in_yuan and "情况说明" in wb.sheetnames:  # every other narrative amount restated in 元
        for row in wb["情况说明"].iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and "万元" in cell.value:
                    cell.value = _restate_in_yuan(cell.value)
    wb.save(out)
    return out


def _restate_in_yuan(text: str) -> str:
    count = 0

    def sub(m: re.Match) -> str:
        nonlocal count
        count += 1
        if count % 2:
            return m.group()
        return f"{Decimal(m.group(1).replace(',', '')) * 10000:.0f}元"  # 0.01 万元 is a whole 元

    return re.sub(r"(\d[\d,]*\.\d\d)万元", sub, text)


def _keys(report):
    return sorted((f.code, f.severity.value, tuple(str(c) for c in f.cells)) for f in report.findings)


@pytest.mark.parametrize("sample", ["yantai-2024-budget.xlsx", "weihai-2024-final-accounts.xlsx"])
def test_a_book_in_yuan_throughout_gives_no_false_error(sample, tmp_path):
    src = SAMPLES / sample
    out = _in_yuan(src, tmp_path / sample, narrative_in_yuan=True)
    d = read_workbook(out)
    assert any(re.search(r"\d元", p.text) for p in d.narrative)
    assert d.unit == "元" and {t.unit for t in d.all_tables()} <= {"元", None}
    base, yuan = validate_file(src), validate_file(out)
    # a 尾差 of 0.01 万元 becomes 100.00 元 printed to the 元: a real error there, the same finding
    seen = {(f.code, tuple(str(c) for c in f.cells)) for f in base.findings}
    new = [f for f in yuan.findings if f.severity is Severity.ERROR and (f.code, tuple(str(c) for c in f.cells)) not in seen]
    assert not new, [f.message for f in new]
    # the narrative (万元) still links to the tables (元): its figures are compared after conversion
    assert [f.code for f in yuan.findings if f.code.startswith("WB")] == [f.code for f in base.findings if f.code.startswith("WB")]


def test_a_mutation_in_a_yuan_book_is_still_an_error(tmp_path):
    out = _in_yuan(SAMPLES / "yantai-2024-budget.xlsx", tmp_path / "y.xlsx")
    d = read_workbook(out)
    total = d.table("支出总表").total_row().values["合计"]
    wb = openpyxl.load_workbook(out)
    ws = wb[total.ref.sheet]
    ws[total.ref.address].value += 1  # one 元 more
    wb.save(out)
    errors = [f for f in validate_file(out).findings if f.severity is Severity.ERROR]
    assert any(str(total.ref) in [str(c) for c in f.all_cells] for f in errors)


def test_one_table_in_yuan_among_wanyuan_is_reported_once_on_its_unit_cell(tmp_path):
    src = SAMPLES / "yantai-2024-budget.xlsx"
    sheet = read_workbook(src).table("支出总表").sheet
    out = _in_yuan(src, tmp_path / "one.xlsx", tables={sheet}, cover=False)
    d = read_workbook(out)
    t = d.table("支出总表")
    assert t.unit == "元" and d.unit == "万元" and t.unit_ref != t.title_ref
    report = validate_file(out)
    wz = [f for f in report.findings if f.code == "WZ805"]
    assert len(wz) == 1 and wz[0].cells == [t.unit_ref] and wz[0].severity is Severity.ERROR
    new = [f for f in report.findings if f.code != "WZ805" and f.severity is Severity.ERROR
           and (f.code, f.severity.value, tuple(str(c) for c in f.cells)) not in _keys(validate_file(src))]
    assert not new, [f.message for f in new]  # converted: no cascade


def test_a_wrong_unit_label_is_one_finding_and_no_cascade(tmp_path):
    src = SAMPLES / "yantai-2024-budget.xlsx"
    sheet = read_workbook(src).table("支出总表").sheet
    out = _in_yuan(src, tmp_path / "label.xlsx", tables={sheet}, scale=False, cover=False)  # says 元, figures in 万元
    report = validate_file(out)
    wz = [f for f in report.findings if f.code == "WZ805"]
    assert len(wz) == 1 and "标注有误" in wz[0].message
    new = [f for f in report.findings if f.code != "WZ805" and f.severity is Severity.ERROR
           and (f.code, f.severity.value, tuple(str(c) for c in f.cells)) not in _keys(validate_file(src))]
    assert not new, [f.message for f in new]


def test_a_mixed_book_without_a_fixed_unit_converts_silently(tmp_path):
    """Shanghai prints most tables in 元 and the 三公 table in 万元: no cover fixes a unit."""
    src = SAMPLES / "yantai-2024-budget.xlsx"
    d0 = read_workbook(src)
    keep = {d0.table("三公经费表").sheet}
    others = {t.sheet for t in d0.all_tables()} - keep
    out = _in_yuan(src, tmp_path / "mixed.xlsx", tables=others, cover=False)
    wb = openpyxl.load_workbook(out)
    del wb["封面"]
    wb.save(out)
    d = read_workbook(out)
    assert d.unit == "元" and d.table("三公经费表").unit == "万元"
    sangong = d.table("三公经费表")
    v = next(v for r in sangong.data_rows() for v in r.values.values() if v.amount)
    assert v.half_ulp == Decimal("50")
    assert not [f for f in validate_file(out).findings if f.code == "WZ805"]


def _grid(title_row: list, meta: list | None):
    from validators.reading import Grid

    rows = [title_row]
    if meta is not None:
        rows.append(meta)
    rows += [
        ["科目编码", "", "", "科目名称", "合计", "基本支出", "项目支出"],
        ["类", "款", "项", "", "", "", ""],
        ["", "", "", "合计", 2315.76, 2000, 315.76],
        ["208", "", "", "社会保障和就业支出", 2315.76, 2000, 315.76],
    ]
    return Grid("支出", rows)


@pytest.mark.parametrize("title_row, meta, where", [
    (["支出总体情况表（单位：元）"], ["部门：某局"], "A1"),  # in the title itself
    (["支出总体情况表", "", "", "", "", "", "单位：元"], None, "G1"),  # elsewhere on the title row
    (["支出总体情况表"], ["编制部门：上海市普陀区人民政府办公室 单位：元"], "A2"),  # one meta cell (Shanghai)
    (["支出总体情况表"], ["部门（单位）：某局", "", "", "", "", "", "金额单位：元"], "G2"),
])
def test_the_unit_is_found_where_publishers_print_it(title_row, meta, where):
    from validators.reading import disclosure_from_grids

    t = disclosure_from_grids([_grid(title_row, meta)]).table("支出总表")
    assert t.unit == "元" and t.unit_ref.address == where
    assert [c.role for c in t.columns][:5] == ["类", "款", "项", "名称", "合计"]  # the meta line is not a header


def test_the_unit_in_a_header_note():
    from validators.reading import Grid, disclosure_from_grids

    rows = [["支出总体情况表"], ["科目编码", "", "", "科目名称", "合计", "基本支出", "金额单位：万元"],
            ["类", "款", "项", "", "", "", ""], ["", "", "", "合计", 1, 1, None]]
    t = disclosure_from_grids([Grid("支出", rows)]).table("支出总表")
    assert t.unit == "万元" and t.unit_ref.address == "G2"
