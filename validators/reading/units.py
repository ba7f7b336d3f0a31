"""Amount units: what a table declares (“单位：元”, “金额单位：万元”, “（万元）”) and exact conversion.

Every amount is compared in the disclosure's unit.  A table printed in another unit is converted
exactly (Decimal, no rounding) and each value's ``half_ulp`` is scaled with it: 0.01 printed in 元
read into a 万元 disclosure can be off by 0.0000005 万元; 0.01 万元 read into a 元 disclosure by 50 元.
Shared by the workbook reader and the PDF reader.
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from typing import Any

from ..amounts import UNIT_YUAN, normalize_text
from ..model import Value

_DECLARED = re.compile(r"(?:金额|计量)?单位[:：]?(亿元|万元|千元|元)(?![\u4e00-\u9fff])")
_BARE = re.compile(r"^[(（\[【]?(亿元|万元|千元|元)[)）\]】]?$")


def declared_unit(text: Any) -> str | None:
    """The unit a cell's text declares: “单位：元”, “金额单位：万元”, “编制部门：XX 单位:元”,
    “（单位：万元）” in a title, or a cell holding only “万元” / “（元）”.  None otherwise."""
    if not isinstance(text, str) or "元" not in text or len(text) > 120:
        return None
    t = normalize_text(text)
    m = _DECLARED.search(t)
    if m:
        return m.group(1)
    m = _BARE.match(t)
    return m.group(1) if m else None


def factor(from_unit: str, to_unit: str) -> Decimal:
    """Multiply an amount in ``from_unit`` by this to express it in ``to_unit`` (exact)."""
    return UNIT_YUAN[from_unit] / UNIT_YUAN[to_unit]


def convert(amount: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """``amount`` (in ``from_unit``) in ``to_unit``, exactly: 1,234.56 元 → 0.123456 万元."""
    if from_unit == to_unit:
        return amount
    return amount * UNIT_YUAN[from_unit] / UNIT_YUAN[to_unit]


def convert_value(value: Any, from_unit: str, to_unit: str) -> Any:
    """A model Value expressed in ``to_unit``: amount converted, half_ulp scaled (cell unchanged)."""
    if from_unit == to_unit:
        return value
    f = factor(from_unit, to_unit)
    amount = value.amount * f if value.amount is not None else None
    where = value.__dict__.get("_at")  # read by the reader (Value.at): the cell stays unbuilt
    if where is not None and type(value) is Value:
        return Value.at(amount, value.raw, where, value.problem, value.half_ulp * f)
    return dataclasses.replace(value, amount=amount, half_ulp=value.half_ulp * f)


def to_wan(unit: str | None, amount: Any) -> Any:
    """An amount read in ``unit`` (a disclosure's) in 万元, the unit narratives state figures in."""
    return convert(amount, unit, "万元") if unit in UNIT_YUAN and unit != "万元" else amount


def value_to_wan(unit: str | None, value: Any) -> Any:
    """A model Value read in ``unit`` in 万元 (amount converted, half_ulp scaled)."""
    return convert_value(value, unit, "万元") if unit in UNIT_YUAN and unit != "万元" else value
