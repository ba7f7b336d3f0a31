"""表内 family: hierarchy sums (合计 = Σ类, 类 = Σ款, 款 = Σ项) and per-row identities."""

from __future__ import annotations

from .. import schemas
from ..hierarchy import groups
from ..model import Table
from ..reading.tables import NON_AMOUNT_ROLES
from . import Context, rule
from ._checks import column_name, row_name, sum_check

SOURCES = ("财政专户", "事业收入", "经营收入", "其他收入", "上级补助收入", "附属单位上缴收入", "使用非财政拨款结余", "上年结转", "单位资金")


def _layout_tables(ctx: Context, layout: str):
    for table in ctx.disclosure.all_tables():
        if schemas.table_kinds()[table.kind].layout == layout:
            yield table


def _amount_keys(table: Table) -> list[str]:
    return [c.key for c in table.columns if c.key and c.role not in NON_AMOUNT_ROLES]


def _hierarchy(ctx: Context, layout: str, level: str, what: str):
    for table in _layout_tables(ctx, layout):
        for g in groups(table, layout):
            if g.level != level:
                continue
            for key in _amount_keys(table):
                f = sum_check(
                    ctx, g.parent.values.get(key), [c.values.get(key) for c in g.children],
                    f"{row_name(table, g.parent)}（{column_name(key)}列）{what}",
                    incomplete=not g.complete, table=table,
                )
                if f:
                    yield f


@rule("BN201", "合计等于各类之和（功能分类）", "表内")
def total_is_sum_of_classes(ctx: Context):
    """检查内容：
    按功能分类列示的表（收入总表、支出总表、一般公共预算支出表、政府性基金、国有资本经营、
    政府采购表）中，合计行每一金额列等于各“类”行之和。

    依据：
    《政府收支分类科目》类、款、项逐级汇总，合计为各类之和。

    错误示例：
    合计 10,495.83，类 208、210、221 之和 10,405.83。

    正确示例：
    合计 10,495.83 = 4,118.25 + 5,855.63 + 521.95。
    """
    yield from _hierarchy(ctx, "function", "合计", "应等于各类之和")


@rule("BN202", "类等于所属各款之和", "表内")
def class_is_sum_of_kuan(ctx: Context):
    """检查内容：
    按功能分类列示的表中，每个“类”行的每一金额列等于其下各“款”行之和。

    依据：
    类级金额由所属款级汇总而来。

    错误示例：
    208 社会保障和就业支出 489.17，其下 20805 为 224.17、20827 为 255.00。

    正确示例：
    489.17 = 224.17 + 265.00。
    """
    yield from _hierarchy(ctx, "function", "类", "应等于所属各款之和")


@rule("BN203", "款等于所属各项之和", "表内")
def kuan_is_sum_of_items(ctx: Context):
    """检查内容：
    按功能分类列示的表中，每个“款”行的每一金额列等于其下各“项”行之和。

    依据：
    款级金额由所属项级汇总而来；公开表应细化到项级。

    错误示例：
    20805 行政事业单位养老支出 224.17，其下各项之和 223.17。

    正确示例：
    224.17 = 19.99 + 5.01 + 191.17 + 8.00。
    """
    yield from _hierarchy(ctx, "function", "款", "应等于所属各项之和")


@rule("BN204", "合计等于各经济分类类之和", "表内")
def econ_total(ctx: Context):
    """检查内容：
    按经济分类列示的表（一般公共预算基本支出表、基本支出表）中，合计行等于各经济分类“类”
    小计行（如 301/501、301/505、302/502、303/509）之和；没有小计行时等于各款之和。

    依据：
    部门预算支出经济分类与政府预算支出经济分类逐级汇总。

    错误示例：
    合计 2,093.98，各类小计之和 2,083.98。

    正确示例：
    2,093.98 = 480.67 + 1,414.32 + 70.94 + 100.58 + 27.47。
    """
    yield from _hierarchy(ctx, "economic", "合计", "应等于各经济分类类小计之和")


@rule("BN205", "经济分类类小计等于所属各款之和", "表内")
def econ_class(ctx: Context):
    """检查内容：
    按经济分类列示的表中，每个“类”小计行（部门经济分类类与政府经济分类类的组合，如 301 工资福利支出 /
    501 机关工资福利支出）等于其下各款之和。

    依据：
    经济分类类级金额由所属款级汇总而来。

    错误示例：
    302/502 商品和服务支出 70.94，其下办公费、会议费……之和 69.94。

    正确示例：
    70.94 = 34.05 + 2.00 + 2.00 + 2.25 + 8.00 + 1.35 + 20.60 + 0.69。
    """
    yield from _hierarchy(ctx, "economic", "经济分类类", "应等于所属各款之和")


