"""收支总表 family: the two-sided summary tables (收支总表, 财政拨款收支总表) add up."""

from __future__ import annotations

from ..model import Row, Table
from . import Context, rule
from ._checks import column_name, sum_check

LEDGERS = ("收支总表", "财政拨款收支总表")
INCOME_PARTS = ("财政拨款", "财政专户", "事业收入", "经营收入", "其他收入")
FISCAL_PARTS = ("一般公共预算", "政府性基金", "国有资本经营")
TRANSFERS = ("上级补助收入", "附属单位上缴收入")


def _ledgers(ctx: Context):
    for kind in LEDGERS:
        table = ctx.table(kind)
        if table is not None:
            yield table


def _keys(row: Row | None) -> list[str]:
    return list(row.values) if row else []


def _amount_keys(row: Row | None) -> list[str]:
    """The amount columns of a line: 合计, or per column group (吉林: 合计@编制预算, 合计@上年结转)."""
    return [k for k in _keys(row) if k == "合计" or k.startswith("合计@")]


def _common(a: Row | None, b: Row | None) -> list[str]:
    return [k for k in _amount_keys(a) if b is not None and k in b.values]


def _col(key: str) -> str:
    return f"（{column_name(key)}列）" if "@" in key else ""


def _lines(table: Table, side: str, keys) -> list[Row]:
    return [r for k in keys if (r := table.line(k, side)) is not None]


@rule("SZ101", "本年收入合计等于本年支出合计", "收支总表")
def current_year_balance(ctx: Context):
    """检查内容：
    收支总表（及财政拨款收支总表）中“本年收入合计”等于“本年支出合计”。

    依据：
    部门预算按“以收定支、收支平衡”编制，本年收入与本年支出必须相等。

    错误示例：
    本年收入合计 112,250.18，本年支出合计 112,150.18。

    正确示例：
    本年收入合计与本年支出合计均为 112,250.18。
    """
    for t in _ledgers(ctx):
        inc, exp = t.line("本年收入合计", "收入"), t.line("本年支出合计", "支出")
        for key in _common(inc, exp):  # per column: 合计, or 吉林 编制预算 | 上年结转
            f = sum_check(ctx, exp.values[key], [inc.values[key]], f"{t.kind}本年支出合计与本年收入合计{_col(key)}", table=t)
            if f:
                yield f


@rule("SZ102", "收入总计等于支出总计", "收支总表")
def grand_total_balance(ctx: Context):
    """检查内容：
    收支总表（及财政拨款收支总表）中“收入总计”等于“支出总计”。

    依据：
    收入总计（含上年结转等）与支出总计（含结转下年等）是同一笔资金的两端。

    错误示例：
    收入总计 10,495.83，支出总计 10,459.83。

    正确示例：
    收入总计与支出总计均为 10,495.83。
    """
    for t in _ledgers(ctx):
        inc, exp = t.line("收入总计", "收入"), t.line("支出总计", "支出")
        for key in _common(inc, exp):
            f = sum_check(ctx, exp.values[key], [inc.values[key]], f"{t.kind}支出总计与收入总计{_col(key)}", table=t)
            if f:
                yield f


@rule("SZ103", "本年收入合计等于各项收入之和", "收支总表")
def income_lines(ctx: Context):
    """检查内容：
    “本年收入合计”等于财政拨款、财政专户管理资金收入、事业收入、事业单位经营收入、其他收入之和；
    财政拨款收支总表中等于一般公共预算、政府性基金预算、国有资本经营预算拨款收入之和。

    依据：
    收支总表的收入栏按资金来源逐项列示，合计行是各来源之和。

    错误示例：
    财政拨款 112,250.18、其他收入 0，本年收入合计填 112,205.18。

    正确示例：
    本年收入合计 = 112,250.18 + 0 = 112,250.18。
    """
    for t in _ledgers(ctx):
        total = t.line("本年收入合计", "收入")
        parts = _lines(t, "收入", INCOME_PARTS)
        if not t.line("财政拨款", "收入"):
            parts += _lines(t, "收入", FISCAL_PARTS)
        # 吉林 prints 上级补助收入/附属单位上缴收入 above 本年收入合计 (inside 单位资金收入): parts there
        parts += [r for r in _lines(t, "收入", TRANSFERS) if total is not None and r.index < total.index]
        for key in _amount_keys(total):
            f = sum_check(ctx, total.values[key], [p.values.get(key) for p in parts], f"{t.kind}本年收入合计{_col(key)}", table=t)
            if f:
                yield f


@rule("SZ104", "财政拨款等于三类预算拨款之和", "收支总表")
def fiscal_income_parts(ctx: Context):
    """检查内容：
    收支总表收入栏“财政拨款”等于其下“一般公共预算拨款收入”“政府性基金预算拨款收入”
    “国有资本经营预算拨款收入”之和。

    依据：
    财政拨款由三本预算的拨款构成。

    错误示例：
    财政拨款 112,250.18，三项拨款为 109,910.18、1,340.00、900.00。

    正确示例：
    112,250.18 = 109,910.18 + 1,340.00 + 1,000.00。
    """
    for t in _ledgers(ctx):
        total = t.line("财政拨款", "收入")
        parts = _lines(t, "收入", FISCAL_PARTS)
        for key in _amount_keys(total):
            f = sum_check(ctx, total.values[key], [p.values.get(key) for p in parts], f"{t.kind}财政拨款{_col(key)}", table=t)
            if f:
                yield f


