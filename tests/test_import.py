"""Importing seed text: every printed amount arrives, nothing is invented, cuts are visible."""

from __future__ import annotations

import re
from decimal import Decimal

import openpyxl
import pytest
from conftest import SAMPLES, seed

from validators.amounts import try_amount
from validators.importing import import_seed
from validators.reading import read_grids, read_workbook
from validators.workbook_writer import MISSING_TEXT

SEED_SAMPLES = {"000": "yantai-2024-budget.xlsx", "004": "zibo-2024-budget.xlsx"}


def _table_amounts_in_seed(text: str) -> set[Decimal]:
    """Every amount in the tab-separated table rows of the tables part (第二部分)."""
    part = text.split("第二部分")[2] if text.count("第二部分") >= 2 else text
    part = part.split("第三部分")[0]
    found = set()
    for line in part.splitlines():
        if "\t" not in line:
            continue
        for cell in line.split("\t"):
            amount, problem = try_amount(cell)
            if amount is not None and problem is None and "." in cell:
                found.add(amount)
    return found


def _workbook_amounts(path) -> set[Decimal]:
    found = set()
    for grid in read_grids(path):
        if grid.name in ("封面", "情况说明", "导入说明"):
            continue
        for row in grid.rows:
            for v in row:
                if isinstance(v, float):
                    found.add(Decimal(repr(v)))
    return found


@pytest.mark.parametrize("prefix", sorted(SEED_SAMPLES))
def test_import_keeps_every_amount_and_invents_none(prefix, tmp_path):
    source = seed(prefix)
    out, notes = import_seed(source, tmp_path / "out.xlsx")
    seed_amounts = _table_amounts_in_seed(source.read_text(encoding="utf-8"))
    book_amounts = _workbook_amounts(out)
    assert seed_amounts - book_amounts == set(), "amounts dropped"
    assert book_amounts - seed_amounts == set(), "amounts invented"


@pytest.mark.parametrize("prefix", sorted(SEED_SAMPLES))
def test_shipped_sample_equals_a_fresh_import(prefix, tmp_path):
    out, _ = import_seed(seed(prefix), tmp_path / "fresh.xlsx")
    from validators.checksheet import add_check_sheet

    add_check_sheet(out)  # as workbooks/build_templates.py does
    fresh = {g.name: g.rows for g in read_grids(out)}
    shipped = {g.name: g.rows for g in read_grids(SAMPLES / SEED_SAMPLES[prefix])}
    assert fresh == shipped


def test_cut_tables_are_marked_in_the_workbook(zibo):
    wb = openpyxl.load_workbook(zibo, read_only=True)
    marked = {ws.title for ws in wb.worksheets if any(MISSING_TEXT == c for row in ws.iter_rows(values_only=True) for c in row)}
    assert marked == {"支出总体情况表", "一般公共预算支出情况表", "一般公共预算基本支出情况表", "基本支出预算情况表"}
    notes = [r[0] for r in wb["导入说明"].iter_rows(values_only=True) if r[0]]
    assert any("支出总体情况表" in n and "数据缺失" in n for n in notes)
    assert any("三公" in n and "错位" in n for n in notes)


def test_page_breaks_repeat_headers_and_totals_once(yantai):
    t = read_workbook(yantai).table("收入总表")
    totals = [r for r in t.rows if r.kind.value == "total"]
    assert len(totals) == 1  # the 合计 row printed on each of three pages is kept once
    codes = [r.code for r in t.data_rows()]
    assert len(codes) == len(set(codes)) and "2296099" in codes and "2101202" in codes


def test_narrative_and_cover_are_carried(yantai):
    d = read_workbook(yantai)
    assert (d.department, d.year) == ("烟台市医疗保障局", 2024)
    texts = [p.text for p in d.narrative]
    assert "（二）支出预算：2024年支出预算112,250.18万元，其中：基本支出2,093.98万元，项目支出110,156.20万元。" in texts
    assert any(re.search(r"政府采购预算750\.35万元", t) for t in texts)
    assert all("\t" not in t for t in texts)


def test_import_refuses_text_without_tables(tmp_path):
    from validators.importing import ImportError_

    src = tmp_path / "x.txt"
    src.write_text("这里没有任何公开表\n", encoding="utf-8")
    with pytest.raises(ImportError_, match="没有找到可识别的公开表"):
        import_seed(src, tmp_path / "x.xlsx")


@pytest.mark.parametrize("make, phrase", [
    (lambda p: p.mkdir(), "文件夹"),
    (lambda p: p.write_bytes(b"PK\x03\x04\x00\x00binary"), "不是文本文件"),
])
def test_import_refuses_folders_and_binaries(tmp_path, make, phrase):
    from validators.importing import ImportError_

    src = tmp_path / "seed.txt"
    make(src)
    with pytest.raises(ImportError_, match=phrase):
        import_seed(src, tmp_path / "out.xlsx")
