"""Amounts as Decimal: parsing published numbers, and the rounding envelope.

Published tables print amounts like "112,250.18", "2, 315. 76" (OCR spaces), "１，０００.００"
(fullwidth), "-" (nothing), "(12.00)" (negative).  A blank cell is blank, not zero.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
HALF_CENT = Decimal("0.005")

_DASHES = {"-", "—", "–", "－", "——", "--", "/", "／", "…"}
_SPACES = re.compile(r"[\s\u3000\u00a0]+")
_PLAIN = re.compile(r"^[+-]?\d+(\.\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


class AmountError(ValueError):
    """Text that is not an amount; the message is Chinese and names the text."""


def normalize_text(text: str) -> str:
    """NFKC (fullwidth digits and punctuation to ASCII) and no whitespace at all."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text))


def parse_amount(raw: Any) -> Decimal | None:
    """Parse one cell value.  None for blank; AmountError for text that is not an amount.

    Accepts numbers, "1,000.00", "2, 315. 76", fullwidth digits, "-" for nothing,
    "(12.00)" / "（12.00）" for negatives, a trailing "万元"/"元" is refused (units belong
    in the header, and 元 in a 万元 table is a real mistake).
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise AmountError(f"“{raw}”不是金额")
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise AmountError("单元格不是有效数字")
        return Decimal(repr(raw))
    if isinstance(raw, Decimal):
        return raw
    text = normalize_text(str(raw))
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
        raise AmountError(f"“{str(raw).strip()[:40]}”不是可识别的金额")
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


def fmt(amount: Decimal | None) -> str:
    """Chinese display: thousands separators, two decimals; blank as "空"."""
    if amount is None:
        return "空"
    return f"{amount:,.2f}"
