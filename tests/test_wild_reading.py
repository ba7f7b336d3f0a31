"""What reviewers also expect from books made in the wild: a cover left as the template, negative
amounts in a budget, rows hidden inside a table, a blank 合计 called 空白, and templates and filled
books that print on one page width with amounts as #,##0.00."""

from __future__ import annotations

import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from builders import Book

from validators.engine import validate_file
from validators.model import Severity
from validators.reading import read_workbook
from validators.reading.grid import read_grids
from validators.report import render_text

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "workbooks" / "samples"
TEMPLATES = ROOT / "workbooks" / "templates"


def _codes(report, code):
    return [f for f in report.findings if f.code == code]


# ---- the cover ---------------------------------------------------------------------------------

def test_an_unfilled_template_cover_is_reported():
    report = validate_file(TEMPLATES / "shandong-budget-template.xlsx")
    cover = [f for f in _codes(report, "WZ804") if f.cells[0].sheet == "封面"]
    assert {str(f.cells[0]) for f in cover} == {"封面!A1", "封面!B3", "封面!B4"}
    assert all(f.severity is Severity.WARNING for f in cover)
    assert any("部门名称”未填写" in f.message for f in cover) and any("____年" in f.message for f in cover)


def test_a_cover_without_its_department_is_reported_once(tmp_path):
    wb = openpyxl.load_workbook(SAMPLES / "yantai-2024-budget.xlsx")
    wb["封面"]["B3"] = None
    wb.save(tmp_path / "c.xlsx")
    cover = [f for f in _codes(validate_file(tmp_path / "c.xlsx"), "WZ804") if f.cells[0].sheet == "封面"]
    assert [str(f.cells[0]) for f in cover] == ["封面!B3"]


def test_a_filled_cover_is_quiet():
    assert not [f for f in _codes(validate_file(SAMPLES / "yantai-2024-budget.xlsx"), "WZ804") if f.cells[0].sheet == "封面"]


# ---- negative amounts in a budget ----------------------------------------------------------------

def test_a_negative_budget_amount_is_a_warning_even_when_the_sums_hold(tmp_path):
    b = Book()
    r1, r2 = b.row("支出总表", "行政运行"), b.row("支出总表", "一般行政管理事务")
    r1["基本支出"], r1["项目支出"] = 310, -10  # the row still sums to 300
    r2["基本支出"], r2["项目支出"] = -10, 210  # and the columns to their 款 and 合计
    report = validate_file(b.save(tmp_path / "neg.xlsx"))
    neg = [f for f in _codes(report, "WZ801") if "负数" in f.message]
    assert len(neg) == 1 and neg[0].severity is Severity.WARNING and neg[0].table == "支出总表"
    assert len(neg[0].cells) == 2 and neg[0].actual == Decimal("-10")
    assert not [f for f in report.findings if f.code.startswith("BN") and f.table == "支出总表"]


def test_negative_amounts_in_final_accounts_are_not_flagged():
    assert not [f for f in _codes(validate_file(SAMPLES / "weihai-2024-final-accounts.xlsx"), "WZ801") if "负数" in f.message]


# ---- hidden rows -------------------------------------------------------------------------------

@pytest.mark.parametrize("full_scan", [False, True], ids=["plain-sheet", "sheet-with-formulas"])
def test_rows_hidden_inside_a_table_are_a_warning(tmp_path, full_scan):
    src = SAMPLES / "yantai-2024-budget.xlsx"
    t = read_workbook(src).table("支出总表")
    row = next(r for r in t.data_rows() if r.code and len(r.code) == 7)
    wb = openpyxl.load_workbook(src)
    ws = wb[t.sheet]
    ws.row_dimensions[row.index + 1].hidden = True
    if full_scan:
        ws["Z1"] = "=1+1"  # a formula: the sheet goes through the streaming XML pass
    wb.save(tmp_path / "h.xlsx")
    grid = next(g for g in read_grids(tmp_path / "h.xlsx") if g.name == t.sheet)
    assert row.index in grid.hidden_rows
    report = validate_file(tmp_path / "h.xlsx")
    hidden = _codes(report, "WZ807")
    assert len(hidden) == 1 and hidden[0].severity is Severity.WARNING
    assert hidden[0].cells == [row.label_ref] and f"第 {row.index + 1} 行被隐藏" in hidden[0].message
    assert "有金额" in hidden[0].message
    assert not [f for f in report.findings if f.severity is Severity.ERROR]


