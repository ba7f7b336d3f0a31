"""Relations: ONE rounding policy and the generic kinds that format packs declare.

The policy (``judge``) decides every tolerance in czcheck: a relation among printed amounts that holds
exactly passes; one off by no more than the rounding envelope (Σ half_ulp of the printed values, at least
two values' worth) is 尾差; beyond it, 无法校验 when the table was cut short and the missing rows can
explain the gap, otherwise the rule's severity (错误 unless the rule says 提示).  Unreadable cells are
left to RD001, blanks are zero, a relation with no values at all is not applicable.

Every evaluated relation is also recorded as a ``Check`` (what was compared, cell by cell, and the
verdict): the 校验 sheet writes one native-formula row per Check, so the sheet and the engine agree
by construction.

Kinds (arguments as in relations.toml; a line is "side:key", e.g. "收入:本年收入合计"):

- ``ledger_sum``    in each of ``tables`` (ledger layout), line ``total`` = Σ lines ``parts``, per column
                    (``columns``: "amount" = 合计 and its column groups, "all" = every amount column of
                    the total line, or a list).  A part may be {line=…, above=KEY} (counted only when
                    printed above line KEY) or {line=…, not_above=KEY}, or "A|B,C" (line A, or B + C
                    when A is not printed).
- ``ledger_classes`` line ``total`` = Σ the 功能分类 class lines of ``side``.
- ``row_sum``       every row of ``tables`` ("*" = all but ``exclude_layouts``): column ``total`` = Σ
                    columns ``parts`` (those the table has; ``require`` names columns that must exist,
                    ``need_all`` asks for every part; ``side`` limits the rows).
- ``hierarchy``     parent = Σ children for the hierarchy groups of ``layout`` at ``level``, every amount
                    column (``tables`` limits the kinds).
- ``sum``           a cell = Σ cells across tables: ``total`` and ``parts`` are operands
                    {table, line | row ("total", "first" or a row key) | econ (部门经济分类 codes), column
                    (a list: the first the table has), group ("current": the current year group)}.
- ``equal``, ``agree``, ``match_codes`` (rows by 功能分类 code, or ``by = "econ"``: by economic code pair),
  ``classes``, ``balance`` (Σleft = Σright, cells or every row), ``block_sum`` (a block's total row = Σ its
  类 rows), ``at_most`` (parts may not exceed a total: exceeding 错误, short the rule's severity),
  ``correspondence`` (功能分类 rows = Σ the 经济分类 rows that correspond to them): see each kind's docstring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from itertools import compress, count, repeat
from operator import and_, attrgetter, is_, itemgetter, ne, not_, truth
from pathlib import Path
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from ..amounts import envelope_of, fmt
from ..model import Finding, Row, RowKey, RowKind, Severity, Table, Value
from ..reading.tables import AmountNumbers

if TYPE_CHECKING:
    from ..schemas.formats import Relation
    from . import Context

MISSING_ROWS = "（该表有行在 PDF 转换或填报中缺失，缺少的行可以解释这一差额）"
ROUNDING_NOTE = "（在四舍五入尾差范围内）"


# ---- the policy ------------------------------------------------------------------------------


@dataclass
class Check:
    """One evaluated relation: Σ``right`` should equal Σ``left``; ``severity`` None when it holds exactly."""

    code: str
    label: str
    left: list[Value]  # the total side (应等于的数)
    right: list[Value]  # the parts side (各部分之和)
    incomplete: bool  # a table involved was cut short (【数据缺失】)
    explain: str  # "short": missing rows explain parts falling short; "any": any gap
    severity: Severity | None
    envelope: Decimal = Decimal(0)
    failing: Severity = Severity.ERROR  # what the rule says beyond the envelope (错误, or 提示 for some rules)
    exceeds: Severity | None = None  # at_most: what it says when Σright exceeds Σleft (``failing`` is then for short)
    short_ok: bool = False  # at_most: Σright short of Σleft is allowed (nothing beyond the envelope)


_ZERO = Decimal(0)


def _text(what: "str | Callable[[], str]") -> str:
    """A check's description; the callers on hot paths pass a callable, built only when something is said."""
    return what() if callable(what) else what


def _by_code(t: Table) -> dict[str, Row]:
    """``t.by_code()``, built once per table while its rows are the same list of the same length (the
    relations ask for it once per relation and per code-matched operand).  Read only: never change it."""
    kept = t.cache.get("_relations_by_code")
    if kept is None or kept[0] is not t.rows or kept[1] != len(t.rows):
        kept = (t.rows, len(t.rows), t.by_code())
        t.cache["_relations_by_code"] = kept
    return kept[2]


def _keys(t: Table) -> frozenset:
    """The keys of ``t``'s columns (``t.has(key)`` is ``key in _keys(t)``), kept in ``t.cache`` while the
    column list is the same list of the same length."""
    kept = t.cache.get("_relations_keys")
    if kept is None or kept[0] is not t.columns or kept[1] != len(t.columns):
        kept = (t.columns, len(t.columns), frozenset(c.key for c in t.columns if c.key))
        t.cache["_relations_keys"] = kept
    return kept[2]


def _recording(ctx: "Context") -> bool:
    return getattr(ctx, "_recorder", None) is not None


class _Amounts:
    """One table's amounts by column for one run of the catalogue (``_amounts(ctx, t)``): ``column(key)``
    is the list, in row order, of 100 × each row's ``number`` in that column (0 where the row has no such
    cell), read from the sheet's cells without building Values (``reading.tables.AmountNumbers``: exact
    ints for amounts to the cent, exact Decimals or NaN otherwise).  Only the fast pass reads it: a check
    whose sum it shows to hold exactly says nothing without a recorder (every such sum is exact, as judge's
    is); every other check goes to judge with the row's Values."""

    def __init__(self, t: Table, memo: dict | None = None) -> None:
        self.rows = t.rows
        self._numbers = AmountNumbers(t.rows, memo)
        self._columns: dict[str, list[Any]] = {}
        self._at: dict[int, int] | None = None
        self._at_code: dict[str, dict[str, int]] = {}

    def column(self, key: str) -> list[Any]:
        col = self._columns.get(key)
        if col is None:
            col = self._columns[key] = self._numbers.column(key)  # without building Values (Row.lazy)
        return col

    def positions(self) -> dict[int, int]:
        """Row position by ``id(row)``."""
        if self._at is None:
            self._at = dict(zip(map(id, self.rows), count()))
        return self._at

    def at_code(self, by: str) -> dict[str, int]:
        """Row position by 功能分类 code (``by`` "code": as ``_by_code``) or economic code pair ("econ": as
        ``_by_econ``), the last row of a code winning as there."""
        found = self._at_code.get(by)
        if found is None:
            rows, data = self.rows, RowKind.DATA
            if by == "econ":
                found = {f"{r.econ_dept}/{r.econ_gov or ''}": i for i, r in enumerate(rows) if r.kind is data and r.econ_dept}
            else:  # {r.code: i for DATA rows with a code}, in C: (code, position) of the rows that pass
                codes = list(map(_CODE, rows))
                passes = map(and_, map(is_, map(_KIND, rows), repeat(data)), map(truth, codes))
                found = dict(compress(zip(codes, count()), passes))
            self._at_code[by] = found
        return found

    def failing_rows(self, total_key: str, part_keys: Sequence[str]) -> list[Row]:
        """The rows where Σ``part_keys`` is not exactly ``total_key`` (rows without the total among them)."""
        totals = self.column(total_key)
        if len(part_keys) == 1:
            sums: Iterable[Any] = self.column(part_keys[0])
        else:
            sums = map(sum, zip(*[self.column(k) for k in part_keys]))
        rows = self.rows
        return [rows[i] for i in compress(count(), map(ne, sums, totals))]