@rule("BN206", "项目支出合计等于各项目之和", "表内")
def project_total(ctx: Context):
    """检查内容：
    项目支出表合计行每一金额列等于各项目行之和。

    依据：
    项目支出表逐个列示项目，合计为全部项目之和。

    错误示例：
    合计 3,399.00，各项目之和 3,389.00。

    正确示例：
    3,399.00 = 35.00 + 10.00 + 3,305.00 + ……。
    """
    yield from _hierarchy(ctx, "project", "合计", "应等于各项目之和")
    # 吉林 预算表9: 类型 = Σ一级项目, 一级项目 = Σ二级项目 (each amount counted at one level only)
    yield from _hierarchy(ctx, "project", "项目类型", "应等于所属各一级项目之和")
    yield from _hierarchy(ctx, "project", "一级项目", "应等于所属各二级项目之和")


def _row_identity(ctx: Context, total_key: str, part_keys: tuple[str, ...], what: str, need_all: bool = False):
    for table in ctx.disclosure.all_tables():
        if schemas.table_kinds()[table.kind].layout == "ledger" or not table.has(total_key):
            continue
        present = [k for k in part_keys if table.has(k)]
        if not present or (need_all and len(present) < len(part_keys)):
            continue
        for row in table.rows:
            if total_key not in row.values:
                continue
            f = sum_check(ctx, row.values[total_key], [row.values.get(k) for k in present],
                          f"{row_name(table, row)}{what}", table=table)
            if f:
                yield f


@rule("BN211", "合计等于基本支出加项目支出", "表内")
def total_is_basic_plus_project(ctx: Context):
    """检查内容：
    每一行的“合计”等于“基本支出”加“项目支出”（有“结转下年”列时再加结转下年）。

    依据：
    部门支出按性质分为基本支出和项目支出。

    错误示例：
    210 卫生健康支出合计 109,252.10，基本支出 1,700.90，项目支出 107,451.20。

    正确示例：
    109,252.10 = 1,700.90 + 107,551.20。
    """
    parts = ("基本支出", "项目支出", "结转下年", "上缴上级支出", "经营支出", "对附属单位补助支出")
    yield from _row_identity(ctx, "合计", parts, "：合计应等于基本支出与项目支出之和", need_all=False)


@rule("BN212", "基本支出等于人员支出加日常公用支出", "表内")
def basic_is_personnel_plus_public(ctx: Context):
    """检查内容：
    每一行的“基本支出”（小计）等于“人员支出”加“日常公用支出”。

    依据：
    基本支出由人员经费和日常公用经费构成。

    错误示例：
    基本支出 2,093.98，人员支出 1,922.46，日常公用支出 170.52。

    正确示例：
    2,093.98 = 1,922.46 + 171.52。
    """
    yield from _row_identity(ctx, "基本支出", ("人员支出", "公用支出"), "：基本支出应等于人员支出与日常公用支出之和")


@rule("BN213", "财政拨款小计等于三类预算之和", "表内")
def fiscal_subtotal(ctx: Context):
    """检查内容：
    每一行的“财政拨款（小计）”等于一般公共预算、政府性基金预算、国有资本经营预算三列之和。

    依据：
    财政拨款由三本预算的拨款构成。

    错误示例：
    小计 112,250.18，一般公共预算 109,910.18，政府性基金 1,340.00，国有资本经营为空。

    正确示例：
    112,250.18 = 109,910.18 + 1,340.00 + 1,000.00。
    """
    yield from _row_identity(ctx, "财政拨款小计", ("一般公共预算", "政府性基金", "国有资本经营"), "：财政拨款小计应等于三类预算拨款之和")


@rule("BN214", "合计等于各资金来源之和", "表内")
def total_is_sum_of_sources(ctx: Context):
    """检查内容：
    按资金来源分列的表（收入总表、基本支出表、项目支出表、政府采购表）每一行的“合计”等于
    财政拨款小计与财政专户管理资金、事业收入、事业单位经营收入、其他收入、上级补助收入、
    附属单位上缴收入、单位资金、使用非财政拨款结余、上年结转各列之和。

    依据：
    合计列反映全部资金来源。

    错误示例：
    项目“长期护理保险补助”合计 1,605.00，财政拨款小计 1,505.00，其他来源为空。

    正确示例：
    1,605.00 = 1,605.00 + 0。
    """
    for table in ctx.disclosure.all_tables():
        if schemas.table_kinds()[table.kind].layout == "ledger" or not table.has("合计"):
            continue
        if not table.has("财政拨款小计"):
            continue
        present = ["财政拨款小计"] + [k for k in SOURCES if table.has(k)]
        for row in table.rows:
            if "合计" in row.values:
                f = sum_check(ctx, row.values["合计"], [row.values.get(k) for k in present],
                              f"{row_name(table, row)}：合计应等于各资金来源之和", table=table)
                if f:
                    yield f
