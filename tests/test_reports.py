"""Reports: HTML (escaping, self-contained), xlsx summary (hyperlinks, formula injection), JUnit, SARIF."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from validators import cli
from validators.batch import validate_many
from validators.model import CellRef, Disclosure, Finding, Report, Severity
from validators.report import render_html, render_junit, render_sarif, write_xlsx

HOSTILE_DEPT = '"><img src=x onerror="window.pwned=1">局'
HOSTILE_MSG = "=HYPERLINK(\"http://evil.invalid\",\"点我\")<script>window.pwned=1</script>"


def hostile_report() -> Report:
    """A report built from the model with text a workbook could carry (sheet names, labels, department)."""
    sheet = "表<b>'1"
    findings = [
        Finding("SZ101", Severity.ERROR, HOSTILE_MSG, cells=[CellRef(sheet, 4, 1)], expected=Decimal("10.00"),
                actual=Decimal("12.50"), difference=Decimal("-2.50"), related_cells=[CellRef(sheet, 5, 1)], rule_name="本年收入合计等于本年支出合计"),
        Finding("BN201", Severity.ROUNDING, "+1 尾差 @sum", cells=[CellRef("收入总体情况表", 9, 4)], rule_name="合计等于各类之和"),
        Finding("RD003", Severity.UNVERIFIABLE, "-表格行缺失", cells=[], table="支出总表"),
    ]
    return Report(source="uploads/恶意<x>.xlsx", findings=findings,
                  disclosure=Disclosure(source="uploads/恶意<x>.xlsx", department=HOSTILE_DEPT, year=2024, kind="预算"))


@pytest.fixture(scope="module")
def reports(sample_paths, template_path) -> list[Report]:
    real = validate_many([*sample_paths, template_path], jobs=2).reports
    broken = Report(source="坏文件.xlsx", error="工作簿文件已损坏（不是完整的 zip 包），可能下载或复制不完整")
    return [*real, hostile_report(), broken]


def test_html_escapes_every_text_and_is_self_contained(reports, tmp_path):
    page = render_html(reports, report_path=tmp_path / "r.html")
    assert "<script>window.pwned" not in page and "<img src=x" not in page
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=&quot;window.pwned=1&quot;&gt;局" in page
    assert "表&lt;b&gt;&#x27;1!B5" in page
    # no network: nothing is fetched (the only URL is the SVG namespace), a CSP forbids it anyway
    urls = set(re.findall(r"https?://[^\s\"'<>&]+", page)) - {"http://evil.invalid"}
    assert urls == {"http://www.w3.org/2000/svg"}
    assert not re.search(r"\b(src|href)=\"(https?:)?//", page) and "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page
    assert page.count('<script>') == 1


def test_html_summaries_and_counts(reports, tmp_path):
    page = render_html(reports, report_path=tmp_path / "r.html")
    n = sum(len(r.findings) for r in reports)
    assert page.count("<tr data-sev=") == n
    assert f'id="shown-n">{n}</b> / {n} 条' in page
    for heading in ("总体情况", "按部门汇总", "按规则汇总", "问题明细", "各规则问题数", "各部门问题数", "无法读取的文件"):
        assert heading in page
    assert "烟台市医疗保障局" in page and "淄博市医疗保障局" in page
    assert page.count("<svg ") == 2 and "<rect " in page


def test_html_links_to_marked_copies_are_relative(reports, tmp_path):
    out = tmp_path / "报告"
    marked_file = tmp_path / "标注" / "烟台 副本.xlsx"
    page = render_html(reports, report_path=out / "r.html", marked={reports[0].source: str(marked_file)})
    assert 'href="../%E6%A0%87%E6%B3%A8/%E7%83%9F%E5%8F%B0%20%E5%89%AF%E6%9C%AC.xlsx"' in page
    assert "<th>标注副本</th>" in page
    assert "标注副本" not in render_html(reports, report_path=out / "r.html")


def test_xlsx_summary_rows_links_and_no_formulas(reports, tmp_path):
    path = write_xlsx(reports, tmp_path / "out" / "summary.xlsx", marked={reports[0].source: str(tmp_path / "m" / "a.xlsx")})
    wb = load_workbook(path)
    assert wb.sheetnames == ["文件状态", "问题清单", "部门汇总", "规则汇总"]  # the per-file status heads the summary
    ws = wb["问题清单"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == sum(len(r.findings) for r in reports) + 1  # + the unreadable file
    for row in ws.iter_rows(min_row=1):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@")), cell.value
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "'" + HOSTILE_MSG in texts and "'+1 尾差 @sum" in texts and "'-表格行缺失" in texts
    assert "'" + HOSTILE_DEPT.lstrip('"') not in texts  # a department starting with " is harmless text
    # the cell column links to the workbook and the cell (the marked copy when there is one)
    first = ws.cell(2, 9)
    assert first.hyperlink.target == "../m/a.xlsx" and re.fullmatch(r"'.+'![A-Z]+\d+", first.hyperlink.location)
    hostile_row = next(i for i, r in enumerate(rows, start=2) if r[9] == "'" + HOSTILE_MSG)
    assert ws.cell(hostile_row, 9).hyperlink.location == "'表<b>''1'!B5"
    assert ws.cell(hostile_row, 11).value == 10 and ws.cell(hostile_row, 13).value == -2.5
    depts = {r[0]: r for r in wb["部门汇总"].iter_rows(min_row=2, values_only=True)}
    assert "烟台市医疗保障局" in depts and depts["（未识别部门）坏文件.xlsx"][7] == 1
    rules = [r[0] for r in wb["规则汇总"].iter_rows(min_row=2, values_only=True)]
    assert "SZ101" in rules


def test_junit_counts(reports):
    root = ET.fromstring(render_junit(reports))
    assert root.tag == "testsuites" and len(root.findall("testsuite")) == len(reports)
    errors = sum(r.count(Severity.ERROR) for r in reports)
    # + one error per file 未能校验 (the unreadable file, and the hand-made report that holds no table)
    unverifiable = sum(r.count(Severity.UNVERIFIABLE) for r in reports) + sum(1 for r in reports if r.status.failed)
    assert int(root.get("failures")) == errors == len(root.findall(".//failure"))
    assert int(root.get("errors")) == unverifiable == len(root.findall(".//error"))
    assert int(root.get("tests")) == len(root.findall(".//testcase"))
    hostile = root.findall("testsuite")[-2]
    assert hostile.find("testcase/failure").get("message") == HOSTILE_MSG


def test_sarif_structure(reports):
    data = json.loads(render_sarif(reports))
    assert data["version"] == "2.1.0"
    run = data["runs"][0]
    assert len(run["results"]) == sum(len(r.findings) for r in reports)
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in {"error", "warning", "note"}
    first_error = next(r for r in run["results"] if r["ruleId"] == "SZ101")
    assert first_error["level"] == "error" and first_error["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "表<b>'1!B5"
    assert first_error["properties"]["difference"] == "-2.50"
    assert run["invocations"][0]["executionSuccessful"] is False
    assert "坏文件.xlsx" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]


def test_cli_writes_every_format_and_report(sample_paths, tmp_path):
    for fmt in ("junit", "sarif", "json", "text"):
        out = tmp_path / f"out.{fmt}"
        assert cli.main(["validate", *map(str, sample_paths), "--format", fmt, "-o", str(out), "-j", "2"]) in (0, 1)
        assert out.stat().st_size > 100
    html, xlsx = tmp_path / "深" / "r.html", tmp_path / "深" / "s.xlsx"
    code = cli.main(["validate", str(sample_paths[0].parent), "--report", str(html), "--report", str(xlsx), "-o", str(tmp_path / "t.txt")])
    assert code in (0, 1)
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert load_workbook(xlsx).sheetnames[:2] == ["文件状态", "问题清单"]


def test_reports_in_the_checked_folder_are_not_validated(sample_paths, tmp_path):
    import shutil

    for p in sample_paths:
        shutil.copy(p, tmp_path / p.name)
    summary = tmp_path / "summary.xlsx"
    cli.main(["validate", str(tmp_path), "--report", str(summary), "-o", str(tmp_path / "a.json"), "--format", "json"])
    cli.main(["validate", str(tmp_path), "--report", str(summary), "-o", str(tmp_path / "b.json"), "--format", "json"])
    files = [f["source"] for f in json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))["files"]]
    assert str(summary) not in files and len(files) == len(sample_paths)
