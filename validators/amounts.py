"""Amounts as Decimal: parsing published numbers, and the rounding envelope.

Published tables print amounts like "112,250.18", "2, 315. 76" (OCR spaces), "１，０００.００"
(fullwidth), "-" (nothing), "(12.00)" (negative).  A blank cell is blank, not zero.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from itertools import repeat
from operator import is_
from typing import Iterable, Any

from .model import _HALF_CENT  # a Value's default half_ulp (envelope_of's usual case)

CENT = Decimal("0.01")
# yuan per amount unit: the one table every unit conversion uses (reading.units, narrative)
UNIT_YUAN: dict[str, Decimal] = {"元": Decimal(1), "千元": Decimal(1000), "万元": Decimal(10000), "亿元": Decimal(100000000)}

DASHES = _DASHES = {"-", "—", "–", "－", "——", "--", "/", "／", "…"}
_SPACES = re.compile(r"[\s\u3000\u00a0]+")
_PLAIN = re.compile(r"^[+-]?\d+(\.\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


class AmountError(ValueError):
    """Text that is not an amount; the message is Chinese and names the text."""


class FormulaError(str):
    """A cell holding a formula error (``#REF!``, ``#DIV/0!`` …); the text is the error code.

    python-calamine returns error cells as empty strings, which would read as blank; the reader
    (reading/safety.py) puts this sentinel in the grid instead.
    """


class UncachedFormula(str):
    """A formula cell without a cached result (written by a program, never recalculated).

    The text is the formula ("=SUM(E6:E9)").  Read naively it is blank; czcheck reports it.
    """


UNCACHED_FORMULA_PROBLEM = (
    "公式没有计算结果（文件由程序生成、未经 Excel 重新计算），请在 Excel 中打开并保存后再校验"
)

FORMULA_ERRORS = {
    "#REF!": "引用的单元格已被删除",
    "#DIV/0!": "除数为零",
    "#VALUE!": "参与计算的值类型不对",
    "#N/A": "查找的值不存在",
    "#NAME?": "公式中有无法识别的名称",
    "#NUM!": "数值无效",
    "#NULL!": "区域引用不相交",
    "#SPILL!": "溢出区域被占用",
    "#CALC!": "计算出错",
    "#GETTING_DATA": "数据尚未取得",
}

_CHINESE_NUMERALS = set("零〇一二三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟两")
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2010": "-", "\u2011": "-", "\ufe63": "-"})


def normalize_text(text: str) -> str:
    """NFKC (fullwidth digits and punctuation to ASCII) and no whitespace at all."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text))


def formula_error_problem(code: str) -> str:
    code = code.strip().upper()
    meaning = FORMULA_ERRORS.get(code)
    if meaning:
        return f"公式错误 {code}（{meaning}），没有可用的金额"
    return f"公式错误 {code[:20]}，没有可用的金额"


def _text_problem(original: str, text: str) -> str:
    """A Chinese explanation of why ``text`` (normalised) is not an amount."""
    shown = original.strip()[:40]
    if text.upper() in FORMULA_ERRORS or (text.startswith("#") and text[-1:] in "!?"):
        return formula_error_problem(text)
    if text and all(ch in _CHINESE_NUMERALS or ch in "元角分整点" for ch in text):
        return f"“{shown}”是中文大写或汉字数字，请填写阿拉伯数字（如 100.00）"
    if text.endswith(("万元", "元")) and _PLAIN.match(text.rstrip("万元")):
        return f"“{shown}”带有单位，请只填写数字（单位写在表头“单位：万元”中）"
    if text.count(".") > 1 and re.fullmatch(r"[+-]?[\d.,]+", text):
        return f"“{shown}”有多个小数点，不是可识别的金额"
    if "," in text and re.fullmatch(r"[+-]?[\d.,]+", text):
        return f"“{shown}”的千分位逗号位置不对，不是可识别的金额"
    if text.endswith("%"):
        return f"“{shown}”是百分比，不是金额"
    return f"“{shown}”不是可识别的金额"


def parse_amount(raw: Any) -> Decimal | None:
    """Parse one cell value.  None for blank; AmountError for text that is not an amount.

    Accepts numbers, "1,000.00", "2, 315. 76", fullwidth digits, "-" for nothing,
    "(12.00)" / "（12.00）" for negatives, a trailing "万元"/"元" is refused (units belong
    in the header, and 元 in a 万元 table is a real mistake).
    """
    if raw is None:
        return None
    if isinstance(raw, UncachedFormula):
        raise AmountError(UNCACHED_FORMULA_PROBLEM)
    if isinstance(raw, FormulaError):
        raise AmountError(formula_error_problem(raw))
    if isinstance(raw, bool):
        raise AmountError(f"“{raw}”不是金额")
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise AmountError("单元格不是有效数字")
        return Decimal(repr(raw))
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise AmountError("单元格不是有效数字")
        return raw
    if isinstance(raw, (_dt.date, _dt.time, _dt.timedelta)):
        raise AmountError("单元格是日期或时间格式，不是金额（请把单元格格式改为“数值”）")
    text = normalize_text(str(raw)).translate(_MINUS_SIGNS)
    if not text or text in _DASHES:
        return None
    negative = False
    if len(text) > 2 and text[0] == "(" and text[-1] == ")":
        negative, text = True, text[1:-1]
    if _PLAIN.match(text):
        value = Decimal(text)
    elif _GROUPED.match(text):
        value = Decimal(text.replace(",", ""))
    else:
        raise AmountError(_text_problem(str(raw), text))
    if negative and text.startswith(("-", "+")):
        raise AmountError(_text_problem(str(raw), "(" + text + ")"))
    return -value if negative else value


def try_amount(raw: Any) -> tuple[Decimal | None, str | None]:
    """(amount, None) or (None, Chinese problem) — never raises."""
    try:
        return parse_amount(raw), None
    except (AmountError, InvalidOperation) as exc:
        return None, str(exc) or "不是可识别的金额"


def looks_like_amount(raw: Any) -> bool:
    amount, problem = try_amount(raw)
    return amount is not None and problem is None


def envelope(n_amounts: int, quantum: Decimal = CENT) -> Decimal:
    """Largest difference rounding alone can explain.

    Each printed amount carries up to half a quantum of rounding; a relation between
    ``n_amounts`` printed amounts (the parts and the total) can be off by up to
    ``n_amounts × quantum/2``.  Two amounts that should be equal: 0.01.
    """
    return quantum / 2 * max(n_amounts, 2)


def envelope_of(values: Iterable[Any]) -> Decimal:
    """Rounding envelope of a relation among these printed values (each has ``half_ulp``).

    Like ``envelope``, at least two amounts' worth: two amounts that should be equal may differ by
    one unit of the last printed digit.
    """
    halves = [v.half_ulp for v in values]
    if not halves:
        return Decimal(0)
    if halves[0] is _HALF_CENT and all(map(is_, halves, repeat(_HALF_CENT))):
        # every value printed to the cent (the default half_ulp object): the sum below, n copies of 0.005,
        # is exactly 0.005 × n (the same digits and exponent)
        return _HALF_CENT * max(len(halves), 2)
    halves.sort(reverse=True)
    if len(halves) == 1:
        return halves[0] * 2
    return sum(halves, Decimal(0))


def fmt(amount: Decimal | None) -> str:
    """Chinese display: thousands separators, two decimals; blank as "空".  An amount with digits beyond
    the second decimal (a 元 table read in 万元, a difference inside the rounding envelope) shows them,
    up to six, so that no message says “相差 0.00” of a difference that is not zero."""
    if amount is None:
        return "空"
    if isinstance(amount, Decimal) and amount.is_finite() and amount.as_tuple().exponent < -2:
        text = f"{amount:,.6f}".rstrip("0")
        if len(text.rsplit(".", 1)[-1]) > 2:
            return text
    return f"{amount:,.2f}"


def amount_parts(expected: Decimal | None, actual: Decimal | None, difference: Decimal | None,
                 actual_blank: bool = False) -> list[str]:
    """["应为 …", "实际 …", "差额 …"] for the figures a finding has (“实际 空白” for a blank cell)."""
    parts = []
    for label, value in (("应为", expected), ("实际", actual), ("差额", difference)):
        if value is not None:
            parts.append(f"{label} 空白" if label == "实际" and actual_blank else f"{label} {fmt(value)}")
    return parts
