"""Stable addresses of a disclosure's figures across documents: (table kind, row key, column key).

The same line of two documents (this year's and last year's, a department's and its unit's) has the same
row key: the summary line key with its side, the 功能/经济 classification code, the project name, or the
total row.  A row with none of these gets its ordinal among such rows (the 三公 table's one data row).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterator

from ..model import CellRef, Disclosure, Row, RowKind, Table, Value


@dataclass(frozen=True)
class Fact:
    """One amount cell with its cross-document address."""

    table: str  # table kind, e.g. "收支总表"
    row: str  # row key, e.g. "收入:本年收入合计", "功能:2080501", "合计"
    column: str  # column key, e.g. "合计", "合计@2024年预算数"
    value: Value
    table_seq: int  # which table of the disclosure (order of Disclosure.all_tables)

    @property
    def amount(self) -> Decimal | None:
        return self.value.amount

    @property
    def ref(self) -> CellRef:
        return self.value.ref


def row_keys(table: Table) -> list[str]:
    """A key per row of ``table``, unique within it (a repeated key gets "#2", "#3" …)."""
    seen: dict[str, int] = {}
    out = []
    plain = 0
    for row in table.rows:
        key = _row_key(row)
        if key is None:
            plain += 1
            key = f"行{plain}"
        n = seen.get(key, 0) + 1
        seen[key] = n
        out.append(key if n == 1 else f"{key}#{n}")
    return out


def _row_key(row: Row) -> str | None:
    side = f"{row.side}:" if row.side else ""
    if row.kind is RowKind.TOTAL:
        return f"{side}合计"
    if row.kind is RowKind.MARKER:
        return f"{side}缺失行"
    if row.key:
        return f"{side}{row.key}"
    if row.code:
        return f"{side}功能:{row.code}"
    if row.econ_dept:
        return f"{side}经济:{row.econ_dept}" + (f"/{row.econ_gov}" if row.econ_gov else "")
    if row.econ_gov:
        return f"{side}政府经济:{row.econ_gov}"
    if row.label:
        return f"{side}名称:{row.label}"
    return None


def facts(d: Disclosure) -> Iterator[Fact]:
    """Every value cell of the disclosure with its address (blank and unreadable cells included)."""
    for seq, table in enumerate(d.all_tables()):
        for row, key in zip(table.rows, row_keys(table)):
            for column, value in row.values.items():
                yield Fact(table.kind, key, column, value, seq)


def index(d: Disclosure) -> dict[tuple[str, str, str], Fact]:
    """(table, row, column) -> Fact in 万元 (documents printed in 元 and in 万元 compare alike); the first
    table of a kind wins (as Disclosure.table does)."""
    from ..reading.units import value_to_wan

    if "crossdoc_index" not in d.cache:
        out: dict[tuple[str, str, str], Fact] = {}
        for f in facts(d):
            key = (f.table, f.row, f.column)
            if key not in out:
                out[key] = Fact(f.table, f.row, f.column, value_to_wan(d.unit, f.value), f.table_seq)
        d.cache["crossdoc_index"] = out
    return d.cache["crossdoc_index"]
