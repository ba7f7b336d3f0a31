"""Parent/children groups in a table: 合计 → 类 → 款 → 项 (function codes), 合计 → 类小计 → 款
(economic codes), 合计 → projects.  Shared by the rules and by the importer's truncation check.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Row, RowKind, Table


@dataclass
class Group:
    parent: Row
    children: list[Row]
    complete: bool  # False when a "rows missing" marker lies inside the group's span
    level: str  # "合计", "类", "款", "经济分类类"


def _span_end(table: Table, parent: Row, same_or_higher) -> int:
    """Sheet row index where the parent's group ends (exclusive)."""
    rows = table.rows
    start = rows.index(parent)
    for other in rows[start + 1:]:
        if other.kind is RowKind.DATA and same_or_higher(other):
            return other.index
    return 1 << 30


def _complete(table: Table, parent: Row, end: int) -> bool:
    return not any(parent.index < m.row < end for m in table.missing_rows)


def groups(table: Table, layout: str) -> list[Group]:
    """The table's groups (computed once per table and layout; tables are not changed after reading)."""
    key = f"groups:{layout}"
    if key not in table.cache:
        table.cache[key] = _groups(table, layout)
    return table.cache[key]


def _groups(table: Table, layout: str) -> list[Group]:
    data = [r for r in table.rows if r.kind is RowKind.DATA]
    result: list[Group] = []
    total = table.total_row()
    if layout == "function":
        coded = [r for r in data if r.code]
        top = [r for r in coded if len(r.code) == 3]
        if total and top:
            result.append(Group(total, top, not table.truncated, "合计"))
        for parent in coded:
            n = len(parent.code)
            if n == 7:
                continue
            kids = [r for r in coded if len(r.code) == n + 2 and r.code.startswith(parent.code)]
            end = _span_end(table, parent, lambda o, n=n: o.code is not None and len(o.code) <= n)
            if n == 5:
                # 项 rows whose codes were lost (吉林 预算表5 as converted) sit under their 款 by position:
                # they are its items, in printed order; their codes are not invented
                kids = sorted(kids + [r for r in data if r.code is None and parent.index < r.index < end],
                              key=lambda r: r.index)
            if not kids:
                continue
            result.append(Group(parent, kids, _complete(table, parent, end), "类" if n == 3 else "款"))
    elif layout == "economic":
        coded = [r for r in data if r.econ_dept]
        subtotals = [r for r in coded if len(r.econ_dept) == 3]
        items = [r for r in coded if len(r.econ_dept) == 5]
        if total and (subtotals or items):
            result.append(Group(total, subtotals or items, not table.truncated, "合计"))
        for parent in subtotals:
            def same(r: Row, p: Row = parent) -> bool:
                return r.econ_dept[:3] == p.econ_dept and (
                    not (p.econ_gov and r.econ_gov) or r.econ_gov[:3] == p.econ_gov[:3]
                )

            kids = [r for r in items if same(r)]
            if not kids:
                continue
            end = _span_end(table, parent, lambda o: o.econ_dept is not None and len(o.econ_dept) == 3)
            result.append(Group(parent, kids, _complete(table, parent, end), "经济分类类"))
    elif layout == "project":
        if any(r.key in PROJECT_LEVELS for r in data):
            result += _project_levels(table, total, [r for r in data if r.key in PROJECT_LEVELS])
        elif total and data:
            result.append(Group(total, data, not table.truncated, "合计"))
    return result


PROJECT_LEVELS = ("项目类型", "一级项目", "二级项目")  # row.key of 吉林 项目支出表 rows (预算表9)


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
    for i, parent in enumerate(rows):
        level = rank[parent.key]
        kids: list[Row] = []
        for other in rows[i + 1:]:
            if rank[other.key] <= level:
                break
            if not kids or rank[other.key] == rank[kids[0].key]:
                kids.append(other)
        if kids:
            end = next((o.index for o in rows[i + 1:] if rank[o.key] <= level), 1 << 30)
            result.append(Group(parent, kids, _complete(table, parent, end), parent.key))
    return result
