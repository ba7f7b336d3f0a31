"""The analyst API, and the notebook-style example in docs/analysis.md run block by block."""

from __future__ import annotations

import os
import re
from decimal import Decimal

import pytest

import validators as czcheck
from conftest import ROOT, SAMPLES


def test_validate_returns_a_report_whose_frame_lists_every_finding():
    report = czcheck.validate(SAMPLES / "zibo-2024-budget.xlsx")
    frame = report.to_frame()
    assert len(frame) == len(report.findings) > 0
    assert list(frame["code"]) == [f.code for f in report.findings]
    assert all(isinstance(x, Decimal) for x in frame["actual"].dropna())


def test_a_bad_file_gives_an_empty_frame_and_a_chinese_error(tmp_path):
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"not a workbook")
    report = czcheck.validate(bad)
    assert report.error and report.to_frame().empty


def test_values_frame_holds_every_amount_cell_once():
    report = czcheck.validate(SAMPLES / "yantai-2024-budget.xlsx")
    values = czcheck.values_frame(report)
    cells = sum(len(r.values) for t in report.disclosure.all_tables() for r in t.rows)
    assert len(values) == cells and values["cell"].is_unique


def _blocks() -> list[str]:
    text = (ROOT / "docs" / "analysis.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_analysis_page_runs(monkeypatch, tmp_path):
    blocks = _blocks()
    assert len(blocks) >= 5
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("CZCHECK_ARCHIVE", str(tmp_path / "unused.sqlite3"))
    namespace: dict = {}
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"docs/analysis.md block {i + 1}", "exec"), namespace)  # noqa: S102 - our own doc
        except Exception as exc:  # noqa: BLE001 - name the failing block
            pytest.fail(f"docs/analysis.md block {i + 1} failed: {type(exc).__name__}: {exc}")


def test_findings_frame_names_the_counterparts_of_cross_document_findings(tmp_path):
    from pairs import YANTAI, amount_cells, edit

    sg = amount_cells(YANTAI)
    nxt = edit(YANTAI, tmp_path / "yantai-2025.xlsx", years=(("2024", "2025"), ("2023", "2024")),
               values={sg[("三公经费表", "行1", "公务接待@2023年预算数")]: 4.15})
    frame = czcheck.findings_frame(czcheck.validate(nxt, with_=[YANTAI]))
    kw = frame[frame["code"] == "KW103"].iloc[0]
    assert kw["cell"] == "一般公共预算“三公”经费支出情况表!F6"
    assert kw["counterparts"][0]["cells"] == ["一般公共预算“三公”经费支出情况表!L6"]
    assert (kw["counterparts"][0]["year"], kw["counterparts"][0]["kind"]) == (2024, "预算")
    assert frame[~frame["code"].str.startswith("KW")]["counterparts"].isna().all()