_CODE, _KIND = attrgetter("code"), attrgetter("kind")
_ABSENT = object()  # a code's amount in a table that does not print the code: unequal to every amount


def _amounts(ctx: "Context", t: Table) -> _Amounts:
    memo = getattr(ctx, "memo", None)
    if memo is None:
        return _Amounts(t)
    found = memo.get(("relations_amounts", id(t)))
    if found is None or found.rows is not t.rows:
        found = memo[("relations_amounts", id(t))] = _Amounts(t, memo.setdefault("relations_hundredths", {None: 0, "": 0}))
    return found


def envelope_for(left: Sequence[Value], right: Sequence[Value]) -> Decimal:
    """The rounding envelope: every total-side value plus every printed (non-blank) part."""
    return envelope_of(list(left) + [v for v in right if not v.blank])


def verdict(diff: Decimal, env: Decimal, *, incomplete: bool, explain: str, default: Severity) -> Severity | None:
    """THE decision: None (holds), 尾差, 无法校验 (missing rows can explain it) or the rule's severity."""
    if diff == 0:
        return None
    if abs(diff) <= env:
        return Severity.ROUNDING
    if incomplete and (explain == "any" or diff > 0):
        return Severity.UNVERIFIABLE
    return default


def judge(
    ctx: "Context",
    left: Sequence[Value],
    right: Sequence[Value],
    message: Callable[[Decimal, Decimal, Decimal], str],
    *,
    incomplete: bool = False,
    explain: str = "short",
    label: str = "",
    cells: list | None = None,
    related: list | None = None,
    table: Table | None = None,
    evidence: dict | None = None,
    failing: Severity | None = None,
    exceeds: Severity | None = None,
    short_ok: bool = False,
    missing_note: str = MISSING_ROWS,
) -> Finding | None:
    """Σright against Σleft under the policy; records the Check; returns the Finding or None.

    ``message(actual, expected, diff)`` builds the Chinese text (actual = Σleft, expected = Σright,
    as the totals are the cells a finding is about).  The caller has already dropped absent values.
    ``failing``: the severity beyond the envelope when it is not the rule's; ``exceeds``: the severity when
    Σright exceeds Σleft (at_most), ``failing`` then being for Σright short of Σleft, unless ``short_ok``
    (falling short is allowed beyond the envelope too).
    """
    if not left or not right:
        return None
    for v in left:
        if v.problem:
            return None  # an unreadable cell is reported once, by RD001, as 无法校验
    for v in right:
        if v.problem:
            return None
    expected = _ZERO + right[0].number if len(right) == 1 else sum([v.number for v in right], _ZERO)
    actual = _ZERO + left[0].number if len(left) == 1 else sum([v.number for v in left], _ZERO)
    diff = actual - expected
    if diff == 0 and getattr(ctx, "_recorder", None) is None:
        return None  # verdict(0, ...) is None whatever the envelope; nothing to record
    env = envelope_for(left, right)
    failing = failing or ctx.severity
    default: Severity | None = failing
    if exceeds is not None and diff < 0:
        default = exceeds
    elif short_ok and diff > 0:
        default = None
    severity = verdict(diff, env, incomplete=incomplete, explain=explain, default=default)
    if getattr(ctx, "_recorder", None) is not None:  # (ctx.record does nothing without one: no Check, no label)
        ctx.record(Check(ctx.rule.code, _text(label), list(left), list(right), incomplete, explain, severity, env, failing,
                         exceeds, short_ok))
    if severity is None:
        return None
    text = message(actual, expected, diff)
    if severity is Severity.ROUNDING:
        text += ROUNDING_NOTE
    elif severity is Severity.UNVERIFIABLE:
        text += missing_note
    return ctx.finding(
        severity, message=text,
        cells=cells if cells is not None else [v.ref for v in left],
        related_cells=related if related is not None else [v.ref for v in right],
        expected=expected, actual=actual, difference=diff,
        table=table.kind if table else None, evidence=evidence or {},
    )


def sum_check(ctx: "Context", total: Value | None, parts: Sequence[Value | None], what: str, *,
              incomplete: bool = False, table: Table | None = None, evidence: dict | None = None,
              missing_note: str = MISSING_ROWS) -> Finding | None:
    """total = Σ parts (blank parts count as zero)."""
    present = [p for p in parts if p is not None]
    if total is None or not present:
        return None
    return judge(ctx, [total], present,
                 lambda a, e, d: f"{_text(what)}：合计数 {fmt(a)}，各组成部分之和 {fmt(e)}，相差 {fmt(d)}",
                 incomplete=incomplete, label=what, table=table, evidence=evidence, missing_note=missing_note)


def equal_check(ctx: "Context", a: Value | None, b: Value | None, what: str, *,
                table: Table | None = None, incomplete: bool = False) -> Finding | None:
    """a = b across two places; ``b`` is the reference.  A cut table makes any gap 无法校验."""
    if a is None or b is None:
        return None
    return judge(ctx, [a], [b], lambda x, e, d: f"{_text(what)}：{fmt(x)} 与 {fmt(e)} 不一致，相差 {fmt(d)}",
                 incomplete=incomplete, explain="any", label=what, table=table)


def balance_check(ctx: "Context", left: list[Value | None], right: list[Value | None], what: str,
                  table: Table) -> Finding | None:
    """Σleft = Σright, reported on the right-hand cells (Σright is checked against Σleft)."""
    if any(v is None for v in left + right):
        return None
    return judge(ctx, right, left, lambda b, a, d: f"{_text(what)}：{fmt(b)} 与 {fmt(a)} 不一致，相差 {fmt(d)}",
                 label=what, table=table)


