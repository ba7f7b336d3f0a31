"""The shipped samples (real 部门预算 disclosures imported from the seeds) reconcile, and a change
of 1.00 in any single amount cell is reported as 错误 naming that cell."""

from __future__ import annotations

import pytest
from conftest import SAMPLES as SAMPLES_DIR
from mutation import amount_cells, cells_missed, narrative_missed

from validators.engine import validate_file
from validators.model import Severity

TRUNCATED = {
    "yantai-2024-budget.xlsx": {"一般公共预算支出表"},
    "zibo-2024-budget.xlsx": {"支出总表", "一般公共预算支出表", "一般公共预算基本支出表", "基本支出表"},
}


@pytest.mark.parametrize("name", sorted(TRUNCATED))
def test_sample_has_no_errors_and_only_missing_rows_beyond_rounding(name, sample_paths):
    path = next(p for p in sample_paths if p.name == name)
    report = validate_file(path)
    assert report.error is None
    d = report.disclosure
    assert d.profile == "shandong-budget" and d.kind == "预算" and d.year == 2024
    assert len(d.tables) == 12
    assert {t.kind for t in d.all_tables() if t.truncated} == TRUNCATED[name]
    assert report.count(Severity.ERROR) == 0, [f.message for f in report.findings if f.severity is Severity.ERROR]
    for f in report.findings:
        if f.severity is Severity.ROUNDING:
            continue
        assert f.severity is Severity.UNVERIFIABLE
        if f.code == "WB609":  # a narrative figure with nothing to compare against (e.g. 比上年增加)
            assert "无法与表格数字对应" in f.message and f.cells[0].sheet == "情况说明"
            continue
        assert "缺" in f.message, f.message  # says rows are missing
        tables = {f.table} | {c.sheet for c in f.all_cells}
        truncated_sheets = {t.sheet for t in d.all_tables() if t.truncated}
        assert tables & (TRUNCATED[name] | truncated_sheets), f.message


@pytest.mark.parametrize("name", sorted(TRUNCATED))
def test_every_amount_cell_takes_part_in_a_relation(name, sample_paths):
    """+1.00 on each non-blank amount cell, one at a time, is reported as 错误 naming that cell."""
    path = next(p for p in sample_paths if p.name == name)
    assert len(amount_cells(path)) > 400
    assert cells_missed(path) == []


def test_a_real_file_edit_is_reported_on_the_cell(yantai, tmp_path):
    """The same check through a real file written with openpyxl, for one cell."""
    import openpyxl

    wb = openpyxl.load_workbook(yantai)
    ws = wb["支出总体情况表"]
    target = next(c for row in ws.iter_rows() for c in row if c.value == "行政运行")
    amount = ws.cell(target.row, target.column + 1)
    amount.value = amount.value + 1
    out = tmp_path / "edited.xlsx"
    wb.save(out)
    report = validate_file(out)
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    assert errors
    assert any(c.sheet == "支出总体情况表" and c.address == amount.coordinate for f in errors for c in f.all_cells)


ALL_SAMPLES = sorted(p.name for p in SAMPLES_DIR.glob("*.xlsx"))


@pytest.mark.parametrize("name", ALL_SAMPLES)
def test_linked_narrative_numbers_are_checked_in_every_sample(name, sample_paths):
    """The narrative half of the single-change test on every sample, every format: each number the
    extractor links to a table figure, changed in its sentence, is reported on its paragraph."""
    path = next(p for p in sample_paths if p.name == name)
    linked, missed = narrative_missed(path)
    assert linked >= 10 and missed == []
