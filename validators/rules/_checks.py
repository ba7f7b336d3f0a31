"""Helpers shared by rule modules.  Tolerance lives in rules/relations.py (the one policy)."""

from __future__ import annotations

from decimal import Decimal

from ..amounts import fmt
from ..model import Finding, Severity, Table, Value
from . import Context
from .relations import MISSING_ROWS, column_name, equal_check, row_name, sum_check  # noqa: F401 - shared names


def missing_row(ctx: Context, present: Value, where: Table, what: str) -> Finding | None:
    """A row with an amount on one side has no counterpart row in ``where``."""
    if present.problem or present.blank or present.number == 0:
        return None
    if where.truncated:
        return ctx.finding(
            Severity.UNVERIFIABLE,
            message=f"{what}：{where.kind}中找不到对应行，该表有行缺失（PDF 转换截断），无法核对金额 {fmt(present.number)}",
            cells=[present.ref], related_cells=list(where.missing_rows), actual=present.number, table=where.kind,
        )
    return ctx.finding(
        message=f"{what}：{where.kind}中没有对应的行，金额 {fmt(present.number)} 无处对应",
        cells=[present.ref], expected=Decimal(0), actual=present.number, difference=present.number, table=where.kind,
    )
