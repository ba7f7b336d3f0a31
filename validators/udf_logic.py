"""The logic behind the add-in's CZ_ worksheet functions, kept here so the Excel door stays thin.

Every function takes plain Python values as xlwings passes them (scalars, or lists of lists for
ranges: the add-in declares ``ndim=2``) and returns a scalar or a list of lists (an array result:
one call for a whole range).  Conventions shared by all of them:

* "✓" when a relation holds, or holds within its rounding envelope (尾差): ``amounts.envelope_of``
  over the values' ``half_ulp``, the one rounding policy the engine's rules use;
* otherwise the signed difference (合计 − 各部分之和 / a − b) as a number;
* text that is not an amount gives "无法校验：…" (Chinese), never an exception.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any, Iterable, Sequence

from .amounts import envelope_of, try_amount
from .hierarchy import groups
from .model import SEVERITY_ORDER, CellRef, Column, Finding, Row, RowKind, Severity, Table, Value

OK = "✓"
UNVERIFIABLE = "无法校验"


class Unreadable(ValueError):
    """A cell that is not an amount; the message is Chinese."""


def matrix(x: Any) -> list[list[Any]]:
    """Any xlwings argument as a list of rows: scalar -> [[x]], flat list -> one row."""
    if isinstance(x, (list, tuple)):
        if not x:
            return [[]]
        if all(isinstance(r, (list, tuple)) for r in x):
            return [list(r) for r in x]
        return [list(x)]
    return [[x]]


def _flat(x: Any) -> list[Any]:
    return [v for row in matrix(x) for v in row]


def _amount(raw: Any) -> Decimal | None:
    if isinstance(raw, str) and raw.strip() == "":
        return None
    amount, problem = try_amount(raw)
    if problem:
        raise Unreadable(problem)
    return amount


def _number(d: Decimal) -> float | int:
    return int(d) if d == d.to_integral_value() else float(d)


def _unreadable(exc: Unreadable) -> str:
    return f"{UNVERIFIABLE}：{exc}"


def check_sum(total: Any, parts: Sequence[Any], tol: Any = None) -> str | float | int:
    """One relation: "✓", the signed difference beyond the envelope (or ``tol``), or 无法校验."""
    try:
        t = _amount(total)
        ps = [_amount(p) for p in parts]
        tolerance = _amount(tol) if tol not in (None, "") else None
    except Unreadable as exc:
        return _unreadable(exc)
    present = [p for p in ps if p is not None]
    if t is None and not present:
        return OK
    expected = sum(present, Decimal(0))
    diff = (t or Decimal(0)) - expected
    here = CellRef("", 0, 0)
    values = [Value(t, total, here)] + [Value(p, p, here) for p in present]  # printed amounts: default half_ulp
    limit = abs(tolerance) if tolerance is not None else envelope_of(values)
    return OK if abs(diff) <= limit else _number(diff)


def sumcheck(total: Any, parts: Any, tol: Any = None) -> Any:
    """CZ_SUMCHECK.  A single total: Σ of every part.  A column of totals with a block of parts
    (one row of parts per total), or a row of totals with one column of parts per total: one
    result per total, shaped like the totals."""
    totals = matrix(total)
    block = matrix(parts)
    if len(totals) == 1 and len(totals[0]) == 1:
        return check_sum(totals[0][0], _flat(block), tol)
    if all(len(r) == 1 for r in totals):  # a column of totals
        column = [r[0] for r in totals]
        if len(block) != len(column):
            return f"{UNVERIFIABLE}：合计有 {len(column)} 行，组成部分有 {len(block)} 行，行数应相同"
        return [[check_sum(t, row, tol)] for t, row in zip(column, block)]
    if len(totals) == 1:  # a row of totals
        row_totals = totals[0]
        if any(len(r) != len(row_totals) for r in block):
            return f"{UNVERIFIABLE}：合计有 {len(row_totals)} 列，组成部分的列数应相同"
        return [[check_sum(t, [r[i] for r in block], tol) for i, t in enumerate(row_totals)]]
    return f"{UNVERIFIABLE}：合计应为一个单元格、一列或一行"


def diff(a: Any, b: Any) -> Any:
    """CZ_DIFF: a − b cell by cell ("✓" within 0.01 envelope of two amounts).  A scalar on either
    side is compared with every cell of the other."""
    ma, mb = matrix(a), matrix(b)
    if len(ma) == 1 and len(ma[0]) == 1 and not (len(mb) == 1 and len(mb[0]) == 1):
        ma = [[ma[0][0]] * len(r) for r in mb]
    if len(mb) == 1 and len(mb[0]) == 1:
        mb = [[mb[0][0]] * len(r) for r in ma]
    if [len(r) for r in ma] != [len(r) for r in mb]:
        return f"{UNVERIFIABLE}：两个区域的大小不同"
    out = [[check_sum(x, [y]) for x, y in zip(ra, rb)] for ra, rb in zip(ma, mb)]
    return out[0][0] if len(out) == 1 and len(out[0]) == 1 else out


def _code(parts: list[Any], current: dict[str, str | None]) -> str | None:
    """A function-classification code from one code cell (3/5/7 digits) or 类/款/项 cells."""
    texts = []
    for i, raw in enumerate(parts):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            texts.append(None)
            continue
        if isinstance(raw, float):
            if not raw.is_integer():
                return None
            raw = int(raw)
        t = str(raw).strip()
        if not t.isdigit():
            return None
        if len(parts) == 3 and isinstance(raw, int):
            t = t.zfill(3 if i == 0 else 2)
        texts.append(t)
    if len(parts) == 1:
        code = texts[0]
    else:
        lei, kuan, xiang = (texts + [None, None, None])[:3]
        if lei:
            code = lei + (kuan or "") + ((xiang or "") if kuan else "")
        elif kuan and current.get("lei"):
            code = current["lei"] + kuan + (xiang or "")
        elif xiang and current.get("kuan"):
            code = current["kuan"] + xiang
        else:
            code = None
    if code and len(code) in (3, 5, 7):
        current["lei"] = code[:3]
        current["kuan"] = code[:5] if len(code) >= 5 else None
        return code
    return None


def hierarchy(codes: Any, amounts: Any) -> list[list[Any]]:
    """CZ_HIERARCHY: for every 类 and 款 row, "✓" or 父级 − Σ下级 in each amount column; "" for 项
    rows and rows without a code.  ``codes``: one column of full codes or three columns 类/款/项
    (款/项 rows may leave 类 blank, as the published tables do).  Shaped like ``amounts``."""
    code_rows, amount_rows = matrix(codes), matrix(amounts)
    if len(code_rows) != len(amount_rows):
        return [[f"{UNVERIFIABLE}：科目编码有 {len(code_rows)} 行，金额有 {len(amount_rows)} 行，行数应相同"]]
    width = max((len(r) for r in amount_rows), default=0)
    keys = [f"c{j}" for j in range(width)]
    current: dict[str, str | None] = {}
    rows = []
    for i, (code_row, amount_row) in enumerate(zip(code_rows, amount_rows)):
        values = {}
        for j, key in enumerate(keys):
            raw = amount_row[j] if j < len(amount_row) else None
            values[key] = (raw, CellRef("", i, j))
        row = Row(index=i, kind=RowKind.DATA, label="", label_ref=None, code=_code(list(code_row), current))
        row.values = {k: Value(None, raw, ref) for k, (raw, ref) in values.items()}
        rows.append(row)
    table = Table("CZ_HIERARCHY", "", "", CellRef("", 0, 0), [Column(j, k, k) for j, k in enumerate(keys)], rows)
    out: list[list[Any]] = [["" for _ in keys] for _ in rows]
    for g in groups(table, "function"):
        if g.level not in ("类", "款"):
            continue
        for j, key in enumerate(keys):
            out[g.parent.index][j] = check_sum(g.parent.values[key].raw, [c.values[key].raw for c in g.children])
    return out


SANGONG_COLUMNS = ("合计", "因公出国（境）费", "公务用车购置及运行维护费", "公务用车购置费", "公务用车运行维护费", "公务接待费")


def sangong(row: Any) -> Any:
    """CZ_SANGONG: a 三公 row in the published column order (合计, 因公出国（境）, 公务用车小计,
    购置, 运行维护, 公务接待), or several year groups of six side by side.  Per group "✓" or a text
    naming each break: "合计差 1.00；公务用车差 -0.50"."""
    results = []
    for values in matrix(row):
        if not values or len(values) % 6:
            results.append([f"{UNVERIFIABLE}：三公经费一行应为 6 列（{'、'.join(SANGONG_COLUMNS)}）或其整数倍"])
            continue
        out = []
        for k in range(0, len(values), 6):
            total, abroad, cars, buy, run, reception = values[k:k + 6]
            checks = [("合计", check_sum(total, [abroad, cars, reception])), ("公务用车", check_sum(cars, [buy, run]))]
            bad = [c for c in checks if c[1] != OK]
            if not bad:
                out.append(OK)
            elif any(isinstance(v, str) for _, v in bad):
                out.append(next(v for _, v in bad if isinstance(v, str)))
            else:
                out.append("；".join(f"{name}差 {v:,.2f}" for name, v in bad))
        results.append(out)
    return results[0][0] if len(results) == 1 and len(results[0]) == 1 else results


# ---- whole-workbook functions: the catalogue on the calling workbook ----------------------------

_CACHE: dict[str, list[Finding]] = {}


def grids_key(grids: Iterable[Any]) -> str:
    h = hashlib.sha256()
    for g in grids:
        h.update(repr((g.name, g.hidden, g.rows)).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def book_findings(grids: list[Any], source: str = "") -> list[Finding]:
    """Findings for a book's grids; the last few results are kept (UDFs recalculate often)."""
    from .reading import disclosure_from_grids
    from .blanks import name_blank_cells
    from .rules import run_rules

    key = grids_key(grids)
    if key not in _CACHE:
        if len(_CACHE) > 8:
            _CACHE.clear()
        disclosure = disclosure_from_grids(grids, source=source)
        _CACHE[key] = name_blank_cells(disclosure, run_rules(disclosure))
    return _CACHE[key]


