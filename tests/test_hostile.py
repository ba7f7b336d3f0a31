"""Issue 7: every case of the hostile corpus (tests/hostile/corpus.py) has its outcome asserted:
correct findings, or a clear Chinese error; an honest exit code; no traceback; the batch goes on;
source files are byte-identical afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from hostile.corpus import CASES, EXPENSE, LONG_TEXT, PROJECT, VBA_BYTES, build_base, build_corpus, digest
from validators import cli
from validators.amounts import UNCACHED_FORMULA_PROBLEM, UncachedFormula
from validators.engine import INTERNAL_ERROR, validate_file
from validators.model import Severity
from validators.reading import read_grids, read_workbook
from validators.reading.grid import SparseRows

ROOT = Path(__file__).resolve().parent.parent
ERROR_CASES = [c for c in CASES if c.error]
VALID_CASES = [c for c in CASES if not c.error]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hostile")
    base = build_base(root / "base.xlsx")
    paths = build_corpus(root / "corpus", base)
    paths["base.xlsx"] = base
    return paths


@pytest.fixture(scope="session")
def digests(corpus) -> dict[str, str]:
    return {name: digest(p) for name, p in corpus.items()}


@pytest.fixture()
def untouched(corpus, digests):
    """Every corpus file is byte-identical after the test."""
    yield
    assert {name: digest(p) for name, p in corpus.items()} == digests


@pytest.fixture(scope="session")
def base_report(corpus):
    """Other rules land while this corpus exists: outcomes are compared with the base workbook's."""
    report = validate_file(corpus["base.xlsx"])
    assert report.error is None
    return report


def _keys(findings, without_sheet: str | None = None) -> list[tuple]:
    return sorted(
        (f.code, f.severity.value, tuple(str(c) for c in f.cells)) for f in findings
        if without_sheet is None or not (f.cells and f.cells[0].sheet == without_sheet)
    )


def _same_as_base(report, base_report, without_sheet: str | None = None) -> bool:
    return _keys(report.findings, without_sheet) == _keys(base_report.findings)


def _findings(report, code=None, severity=None):
    return [f for f in report.findings if (code is None or f.code == code) and (severity is None or f.severity is severity)]


def _addresses(findings) -> set[str]:
    return {str(c) for f in findings for c in f.cells}


def test_corpus_covers_every_case_of_the_issue():
    names = {c.name for c in CASES}
    assert len(names) == len(CASES)
    assert len(CASES) >= 30


def test_base_workbook_has_no_sum_errors(base_report):
    assert not [f for f in base_report.findings if f.code.startswith(("BN", "BJ", "SZ", "RD"))]


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda c: c.name)
def test_refused_with_a_clear_chinese_error(case, corpus, untouched):
    started = time.monotonic()
    report = validate_file(corpus[case.name])
    assert time.monotonic() - started < 15
    assert report.error and case.error in report.error, report.error
    assert INTERNAL_ERROR not in report.error
    assert "Traceback" not in report.error
    assert report.findings == []


@pytest.mark.parametrize("case", VALID_CASES, ids=lambda c: c.name)
def test_validated_without_internal_errors(case, corpus, untouched):
    report = validate_file(corpus[case.name])
    assert report.error is None, report.error
    for f in report.findings:  # a rule that could not run reports "无法在本工作簿上完成"
        assert "无法在本工作簿上完成" not in f.message, f.message


def test_xlsm_is_validated_and_its_macros_never_run(corpus, untouched, base_report):
    marker = Path("/tmp/czcheck-macro-ran")
    marker.unlink(missing_ok=True)
    report = validate_file(corpus["macros.xlsm"])
    assert report.error is None and _same_as_base(report, base_report)
    assert not marker.exists()
    import zipfile

    with zipfile.ZipFile(corpus["macros.xlsm"]) as zf:
        assert zf.read("xl/vbaProject.bin") == VBA_BYTES


def test_million_row_used_range_is_read_sparsely(corpus, untouched, base_report):
    started = time.monotonic()
    grids = {g.name: g for g in read_grids(corpus["million-rows-sparse.xlsx"])}
    report = validate_file(corpus["million-rows-sparse.xlsx"])
    assert time.monotonic() - started < 20
    grid = grids[EXPENSE]
    assert isinstance(grid.rows, SparseRows) and grid.height == 1_048_576
    assert grid.cell(1_048_575, 16_383) == "x"
    assert report.error is None and _same_as_base(report, base_report)


def test_text_where_amounts_belong(corpus, untouched, base_report):
    report = validate_file(corpus["text-amounts.xlsx"])
    rd = _findings(report, "RD001")
    by_cell = {str(f.cells[0]): f for f in rd}
    assert set(by_cell) == {f"{EXPENSE}!E11", f"{EXPENSE}!F11", f"{EXPENSE}!G12"}
    assert "阿拉伯数字" in by_cell[f"{EXPENSE}!E11"].message
    assert "千分位" in by_cell[f"{EXPENSE}!F11"].message
    assert "多个小数点" in by_cell[f"{EXPENSE}!G12"].message
    assert all(f.severity is Severity.UNVERIFIABLE for f in rd)
    assert _keys(_findings(report, severity=Severity.ERROR)) == _keys(_findings(base_report, severity=Severity.ERROR))  # fail closed, never a guessed 错误