def sum_against(ctx: "Context", totals: list[Value], parts: list[Value | None], what: str, table: Table, *,
                incomplete: bool = False) -> Finding | None:
    """Σtotals = Σparts, reported on every cell (both sides have several cells)."""
    present = [p for p in parts if p is not None]
    if not totals or not present:
        return None
    return judge(ctx, totals, present,
                 lambda a, e, d: f"{_text(what)}：合计数 {fmt(a)}，各组成部分之和 {fmt(e)}，相差 {fmt(d)}",
                 incomplete=incomplete, label=what, table=table, cells=[totals[0].ref], related=[v.ref for v in totals[1:]] + [p.ref for p in present])


def missing_row(ctx: "Context", present: Value, where: Table, what: str) -> Finding | None:
    """A row with an amount on one side has no counterpart row in ``where``."""
    if present.problem or present.blank or present.number == 0:
        return None
    if where.truncated:
        return ctx.finding(
            Severity.UNVERIFIABLE,
            message=f"{_text(what)}：{where.kind}中找不到对应行，该表有行缺失（PDF 转换截断），无法核对金额 {fmt(present.number)}",
            cells=[present.ref], related_cells=list(where.missing_rows), actual=present.number, table=where.kind,
        )
    return ctx.finding(
        message=f"{_text(what)}：{where.kind}中没有对应的行，金额 {fmt(present.number)} 无处对应",
        cells=[present.ref], expected=Decimal(0), actual=present.number, difference=present.number, table=where.kind,
    )


# ---- naming ----------------------------------------------------------------------------------


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


def _col_suffix(key: str, style: str) -> str:
    """How a message names the column: "" / "（编制预算合计列）" (groups only) / always."""
    if style == "always":
        return f"（{column_name(key)}列）"
    if style == "groups":
        return f"（{column_name(key)}列）" if "@" in key else ""
    return ""


# ---- the generic kinds -----------------------------------------------------------------------

KINDS: dict[str, Callable[["Context", "Relation"], Iterator[Finding]]] = {}


def kind(name: str):
    def register(func):
        KINDS[name] = func
        return func
    return register


def run_declared(ctx: "Context") -> Iterator[Finding]:
    """Every relation instance the disclosure's format declares for the running rule's code."""
    fmt_ = ctx.disclosure.format
    if fmt_ is None:
        from ..schemas.formats import common_relations

        declared: Iterable[Relation] = [r for r in common_relations() if r.code == ctx.rule.code]
    else:
        declared = fmt_.relations_for(ctx.rule.code)
    for rel in declared:
        missing = [k for k in rel.arg("requires", []) if ctx.table(k) is None]
        for k in missing:
            ctx.blocked.setdefault(k, []).append(ctx.rule.code)
        if missing:
            continue
        if rel.arg("severity") and ctx.severity is ctx.rule.severity:  # the reviewer's grading wins; else this format grades the code differently (决算: 提示 where budgets say 错误)
            default, ctx.severity = ctx.severity, Severity(rel.arg("severity"))
            try:
                yield from KINDS[rel.kind](ctx, rel)
            finally:
                ctx.severity = default
        else:
            yield from KINDS[rel.kind](ctx, rel)


def _tables(ctx: "Context", rel: "Relation") -> Iterator[Table]:
    from .. import schemas

    kinds = rel.arg("tables", "*")
    if kinds == "*":
        skip = set(rel.arg("exclude_layouts", []))
        for t in ctx.disclosure.all_tables():
            if schemas.table_kinds()[t.kind].layout not in skip:
                yield t
        return
    for k in [kinds] if isinstance(kinds, str) else kinds:
        t = ctx.table(k)
        if t is not None:
            yield t


def _line(t: Table, ref: str) -> Row | None:
    side, _, key = ref.partition(":")
    return t.line(key, side or None)


def _parts(t: Table, specs: list[Any]) -> list[Row]:
    rows: list[Row] = []
    for spec in specs:
        if isinstance(spec, dict):
            row = _line(t, spec["line"])
            if row is None:
                continue
            if "above" in spec:
                anchor = _line(t, spec["above"])
                if anchor is None or row.index >= anchor.index:
                    continue
            if "not_above" in spec:
                anchor = _line(t, spec["not_above"])
                if anchor is not None and row.index < anchor.index:
                    continue
            rows.append(row)
        elif "|" in spec:
            first, _, alternative = spec.partition("|")
            row = _line(t, first)
            side = first.partition(":")[0]
            rows.extend([row] if row is not None else
                        [r for k in alternative.split(",") if (r := _line(t, k if ":" in k else f"{side}:{k}")) is not None])
        elif (row := _line(t, spec)) is not None:
            rows.append(row)
    return rows


def _columns(total: Row, spec: Any) -> list[str]:
    keys = list(total.values)
    if spec == "all":
        return keys
    if spec == "amount":
        return [k for k in keys if k == "合计" or k.startswith("合计@")]
    return [k for k in spec if k in total.values]


def _what(rel: "Relation", table: Table, key: str, row: Row | None = None, group: str | None = None) -> str:
    template = rel.arg("what", "{table}{line}")
    return template.format(table=table.kind, group=group or "", col=_col_suffix(key, rel.arg("column_name", "groups")),
                           column=column_name(key), line=row.label if row else "",
                           key=(row.key or "").partition(":")[2] or (row.key or "") if row else "",
                           label=(row.label or row.key or "") if row else "", row=row_name(table, row) if row else "")


@kind("ledger_sum")
def _ledger_sum(ctx: "Context", rel: "Relation", default_columns: str = "amount") -> Iterator[Finding]:
    for t in _tables(ctx, rel):
        total = _line(t, rel.arg("total"))
        if total is None:
            continue
        if rel.kind == "ledger_classes":  # the 功能分类 class lines of one side
            parts = [r for r in t.rows if r.side == rel.arg("side", "支出") and r.code]
        else:
            parts = _parts(t, rel.arg("parts", []))
        for key in _columns(total, rel.arg("columns", default_columns)):
            f = sum_check(ctx, total.values[key], [p.values.get(key) for p in parts], partial(_what, rel, t, key), table=t)
            if f:
                yield f


KINDS["ledger_classes"] = lambda ctx, rel: _ledger_sum(ctx, rel, "all")


