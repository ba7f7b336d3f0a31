"""三公 family: the “三公”经费 table adds up in every year column group."""

from __future__ import annotations

from . import Context, rule
from ._checks import sum_check


def _groups(table) -> list[str | None]:
    seen: list[str | None] = []
    for col in table.columns:
        if col.role and col.group not in seen:
            seen.append(col.group)
    return seen


def _k(role: str, group: str | None) -> str:
    return f"{role}@{group}" if group else role


@rule("SG401", "三公经费合计等于三项之和", "三公", requires=("三公经费表",))
def sangong_total(ctx: Context):
    """检查内容：
    “三公”经费表每一年度（上年、本年；预算数、决算数）各自的“合计”等于因公出国（境）费、
    公务用车购置及运行维护费、公务接待费之和。

    依据：
    “三公”经费指因公出国（境）费、公务用车购置及运行维护费和公务接待费三项。

    错误示例：
    2024 年合计 26.10，因公出国 0，公务用车 18.00，公务接待 7.10。

    正确示例：
    26.10 = 0 + 18.00 + 8.10。
    """
    t = ctx.table("三公经费表")
    for group in _groups(t):
        for row in t.data_rows():
            total = row.values.get(_k("合计", group))
            parts = [row.values.get(_k(r, group)) for r in ("因公出国", "公务用车小计", "公务接待")]
            f = sum_check(ctx, total, parts, f"“三公”经费表{group or ''}合计", table=t)
            if f:
                yield f


@rule("SG402", "公务用车费等于购置费加运行维护费", "三公", requires=("三公经费表",))
def sangong_vehicles(ctx: Context):
    """检查内容：
    “三公”经费表每一年度的“公务用车购置及运行维护费（小计）”等于公务用车购置费加公务用车运行维护费。

    依据：
    公务用车购置及运行维护费由购置费和运行维护费两部分构成。

    错误示例：
    小计 2.55，购置费 0，运行维护费 2.45。

    正确示例：
    2.55 = 0 + 2.55。
    """
    t = ctx.table("三公经费表")
    for group in _groups(t):
        for row in t.data_rows():
            total = row.values.get(_k("公务用车小计", group))
            parts = [row.values.get(_k(r, group)) for r in ("公务用车购置", "公务用车运行")]
            f = sum_check(ctx, total, parts, f"“三公”经费表{group or ''}公务用车购置及运行维护费", table=t)
            if f:
                yield f
