"""One unit per disclosure: tables printed in another unit are converted exactly.

上海 预算 prints most tables in 元 and its 三公/机关运行经费 table in 万元.  The disclosure's unit is the
unit most tables state ("单位：元"); every amount of a table in another unit is multiplied exactly into it
(Decimal), and its ``half_ulp`` (what rounding alone can move it) scales with it: 28.50 万元 read into a
元 disclosure is 285000 元 with half_ulp 50.  The printed text stays in ``Value.raw``; the table keeps the
unit it printed in ``Table.cache["printed_unit"]`` and states the disclosure's unit afterwards.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from decimal import Decimal

from ..model import Disclosure, Table, Value

FACTORS = {"元": Decimal(1), "万元": Decimal(10000), "亿元": Decimal(100000000)}


def factor(from_unit: str, to_unit: str) -> Decimal:
    return FACTORS[from_unit] / FACTORS[to_unit]


def printed_half_ulp(raw: object) -> Decimal:
    """Half the last printed digit of an amount as printed ("28.50" → 0.005, "34" → 0.5); 0.005 for
    numbers that carry no printed form (workbook numbers)."""
    if isinstance(raw, str):
        text = raw.strip().replace(",", "").replace("，", "")
        if text and text.lstrip("-").replace(".", "", 1).isdigit():
            decimals = len(text.split(".", 1)[1]) if "." in text else 0
            return Decimal(5).scaleb(-(decimals + 1))
    return Decimal("0.005")


def majority_unit(d: Disclosure) -> str | None:
    counts = Counter(t.unit for t in d.all_tables() if t.unit in FACTORS)
    if not counts:
        return None
    return counts.most_common(1)[0][0]


def harmonise_units(d: Disclosure) -> None:
    """Convert tables printed in a unit other than the disclosure's (the one most tables use)."""
    unit = majority_unit(d)
    if unit is None:
        return
    d.unit = unit
    for t in d.all_tables():
        if t.unit in FACTORS and t.unit != unit:
            convert_table(t, unit)


def convert_table(t: Table, unit: str) -> None:
    f = factor(t.unit or unit, unit)
    for row in t.rows:
        row.values = {k: _scaled(v, f) for k, v in row.values.items()}
    t.cache.clear()
    t.cache["printed_unit"] = t.unit
    t.unit = unit


def _scaled(v: Value, f: Decimal) -> Value:
    if v.amount is None:
        return v
    return replace(v, amount=v.amount * f, half_ulp=printed_half_ulp(v.raw) * f)