@kind("row_sum")
def _row_sum(ctx: "Context", rel: "Relation") -> Iterator[Finding]:
    side, only_data = rel.arg("side"), rel.arg("rows") == "data"
    for t in _tables(ctx, rel):
        groups = (rel.arg("groups") or _column_groups(t)) if rel.arg("per_group") else [None]
        for group in groups:
            def k(role: str) -> str:
                return f"{role}@{group}" if group else role

            total_key, names = k(rel.arg("total", "合计")), []
            for p in rel.arg("parts", []):
                if p == "*":  # every other amount column of the group
                    names += [c.key for c in _amount_columns(t) if c.group == group and c.key != total_key]
                elif p == "@*":  # every amount column printed under a column group
                    grouped = [c.key for c in _amount_columns(t) if c.group]
                    if not grouped:
                        names = None
                        break
                    names += grouped
                else:
                    names.append(k(p))
            keys = _keys(t)
            if names is None or total_key not in keys or not all(k(r) in keys for r in rel.arg("require", [])):
                continue
            present = [n for n in names if n in keys]
            if not present or (rel.arg("need_all", False) and len(present) < len(names)):
                continue
            # a part the table does not show, beside a column whose header was not understood: that column
            # may be the part (a header garbled in conversion), so parts falling short are 无法校验
            unread = [c.header for c in t.unread_columns if c.group == group or not group] if len(present) < len(names) else []
            note = (f"（表中有未能识别的栏目“{unread[0]}”，可能就是缺少的"
                    f"“{'、'.join(column_name(n) for n in names if n not in present)}”栏，无法确认这一差额）") if unread else MISSING_ROWS
            # without a recorder, only the rows whose sum does not hold exactly go to judge
            rows = t.rows if _recording(ctx) else _amounts(ctx, t).failing_rows(total_key, present)
            data = RowKind.DATA
            for row in rows:
                vals = row.values
                total = vals.get(total_key)
                if total is None or (side and row.side != side) or (only_data and row.kind is not data):
                    continue
                parts = [vals.get(n) for n in present]
                f = sum_check(ctx, total, parts, partial(_what, rel, t, total_key, row, group), table=t,
                              incomplete=bool(unread), missing_note=note)
                if f:
                    yield f


def _amount_columns(t: Table) -> list:
    from ..reading.tables import NON_AMOUNT_ROLES

    return [c for c in t.columns if c.key and c.role not in NON_AMOUNT_ROLES]


def _amount_keys(t: Table) -> list[str]:
    """The keys of ``_amount_columns(t)`` in column order (a key printed twice is there twice), kept in
    ``t.cache`` while the column list is the same list of the same length.  Read only."""
    kept = t.cache.get("_relations_amount_keys")
    if kept is None or kept[0] is not t.columns or kept[1] != len(t.columns):
        kept = (t.columns, len(t.columns), [c.key for c in _amount_columns(t)])
        t.cache["_relations_amount_keys"] = kept
    return kept[2]


def _column_groups(t: Table) -> list[str | None]:
    """Column groups in printed order (三公: 2024年预算数 | 2025年预算数; None for ungrouped columns)."""
    seen: list[str | None] = []
    for col in t.columns:
        if col.role and col.group not in seen:
            seen.append(col.group)
    return seen


@kind("hierarchy")
def _hierarchy(ctx: "Context", rel: "Relation") -> Iterator[Finding]:
    from .. import schemas
    from ..hierarchy import groups

    layout, level = rel.arg("layout"), rel.arg("level")
    kinds = rel.arg("tables", "*")  # named tables are grouped by ``layout`` whatever their own layout
    columns, recording, table_kinds = rel.arg("columns"), _recording(ctx), schemas.table_kinds()
    for t in ctx.disclosure.all_tables():
        if (table_kinds[t.kind].layout != layout) if kinds == "*" else (t.kind not in kinds):
            continue
        at_level = [g for g in groups(t, layout) if g.level == level]
        if not at_level:
            continue
        keys = _amount_keys(t)
        if columns is not None:
            keys = [k for k in columns if k in keys]
        if not recording:
            amounts = _amounts(ctx, t)
            rows, cols = amounts.rows, {key: amounts.column(key) for key in keys}
        for g in at_level:
            kids = g.children
            fast = not recording and bool(kids)
            if fast:
                made = getattr(g, "at", None)  # positions noted when the group was made, for these rows
                if made is not None and made[0] is rows and made[1] == len(rows):
                    at, kids_at = made[2], itemgetter(*made[3])
                else:
                    pos = amounts.positions()
                    at, kids_at = pos[id(g.parent)], itemgetter(*[pos[id(c)] for c in kids])
            for key in keys:
                if fast:  # the fast pass: Σ children exactly the parent says nothing (nor does a parent without the cell)
                    col = cols[key]
                    if (sum(kids_at(col)) if len(kids) > 1 else kids_at(col)) == col[at]:
                        continue
                total = g.parent.values.get(key)  # the parent's Values are built only here (Row.lazy)
                if total is None:
                    continue
                parts = [c.values.get(key) for c in kids]
                f = sum_check(ctx, total, parts, partial(_what, rel, t, key, g.parent), incomplete=not g.complete, table=t)
                if f:
                    yield f


def _operand(ctx: "Context", spec: dict[str, Any]) -> tuple[Table | None, list[Value], list[Row]]:
    t = ctx.table(spec["table"])
    if t is None:
        return None, [], []
    column = _column(t, spec)
    if "line" in spec:
        rows = [r for r in [_line(t, spec["line"])] if r is not None]
    elif spec.get("row") == "total":
        rows = [r for r in [t.total_row()] if r is not None]
    elif spec.get("row") == "first":  # the one data row of a one-row table (三公)
        rows = list(t.data_rows())[:1]
    elif "econ" in spec:  # every data row of these 部门经济分类 codes
        econ = spec["econ"] if isinstance(spec["econ"], list) else [spec["econ"]]
        rows = [r for r in t.data_rows() if r.econ_dept in econ]
    else:
        wanted = spec["row"] if isinstance(spec["row"], list) else [spec["row"]]
        rows = [r for r in t.rows if r.key in wanted]
    rows = [r for r in rows if column is not None and r.values.get(column) is not None]
    return t, [r.values[column] for r in rows], rows


def sangong_years(t: Table) -> tuple[str | None, str | None]:
    """(previous, current) year groups of a table printed by year (三公), by the year in the header
    (2024年预算数 | 2025年预算数) or its relative name (上年预算数 | 本年预算数)."""
    def year(g: str) -> tuple[str, int]:
        return (re.findall(r"\d{4}", g) or ["0"])[0], 0 if g.startswith("上年") else 1

    groups = sorted({c.group for c in t.columns if c.group}, key=year)
    budget = [g for g in groups if "决算" not in g] or groups
    if not budget:
        return None, None
    return (budget[-2] if len(budget) > 1 else None), budget[-1]


def _column(t: Table, spec: dict[str, Any]) -> str | None:
    """An operand's column: ``column`` (a list: the first the table has, else the last), in the year
    group ``group`` ("current": the table's current budget year, as 三公 tables print it)."""
    column = spec.get("column", "合计")
    if isinstance(column, list):
        column = next((c for c in column if t.has(c)), column[-1])
    if spec.get("group") == "current":
        current = sangong_years(t)[1]
        return f"{column}@{current}" if current else None
    return column


