"""表间 family: the same figure printed in two tables agrees."""

from __future__ import annotations

from decimal import Decimal

from ..amounts import fmt
from ..model import Row, Severity, Table, Value
from . import Context, rule
from ._checks import equal_check, missing_row, sum_check
from .relations import sum_against

FUND_TABLES = {"一般公共预算": "一般公共预算支出表", "政府性基金": "政府性基金支出表", "国有资本经营": "国有资本经营支出表"}


def _val(row: Row | None, key: str) -> Value | None:
    return row.values.get(key) if row else None


def _against_table(ctx: Context, a: Value | None, b_table: Table | None, b_kind: str, b_key: str, what: str, b_row: Row | None = None, use_total: bool = True):
    """a (a cell) against b_table's total row (or b_row) in column b_key; handles absent/empty tables."""
    if a is None or a.problem:
        return None
    if b_table is None:
        if not a.blank and a.number != 0:
            return ctx.finding(Severity.UNVERIFIABLE, message=f"{what}：缺少“{b_kind}”，无法核对金额 {fmt(a.number)}",
                               cells=[a.ref], actual=a.number, table=b_kind)
        return None
    row = b_row if b_row is not None else (b_table.total_row() if use_total else None)
    b = _val(row, b_key)
    if b is None:
        if not a.blank and a.number != 0:
            if b_table.truncated:
                return missing_row(ctx, a, b_table, what)
            return ctx.finding(message=f"{what}：{fmt(a.number)}，而{b_kind}中没有对应金额（表中无数据或缺少合计行）",
                               cells=[a.ref], expected=Decimal(0), actual=a.number, difference=a.number, table=b_kind)
        return None
    return equal_check(ctx, a, b, what, table=b_table)


def _match_codes(ctx: Context, a_table: Table, a_key: str, b_table: Table, b_key: str, what: str):
    a_rows, b_rows = a_table.by_code(), b_table.by_code()
    codes = list(a_rows) + [c for c in b_rows if c not in a_rows]
    for code in codes:
        ra, rb = a_rows.get(code), b_rows.get(code)
        label = (ra or rb).label
        desc = f"{what}“{code} {label}”"
        if ra and rb:
            f = equal_check(ctx, _val(ra, a_key), _val(rb, b_key), desc, table=a_table)
        elif ra:
            v = _val(ra, a_key)
            f = missing_row(ctx, v, b_table, desc) if v else None
        else:
            v = _val(rb, b_key)
            f = missing_row(ctx, v, a_table, desc) if v else None
        if f:
            yield f


@rule("BJ301", "收支总表收入与收入总表一致", "表间", requires=("收支总表", "收入总表"))
def summary_vs_income(ctx: Context):
    """检查内容：
    收支总表收入栏各项（财政拨款及三类预算拨款、财政专户、事业收入、经营收入、其他收入、上级补助、
    附属单位上缴、使用非财政拨款结余、上年结转、收入总计）与收入总表合计行对应列一致。

    依据：
    收入总表是收支总表收入栏按功能分类的展开，两表合计必须一致。

    错误示例：
    收支总表一般公共预算拨款收入 109,910.18，收入总表合计行一般公共预算列 109,901.18。

    正确示例：
    两处均为 109,910.18。
    """
    s, inc = ctx.table("收支总表"), ctx.table("收入总表")
    pairs = {"收入总计": "合计", "财政拨款": "财政拨款小计", "一般公共预算": "一般公共预算", "政府性基金": "政府性基金",
             "国有资本经营": "国有资本经营", "财政专户": "财政专户", "事业收入": "事业收入", "经营收入": "经营收入",
             "其他收入": "其他收入", "上级补助收入": "上级补助收入", "附属单位上缴收入": "附属单位上缴收入",
             "使用非财政拨款结余": "使用非财政拨款结余", "上年结转": "上年结转"}
    total = inc.total_row()
    for line_key, col in pairs.items():
        line = s.line(line_key, "收入")
        if line is None or not inc.has(col):
            continue
        f = _against_table(ctx, _val(line, "合计"), inc, "收入总表", col, f"收支总表“{line.label}”与收入总表合计行{col}列", b_row=total)
        if f:
            yield f


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


@rule("BJ303", "收入总表与支出总表按科目一致", "表间", requires=("收入总表", "支出总表"))
def income_vs_expenditure(ctx: Context):
    """检查内容：
    收入总表与支出总表按功能分类科目（类、款、项）逐行核对“合计”列，合计行也须一致。

    依据：
    部门预算收入按支出用途（功能分类）列示，每个科目的收入与支出相等。

    错误示例：
    收入总表 2101501 行政运行 421.88，支出总表同一科目 412.88。

    正确示例：
    两表 2101501 行政运行均为 421.88。
    """
    inc, exp = ctx.table("收入总表"), ctx.table("支出总表")
    f = equal_check(ctx, _val(exp.total_row(), "合计"), _val(inc.total_row(), "合计"), "支出总表合计与收入总表合计", table=exp)
    if f:
        yield f
    if not inc.by_code() and any((r.key or "").startswith("单位:") for r in inc.data_rows()):
        return  # 收入总表 by unit (吉林 预算表2): no 科目 rows to match
    yield from _match_codes(ctx, exp, "合计", inc, "合计", "支出总表与收入总表科目")