def rule_status(code: Any, findings: list[Finding]) -> str:
    """CZ_RULE: "✓", "错误 2 项；尾差 1 项", or "未知规则 XX"."""
    from .rules import get_rule

    text = str(code or "").strip().upper()
    rule = get_rule(text) if text else None
    if rule is None:
        return f"未知规则 {text}".strip()
    mine = [f for f in findings if f.code == rule.code]
    if not mine:
        return OK
    counts = {s: sum(1 for f in mine if f.severity is s) for s in SEVERITY_ORDER}
    return "；".join(f"{s.value} {n} 项" for s, n in counts.items() if n)


def status(findings: list[Finding], severity: Any = None) -> Any:
    """CZ_STATUS: a 2×4 table (严重程度 / 项数), or one count when ``severity`` names one."""
    counts = {s: sum(1 for f in findings if f.severity is s) for s in SEVERITY_ORDER}
    if severity not in (None, ""):
        name = str(severity).strip()
        for s in SEVERITY_ORDER:
            if name in (s.value, s.name):
                return counts[s]
        return f"未知严重程度 {name}（可用：{'、'.join(s.value for s in SEVERITY_ORDER)}）"
    return [[s.value for s in SEVERITY_ORDER], [counts[s] for s in SEVERITY_ORDER]]


__all__ = ["OK", "book_findings", "check_sum", "diff", "hierarchy", "matrix", "rule_status", "sangong", "status",
           "sumcheck", "Severity"]