def test_hidden_rows_outside_tables_are_quiet(tmp_path):
    wb = openpyxl.load_workbook(SAMPLES / "yantai-2024-budget.xlsx")
    wb["封面"].row_dimensions[10].hidden = True
    wb.save(tmp_path / "q.xlsx")
    assert not _codes(validate_file(tmp_path / "q.xlsx"), "WZ807")


# ---- a blank 合计 ---------------------------------------------------------------------------------

def test_a_blank_total_is_called_blank_not_zero(tmp_path):
    b = Book()
    b.row("支出总表", "合计")["合计"] = None
    report = validate_file(b.save(tmp_path / "blank.xlsx"))
    found = [f for f in report.findings if f.code == "BN201" and f.severity is Severity.ERROR]
    assert found, [f.code for f in report.findings]
    f = found[0]
    assert "合计数 空白" in f.message and "合计数 0.00" not in f.message
    assert f.actual == Decimal(0) and f.expected == Decimal(680)  # the values are unchanged
    text = render_text([report])
    assert "实际 空白" in text and "实际 0.00" not in text


def test_a_zero_total_is_still_zero(tmp_path):
    b = Book()
    b.row("支出总表", "合计")["合计"] = 0
    f = next(f for f in validate_file(b.save(tmp_path / "zero.xlsx")).findings if f.code == "BN201")
    assert "合计数 0.00" in f.message and "actual_blank" not in f.evidence


# ---- number formats and print setup --------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.xlsx")) + sorted(SAMPLES.glob("*.xlsx")), ids=lambda p: p.name)
def test_generated_books_print_on_one_page_width(path):
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        wb = openpyxl.load_workbook(path)
    d = read_workbook(path)
    table_sheets = {t.sheet for t in d.all_tables()}
    for ws in wb.worksheets:
        if ws.title in table_sheets or ws.title in ("封面", "情况说明"):
            assert ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
            assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, ws.title
    assert names
    for t in d.all_tables():
        ws = wb[t.sheet]
        for row in t.rows:
            for v in row.values.values():
                assert ws.cell(v.ref.row + 1, v.ref.col + 1).number_format == "#,##0.00", f"{t.sheet}!{v.ref.address}"


# ---- the same tables laid out differently ---------------------------------------------------------

def _spaced(text: str) -> str:
    """“合计” → “合  计”: how printed forms pad two-character headers and labels."""
    return text[0] + "  " + text[1]


def _tables(wb):
    return [ws for ws in wb.worksheets if ws.title not in ("封面", "情况说明", "导入说明", "校验")]


def _pad_short_texts(wb):
    for ws in _tables(wb):
        for row in ws.iter_rows(min_row=2, max_row=8):
            for c in row:
                if (isinstance(c.value, str) and len(c.value) == 2 and not c.value.isascii()
                        and c.coordinate not in ws.merged_cells):
                    c.value = _spaced(c.value)


def _insert_blank_column(wb):
    for ws in _tables(wb):
        ws.insert_cols(3)


def _blank_row_under_title(wb):
    for ws in _tables(wb):
        ws.insert_rows(2)


def _title_in_b1(wb):
    for ws in _tables(wb):
        for m in list(ws.merged_cells.ranges):
            if m.min_row == 1:
                ws.unmerge_cells(str(m))
        ws["B1"], ws["A1"] = ws["A1"].value, None


def _sheets_renamed(wb):
    for i, ws in enumerate(_tables(wb), 1):
        ws.title = f"Sheet{i}"


