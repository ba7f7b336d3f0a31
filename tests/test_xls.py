"""Excel 97-2003 workbooks (.xls): read like .xlsx (values by python-calamine; formula errors and hidden rows
by xlrd), validated with the same findings; never written (marking and clearing refuse with advice).

The books in tests/data/xls were saved by LibreOffice (tests/data/xls/make.py says how): the same book as
.xls and .xlsx, a formula error and a hidden row included."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from validators.engine import collect_files, validate_file
from validators.reading.grid import read_grids

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "xls"
SAMPLES = ROOT / "workbooks" / "samples"


def _keys(report) -> list[tuple]:
    # the .xlsx reader also knows which cells hold formulas and adds a note on cached values; the .xls one does not
    return [(f.code, f.severity, tuple(str(c) for c in f.cells), f.message.split("（注意：")[0]) for f in report.findings]


def test_an_xls_gives_the_findings_of_the_same_book_as_xlsx():
    xls = validate_file(DATA / "weihai-2024-final-accounts.xls")
    xlsx = validate_file(SAMPLES / "weihai-2024-final-accounts.xlsx")  # its 校验 sheet is not read
    assert xls.error is None and xls.disclosure.department == xlsx.disclosure.department
    assert xls.findings and _keys(xls) == _keys(xlsx)


def test_formula_errors_and_hidden_rows_of_an_xls_are_read_as_in_xlsx():
    grids = {g.name: g for g in read_grids(DATA / "zibo-errors.xls")}
    twins = {g.name: g for g in read_grids(DATA / "zibo-errors.xlsx")}
    assert grids.keys() == twins.keys()
    for name, grid in grids.items():
        assert grid.rows == twins[name].rows and grid.hidden_rows == twins[name].hidden_rows, name
    spending = grids["支出总体情况表"]
    assert spending.cell(7, 5) == "#DIV/0!" and type(spending.cell(7, 5)).__name__ == "FormulaError"
    assert spending.hidden_rows == frozenset({8})
    xls, xlsx = validate_file(DATA / "zibo-errors.xls"), validate_file(DATA / "zibo-errors.xlsx")
    assert _keys(xls) == _keys(xlsx)
    error = [f for f in xls.findings if [str(c) for c in f.cells] == ["支出总体情况表!F8"]]
    assert error and "#DIV/0!" in error[0].message


def test_a_folder_collects_xls_and_the_command_validates_it(tmp_path):
    shutil.copyfile(DATA / "weihai-2024-final-accounts.xls", tmp_path / "a.xls")
    files, problems = collect_files([str(tmp_path)])
    assert files == [tmp_path / "a.xls"] and not problems
    out = subprocess.run([sys.executable, "-m", "validators", "validate", str(tmp_path)], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 1 and "威海市医疗保障局" in out.stdout and "Traceback" not in out.stderr


def test_an_xls_is_never_written(tmp_path):
    book = tmp_path / "a.xls"
    shutil.copyfile(DATA / "weihai-2024-final-accounts.xls", book)
    before = hashlib.sha256(book.read_bytes()).hexdigest()
    for args in (["validate", str(book), "--mark"], ["validate", str(book), "--in-place"], ["clear", str(book)]):
        out = subprocess.run([sys.executable, "-m", "validators", *args], capture_output=True, text=True, cwd=ROOT,
                             timeout=120)
        assert out.returncode == 2 and "另存为" in out.stdout + out.stderr, (args, out.stdout, out.stderr)
        assert "Traceback" not in out.stdout + out.stderr
    assert hashlib.sha256(book.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xls"]


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_a_damaged_xls_is_refused_in_chinese(tmp_path, cut):
    data = (DATA / "weihai-2024-final-accounts.xls").read_bytes()
    book = tmp_path / "damaged.xls"
    book.write_bytes(data[: int(len(data) * cut)])
    report = validate_file(book)
    assert report.error and "另存为" in report.error and "xls" in report.error


def test_an_xls_sheet_beyond_the_dense_limit_is_refused():
    from validators.package import Limits
    from validators.reading.grid import ReadError

    with pytest.raises(ReadError, match="使用范围过大"):
        read_grids(DATA / "weihai-2024-final-accounts.xls", limits=Limits(max_dense_cells=100))


def test_other_compound_files_are_told_apart(tmp_path):
    """An Office 97-2003 file that is not a workbook (no Workbook stream; here the .xls's directory names
    blanked) is refused as such, and as a WPS 表格 file under .et; the same bytes renamed .xlsx are read as .xls."""
    data = (DATA / "weihai-2024-final-accounts.xls").read_bytes()
    blank = data.replace("Workbook".encode("utf-16-le"), "Xorkbook".encode("utf-16-le")).replace(
        "Book".encode("utf-16-le"), "Xook".encode("utf-16-le"))
    for name, phrase in [("a.doc", "不是 Excel 工作簿"), ("a.et", "WPS 表格文件（.et）"), ("a.xls", "另存为")]:
        (tmp_path / name).write_bytes(blank)
        report = validate_file(tmp_path / name)
        assert report.error and phrase in report.error, (name, report.error)
    (tmp_path / "renamed.xlsx").write_bytes(data)
    assert validate_file(tmp_path / "renamed.xlsx").findings
