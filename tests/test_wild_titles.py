"""Titles as departments print them: the corpus (tests/data/titles.toml), real workbooks whose titles
were rewritten the way publishers write them, titles in merged cells or only in the sheet name, and
the per-file list of which title matched which kind (JSON, ``--show-tables``)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import openpyxl
import pytest

from validators import schemas
from validators.engine import validate_file
from validators.model import Severity
from validators.reading import read_workbook
from validators.report import render_json

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parent / "workbooks" / "samples"
CORPUS = tomllib.loads((HERE / "data" / "titles.toml").read_text(encoding="utf-8"))
TITLES = CORPUS["titles"]
NOT_TITLES = CORPUS["none"]["titles"]


def test_the_corpus_is_large_enough():
    assert len(TITLES) >= 40 and len(set(TITLES.values())) >= 15 and len(NOT_TITLES) >= 20


@pytest.mark.parametrize("title", list(TITLES))
def test_every_title_of_the_corpus_is_recognised(title):
    assert schemas.match_title(title) == TITLES[title]


@pytest.mark.parametrize("text", NOT_TITLES)
def test_no_false_match(text):
    assert schemas.match_title(text) is None


def test_every_kind_is_in_the_corpus():
    assert set(TITLES.values()) == set(schemas.table_kinds())


@pytest.mark.parametrize("title, continued, unit", [
    ("收入总体情况表（续）", True, None),
    ("续表：收入总体情况表", True, None),
    ("收支总体情况表(单位:万元)", False, "万元"),
    ("支出总体情况表 单位：元", False, "元"),
    ("收支总表(预算表1)", False, None),
])
def test_match_detail(title, continued, unit):
    m = schemas.match_title_detail(title)
    assert m is not None and m.continued is continued and m.unit == unit


def test_match_title_is_still_exported_from_schemas():
    from validators.schemas.titles import match_title

    assert schemas.match_title is match_title


# ---- real workbooks ------------------------------------------------------------------------

WILD = {  # the sample's printed title → how another publisher prints it
    "收支总体情况表": "附件2-1：烟台市医疗保障局2024年部门收支总体情况表",
    "收入总体情况表": "附表2 收入总体情况表（2024年）",
    "支出总体情况表": "表三、支 出 总 体 情 况 表(单位:万元)",
    "财政拨款收支总体情况表": "四．财政拨款收支总体情况表",
    "一般公共预算支出情况表": "表五 一般公共预算支出情况表",
    "一般公共预算基本支出情况表": "烟台市医疗保障局一般公共预算基本支出情况表",
    "一般公共预算“三公”经费支出情况表": "七、一般公共预算“三公”经费支出情况表（2024年）",
    "政府性基金预算支出情况表": "附件2-8 政府性基金预算支出情况表",
    "国有资本经营预算支出情况表": "２０２４年国有资本经营预算支出情况表",
    "基本支出预算情况表": "附表10：基本支出预算情况表",
    "项目支出预算情况表": "公开11表 项目支出预算情况表",
    "政府采购预算情况表": "十二、政府采购预算情况表（单位：万元）",
}


def _retitle(src: Path, out: Path, titles: dict[str, str]) -> Path:
    wb = openpyxl.load_workbook(src)
    for ws in wb.worksheets:
        for row in ws.iter_rows(max_row=3):
            for cell in row:
                if isinstance(cell.value, str) and cell.value.strip() in titles:
                    cell.value = titles[cell.value.strip()]
    wb.save(out)
    return out


def _keys(report):
    return sorted((f.code, f.severity.value, tuple(str(c) for c in f.cells)) for f in report.findings)


def test_a_sample_with_wild_titles_reads_and_checks_the_same(tmp_path):
    src = SAMPLES / "yantai-2024-budget.xlsx"
    out = _retitle(src, tmp_path / "wild.xlsx", WILD)
    base, wild = read_workbook(src), read_workbook(out)
    assert sorted(t.kind for t in wild.all_tables()) == sorted(t.kind for t in base.all_tables())
    assert wild.profile == base.profile == "shandong-budget"
    assert _keys(validate_file(out)) == _keys(validate_file(src))


def test_title_in_a_merged_cell_spanning_columns(tmp_path):
    """The writer merges A1 across the table; a title in a merged cell further right (C1:H1) too."""
    src = SAMPLES / "yantai-2024-budget.xlsx"
    wb = openpyxl.load_workbook(src)
    ws = wb["支出总体情况表"]
    title = ws["A1"].value
    for merged in list(ws.merged_cells.ranges):
        if merged.min_row == 1:
            ws.unmerge_cells(str(merged))
    ws["A1"] = None
    ws["C1"] = "表三 " + title
    ws.merge_cells("C1:H1")
    wb.save(tmp_path / "merged.xlsx")
    d = read_workbook(tmp_path / "merged.xlsx")
    t = d.table("支出总表")
    assert t is not None and t.title_ref.address == "C1" and t.total_row() is not None
    assert _keys(validate_file(tmp_path / "merged.xlsx")) == _keys(validate_file(src))


def test_title_only_in_the_sheet_name(tmp_path):
    """Decision: a sheet named like a table whose cells print no title (row 1 is “单位：万元”) is read
    as that table, starting at the top; the table list says the title came from the sheet name."""
    src = SAMPLES / "yantai-2024-budget.xlsx"
    wb = openpyxl.load_workbook(src)
    ws = wb["支出总体情况表"]
    ws.delete_rows(1)  # no title row: row 1 is now 部门（单位）… 单位：万元
    ws.title = "支出总表"
    wb.save(tmp_path / "sheetname.xlsx")
    d = read_workbook(tmp_path / "sheetname.xlsx")
    t = d.table("支出总表")
    assert t is not None and t.title_from_sheet and t.title == "支出总表" and t.title_ref.row == 0
    assert t.unit == "万元" and t.total_row() is not None
    report = validate_file(tmp_path / "sheetname.xlsx")
    assert not [f for f in report.findings if f.severity is Severity.ERROR]
    listed = json.loads(render_json([report]))["files"][0]["tables"]
    assert {"kind": "支出总表", "title_from": "sheet", "cell": "支出总表!A1"}.items() <= next(x for x in listed if x["kind"] == "支出总表").items()


def test_a_sheet_called_like_a_table_without_a_table_is_not_one(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "收支总表"
    wb.active["A1"] = "本表由财务科填写，见附件。"
    wb.save(tmp_path / "notes.xlsx")
    assert not list(read_workbook(tmp_path / "notes.xlsx").all_tables())


def test_a_continued_table_joins_the_table_it_continues(tmp_path):
    """“收入总体情况表（续）” with the same header below the first part: one table, every row."""
    src = SAMPLES / "yantai-2024-budget.xlsx"
    wb = openpyxl.load_workbook(src)
    ws = wb["支出总体情况表"]
    last = ws.max_row
    header = [[c.value for c in row] for row in ws.iter_rows(min_row=1, max_row=4)]
    moved = [[c.value for c in row] for row in ws.iter_rows(min_row=last - 2, max_row=last)]
    ws.delete_rows(last - 2, 3)
    start = ws.max_row + 2
    header[0][0] = header[0][0] + "（续）"
    for i, values in enumerate(header + moved):
        for j, v in enumerate(values):
            ws.cell(start + i, j + 1, v)
    wb.save(tmp_path / "cont.xlsx")
    base, cont = read_workbook(src).table("支出总表"), read_workbook(tmp_path / "cont.xlsx")
    assert len(cont.tables["支出总表"]) == 1
    assert len(list(cont.table("支出总表").data_rows())) == len(list(base.data_rows()))
    report = validate_file(tmp_path / "cont.xlsx")
    assert not [f for f in report.findings if f.severity is Severity.ERROR or f.code == "WZ808"]


def test_json_lists_which_title_matched_which_kind(tmp_path):
    out = _retitle(SAMPLES / "yantai-2024-budget.xlsx", tmp_path / "wild.xlsx", WILD)
    data = json.loads(render_json([validate_file(out)]))
    tables = data["files"][0]["tables"]
    entry = next(t for t in tables if t["kind"] == "一般公共预算支出表")
    assert entry["title"] == "表五 一般公共预算支出情况表" and entry["cell"] == "一般公共预算支出情况表!A1"
    assert entry["unit"] == "万元" and entry["unit_cell"].startswith("一般公共预算支出情况表!")
    assert {t["kind"] for t in tables} == {t.kind for t in read_workbook(out).all_tables()}


def test_show_tables_in_chinese(tmp_path):
    out = _retitle(SAMPLES / "yantai-2024-budget.xlsx", tmp_path / "wild.xlsx", WILD)
    r = subprocess.run([sys.executable, "-m", "validators", "validate", "--show-tables", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "识别到 12 张表" in r.stdout
    assert "一般公共预算支出表 ← “表五 一般公共预算支出情况表”（一般公共预算支出情况表!A1），单位：万元" in r.stdout
    assert "Traceback" not in r.stdout + r.stderr


def test_show_tables_says_when_nothing_was_recognised(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "某某表"
    wb.save(tmp_path / "none.xlsx")
    r = subprocess.run([sys.executable, "-m", "validators", "validate", "--show-tables", str(tmp_path / "none.xlsx")],
                       capture_output=True, text=True, timeout=120)
    assert "未识别到任何公开表" in r.stdout


def test_a_narrative_line_naming_a_table_is_not_a_table(tmp_path):
    src = SAMPLES / "yantai-2024-budget.xlsx"
    wb = openpyxl.load_workbook(src)
    ws = wb["情况说明"]
    ws.cell(ws.max_row + 1, 3, "附件2-1：收支总体情况表")
    ws.cell(ws.max_row + 1, 3, "表五 一般公共预算支出情况表")
    wb.save(tmp_path / "n.xlsx")
    d = read_workbook(tmp_path / "n.xlsx")
    assert not [t for t in d.all_tables() if t.sheet == "情况说明"]
    assert _keys(validate_file(tmp_path / "n.xlsx")) == _keys(validate_file(src))
