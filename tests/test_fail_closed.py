"""Fail closed: every file gets a status (已校验 / 部分校验 / 未能校验), shown in every output; a book czcheck
could not check never passes as clean.  Real .xlsx files through the real command line (cli.main)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pytest
from builders import Book

from validators import cli
from validators.engine import validate_file
from validators.status import Status

FORMATS = ("text", "json", "junit", "sarif")


def blank_book(path: Path) -> Path:
    openpyxl.Workbook().save(path)
    return path


def book_without_a_known_table(path: Path) -> Path:
    """What a department may send: figures under a title czcheck does not know."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "附表"
    ws["A1"] = "某某部门经费使用明细（内部）"
    ws.append(["项目", "金额"])
    ws.append(["办公费", 12.5])
    ws.append(["合计", 12.5])
    wb.save(path)
    return path


UNCHECKABLE = {"blank": blank_book, "no-table": book_without_a_known_table}


@pytest.fixture(params=sorted(UNCHECKABLE))
def uncheckable(request, tmp_path) -> Path:
    return UNCHECKABLE[request.param](tmp_path / f"{request.param}.xlsx")


def run(*args: str) -> int:
    return cli.main(["validate", "-j", "1", *args])


def test_book_without_table_no_longer_passes_as_clean(uncheckable, capsys):
    # before: “校验完成：未发现错误。” and exit 0, exactly like a clean book
    code = run(str(uncheckable))
    out = capsys.readouterr().out
    assert code == 2
    assert "未能校验" in out and "没有找到任何可识别的公开表" in out
    assert "未发现错误" not in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_shows_not_checked_and_exits_2(uncheckable, fmt, tmp_path):
    out = tmp_path / f"out.{fmt}"
    assert run(str(uncheckable), "--format", fmt, "-o", str(out)) == 2
    text = out.read_text(encoding="utf-8")
    if fmt == "text":
        assert "状态：未能校验" in text and "未发现错误" not in text
    elif fmt == "json":
        f = json.loads(text)["files"][0]
        assert f["status"] == "未能校验" and f["status_reasons"]
        assert json.loads(text)["status_counts"]["未能校验"] == 1
    elif fmt == "junit":
        suite = ET.fromstring(text).find("testsuite")
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert props["状态"] == "未能校验"
        assert any(e.get("type") == "未能校验" for e in suite.iter("error"))
        assert not suite.findall("testcase[@name='全部规则']")  # no passing case for a file not checked
    else:
        run_ = json.loads(text)["runs"][0]
        assert run_["artifacts"][0]["properties"]["status"] == "未能校验"
        assert run_["invocations"][0]["executionSuccessful"] is False
        assert "未能校验" in run_["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]


def test_html_and_xlsx_summaries_are_headed_by_the_file_status(uncheckable, tmp_path):
    clean = Book().save(tmp_path / "clean.xlsx")
    html, xlsx = tmp_path / "r.html", tmp_path / "r.xlsx"
    assert run(str(clean), str(uncheckable), "--report", str(html), "--report", str(xlsx), "-o", str(tmp_path / "t.txt")) == 2
    page = html.read_text(encoding="utf-8")
    assert page.index('id="file-status"') < page.index('id="overview"')
    rows = page.split('id="status-list"')[1]
    assert rows.count('<tr data-status="已校验">') == 1 and rows.count('<tr data-status="未能校验">') == 1
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames[0] == "文件状态"
    status = {Path(r[1]).name: r[4] for r in wb["文件状态"].iter_rows(min_row=2, values_only=True)}
    assert status == {"clean.xlsx": "已校验", uncheckable.name: "未能校验"}


def test_unreadable_file_is_not_checked_in_every_format(tmp_path):
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    for fmt in FORMATS:
        out = tmp_path / f"o.{fmt}"
        assert run(str(bad), "--format", fmt, "-o", str(out)) == 2
        assert "未能校验" in out.read_text(encoding="utf-8")


def test_clean_book_is_checked_and_says_so(tmp_path, capsys):
    assert run(str(Book().save(tmp_path / "clean.xlsx"))) == 0
    out = capsys.readouterr().out
    assert "状态：已校验" in out and out.rstrip().endswith("校验完成：未发现错误。")


def test_missing_table_is_partial_and_named(tmp_path, capsys):
    path = Book().save(tmp_path / "drop.xlsx", drop=("项目支出表",))
    report = validate_file(path)
    assert report.status.level is Status.PARTIAL and report.status.missing_tables == ("项目支出表",)
    assert run(str(path)) == 0  # 无法校验 alone does not fail a pipeline…
    out = capsys.readouterr().out
    assert "状态：部分校验：缺少“项目支出表”" in out
    last = out.rstrip().splitlines()[-1]
    assert "未发现错误" in last and "部分校验" in last and "无法校验" in last  # …but never “未发现错误” alone
    assert run(str(path), "--strict") == 1  # …unless asked


def test_truncated_table_is_partial_and_strict_fails_it(yantai, capsys):
    report = validate_file(yantai)
    assert report.status.level is Status.PARTIAL and "一般公共预算支出表" in report.status.unreadable_tables
    assert run(str(yantai), "--format", "json", "-o", "/dev/null") == 0
    assert run(str(yantai), "--strict", "--format", "json", "-o", "/dev/null") == 1


def test_not_checked_stays_2_with_strict_and_errors_stay_1(uncheckable, tmp_path):
    assert run(str(uncheckable), "--strict") == 2
    broken = Book().bump("支出总表", "医疗保障管理事务", "合计").save(tmp_path / "b.xlsx")
    assert run(str(broken), "--strict", "--format", "json", "-o", str(tmp_path / "b.json")) == 1
    f = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))["files"][0]
    assert f["status"] == "已校验" and f["counts"]["错误"] > 0


def test_one_uncheckable_file_in_a_batch_makes_the_batch_exit_2(uncheckable, tmp_path, capsys):
    clean = Book().save(tmp_path / "clean.xlsx")
    assert run(str(clean), str(uncheckable)) == 2
    out = capsys.readouterr().out
    assert "文件状态：已校验 1 个，部分校验 0 个，未能校验 1 个" in out and f"未能校验的文件：{uncheckable}" in out


def test_unfilled_template_is_only_partly_checked(template_path, capsys):
    report = validate_file(template_path)
    assert report.status.level is Status.PARTIAL and "没有金额" in report.status.describe()
    assert run(str(template_path)) == 0
    assert "未发现错误，但仅部分校验" in capsys.readouterr().out


def test_book_whose_amounts_are_all_unreadable_is_not_checked(tmp_path):
    path = Book().save(tmp_path / "文字.xlsx")
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, (int, float)):
                    cell.value = "见附件"
    wb.save(path)
    report = validate_file(path)
    assert report.status.level is Status.FAILED and "没有一个金额能够读取" in report.status.describe()
    assert run(str(path), "--format", "json", "-o", str(tmp_path / "r.json")) == 2