def test_formula_errors_are_named(corpus, untouched, base_report):
    report = validate_file(corpus["formula-errors.xlsx"])
    by_cell = {str(f.cells[0]): f.message for f in _findings(report, "RD001")}
    assert "#REF!" in by_cell[f"{EXPENSE}!E11"] and "引用的单元格已被删除" in by_cell[f"{EXPENSE}!E11"]
    assert "#DIV/0!" in by_cell[f"{EXPENSE}!G12"] and "除数为零" in by_cell[f"{EXPENSE}!G12"]
    assert _keys(_findings(report, severity=Severity.ERROR)) == _keys(_findings(base_report, severity=Severity.ERROR))


def test_formulas_without_cached_values_are_reported_not_blank(corpus, untouched, base_report):
    path = corpus["formulas-uncached.xlsx"]
    grid = next(g for g in read_grids(path) if g.name == EXPENSE)
    assert isinstance(grid.cell(4, 4), UncachedFormula) and grid.cell(4, 4) == "=E6+E9+E13+E16"
    report = validate_file(path)
    rd = _findings(report, "RD001")
    assert _addresses(rd) == {f"{EXPENSE}!E5", f"{EXPENSE}!F9"}
    assert all(UNCACHED_FORMULA_PROBLEM in f.message for f in rd)
    assert _keys(_findings(report, severity=Severity.ERROR)) == _keys(_findings(base_report, severity=Severity.ERROR))


def test_merged_cells(corpus, untouched):
    report = validate_file(corpus["merged.xlsx"])
    disclosure = read_workbook(corpus["merged.xlsx"])
    assert disclosure.table("项目支出表") is not None  # title merged over the meta line: still found
    assert _findings(report, "RD002") == []
    # E7:F7 merged: F7's 100 is gone (Excel drops it too); the sums that used it say so, on F7
    assert f"{EXPENSE}!F7" in _addresses(_findings(report, severity=Severity.ERROR))
    # A14:C16 merged over code cells: rows 15-16 lose their codes, so the hierarchy sums report them
    assert {"BN202", "BN211"} <= {f.code for f in report.findings}


def test_hidden_sheets_are_read_but_visible_tables_win(corpus, untouched, base_report):
    path = corpus["hidden-copy.xlsx"]
    grids = read_grids(path)
    assert [g.name for g in grids if g.hidden] == ["旧版"] and grids[-1].name == "旧版"
    disclosure = read_workbook(path)
    assert disclosure.table("支出总表").sheet == EXPENSE
    report = validate_file(path)
    # cross-table rules use the visible table; the hidden copy's own sums are still reported, on it
    others = [f for f in report.findings if f.code not in ("WZ807", "WZ808")]
    assert _keys(others, "旧版") == _keys(base_report.findings)
    assert {f.code for f in report.findings if f.cells and f.cells[0].sheet == "旧版"} == {"BN201", "BN211", "WZ807"}
    dup = _findings(report, "WZ808")  # the same table twice, both title cells named
    assert dup and {c.sheet for c in dup[0].cells} == {EXPENSE, "旧版"}


def test_very_hidden_sheet_still_counts(corpus, untouched, base_report):
    path = corpus["very-hidden.xlsx"]
    assert [g.name for g in read_grids(path) if g.hidden] == [PROJECT]
    report = validate_file(path)
    others = [f for f in report.findings if f.code != "WZ807"]
    assert report.error is None and _keys(others) == _keys(base_report.findings)
    assert [str(c) for f in _findings(report, "WZ807") for c in f.cells] == [f"{PROJECT}!A1"]
    assert read_workbook(path).table("项目支出表").sheet == PROJECT


def test_table_at_an_odd_position(corpus, untouched, base_report):
    path = corpus["odd-position.xlsx"]
    table = read_workbook(path).table("支出总表")
    assert (table.title_ref.row, table.title_ref.col) == (7, 5)
    codes = sorted((f.code, f.severity.value) for f in validate_file(path).findings)
    assert codes == sorted((f.code, f.severity.value) for f in base_report.findings)


def test_duplicated_table_titles(corpus, untouched, base_report):
    path = corpus["duplicate-titles.xlsx"]
    tables = read_workbook(path).tables["支出总表"]
    assert [t.sheet for t in tables] == [EXPENSE, "支出总体情况表（2）"]
    report = validate_file(path)
    others = [f for f in report.findings if f.code != "WZ808"]
    assert _findings(report, "BN201") and _keys(others, "支出总体情况表（2）") == _keys(base_report.findings)
    assert [len(f.cells) for f in _findings(report, "WZ808")] == [2]


def test_negative_amounts_are_read_as_negative(corpus, untouched):
    path = corpus["negative.xlsx"]
    table = read_workbook(path).table("支出总表")
    row = next(r for r in table.rows if r.code == "2101501")
    assert row.values["合计"].amount == Decimal("-300.00")
    assert row.values["基本支出"].amount == Decimal("-300")
    row = next(r for r in table.rows if r.code == "2101502")
    assert row.values["项目支出"].amount == Decimal("-200")
    report = validate_file(path)
    assert _findings(report, "RD001") == []
    bn203 = [f for f in _findings(report, "BN203") if str(f.cells[0]) == f"{EXPENSE}!E10"]
    assert bn203 and bn203[0].expected == Decimal("-100.00") and bn203[0].actual == Decimal("500")


