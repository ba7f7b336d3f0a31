"""The CZ_ functions through xlwings' real UDF machinery: the Windows decorators (xlfunc/xlarg/xlret),
the VBA wrapper that ImportPythonUDFsToAddin writes, and the argument conversion with the Windows
engine's value cleaning (tests/xlwings_windows.py).  Arguments are what COM hands Python: floats,
tuples of row tuples for array constants, Range objects for references, error codes for #REF!."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

import xlwings_windows as xwin
from xlwings_windows import ERRORS, ComSheet, call_udf, com_range

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def win():
    import sys

    sys.path.insert(0, str(ROOT / "addin"))
    engine = xwin.windows_engine()
    udfs, module = xwin.udf_module()
    try:
        yield udfs, module
    finally:
        xwin.restore(module)
        xwin.unregister(engine)
        sys.path.remove(str(ROOT / "addin"))


@pytest.fixture
def cz(win):
    return win[1]


def test_decorators_are_the_windows_ones(cz):
    info = cz.CZ_SUMCHECK.__xlfunc__
    assert info["category"] == "财政校验"
    assert [a["name"] for a in info["args"]] == ["total", "parts", "tol"]
    assert info["args"][2]["optional"] is None
    for name in ("CZ_SUMCHECK", "CZ_DIFF", "CZ_HIERARCHY", "CZ_SANGONG", "CZ_RULE", "CZ_STATUS"):
        for arg in getattr(cz, name).__xlfunc__["args"]:
            if arg["name"] != "caller":
                opts = arg["options"]
                assert opts.get("err_to_str") is True or opts.get("convert") == cz.PARTS, (name, arg["name"])


def test_vba_wrapper(win):
    udfs, cz = win
    out = io.StringIO()
    book = type("Book", (), {"Name": "czcheck_addin.xlam"})()
    udfs.generate_vba_wrapper("czcheck_udfs", cz, out, book)
    vba = out.getvalue()
    assert "Function CZ_SUMCHECK(total, parts, Optional tol)" in vba
    assert 'XLPy.CallUDF("czcheck_udfs", "CZ_SUMCHECK", Array(total, parts, tol), ActiveWorkbook, Application.Caller)' in vba
    for name in ("CZ_RULE", "CZ_STATUS"):
        body = vba[vba.index(f"Function {name}("):]
        body = body[:body.index("End Function")]
        assert 'If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function' in body
        assert "Application.Volatile" in body
    assert re.search(r"Function CZ_RULE\(code\)", vba)  # caller is supplied by xlwings, not by the user
    sumcheck = vba[vba.index("Function CZ_SUMCHECK("):]
    assert "Application.Volatile" not in sumcheck[:sumcheck.index("End Function")]


def test_constants_and_array_constants(cz):
    assert call_udf(cz.CZ_SUMCHECK, 10.0, 10.0) == "✓"
    assert call_udf(cz.CZ_SUMCHECK, 10.0, ((3.0, 7.0),)) == "✓"  # {3,7}
    assert call_udf(cz.CZ_SUMCHECK, 10.0, ((3.0,), (7.0,))) == "✓"  # {3;7}
    assert call_udf(cz.CZ_SUMCHECK, 10.0, (3.0, 7.0)) == "✓"  # a 1-D array
    assert call_udf(cz.CZ_SUMCHECK, 10.0, 9.0) == 1
    assert call_udf(cz.CZ_SUMCHECK, 10.0, ((3.0, 6.0),)) == 1
    assert call_udf(cz.CZ_SUMCHECK, 10.01, ((3.0, 7.0),)) == "✓"  # within the envelope of 3 amounts
    assert call_udf(cz.CZ_SUMCHECK, 10.02, ((3.0, 7.0),)) == pytest.approx(0.02)
    assert call_udf(cz.CZ_SUMCHECK, 10.01, ((3.0, 7.0),), 0.0) == pytest.approx(0.01)
    assert call_udf(cz.CZ_DIFF, 5.0, 4.0) == 1
    assert call_udf(cz.CZ_DIFF, ((1.0, 2.0),), ((1.0, 3.0),)) == [["✓", -1]]
    assert call_udf(cz.CZ_SANGONG, ((7.0, 1.0, 2.0, 0.0, 2.0, 3.0),)) == "合计差 1.00"


def test_error_values_are_unverifiable_never_blank(cz):
    for text, code in (("#REF!", ERRORS["#REF!"]), ("#DIV/0!", ERRORS["#DIV/0!"])):
        for args in ((code, 10.0), (10.0, code), (10.0, ((3.0, code),)), (0.0, ((code,),))):
            result = call_udf(cz.CZ_SUMCHECK, *args)
            assert isinstance(result, str) and result.startswith("无法校验") and text in result, (args, result)
        assert call_udf(cz.CZ_SUMCHECK, 10.0, 10.0, code).startswith("无法校验")  # tolerance
        assert call_udf(cz.CZ_DIFF, code, 0.0).startswith("无法校验")
        assert call_udf(cz.CZ_SANGONG, ((code, 1.0, 2.0, 0.0, 2.0, 3.0),)).startswith("无法校验")
        assert call_udf(cz.CZ_HIERARCHY, ((201.0,), (20101.0,)), ((code,), (1.0,)))[0][0].startswith("无法校验")


def test_ranges_blanks_and_unions(cz):
    sheet = ComSheet({"E5": 489.17, "E6": 224.17, "E14": 265.0, "F5": 10.0, "F6": 3.0, "F7": 7.0,
                      "G5": ERRORS["#REF!"], "H5": "十元", "C1": 3.0, "D1": 7.0, "C2": 2.0, "D2": 2.0,
                      "B1": 10.0, "B2": 5.0})
    rng = lambda a: com_range(sheet, a)  # noqa: E731
    assert call_udf(cz.CZ_SUMCHECK, rng("E5"), rng("E6,E14")) == "✓"  # a union: every area, not the first
    assert call_udf(cz.CZ_SUMCHECK, rng("E5"), rng("E6,E14,E20")) == "✓"  # a blank cell adds nothing
    assert call_udf(cz.CZ_SUMCHECK, 490.0, rng("E6,E14")) == pytest.approx(0.83)
    assert call_udf(cz.CZ_SUMCHECK, rng("F5"), rng("F6:F7")) == "✓"
    assert call_udf(cz.CZ_SUMCHECK, rng("F5"), rng("F6:F8")) == "✓"
    assert call_udf(cz.CZ_SUMCHECK, rng("F5"), rng("F6")) == 7
    assert call_udf(cz.CZ_SUMCHECK, rng("Z9"), rng("Z10:Z12")) == "✓"  # all blank
    assert call_udf(cz.CZ_SUMCHECK, rng("B1:B2"), rng("C1:D2")) == [["✓"], [1]]
    assert "#REF!" in call_udf(cz.CZ_SUMCHECK, rng("G5"), rng("F6:F7"))
    assert "#REF!" in call_udf(cz.CZ_SUMCHECK, rng("F5"), rng("F6,G5"))
    assert call_udf(cz.CZ_SUMCHECK, rng("F5"), rng("H5")).startswith("无法校验")
    assert call_udf(cz.CZ_DIFF, rng("F5:F7"), rng("F5:F7")) == [["✓"], ["✓"], ["✓"]]
    assert call_udf(cz.CZ_DIFF, rng("G5"), 1.0).startswith("无法校验")


def test_whole_book_functions_read_the_book_once_per_recalculation(cz, monkeypatch):
    import addin.excel
    from conftest import SAMPLES
    from test_addin import FakeBook

    book = FakeBook.from_xlsx(SAMPLES / "yantai-2024-budget.xlsx")
    caller = type("Caller", (), {"sheet": type("S", (), {"book": book})()})()
    now = [1000.0]
    real = addin.excel.book_snapshot
    monkeypatch.setattr(addin.excel, "book_snapshot", lambda b: real(b, clock=lambda: now[0]))
    addin.excel._SNAPSHOTS.clear()
    book.calls.clear()
    first = call_udf(cz.CZ_STATUS, caller)
    reads = book.calls["value"]
    assert reads >= 1 and first[0] == ["错误", "无法校验", "提示", "尾差"]
    for code in ("SZ101", "SZ102", "BN202"):
        assert isinstance(call_udf(cz.CZ_RULE, code, caller), str)
    assert book.calls["value"] == reads  # the same recalculation: no second read
    sheet = book.sheet("收支总体情况表")
    sheet.values[(31, 4)] += 100
    now[0] += addin.excel.SNAPSHOT_SECONDS + 1  # the next recalculation reads again
    assert call_udf(cz.CZ_RULE, "SZ102", caller) == "错误 1 项"
    assert book.calls["value"] == 2 * reads