@kind("sum")
def _sum(ctx: "Context", rel: "Relation") -> Iterator[Finding]:
    """total = Σ parts across tables; ``what`` may name the parts' printed labels as {part_labels}."""
    t, totals, _ = _operand(ctx, rel.arg("total"))
    parts: list[Value] = []
    labels: list[str] = []
    for spec in rel.arg("parts", []):
        _, values, rows = _operand(ctx, spec)
        parts.extend(values)
        labels.extend(r.label for r in rows)
    if t is None or not totals or not parts:
        return
    what = rel.arg("what", "").format(part_labels="、".join(labels))
    if len(totals) == 1:
        f = sum_check(ctx, totals[0], parts, what, table=t)
    else:
        f = sum_against(ctx, totals, parts, what, t)
    if f:
        yield f


def _pick(ctx: "Context", spec: dict[str, Any]) -> tuple[Table | None, Row | None, Value | None]:
    """One operand cell: {table, line="side:key" | row="total" | row="first" | row=KEY | code=CODE, column, group}."""
    t = ctx.table(spec["table"])
    if t is None:
        return None, None, None
    if "line" in spec:
        row = _line(t, spec["line"])
    elif spec.get("row", "total") == "total":
        row = t.total_row()
    elif "code" in spec:
        row = _by_code(t).get(spec["code"])
    elif spec["row"] == "first":
        row = next(iter(t.data_rows()), None)
    else:
        row = next((r for r in t.rows if r.key == spec["row"]), None)
    column = _column(t, spec)
    return t, row, row.values.get(column) if row is not None and column is not None else None


def against(ctx: "Context", a: Value | None, b_table: Table | None, b_kind: str, b: Value | None, what: str,
            *, report_absent: bool = True) -> Finding | None:
    """A cell against its counterpart in another table, saying what is missing when there is none:
    the table absent (无法校验), the row or amount absent (错误; 无法校验 where the table was cut short)."""
    if a is None or a.problem:
        return None
    if b_table is None:
        if report_absent and not a.blank and a.number != 0:
            return ctx.finding(Severity.UNVERIFIABLE, message=f"{what}：缺少“{b_kind}”，无法核对金额 {fmt(a.number)}",
                               cells=[a.ref], actual=a.number, table=b_kind)
        return None
    if b is None:
        if a.blank or a.number == 0:
            return None
        if b_table.truncated:
            return missing_row(ctx, a, b_table, what)
        return ctx.finding(message=f"{what}：{fmt(a.number)}，而{b_kind}中没有对应金额（表中无数据或缺少合计行）",
                           cells=[a.ref], expected=Decimal(0), actual=a.number, difference=a.number, table=b_kind)
    return equal_check(ctx, a, b, what, table=b_table)


@kind("agree")
def _agree(ctx: "Context", rel: "Relation") -> Iterator[Finding]:
    """a = b across two tables (``a`` and ``b`` are operands), saying what is missing when there is no b.

    ``when_columns``: "a" checks only when a's table has a's column, "both" also needs b's column in b's table;
    ``if_absent``: "report" (default) makes a missing b table 无法校验 for a non-zero a, "skip" ignores it."""
    spec_a, spec_b = rel.arg("a"), rel.arg("b")
    ta, _, a = _pick(ctx, spec_a)
    tb, row_b, b = _pick(ctx, spec_b)
    if ta is None:
        return
    when = rel.arg("when_columns", False)  # "a": a's table has a's column; "both"/true: and b's has b's
    if when and not ta.has(spec_a.get("column", "合计")):
        return
    if when in (True, "both") and tb is not None and not tb.has(spec_b.get("column", "合计")):
        return
    if tb is None and rel.arg("if_absent", "report") == "skip":
        return
    f = against(ctx, a, tb, spec_b["table"], b, _operand_what(rel, a_row=_pick(ctx, spec_a)[1], b_row=row_b),
                report_absent=rel.arg("if_absent", "report") == "report")
    if f:
        yield f


def _operand_what(rel: "Relation", a_row: Row | None, b_row: Row | None) -> str:
    return rel.arg("what", "").format(a_label=a_row.label if a_row else "", b_label=b_row.label if b_row else "")


@kind("equal")
def _equal(ctx: "Context", rel: "Relation") -> Iterator[Finding]:
    """a = b, two operands that must both be printed (nothing is said when either is absent)."""
    ta, row_a, a = _pick(ctx, rel.arg("a"))
    _, row_b, b = _pick(ctx, rel.arg("b"))
    f = equal_check(ctx, a, b, _operand_what(rel, row_a, row_b), table=ta) if ta is not None else None
    if f:
        yield f


@kind("match_codes")
def _match_codes(ctx: "Context", rel: "Relation") -> Iterator[Finding]:
    """Row by 功能分类 code: table a's column = table b's column for every code either prints; a code with an
    amount on one side only is reported (missing_row).  ``by = "econ"`` matches rows by their economic code
    pair (部门/政府经济分类) instead; ``what`` may place the code and label ({code}, {label}); ``when_columns``
    "both" needs b's column too.  ``both_only`` compares only codes both print;
    ``unless_rows_by_unit`` skips a table whose rows are units (吉林 收入总表)."""
    spec_a, spec_b = rel.arg("a"), rel.arg("b")
    ta, tb = ctx.table(spec_a["table"]), ctx.table(spec_b["table"])
    if ta is None or tb is None:
        return
    ka, kb = spec_a.get("column", "合计"), spec_b.get("column", "合计")
    when = rel.arg("when_columns", False)
    if (when and not ta.has(ka)) or (when == "both" and not tb.has(kb)):
        return
    recording = _recording(ctx)
    for t in (ta, tb):
        if rel.arg("unless_rows_by_unit") and not (_by_code(t) if recording else _amounts(ctx, t).at_code("code")) \
                and any(r.key is not None and r.key.kind == RowKey.UNIT for r in t.data_rows()):
            return
    template = rel.arg("what", "")
    both_only = rel.arg("both_only", False)
    if recording:
        if rel.arg("by", "code") == "econ":  # the pair 部门经济分类/政府经济分类 names a row
            a_rows, b_rows = _by_econ(ta), _by_econ(tb)
        else:
            a_rows, b_rows = _by_code(ta), _by_code(tb)
        codes = list(a_rows) + [c for c in b_rows if c not in a_rows]
    else:  # the fast pass: only codes that may be reported, in the same order (a's, then those only b prints)
        by = "econ" if rel.arg("by", "code") == "econ" else "code"
        am, bm = _amounts(ctx, ta), _amounts(ctx, tb)
        a_at, b_at, a_col, b_col = am.at_code(by), bm.at_code(by), am.column(ka), bm.column(kb)
        # printed by both: equal_check says nothing when both amounts are the same Decimal (or one is
        # absent: 0 in the column); printed by one: missing_row says nothing for an amount of 0 (blank,
        # unreadable or absent: 0 in the column)
        # in C: each of a's codes with its amount in b (``_ABSENT`` where b has none), kept when they differ
        a_codes = list(a_at)
        b_ext = b_col + [_ABSENT]
        b_vals = map(b_ext.__getitem__, map(b_at.get, a_codes, repeat(len(b_col))))
        a_vals = list(map(a_col.__getitem__, a_at.values()))
        codes = [c for c, differs in zip(a_codes, map(ne, a_vals, b_vals)) if differs
                 and (c in b_at or (not both_only and a_col[a_at[c]] != _ZERO))]
        if not both_only:
            only_b = compress(b_at, map(not_, map(a_at.__contains__, b_at)))
            codes += [c for c in only_b if b_col[b_at[c]] != _ZERO]
        # the rows of those codes (``_by_code``/``_by_econ`` give the same rows: the last of a code)
        a_rows = {c: am.rows[i] for c in codes if (i := a_at.get(c)) is not None}
        b_rows = {c: bm.rows[j] for c in codes if (j := b_at.get(c)) is not None}
    for code in codes:
        ra, rb = a_rows.get(code), b_rows.get(code)
        va, vb = (ra.values.get(ka) if ra else None), (rb.values.get(kb) if rb else None)
        if both_only and not (ra and rb):
            continue
        label = (ra or rb).label
        desc = (partial(template.format, code=code, label=label) if "{code}" in template
                else partial("{}“{} {}”".format, template, code, label))
        if ra and rb:
            f = equal_check(ctx, va, vb, desc, table=ta)
        elif ra:
            f = missing_row(ctx, va, tb, desc) if va else None
        else:
            f = missing_row(ctx, vb, ta, desc) if vb else None
        if f:
            yield f


