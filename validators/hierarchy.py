"""Parent/children groups in a table: 合计 → 类 → 款 → 项 (function codes), 合计 → 类小计 → 款
(economic codes), 合计 → projects.  Shared by the rules and by the importer's truncation check.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from operator import attrgetter, lt

from .model import Row, RowKey, RowKind, Table


@dataclass
class Group:
    """A parent row and its child rows (by code prefix or by marker).  A function-code group also carries
    ``at`` = (the rows list, its length, the parent's position, the children's positions) when it was made,
    not a field: the rules' fast pass reads amounts by position (``rules.relations._hierarchy``)."""

    parent: Row
    children: list[Row]
    complete: bool  # False when a "rows missing" marker lies inside the group's span
    level: str  # "合计", "类", "款", "经济分类类", "单位", a project level


def _ends(table: Table, length_of) -> list[int]:
    """For every row position: the sheet row index of the first later DATA row whose ``length_of`` is not
    None and at most the row's own length (1 << 30 when none), in one backward pass.  Code lengths are
    few, so the minimum over the lengths seen so far is cheap."""
    rows = table.rows
    lengths = [None if (c := r.code) is None else len(c) for r in rows] if length_of is _code_len else \
        [length_of(r) for r in rows]
    nearest: dict[int, int] = {}  # length -> position of the nearest later DATA row of that length
    # length n -> position of the nearest later DATA row of length <= n, for the lengths asked so far: a
    # DATA row met going backward is nearer than every row seen, so it becomes the answer of every length
    # at least its own (kept up to date instead of taking the minimum over ``nearest`` for every row)
    answer: dict[int, int | None] = {}
    ends = [1 << 30] * len(rows)
    data = RowKind.DATA
    for pos in range(len(rows) - 1, -1, -1):
        n = lengths[pos]
        if n is None:
            continue
        first = answer.get(n, answer)
        if first is answer:
            first = answer[n] = min((p for k, p in nearest.items() if k <= n), default=None)
        if first is not None:
            ends[pos] = rows[first].index
        if rows[pos].kind is data:
            nearest[n] = pos
            for k in answer:
                if k >= n:
                    answer[k] = pos
    return ends


def _completeness(table: Table):
    """``complete(parent_index, end)``: no "rows missing" marker strictly inside the span."""
    marks = sorted(m.row for m in table.missing_rows)
    if not marks:
        return lambda start, end: True

    def complete(start: int, end: int) -> bool:
        i = bisect_right(marks, start)
        return i >= len(marks) or marks[i] >= end

    return complete


_INDEX = attrgetter("index")


def _code_len(row: Row) -> int | None:
    return None if row.code is None else len(row.code)


class Hierarchy:
    """A table's parent/children groups per layout, computed once (``table.view(Hierarchy)``)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._by_layout: dict[str, list[Group]] = {}

    def groups(self, layout: str) -> list[Group]:
        found = self._by_layout.get(layout)
        if found is None:
            found = self._by_layout[layout] = _groups(self.table, layout)
        return found


def groups(table: Table, layout: str) -> list[Group]:
    """The table's groups (computed once per table and layout; tables are not changed after reading)."""
    return table.view(Hierarchy).groups(layout)


