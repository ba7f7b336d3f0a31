"""Relation checks shared by every rule: Σparts = total and a = b, with the rounding envelope."""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from ..amounts import envelope, fmt
from ..model import Finding, Row, Severity, Table, Value
from . import Context

MISSING_ROWS = "（该表有行在 PDF 转换或填报中缺失，缺少的行可以解释这一差额）"


def row_name(table: Table, row: Row) -> str:
    if row.kind.value == "total":
        return f"{table.kind}合计行"
    code = row.code or row.econ_dept or ""
    if row.econ_gov:
        code = f"{code}/{row.econ_gov}"
    label = row.label or "（无名称）"
    return f"{table.kind}“{code + ' ' if code else ''}{label}”"


def column_name(key: str) -> str:
    role, _, group = key.partition("@")
    return f"{group}{role}" if group else role


def sum_check(
    ctx: Context,
    total: Value | None,
    parts: Sequence[Value | None],
    what: str,
    *,
    incomplete: bool = False,
    table: Table | None = None,
    evidence: dict | None = None,
) -> Finding | None:
    """total = Σ parts.  Blank counts as zero.  None when it holds exactly or there is nothing."""
    present = [p for p in parts if p is not None]
    if total is None or not present:
        return None
    if total.problem or any(p.problem for p in present):
        return None  # the unreadable cell is reported by RD001 as 无法校验
    if total.blank and all(p.blank for p in present):
        return None
    expected = sum((p.number for p in present), Decimal(0))
    actual = total.number
    diff = actual - expected
    if diff == 0:
        return None
    n = 1 + sum(1 for p in present if not p.blank)
    kw = dict(
        cells=[total.ref], related_cells=[p.ref for p in present], expected=expected, actual=actual,
        difference=diff, table=table.kind if table else None, evidence=evidence or {},
    )
    base = f"{what}：合计数 {fmt(actual)}，各组成部分之和 {fmt(expected)}，相差 {fmt(diff)}"
    if abs(diff) <= envelope(n):
        return ctx.finding(Severity.ROUNDING, message=f"{base}（在四舍五入尾差范围内）", **kw)
    if incomplete and diff > 0:
        return ctx.finding(Severity.UNVERIFIABLE, message=f"{base}{MISSING_ROWS}", **kw)
    return ctx.finding(message=base, **kw)


def equal_check(
    ctx: Context,
    a: Value | None,
    b: Value | None,
    what: str,
    *,
    table: Table | None = None,
    incomplete: bool = False,
) -> Finding | None:
    """a = b across two places.  ``b`` is the reference (expected)."""
    if a is None or b is None or a.problem or b.problem:
        return None
    if a.blank and b.blank:
        return None
    expected, actual = b.number, a.number
    diff = actual - expected
    if diff == 0:
        return None
    kw = dict(cells=[a.ref], related_cells=[b.ref], expected=expected, actual=actual, difference=diff,
              table=table.kind if table else None)
    base = f"{what}：{fmt(actual)} 与 {fmt(expected)} 不一致，相差 {fmt(diff)}"
    if abs(diff) <= envelope(2):
        return ctx.finding(Severity.ROUNDING, message=f"{base}（在四舍五入尾差范围内）", **kw)
    if incomplete:
        return ctx.finding(Severity.UNVERIFIABLE, message=f"{base}{MISSING_ROWS}", **kw)
    return ctx.finding(message=base, **kw)


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