@kind("classes")
def _classes(ctx: "Context", rel: "Relation") -> Iterator[Finding]:
    """A ledger's 本年支出合计 and its 功能分类 class lines against another table's total row and class rows.

    a = {table, side, total (line key), column}; b = {table, column, plus = [columns added to a's side]}.
    ``total_style`` / ``line_style``: "sum" (b = a + plus, reported on b), "equal_on_b" (reported on b),
    "equal_on_a" (reported on a) or "against" (on a, saying what is missing); a class with no row in b is
    reported by missing_row.  ``if_absent``: "report" (an absent b table is 无法校验 for a non-zero a) or
    "skip"; ``cut_b``: a cut b table makes the total's gap 无法校验."""
    spec_a, spec_b = rel.arg("a"), rel.arg("b")
    ta, tb = ctx.table(spec_a["table"]), ctx.table(spec_b["table"])
    ka, kb, plus = spec_a.get("column", "合计"), spec_b.get("column", "合计"), spec_b.get("plus", [])
    if ta is None or (tb is None and rel.arg("if_absent", "report") == "skip"):
        return

    def compare(style: str, a: Value | None, row: Row | None, what: str, is_total: bool) -> Finding | None:
        b = row.values.get(kb) if row is not None else None
        if style == "against":
            return against(ctx, a, tb, spec_b["table"], b, what)
        if tb is None:
            return None
        if style == "sum":
            return sum_check(ctx, b, [a] + [row.values[k] for k in plus if k in row.values], what, table=tb) if a is not None and row is not None else None
        if style == "equal_on_b":
            return equal_check(ctx, b, a, what, table=tb)
        return equal_check(ctx, a, b, what, table=ta, incomplete=bool(is_total and rel.arg("cut_b") and tb.truncated))

    side = spec_a.get("side", "支出")
    total = _line(ta, f"{side}:{spec_a.get('total', '本年支出合计')}")
    if total is not None and ka in total.values:
        f = compare(rel.arg("total_style", "equal_on_b"), total.values[ka], tb.total_row() if tb else None, rel.arg("what_total", ""), True)
        if f:
            yield f
    rows = _by_code(tb) if tb else {}
    for line in ta.rows:
        if line.side != side or not line.code or ka not in line.values:
            continue
        what = rel.arg("what", "").format(label=line.label, code=line.code, column=ka)
        a, row = line.values[ka], rows.get(line.code)
        if tb is not None and row is None:
            f = missing_row(ctx, a, tb, what)
        else:
            f = compare(rel.arg("line_style", "equal_on_b"), a, row, what, False)
        if f:
            yield f


def _by_econ(t: Table) -> dict[str, Row]:
    return {f"{r.econ_dept}/{r.econ_gov or ''}": r for r in t.data_rows() if r.econ_dept}


@kind("balance")
def _balance(ctx: "Context", rel: "Relation") -> Iterator[Finding]:
    """Σ``left`` = Σ``right`` (年初结转 + 本年收入 = 本年支出 + 年末结转), reported on the right-hand cells.

    Either ``left``/``right`` are lists of operands ({table, line | row | code, column}; nothing is said when
    one is absent), or ``tables`` with ``left_columns``/``right_columns``: every row of those tables that
    print all of these columns."""
    left_cols, right_cols = rel.arg("left_columns"), rel.arg("right_columns")
    if left_cols:
        for t in _tables(ctx, rel):
            if not all(t.has(c) for c in left_cols + right_cols):
                continue
            marker = RowKind.MARKER
            for row in t.rows:
                if row.kind is marker:
                    continue
                f = balance_check(ctx, [row.values.get(c) for c in left_cols], [row.values.get(c) for c in right_cols],
                                  partial(_what, rel, t, right_cols[0], row), t)
                if f:
                    yield f
        return
    left = [_pick(ctx, spec) for spec in rel.arg("left", [])]
    right = [_pick(ctx, spec) for spec in rel.arg("right", [])]
    if not left or left[0][0] is None:
        return
    f = balance_check(ctx, [v for _, _, v in left], [v for _, _, v in right], rel.arg("what", ""), left[0][0])
    if f:
        yield f


@kind("block_sum")
def _block_sum(ctx: "Context", rel: "Relation") -> Iterator[Finding]:
    """In a table printed as blocks side by side (人员经费 | 公用经费): the row keyed ``total`` = Σ the rows of
    the blocks ``blocks`` ("first" or "rest") whose economic code has ``digits`` digits (3: the 类), in
    ``column``; a table cut short makes a shortfall 无法校验."""
    column, digits = rel.arg("column", "合计"), rel.arg("digits", 3)
    for t in _tables(ctx, rel):
        blocks = sorted({c.side for c in t.columns if c.side})
        sides = set(blocks[:1]) if rel.arg("blocks", "first") == "first" else set(blocks[1:])
        total = next((r for r in t.rows if r.key == rel.arg("total")), None)
        if total is None:
            continue
        parts = [r for r in t.data_rows() if r.side in sides and r.econ_dept and len(r.econ_dept) == digits]
        f = sum_check(ctx, total.values.get(column), [r.values.get(column) for r in parts], _what(rel, t, column, total),
                      table=t, incomplete=t.truncated)
        if f:
            yield f