def test_yuan_where_template_says_wanyuan(corpus, untouched, base_report):
    """Tables in 元 under a cover that fixes 万元: amounts converted exactly, one unit finding (the cover)."""
    path = corpus["yuan-unit.xlsx"]
    disclosure = read_workbook(path)
    assert {t.unit for t in disclosure.all_tables()} == {"元"}
    assert disclosure.unit == "万元"  # the cover (金额单位) fixes it
    total = disclosure.table("支出总表").total_row().values["合计"]
    assert total.amount == Decimal("680") and total.half_ulp == Decimal("0.0000005")
    extra = [f for f in validate_file(path).findings if _keys([f])[0] not in _keys(base_report.findings)]
    assert [f.code for f in extra] == ["WZ805"], [f.message for f in extra]
    assert extra[0].cells[0].sheet == "封面"


def test_fullwidth_digits_and_punctuation(corpus, untouched, base_report):
    path = corpus["fullwidth.xlsx"]
    table = read_workbook(path).table("支出总表")
    assert table.total_row().values["合计"].amount == Decimal("680.00")
    assert isinstance(table.total_row().values["合计"].raw, str)
    assert _same_as_base(validate_file(path), base_report)


def test_very_long_text(corpus, untouched):
    path = corpus["long-text.xlsx"]
    started = time.monotonic()
    report = validate_file(path)
    disclosure = read_workbook(path)
    assert time.monotonic() - started < 10
    assert any(p.text == LONG_TEXT for p in disclosure.narrative)
    rd = _findings(report, "RD001")
    assert _addresses(rd) == {f"{EXPENSE}!H12"} and len(rd[0].message) < 200


def test_calamine_itself_does_not_expand_entities(corpus):
    """Defence in depth: even without our DTD check, python-calamine refuses undeclared entities."""
    from python_calamine import CalamineWorkbook

    for name in ("xxe.xlsx", "billion-laughs.xlsx", "laughs-shared-strings.xlsx"):
        started = time.monotonic()
        try:
            wb = CalamineWorkbook.from_path(str(corpus[name]))
            texts = [str(v) for s in wb.sheet_names for row in wb.get_sheet_by_name(s).to_python() for v in row]
        except Exception as exc:  # noqa: BLE001 - any refusal is fine; expansion is not
            texts = [str(exc)]
        assert time.monotonic() - started < 5
        joined = "".join(texts)
        assert "root:" not in joined and "lollollol" not in joined


def test_cli_exit_codes(corpus, untouched, capsys):
    assert cli.main(["validate", "--jobs", "1", str(corpus["encrypted.xlsx"])]) == cli.EXIT_CANNOT_RUN
    assert "打开密码" in capsys.readouterr().out
    assert cli.main(["validate", "--jobs", "1", str(corpus["text-amounts.xlsx"])]) == cli.EXIT_OK
    assert "无法校验" in capsys.readouterr().out
    assert cli.main(["validate", "--jobs", "1", str(corpus["negative.xlsx"])]) == cli.EXIT_ERRORS


def _czcheck(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "validators", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=240
    )


def test_batch_over_corpus_and_samples(corpus, digests, sample_paths, tmp_path):
    sample_digests = {p: digest(p) for p in sample_paths}
    alone = _czcheck("validate", "--format", "json", "-o", str(tmp_path / "alone.json"), *map(str, sample_paths), cwd=tmp_path)
    assert alone.returncode in (0, 1), alone.stderr
    corpus_dir = corpus["empty.xlsx"].parent
    batch = _czcheck(
        "validate", "--jobs", "2", "--format", "json", "-o", str(tmp_path / "batch.json"), str(corpus_dir),
        *map(str, sample_paths), cwd=tmp_path,
    )
    assert batch.returncode == cli.EXIT_CANNOT_RUN  # some corpus files cannot be read: honest exit 2
    assert "Traceback" not in batch.stderr + batch.stdout
    files = {f["source"]: f for f in json.loads((tmp_path / "batch.json").read_text("utf-8"))["files"]}
    # every corpus file has exactly its expected outcome
    for case in CASES:
        entry = files[str(corpus_dir / case.name)]
        if case.error:
            assert entry["error"] and case.error in entry["error"], (case.name, entry["error"])
        else:
            assert entry["error"] is None, (case.name, entry["error"])
        assert INTERNAL_ERROR not in (entry["error"] or "")
    # the samples' findings are unchanged by the company they keep
    for sample in json.loads((tmp_path / "alone.json").read_text("utf-8"))["files"]:
        assert files[sample["source"]]["findings"] == sample["findings"]
        assert files[sample["source"]]["error"] is None
    assert {p: digest(p) for p in sample_paths} == sample_digests
    assert {name: digest(p) for name, p in corpus.items()} == digests
