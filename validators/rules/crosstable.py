"""表间 family: the same figure printed in two tables agrees."""

from __future__ import annotations

from decimal import Decimal

from ..amounts import fmt
from ..model import Row, Severity, Table, Value
from . import Context, rule
from ._checks import equal_check, missing_row
from .relations import sum_against



def _val(row: Row | None, key: str) -> Value | None:
    return row.values.get(key) if row else None


@rule("BJ309", "基本支出表与一般公共预算基本支出表按经济科目一致", "表间", requires=("基本支出表", "一般公共预算基本支出表"))
def basic_rows_vs_general(ctx: Context):
    """检查内容：
    基本支出预算情况表的“一般公共预算”列，按部门/政府经济分类科目逐行与一般公共预算基本支出表的
    基本支出（小计）一致。

    依据：
    同一经济科目的一般公共预算基本支出在两表中是同一笔钱。

    错误示例：
    基本支出表 30101/50101 基本工资一般公共预算列 112.60，一般公共预算基本支出表 121.60。

    正确示例：
    两处均为 112.60。
    """
    b, g = ctx.table("基本支出表"), ctx.table("一般公共预算基本支出表")
    if not b.has("一般公共预算") or not g.has("基本支出"):
        return
    def index(t: Table) -> dict:
        return {(r.econ_dept, r.econ_gov): r for r in t.data_rows() if r.econ_dept}
    bi, gi = index(b), index(g)
    for key in list(bi) + [k for k in gi if k not in bi]:
        rb, rg = bi.get(key), gi.get(key)
        label = (rb or rg).label
        what = f"经济科目“{key[0]}/{key[1] or ''} {label}”基本支出表一般公共预算列与一般公共预算基本支出表"
        if rb and rg:
            f = equal_check(ctx, _val(rb, "一般公共预算"), _val(rg, "基本支出"), what, table=b)
        elif rb:
            v = _val(rb, "一般公共预算")
            f = missing_row(ctx, v, g, what) if v else None
        else:
            v = _val(rg, "基本支出")
            f = missing_row(ctx, v, b, what) if v else None
        if f:
            yield f


FUNCTION_TABLES = ("一般公共预算支出表", "一般公共预算支出决算表")
ECONOMIC_TABLES = ("一般公共预算基本支出表", "一般公共预算基本支出决算表")


@rule("BJ311", "经济分类与功能分类对应科目一致", "表间", severity=Severity.WARNING)
def econ_function_correspondence(ctx: Context):
    """检查内容：
    政府收支分类中一一对应的经济科目与功能科目，两张一般公共预算表中的基本支出应相等：
    30108 机关事业单位基本养老保险缴费 ↔ 2080505；30109 职业年金缴费 ↔ 2080506；
    30113 住房公积金 ↔ 2210201；30110 职工基本医疗保险缴费 + 30111 公务员医疗补助缴费 ↔ 21011
    行政事业单位医疗。不一致时提示核实（个别地区把部分缴费列在其他科目）。

    依据：
    同一笔人员经费在经济分类表中按经济科目列示，在功能分类表中按支出功能列示，两处金额应对应。

    错误示例：
    一般公共预算基本支出表 30113 住房公积金合计 168.91，一般公共预算支出表 2210201 住房公积金基本支出 158.91。

    正确示例：
    两处均为 168.91（41.21 + 127.70）。
    """
    from ..schemas import classification

    d = ctx.disclosure
    func = next((d.table(k) for k in FUNCTION_TABLES if d.table(k)), None)
    econ = next((d.table(k) for k in ECONOMIC_TABLES if d.table(k)), None)
    if func is None or econ is None:
        return
    fkey = "基本支出" if func.has("基本支出") else "合计"
    ekey = next((k for k in ("基本支出", "合计") if econ.has(k)), None)
    if ekey is None:
        return
    codes = func.by_code()
    # rows that lost their codes (conversion damage) may be the ones we look for
    incomplete_func = func.truncated or any(r.code is None and any(not v.blank for v in r.values.values()) for r in func.data_rows())
    for pair in classification().get("correspondence", []):
        items = [r.values.get(ekey) for r in econ.data_rows() if r.econ_dept in pair["econ"]]
        items = [v for v in items if v is not None and not v.problem]
        rows = [codes.get(c) for c in pair["func"]]
        econ_sum = sum((v.number for v in items), Decimal(0))
        what = f"经济科目 {'+'.join(pair['econ'])} 与功能科目 {'+'.join(pair['func'])}"
        if any(r is None for r in rows):
            if econ_sum == 0:
                continue
            if incomplete_func:
                yield ctx.finding(Severity.UNVERIFIABLE, message=f"{what}：{func.kind}中找不到功能科目行（该表有行缺失或行无编码），无法核对 {fmt(econ_sum)}",
                                  cells=[v.ref for v in items], actual=econ_sum, table=func.kind)
            else:
                yield ctx.finding(message=f"{what}：{econ.kind}中有 {fmt(econ_sum)}，{func.kind}中没有对应的功能科目行",
                                  cells=[v.ref for v in items], expected=econ_sum, actual=Decimal(0), difference=-econ_sum, table=func.kind)
            continue
        values = [r.values.get(fkey) for r in rows]
        f = sum_against(ctx, [v for v in values if v is not None], items, f"{what}（{func.kind}{fkey}与{econ.kind}）", func,
                        incomplete=econ.truncated)
        if f:  # at the rule's default severity, 提示 (or 尾差 / 无法校验)
            yield f