@kind("at_most")
def _at_most(ctx: "Context", rel: "Relation") -> Iterator[Finding]:
    """Σ``parts`` (an operand of several rows, e.g. {table, econ, column}) may not exceed the cell ``total``:
    beyond the envelope, exceeding is 错误 and falling short the rule's severity (提示), 无法校验 when the
    parts' table was cut short; a shortfall is not reported when the parameter ``short_param`` is false.
    ``what`` names {group}, {total} and {parts}; ``exceeds`` and ``short`` end the message.  ``report_short =
    false``: a shortfall is never reported (the parts are a share of the total, not all of it)."""
    t, _, total = _pick(ctx, rel.arg("total"))
    if total is None or total.problem:
        return
    pt, values, _ = _operand(ctx, rel.arg("parts"))
    if pt is None:
        return
    values = [v for v in values if not v.problem]
    report_short = rel.arg("report_short", True) and (ctx.param(rel.arg("short_param")) if rel.arg("short_param") else True)
    group = sangong_years(t)[1] if rel.arg("total").get("group") == "current" else ""
    parts_sum = sum((v.number for v in values), Decimal(0))

    def message(a: Decimal, e: Decimal, d: Decimal) -> str:
        base = rel.arg("what", "").format(group=group or "", total=fmt(a), parts=fmt(e))
        if d < 0:
            return f"{base}：{rel.arg('exceeds', '超过了合计数')}"
        return f"{base}，差 {fmt(d)}" + ("" if pt.truncated else rel.arg("short", ""))

    gap = total.number - parts_sum
    if not values:  # no such rows at all: the whole amount is unaccounted for
        if gap > 0 and (pt.truncated or report_short):
            yield ctx.finding(Severity.UNVERIFIABLE if pt.truncated else None, message=message(total.number, parts_sum, gap)
                              + (MISSING_ROWS if pt.truncated else ""), cells=[total.ref], actual=total.number,
                              table=t.kind)  # no cell to compare with: no row on the 校验 sheet either
        return
    label = rel.arg("what", "").format(group=group or "", total=fmt(total.number), parts=fmt(parts_sum))
    f = judge(ctx, [total], values, message, incomplete=pt.truncated, label=label,
              table=t, failing=ctx.severity, exceeds=Severity.ERROR, short_ok=not report_short)
    if f:
        yield f


@kind("correspondence")
def _correspondence(ctx: "Context", rel: "Relation") -> Iterator[Finding]:
    """Rows that correspond one to one across two classifications: the 功能分类 rows ``codes`` of the first
    of ``function.tables`` printed = Σ the 经济分类 rows ``econ`` of the first of ``economic.tables``
    (``column``: the first of the list the table has).  A function row that is absent while the economic
    rows hold an amount is the rule's severity, 无法校验 where the function table was cut short or has
    rows without codes."""
    fspec, espec = rel.arg("function"), rel.arg("economic")
    func = next((t for k in fspec["tables"] if (t := ctx.table(k)) is not None), None)
    econ = next((t for k in espec["tables"] if (t := ctx.table(k)) is not None), None)
    if func is None or econ is None:
        return
    fkey = next((k for k in fspec["column"] if func.has(k)), fspec["column"][-1])
    ekey = next((k for k in espec["column"] if econ.has(k)), None)
    if ekey is None:
        return
    items = [r.values.get(ekey) for r in econ.data_rows() if r.econ_dept in espec["econ"]]
    items = [v for v in items if v is not None and not v.problem]
    codes = _by_code(func)
    rows = [codes.get(c) for c in fspec["codes"]]
    econ_sum = sum((v.number for v in items), Decimal(0))
    what = f"经济科目 {'+'.join(espec['econ'])} 与功能科目 {'+'.join(fspec['codes'])}"
    if any(r is None for r in rows):
        if econ_sum == 0:
            return
        # rows that lost their codes (conversion damage) may be the ones we look for
        if func.truncated or any(r.code is None and any(not v.blank for v in r.values.values()) for r in func.data_rows()):
            yield ctx.finding(Severity.UNVERIFIABLE, message=f"{what}：{func.kind}中找不到功能科目行（该表有行缺失或行无编码），无法核对 {fmt(econ_sum)}",
                              cells=[v.ref for v in items], actual=econ_sum, table=func.kind)
        else:
            yield ctx.finding(message=f"{what}：{econ.kind}中有 {fmt(econ_sum)}，{func.kind}中没有对应的功能科目行",
                              cells=[v.ref for v in items], actual=econ_sum, table=func.kind)  # no cell to compare with
        return
    values = [r.values.get(fkey) for r in rows]
    f = sum_against(ctx, [v for v in values if v is not None], items, f"{what}（{func.kind}{fkey}与{econ.kind}）", func,
                    incomplete=econ.truncated)
    if f:
        yield f


def _ledger_pairs(ta: Table, tb: Table, lines: list[str], side: str | None) -> list[tuple[Row | None, Row | None]]:
    """Rows of two tables that print the same figure: the named ledger lines, then the 功能分类 class
    lines of ``side`` matched by code (a's order, then codes only b prints)."""
    pairs = [(_line(ta, ref), _line(tb, ref)) for ref in lines]
    if side:
        a_cls = {r.code: r for r in ta.rows if r.side == side and r.code}
        b_cls = {r.code: r for r in tb.rows if r.side == side and r.code}
        pairs += [(a_cls.get(c), b_cls.get(c)) for c in list(a_cls) + [c for c in b_cls if c not in a_cls]]
    return pairs


@kind("ledger_match")
def _ledger_match(ctx: "Context", rel: "Relation") -> Iterator[Finding]:
    """Two ledgers (two-sided summary tables) print the same lines: each of ``lines`` and every class line
    of ``classes`` (a side) agree, column by column (``columns``; both tables must print the first).  A
    line one table lacks is reported by missing_row.  Where table a prints a non-zero amount on any of
    ``at_most_when`` (lines) in the column, b may be smaller than a (a holds more than b's funds): only
    b exceeding a is reported (错误), its text ``exceeds`` ({parts} = b, {total} = a)."""
    ta, tb = ctx.table(rel.arg("a")), ctx.table(rel.arg("b"))
    columns = rel.arg("columns", ["合计"])
    if ta is None or tb is None or not (ta.has(columns[0]) and tb.has(columns[0])):
        return
    for a, b in _ledger_pairs(ta, tb, rel.arg("lines", []), rel.arg("classes")):
        if a is None and b is None:
            continue
        for key in columns:
            what = _what(rel, ta, key, a or b)
            va, vb = (a.values.get(key) if a else None), (b.values.get(key) if b else None)
            if va is None or vb is None:
                present = va if va is not None else vb
                if present is not None and (a is None or b is None):
                    f = missing_row(ctx, present, tb if a is not None else ta, what)
                    if f:
                        yield f
                continue
            if _any_amount(ta, rel.arg("at_most_when", []), key):
                exceeds = rel.arg("exceeds", "")
                f = judge(ctx, [va], [vb], lambda x, e, d: f"{what}：" + (exceeds.format(parts=fmt(e), total=fmt(x)) if d < 0 else
                                                                         f"{fmt(x)} 与 {fmt(e)}，相差 {fmt(d)}"),
                          label=what, cells=[vb.ref], related=[va.ref], table=tb, failing=Severity.ERROR,
                          exceeds=Severity.ERROR, short_ok=True)
            else:
                f = equal_check(ctx, va, vb, what, table=ta)
            if f:
                yield f


