"""Amount parsing: what published tables print, and a Chinese problem for everything else."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from validators.amounts import (
    UNCACHED_FORMULA_PROBLEM,
    FormulaError,
    UncachedFormula,
    envelope,
    fmt,
    looks_like_amount,
    parse_amount,
    try_amount,
)

D = Decimal


@pytest.mark.parametrize(
    "raw, expected",
    [
        (None, None), ("", None), ("  ", None), ("-", None), ("—", None), ("－", None), ("/", None),
        (0, D(0)), (12, D(12)), (12.5, D("12.5")), (0.1, D("0.1")), (D("3.20"), D("3.20")),
        ("112,250.18", D("112250.18")), ("2, 315. 76", D("2315.76")), ("１，０００．００", D("1000.00")),
        ("６８０．００\u3000", D("680.00")), ("(12.00)", D("-12.00")), ("（12.00）", D("-12.00")),
        ("-300", D("-300")), ("－300", D("-300")), ("\u2212200", D("-200")), ("+5", D("5")),
        ("1,234,567", D("1234567")),
    ],
)
def test_amounts(raw, expected):
    assert parse_amount(raw) == expected
    assert try_amount(raw) == (expected, None)


@pytest.mark.parametrize(
    "raw, words",
    [
        ("一百", "阿拉伯数字"), ("壹佰元整", "阿拉伯数字"), ("1,2,3", "千分位"), ("12.3.4", "多个小数点"),
        ("100万元", "单位"), ("12%", "百分比"), ("abc", "不是可识别的金额"), ("(-5)", "不是可识别的金额"),
        ("#REF!", "#REF!"), ("#N/A", "查找的值不存在"), ("1e5", "不是可识别的金额"),
        (FormulaError("#DIV/0!"), "除数为零"), (FormulaError("#WHAT?"), "#WHAT?"),
        (UncachedFormula("=SUM(A1:A2)"), UNCACHED_FORMULA_PROBLEM),
        (True, "不是金额"), (float("nan"), "有效数字"), (float("inf"), "有效数字"), (D("NaN"), "有效数字"),
        (dt.datetime(2024, 1, 1), "日期"), (dt.date(2024, 1, 1), "日期"), (dt.time(12, 0), "日期"),
    ],
)
def test_problems_are_chinese_and_specific(raw, words):
    amount, problem = try_amount(raw)
    assert amount is None and problem and words in problem
    assert not looks_like_amount(raw)


def test_long_text_is_cut_in_the_message():
    amount, problem = try_amount("很长的备注" * 20_000)
    assert amount is None and len(problem) < 100


def test_sentinels_are_not_blank_strings():
    assert FormulaError("#REF!") != "" and UncachedFormula("=A1") != ""
    assert isinstance(UncachedFormula("=A1"), str)


def test_envelope_and_format():
    assert envelope(2) == D("0.010") and envelope(5) == D("0.025")
    assert fmt(None) == "空" and fmt(D("-1234.5")) == "-1,234.50"


def test_fmt_shows_digits_past_the_cent_instead_of_a_zero():
    """A 元 table figure read in 万元, and a difference inside the rounding envelope, are not shown as 0.00."""
    assert fmt(D("9101.677535")) == "9,101.677535"
    assert fmt(D("0.002465")) == "0.002465" and fmt(D("-0.0004")) == "-0.0004"
    assert fmt(D("12.300")) == "12.30" and fmt(D("1E+3")) == "1,000.00"
    assert fmt(D("0.0000001")) == "0.00"  # past six decimals: the cents


def test_envelope_of_values_printed_to_the_cent_is_the_sum_of_their_halves():
    """envelope_of's shortcut for the default half_ulp gives the plain sum, digit for digit."""
    from validators.amounts import envelope_of
    from validators.model import CellRef, Value

    def plain(values):
        halves = sorted((v.half_ulp for v in values), reverse=True)
        if not halves:
            return Decimal(0)
        return halves[0] * 2 if len(halves) == 1 else sum(halves, Decimal(0))

    cent = [Value(Decimal("1.00"), 1.0, CellRef("s", 0, i)) for i in range(40)]
    other = Value(Decimal("1"), 1.0, CellRef("s", 0, 99), half_ulp=Decimal("50"))
    same = Value(Decimal("1"), 1.0, CellRef("s", 0, 98), half_ulp=Decimal("0.0050"))
    for n in range(40):
        for values in (cent[:n], cent[:n] + [other], [other] + cent[:n], cent[:n] + [same]):
            got, want = envelope_of(values), plain(values)
            assert got == want and str(got) == str(want), (n, got, want)