def _groups(table: Table, layout: str) -> list[Group]:
    # Linear in the table's rows: children are looked up by code prefix in a dict, spans end where a
    # backward pass says, markers are found by bisection (the groups are identical to the former
    # pairwise scans; tests/test_hierarchy_linear.py compares them).
    result: list[Group] = []
    data_kind = RowKind.DATA  # a local: an Enum member read per row costs ten times as much
    if layout == "function":
        # one pass: the total row (``table.total_row()``: the first TOTAL row of no side), the 类 rows, the
        # coded rows that may be parents (not 项), each coded row under the code two digits shorter (parent
        # code -> positions, in order), the DATA rows without a code
        rows = table.rows
        total = total_at = None
        total_kind = RowKind.TOTAL
        top: list[int] = []
        parents: list[int] = []
        by_parent: dict[str, list[int]] = {}
        no_code: list[Row] = []
        for i, r in enumerate(rows):
            if r.kind is not data_kind:
                if total is None and r.kind is total_kind and r.side is None:
                    total, total_at = r, i
                continue
            code = r.code
            if not code:
                if code is None:
                    no_code.append(r)
                continue
            n = len(code)
            if n >= 2:
                kids_at = by_parent.get(code[:-2])
                if kids_at is None:
                    by_parent[code[:-2]] = [i]
                else:
                    kids_at.append(i)
            if n != 7:
                parents.append(i)
                if n == 3:
                    top.append(i)
        if total and top:
            group = Group(total, [rows[i] for i in top], not table.truncated, "合计")
            group.at = (rows, len(rows), total_at, top)  # type: ignore[attr-defined]
            result.append(group)
        uncoded = sorted(no_code, key=_INDEX)
        uncoded_at = [r.index for r in uncoded]
        # a span's end matters only for a marker inside it or for rows without codes: worked out only then
        spans = bool(uncoded or table.missing_rows)
        if spans:
            ends = _ends(table, _code_len)
            complete = _completeness(table)
        at = list(map(_INDEX, rows))
        in_order = all(map(lt, at, at[1:]))  # rows in sheet order: kids by code are in printed order
        for p in parents:
            parent = rows[p]
            n = len(parent.code)
            kids_at = by_parent.get(parent.code)
            if kids_at is None:
                kids_at = []
            kids = [rows[i] for i in kids_at]
            if spans:
                end = ends[p]
                if n == 5:
                    # 项 rows whose codes were lost (吉林 预算表5 as converted) sit under their 款 by position:
                    # they are its items, in printed order; their codes are not invented
                    lo, hi = bisect_right(uncoded_at, parent.index), bisect_left(uncoded_at, end)
                    if lo < hi or not in_order:
                        kids, kids_at = sorted(kids + uncoded[lo:hi], key=_INDEX), None
            elif n == 5 and not in_order:
                kids, kids_at = sorted(kids, key=_INDEX), None
            if not kids:
                continue
            group = Group(parent, kids, complete(parent.index, end) if spans else True, "类" if n == 3 else "款")
            if kids_at is not None:  # the positions in ``rows`` of the parent and its children, for the fast pass
                group.at = (rows, len(rows), p, kids_at)  # type: ignore[attr-defined]
            result.append(group)
        return result
    total = table.total_row()
    data = [r for r in table.rows if r.kind is data_kind]
    if layout == "economic":
        coded = [r for r in data if r.econ_dept]
        subtotals = [r for r in coded if len(r.econ_dept) == 3]
        items = [r for r in coded if len(r.econ_dept) == 5]
        if total and (subtotals or items):
            result.append(Group(total, subtotals or items, not table.truncated, "合计"))
        by_head: dict[str, list[Row]] = {}
        for r in items:
            by_head.setdefault(r.econ_dept[:3], []).append(r)
        spans = bool(table.missing_rows)  # a span's end matters only for a marker inside it
        if spans:
            complete = _completeness(table)
        for k, parent in enumerate(subtotals):
            gov = parent.econ_gov
            kids = [r for r in by_head.get(parent.econ_dept, ())
                    if not (gov and r.econ_gov) or r.econ_gov[:3] == gov[:3]]
            if not kids:
                continue
            if spans:
                # the span ends at the next 经济分类类 row (only a 3-digit code ends an economic group): the first
                # later DATA row whose 部门 code has 3 digits, the next of ``subtotals`` (they are in row order)
                end = subtotals[k + 1].index if k + 1 < len(subtotals) else 1 << 30
            result.append(Group(parent, kids, complete(parent.index, end) if spans else True, "经济分类类"))
    elif layout == "units":  # rows are units (row.key "单位:502001"; 吉林 收入总表)
        units = {r.key.name: r for r in data if r.key is not None and r.key.kind == RowKey.UNIT}
        top_len = min((len(c) for c in units), default=0)
        tops = [r for c, r in units.items() if len(c) == top_len]
        if total and tops:
            result.append(Group(total, tops, not table.truncated, "合计"))
        for code, parent in units.items():  # a unit = Σ the units its code prefixes (502 = 502001 + 502002)
            kids = [r for c, r in units.items() if c != code and c.startswith(code) and len(c) > len(code)]
            if kids:
                result.append(Group(parent, kids, not table.truncated, "单位"))
    elif layout == "project":
        if any(r.key is not None and r.key.kind == RowKey.LEVEL for r in data):
            result += _project_levels(table, total, [r for r in data if r.key is not None and r.key.kind == RowKey.LEVEL])
        elif total and data:
            result.append(Group(total, data, not table.truncated, "合计"))
    return result


PROJECT_LEVELS = RowKey.LEVELS  # row.key of 吉林 项目支出表 rows (预算表9), highest first


def _project_levels(table: Table, total: Row | None, rows: list[Row]) -> list[Group]:
    """合计 → 类型 (311 专项业务支出) → 一级项目 → 二级项目, each parent owning the rows of the next
    level below it up to the next row of its own level or higher.  A level that is absent is skipped
    (合计 = Σ一级 when no 类型 rows are printed), so no amount is counted twice."""
    result: list[Group] = []
    rank = {k: i for i, k in enumerate(PROJECT_LEVELS)}
    top = min(rank[r.key] for r in rows)
    if total:
        kids = [r for r in rows if rank[r.key] == top]
        result.append(Group(total, kids, not table.truncated, "合计"))
    complete = _completeness(table)
    for i, parent in enumerate(rows):
        level = rank[parent.key]
        kids: list[Row] = []
        end = 1 << 30
        for j in range(i + 1, len(rows)):  # each row is visited by its ancestors only: linear for 3 levels
            other = rows[j]
            if rank[other.key] <= level:
                end = other.index
                break
            if not kids or rank[other.key] == rank[kids[0].key]:
                kids.append(other)
        if kids:
            result.append(Group(parent, kids, complete(parent.index, end), parent.key))
    return result