def _any_amount(t: Table, lines: list[str], key: str) -> bool:
    for ref in lines:
        line = _line(t, ref)
        v = line.values.get(key) if line else None
        if v is not None and not v.blank and v.number != 0:
            return True
    return False


@kind("ledger_rows")
def _ledger_rows(ctx: "Context", rel: "Relation") -> Iterator[Finding]:
    """A ledger's total line and class lines, several columns added (编制预算 + 上年结转), against a table
    that prints them as rows: a = {table, side, total (line key), columns}; b = {table, column, others =
    [tables whose same rows are added to b]}.  ``report_on``: "b" (b = Σa, reported on b) or "a" (Σa = b +
    others, reported on a).  A class with no row in b is reported by missing_row, once per column.
    ``what_total`` / ``what`` name {label} and {code}."""
    spec_a, spec_b = rel.arg("a"), rel.arg("b")
    ta, tb = ctx.table(spec_a["table"]), ctx.table(spec_b["table"])
    if ta is None or tb is None:
        return
    side, kb = spec_a.get("side", "支出"), spec_b.get("column", "合计")
    others = [t for k in spec_b.get("others", []) if (t := ctx.table(k)) is not None]
    rows = _by_code(tb)
    pairs = [(_line(ta, f"{side}:{spec_a.get('total', '本年支出合计')}"), tb.total_row(), None)]
    pairs += [(line, rows.get(line.code), line.code) for line in ta.rows if line.side == side and line.code]
    for line, row, code in pairs:
        parts = [line.values[k] for k in spec_a["columns"] if line is not None and k in line.values]
        if not parts:
            continue
        what = rel.arg("what" if code else "what_total", "").format(label=line.label, code=code or "")
        if row is None:
            for v in parts if code else ():
                f = missing_row(ctx, v, tb, what)
                if f:
                    yield f
            continue
        if rel.arg("report_on", "b") == "b":
            f = sum_check(ctx, row.values.get(kb), parts, what, table=tb)
        else:
            minus = []
            for t in others:
                other = _by_code(t).get(code) if code else t.total_row()
                if other is not None and other.values.get("合计") is not None:
                    minus.append(other.values["合计"])
            f = sum_against(ctx, parts, [row.values.get(kb)] + minus, what, tb)
        if f:
            yield f


@kind("uncoded_rows")
def _uncoded_rows(ctx: "Context", rel: "Relation") -> Iterator[Finding]:
    """Rows of ``table`` with amounts but no 功能分类 code (lost in conversion) cannot be matched by code:
    each is reported (the rule's severity, 无法校验), naming the code a row of the same name carries in
    ``lookup`` when there is one.  No code is invented."""
    t, lookup = ctx.table(rel.arg("table")), ctx.table(rel.arg("lookup", ""))
    if t is None:
        return
    data = RowKind.DATA
    uncoded = [r for r in t.rows if r.kind is data and not r.code]
    if not uncoded:
        return
    by_label = {r.label: r for r in lookup.data_rows() if r.code} if lookup is not None else {}
    for row in uncoded:
        amounts = [v for v in row.values.values() if not v.blank]
        if not amounts:
            continue
        same = by_label.get(row.label)
        hint = f"；{lookup.kind}中同名科目为 {same.code}，请核对后补填" if same else ""
        yield ctx.finding(
            message=f"{t.kind}“{row.label}”没有科目编码（可能在转换中丢失），无法按科目与{rel.arg('lookup')}核对{hint}",
            cells=[row.label_ref or amounts[0].ref], related_cells=[v.ref for v in amounts],
            actual=row.values["合计"].number if "合计" in row.values else None, table=t.kind,
        )


@dataclass
class Recorder:
    """Collects the Checks of one run (the 校验 sheet asks for them)."""

    checks: list[Check] = field(default_factory=list)

    def __call__(self, check: Check) -> None:
        self.checks.append(check)


# ---- registration: the codes whose checks are declared ---------------------------------------


def register_codes(path: Path) -> list[str]:
    """One Rule per code documented in a codes.toml (the package's, or a format pack's own); it runs
    the instances the disclosure's format declares.  Codes already registered are left alone."""
    from ..schemas.formats import FormatError
    from ..tomlcache import load  # parsed once, kept beside the file like a .pyc (tomllib only when not)
    from . import DOC_PARTS, RULES, Rule, add_rule

    try:
        codes = load(path)
    except ValueError as exc:  # tomllib.TOMLDecodeError, or bad UTF-8 (UnicodeDecodeError)
        raise FormatError(f"规则说明文件 {path} 不是有效的 TOML：{exc}") from exc
    by_value = {s.value: s for s in Severity}
    added = []
    for code, spec in codes.items():
        if code in RULES:
            continue
        missing = [p for p in DOC_PARTS if not str(spec.get(p, "")).strip()]
        for key in ("name", "family"):
            if not spec.get(key):
                missing.append(key)
        if missing or spec.get("severity", "错误") not in by_value:
            raise FormatError(f"规则说明文件 {path} 中的 {code} 缺少{'、'.join(missing) or '有效的级别（错误/无法校验/提示/尾差）'}")
        doc = "\n\n".join(f"{p}：\n{spec[p].strip()}" for p in DOC_PARTS)
        params = {name: (p.get("default"), p.get("description", "")) for name, p in spec.get("params", {}).items()}
        add_rule(Rule(code, spec["name"], spec["family"], by_value[spec.get("severity", "错误")], (),
                      run_declared, tuple(spec.get("aliases", ())), docstring=doc, module=__name__, params=params))
        added.append(code)
    return added


_format_codes: dict[Path, list[str]] = {}  # format folder -> the codes its codes.toml registered


def register_format_codes() -> None:
    """Codes documented inside format packs (a format may bring new relation codes with it); the codes of
    a format folder that is no longer known are withdrawn."""
    from ..schemas.formats import formats
    from . import REDIRECTS, RULES

    folders = {pack.folder for pack in formats().values() if pack.folder is not None}
    for folder in [f for f in _format_codes if f not in folders]:
        for code in _format_codes.pop(folder):
            rule_ = RULES.pop(code, None)
            for alias in rule_.aliases if rule_ else ():
                REDIRECTS.pop(alias, None)
    for folder in folders - set(_format_codes):
        _format_codes[folder] = register_codes(folder / "codes.toml") if (folder / "codes.toml").exists() else []


def _register_builtin() -> None:
    from ..schemas import HERE

    register_codes(HERE / "codes.toml")


_register_builtin()