@rule("SZ105", "收入总计等于本年收入合计加其他来源", "收支总表")
def income_grand_total(ctx: Context):
    """检查内容：
    “收入总计”等于“本年收入合计”加上级补助收入、附属单位上缴收入、使用非财政拨款结余、上年结转。

    依据：
    收入总计 = 本年收入 + 以前年度及其他渠道可用资金。

    错误示例：
    本年收入合计 10,495.83，上年结转 100.00，收入总计填 10,495.83。

    正确示例：
    收入总计 = 10,495.83 + 100.00 = 10,595.83。
    """
    for t in _ledgers(ctx):
        total = t.line("收入总计", "收入")
        keys = ("本年收入合计", "上级补助收入", "附属单位上缴收入", "使用非财政拨款结余", "上年结转")
        current = t.line("本年收入合计", "收入")
        parts = [r for r in _lines(t, "收入", keys)
                 if not (r.key in TRANSFERS and current is not None and r.index < current.index)]  # already inside it
        for key in _amount_keys(total):
            f = sum_check(ctx, total.values[key], [p.values.get(key) for p in parts], f"{t.kind}收入总计{_col(key)}", table=t)
            if f:
                yield f


@rule("SZ106", "本年支出合计等于各功能分类支出之和", "收支总表")
def expenditure_classes(ctx: Context):
    """检查内容：
    “本年支出合计”等于按支出功能分类列示的各类支出（一般公共服务支出……其他支出）之和，
    财政拨款收支总表按总计、一般公共预算、政府性基金预算、国有资本经营预算各列分别核对。

    依据：
    支出栏按《政府收支分类科目》功能分类的“类”级列示，合计为各类之和。

    错误示例：
    社会保障和就业支出 489.17、卫生健康支出 109,252.10、住房保障支出 168.91……
    本年支出合计少计一类。

    正确示例：
    本年支出合计 = 各类支出之和 = 112,250.18。
    """
    for t in _ledgers(ctx):
        total = t.line("本年支出合计", "支出")
        if not total:
            continue
        classes = [r for r in t.rows if r.side == "支出" and r.code]
        for key in _keys(total):
            f = sum_check(ctx, total.values[key], [r.values.get(key) for r in classes],
                          f"{t.kind}本年支出合计（{column_name(key)}列）", table=t)
            if f:
                yield f


@rule("SZ107", "支出总计等于本年支出合计加其他去向", "收支总表")
def expenditure_grand_total(ctx: Context):
    """检查内容：
    “支出总计”等于“本年支出合计”加对附属单位补助支出、上缴上级支出、结转下年（各列分别核对）。

    依据：
    支出总计 = 本年支出 + 转出及结转到以后年度的资金。

    错误示例：
    本年支出合计 10,495.83，结转下年 50.00，支出总计填 10,495.83。

    正确示例：
    支出总计 = 10,495.83 + 50.00 = 10,545.83。
    """
    for t in _ledgers(ctx):
        total = t.line("支出总计", "支出")
        if not total:
            continue
        parts = _lines(t, "支出", ("本年支出合计", "对附属单位补助支出", "上缴上级支出", "结转下年"))
        for key in _keys(total):
            f = sum_check(ctx, total.values[key], [p.values.get(key) for p in parts],
                          f"{t.kind}支出总计（{column_name(key)}列）", table=t)
            if f:
                yield f


@rule("SZ108", "财政拨款支出总计等于三类预算之和", "收支总表", requires=("财政拨款收支总表",))
def fiscal_line_columns(ctx: Context):
    """检查内容：
    财政拨款收支总表支出栏每一行：“总计”列等于一般公共预算、政府性基金预算、国有资本经营预算三列之和。

    依据：
    财政拨款支出按三本预算分列，总计为三者之和。

    错误示例：
    卫生健康支出总计 109,252.10，一般公共预算列 109,152.10，其他两列为空。

    正确示例：
    总计 109,252.10 = 109,252.10 + 0 + 0。
    """
    t = ctx.table("财政拨款收支总表")
    for row in t.rows:
        if row.side != "支出" or "合计" not in row.values:
            continue
        parts = [row.values.get(k) for k in ("一般公共预算", "政府性基金", "国有资本经营")]
        if all(p is None for p in parts):
            continue
        f = sum_check(ctx, row.values["合计"], parts, f"财政拨款收支总表“{row.label}”总计", table=t)
        if f:
            yield f


@rule("SZ109", "上年结转等于分预算结转之和", "收支总表", requires=("财政拨款收支总表",))
def carryover_parts(ctx: Context):
    """检查内容：
    财政拨款收支总表收入栏“上年结转”等于其中一般公共预算拨款结转、政府性基金预算拨款结转、
    国有资本经营预算拨款结转之和。

    依据：
    “其中”项是上年结转按预算类别的分解。

    错误示例：
    上年结转 200.00，其中一般公共预算拨款结转 150.00，其他为空。

    正确示例：
    上年结转 200.00 = 150.00 + 50.00 + 0。
    """
    t = ctx.table("财政拨款收支总表")
    total = t.line("上年结转", "收入")
    parts = _lines(t, "收入", ("上年结转:一般公共预算", "上年结转:政府性基金", "上年结转:国有资本经营"))
    for key in _amount_keys(total) if parts else []:
        f = sum_check(ctx, total.values[key], [p.values.get(key) for p in parts], f"财政拨款收支总表上年结转{_col(key)}", table=t)
        if f:
            yield f