@rule("BJ304", "财政拨款收支总表与收支总表一致", "表间", requires=("财政拨款收支总表", "收支总表"))
def fiscal_vs_summary(ctx: Context):
    """检查内容：
    财政拨款收支总表收入栏的一般公共预算、政府性基金预算、国有资本经营预算拨款收入及本年收入合计，
    与收支总表收入栏对应的财政拨款金额一致。

    依据：
    财政拨款收支总表是收支总表中财政拨款部分的展开。

    错误示例：
    财政拨款收支总表本年收入合计 112,250.18，收支总表“财政拨款” 112,205.18。

    正确示例：
    两处均为 112,250.18。
    """
    fz, s = ctx.table("财政拨款收支总表"), ctx.table("收支总表")
    for fk, sk in (("一般公共预算", "一般公共预算"), ("政府性基金", "政府性基金"), ("国有资本经营", "国有资本经营"), ("本年收入合计", "财政拨款")):
        a, b = fz.line(fk, "收入"), s.line(sk, "收入")
        if a and b:
            f = equal_check(ctx, _val(a, "合计"), _val(b, "合计"), f"财政拨款收支总表“{a.label}”与收支总表“{b.label}”", table=fz)
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


@rule("BJ306", "收入总表财政拨款列与分预算支出表按科目一致", "表间", requires=("收入总表",))
def income_vs_fund_tables(ctx: Context):
    """检查内容：
    收入总表的一般公共预算、政府性基金预算、国有资本经营预算收入列，按功能分类科目逐行与对应的
    分预算支出表“合计”列一致（科目在一方有金额而另一方没有该行，也报告）。

    依据：
    财政拨款收入按科目安排到对应预算的支出。

    错误示例：
    收入总表 2080505 一般公共预算列 191.17，一般公共预算支出表同科目 119.17。

    正确示例：
    两处均为 191.17。
    """
    inc = ctx.table("收入总表")
    for key, kind in FUND_TABLES.items():
        if not inc.has(key):
            continue
        target = ctx.table(kind)
        f = _against_table(ctx, _val(inc.total_row(), key), target, kind, "合计", f"收入总表合计行{key}列与{kind}合计")
        if f:
            yield f
        if target is None:
            continue
        yield from _match_codes(ctx, inc, key, target, "合计", f"收入总表{key}列与{kind}")


@rule("BJ307", "一般公共预算基本支出与基本支出明细表一致", "表间", requires=("一般公共预算支出表", "一般公共预算基本支出表"))
def general_basic_vs_detail(ctx: Context):
    """检查内容：
    一般公共预算支出表合计行的基本支出（小计）、人员支出、日常公用支出，与一般公共预算基本支出表
    合计行的对应列一致。

    依据：
    一般公共预算基本支出表是一般公共预算基本支出按经济分类的展开。

    错误示例：
    一般公共预算支出表人员支出 1,922.46，基本支出表人员支出 1,922.64。

    正确示例：
    两处均为 1,922.46。
    """
    g, d = ctx.table("一般公共预算支出表"), ctx.table("一般公共预算基本支出表")
    for key in ("基本支出", "人员支出", "公用支出"):
        if g.has(key) and d.has(key):
            f = _against_table(ctx, _val(g.total_row(), key), d, "一般公共预算基本支出表", key, f"一般公共预算支出表合计行{key}与一般公共预算基本支出表")
            if f:
                yield f


@rule("BJ308", "基本支出表合计与各支出表基本支出一致", "表间", requires=("基本支出表",))
def basic_table_vs_totals(ctx: Context):
    """检查内容：
    基本支出预算情况表合计行：“合计”与支出总表基本支出一致；一般公共预算、政府性基金预算、
    国有资本经营预算列分别与对应分预算支出表的基本支出一致。

    依据：
    基本支出表是全部基本支出按经济分类和资金来源的展开。

    错误示例：
    基本支出表合计 2,093.98，支出总表基本支出 2,039.98。

    正确示例：
    两处均为 2,093.98。
    """
    b = ctx.table("基本支出表")
    total = b.total_row()
    exp = ctx.table("支出总表")
    if exp is not None and b.has("合计") and exp.has("基本支出"):
        f = _against_table(ctx, _val(total, "合计"), exp, "支出总表", "基本支出", "基本支出表合计与支出总表基本支出")
        if f:
            yield f
    for key, kind in FUND_TABLES.items():
        if b.has(key):
            target = ctx.table(kind)
            f = _against_table(ctx, _val(total, key), target, kind, "基本支出", f"基本支出表{key}列与{kind}基本支出")
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


@rule("BJ310", "项目支出表合计与各支出表项目支出一致", "表间", requires=("项目支出表",))
def project_table_vs_totals(ctx: Context):
    """检查内容：
    项目支出预算情况表合计行：“合计”与支出总表项目支出一致；一般公共预算、政府性基金预算、
    国有资本经营预算列分别与对应分预算支出表的项目支出一致。

    依据：
    项目支出表逐项列示全部项目支出。

    错误示例：
    项目支出表合计 110,156.20，支出总表项目支出 110,165.20。

    正确示例：
    两处均为 110,156.20。
    """
    p = ctx.table("项目支出表")
    total = p.total_row()
    exp = ctx.table("支出总表")
    if exp is not None and p.has("合计") and exp.has("项目支出"):
        f = _against_table(ctx, _val(total, "合计"), exp, "支出总表", "项目支出", "项目支出表合计与支出总表项目支出")
        if f:
            yield f
    for key, kind in FUND_TABLES.items():
        if p.has(key):
            f = _against_table(ctx, _val(total, key), ctx.table(kind), kind, "项目支出", f"项目支出表{key}列与{kind}项目支出")
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