def _total_row_last(wb):
    """The 合计 row under the data rows instead of above them."""
    for ws in _tables(wb):
        rows = [[c.value for c in row] for row in ws.iter_rows()]
        top = next((i for i, r in enumerate(rows) if any(isinstance(v, str) and v.strip() == "合计" for v in r[:4])
                    and any(isinstance(v, (int, float)) for v in r)), None)
        last = max((i for i, r in enumerate(rows) if any(v not in (None, "") for v in r)), default=-1)
        if top is None or last <= top or any(isinstance(r[0], str) and r[0].startswith("注") for r in rows[top:]):
            continue
        for m in list(ws.merged_cells.ranges):
            if m.max_row > top:
                ws.unmerge_cells(str(m))
        for i, row in enumerate(rows[top + 1:last + 1] + [rows[top]]):
            for j, v in enumerate(row):
                ws.cell(top + 1 + i, j + 1).value = v


def _stacked_on_one_sheet(wb):
    """Every table on one sheet, one under the other, as some offices send them."""
    one = wb.create_sheet("公开表", 1)
    top = 1
    for ws in _tables(wb):
        if ws is one:
            continue
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    one.cell(top + c.row - 1, c.column, c.value)
        for m in ws.merged_cells.ranges:
            one.merge_cells(start_row=m.min_row + top - 1, start_column=m.min_col, end_row=m.max_row + top - 1,
                            end_column=m.max_col)
        top += ws.max_row + 2
        del wb[ws.title]


@pytest.mark.parametrize("sample", ["weihai-2024-final-accounts", "zibo-2024-budget"])
@pytest.mark.parametrize("layout", [_pad_short_texts, _insert_blank_column, _blank_row_under_title, _title_in_b1,
                                    _sheets_renamed, _total_row_last, _stacked_on_one_sheet],
                         ids=lambda f: f.__name__.strip("_"))
def test_the_same_tables_laid_out_differently_give_the_same_findings(sample, layout, tmp_path):
    """Layouts met in books made by hand: “栏  次”, “合  计”, “项  目” padded with spaces, a blank column
    or row, the title in B1, sheets named Sheet1…, the 合计 row last, every table on one sheet.  The
    findings are those of the sample (by code and severity; the cells move with the layout)."""
    from collections import Counter

    def kinds(path):
        report = validate_file(path)
        assert report.error is None
        return Counter((f.code, f.severity) for f in report.findings)

    wb = openpyxl.load_workbook(SAMPLES / f"{sample}.xlsx")
    layout(wb)
    wb.save(tmp_path / "laid-out.xlsx")
    assert kinds(tmp_path / "laid-out.xlsx") == kinds(SAMPLES / f"{sample}.xlsx")


def test_a_table_named_by_its_sheet_on_a_sparse_sheet_is_read(tmp_path):
    """A sheet named 收入总表 with no title cell, whose used range a stray cell in the last row makes huge (read as
    sparse rows, whose rows are as long as their last value): the table is read as the same table with its title,
    its width taken over the whole sheet (it was taken from the last row only, one cell wide)."""
    wb = openpyxl.load_workbook(SAMPLES / "zibo-2024-budget.xlsx")
    ws = wb["收入总体情况表"]
    ws.delete_rows(1)  # no title row: the sheet name names the table
    ws.title = "收入总表"
    ws.cell(1048576, 1, "注")
    wb.save(tmp_path / "sparse.xlsx")
    grids = {g.name: g for g in read_grids(tmp_path / "sparse.xlsx")}
    assert type(grids["收入总表"].rows).__name__ == "SparseRows"
    sparse = read_workbook(tmp_path / "sparse.xlsx").table("收入总表")
    titled = read_workbook(SAMPLES / "zibo-2024-budget.xlsx").table("收入总表")
    assert sparse is not None and sparse.title_from_sheet
    assert sparse.keys() == titled.keys()

    def rows(table):  # (the stray cell's row has neither a label nor an amount)
        read = [(r.label, {k: v.amount for k, v in r.values.items()}) for r in table.data_rows()]
        return [(label, values) for label, values in read if label or any(a is not None for a in values.values())]

    assert len(rows(titled)) > 20 and rows(sparse) == rows(titled)
