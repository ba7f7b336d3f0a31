"""表间 family: the same figure printed in two tables agrees."""

from __future__ import annotations

from decimal import Decimal

from ..amounts import fmt
from ..model import Row, Severity, Table, Value
from . import Context, rule
from ._checks import equal_check, missing_row, sum_check
from .relations import against, sum_against

FUND_TABLES = {"一般公共预算": "一般公共预算支出表", "政府性基金": "政府性基金支出表", "国有资本经营": "国有资本经营支出表"}


def _val(row: Row | None, key: str) -> Value | None:
    return row.values.get(key) if row else None


def _against_table(ctx: Context, a: Value | None, b_table: Table | None, b_kind: str, b_key: str, what: str, b_row: Row | None = None):
    """a (a cell) against b_table's total row (or b_row) in column b_key (relations.against says what is missing)."""
    row = b_row if b_row is not None else (b_table.total_row() if b_table is not None else None)
    return against(ctx, a, b_table, b_kind, _val(row, b_key), what)


@rule("BJ302", "收支总表支出与支出总表一致", "表间", requires=("收支总表", "支出总表"))
def summary_vs_expenditure(ctx: Context):
    """检查内容：
    收支总表“本年支出合计”及各功能分类“类”支出，与支出总表合计行、各类行的“合计”（扣除结转下年列）一致。

    依据：
    支出总表是收支总表支出栏按功能分类和支出性质的展开。

    错误示例：
    收支总表卫生健康支出 109,252.10，支出总表 210 类合计 109,225.10。

    正确示例：
    两处均为 109,252.10。
    """
    s, exp = ctx.table("收支总表"), ctx.table("支出总表")
    rows = exp.by_code()
    total = s.line("本年支出合计", "支出")
    exp_total = exp.total_row()
    pairs = [(total, exp_total, "收支总表本年支出合计与支出总表合计")]
    for line in s.rows:
        if line.side == "支出" and line.code:
            pairs.append((line, rows.get(line.code), f"收支总表“{line.label}”与支出总表类{line.code}"))
    for line, row, what in pairs:
        if line is None:
            continue
        a = _val(line, "合计")
        if row is None:
            if a is not None and line.code:
                f = missing_row(ctx, a, exp, what)
                if f:
                    yield f
            continue
        if a is None or "合计" not in row.values:
            continue
        parts = [a] + ([row.values["结转下年"]] if "结转下年" in row.values else [])
        f = sum_check(ctx, row.values["合计"], parts, what, table=exp)
        if f:
            yield f


@rule("BJ305", "财政拨款收支总表支出与分预算支出表一致", "表间", requires=("财政拨款收支总表",))
def fiscal_vs_fund_tables(ctx: Context):
    """检查内容：
    财政拨款收支总表支出栏的一般公共预算、政府性基金预算、国有资本经营预算列（本年支出合计及各类），
    分别与一般公共预算支出表、政府性基金预算支出表、国有资本经营预算支出表的合计行、类行一致。

    依据：
    三张分预算支出表是财政拨款收支总表支出栏各列的展开。

    错误示例：
    财政拨款收支总表卫生健康支出一般公共预算列 109,252.10，一般公共预算支出表 210 类 109,225.10。

    正确示例：
    两处均为 109,252.10。
    """
    fz = ctx.table("财政拨款收支总表")
    for key, kind in FUND_TABLES.items():
        target = ctx.table(kind)
        total = fz.line("本年支出合计", "支出")
        if total is not None and key in total.values:
            f = _against_table(ctx, total.values[key], target, kind, "合计", f"财政拨款收支总表本年支出合计{key}列与{kind}合计")
            if f:
                yield f
        rows = target.by_code() if target else {}
        for line in fz.rows:
            if line.side != "支出" or not line.code or key not in line.values:
                continue
            what = f"财政拨款收支总表“{line.label}”{key}列与{kind}类{line.code}"
            if target is not None and line.code not in rows:
                f = missing_row(ctx, line.values[key], target, what)
            else:
                f = _against_table(ctx, line.values[key], target, kind, "合计", what, b_row=rows.get(line.code))
            if f:
                yield f


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
