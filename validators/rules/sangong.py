"""三公 family: the “三公”经费 figures against the economic classification (SG403–406).

The table's own sums (SG401 合计 = 三项, SG402 公务用车 = 购置 + 运行) are declared relations
(schemas/relations.toml)."""

from __future__ import annotations

from decimal import Decimal

from ..amounts import fmt
from ..model import Severity
from . import Context, rule
from .narrative import sangong_years
from .relations import envelope_for


# ---- 三公 against the economic classification ---------------------------------------------




ECON_PARAMS = {"sangong_equals_basic_items": (
    True, "基本支出中的经济科目小于“三公”经费时给出提示（差额应在项目支出中安排）；设为 false 则只检查超出")}


def _econ_check(ctx: Context, role: str, econ: str, item: str):
    t, basic = ctx.table("三公经费表"), ctx.table("一般公共预算基本支出表")
    prev, cur = sangong_years(t)
    rows = list(t.data_rows())
    if cur is None or not rows:
        return
    sg = rows[0].values.get(f"{role}@{cur}")
    if sg is None or sg.problem:
        return
    key = "公用支出" if basic.has("公用支出") else "基本支出"
    items = [r.values.get(key) for r in basic.data_rows() if r.econ_dept == econ]
    items = [v for v in items if v is not None and not v.problem]
    econ_sum = sum((v.number for v in items), Decimal(0))
    diff = econ_sum - sg.number
    if abs(diff) <= envelope_for([sg], items):
        return
    cells = [v.ref for v in items]
    kw = dict(cells=[sg.ref], related_cells=cells, expected=sg.number, actual=econ_sum, difference=diff, table="三公经费表")
    base = (f"“三公”经费表{cur}{item} {fmt(sg.number)}，一般公共预算基本支出表经济科目 {econ} {item} 合计 {fmt(econ_sum)}")
    if diff > 0:
        yield ctx.finding(Severity.ERROR, message=f"{base}：基本支出中的{item}超过了“三公”经费表中的全年数", **kw)
    elif basic.truncated:
        yield ctx.finding(Severity.UNVERIFIABLE, message=f"{base}，差 {fmt(-diff)}；基本支出表有行缺失，无法核对", **kw)
    elif ctx.param("sangong_equals_basic_items"):
        yield ctx.finding(message=f"{base}，差 {fmt(-diff)}：差额应在项目支出中安排，请核实并在情况说明中说明", **kw)


@rule("SG403", "公务接待费与经济科目30217一致", "三公", requires=("三公经费表", "一般公共预算基本支出表"), severity=Severity.WARNING, params=ECON_PARAMS)
def sangong_reception(ctx: Context):
    """检查内容：
    “三公”经费表本年公务接待费与一般公共预算基本支出表中部门经济分类 30217 公务接待费（各政府经济
    分类合计）比较：基本支出中的 30217 不能超过“三公”数（超过为错误）；少于“三公”数时提示核实差额
    是否安排在项目支出中。

    依据：
    “三公”经费中的公务接待费在经济分类中列 30217；基本支出是“三公”经费的一部分。

    错误示例：
    “三公”公务接待费 3.15，基本支出表 30217 为 2.25 + 0.90 + 1.00 = 4.15。

    正确示例：
    3.15 = 2.25（502 机关）+ 0.90（505 事业单位）。
    """
    yield from _econ_check(ctx, "公务接待", "30217", "公务接待费")


@rule("SG404", "公务用车运行维护费与经济科目30231一致", "三公", requires=("三公经费表", "一般公共预算基本支出表"), severity=Severity.WARNING, params=ECON_PARAMS)
def sangong_vehicle_running(ctx: Context):
    """检查内容：
    “三公”经费表本年公务用车运行维护费与一般公共预算基本支出表 30231 公务用车运行维护费比较
    （超过为错误，少于时提示）。

    依据：
    公务用车运行维护费在经济分类中列 30231。

    错误示例：
    “三公”运行维护费 2.55，基本支出表 30231 合计 3.55。

    正确示例：
    2.55 = 1.35 + 1.20。
    """
    yield from _econ_check(ctx, "公务用车运行", "30231", "公务用车运行维护费")


@rule("SG405", "因公出国（境）费与经济科目30212一致", "三公", requires=("三公经费表", "一般公共预算基本支出表"), severity=Severity.WARNING, params=ECON_PARAMS)
def sangong_abroad(ctx: Context):
    """检查内容：
    “三公”经费表本年因公出国（境）费与一般公共预算基本支出表 30212 因公出国（境）费用比较
    （超过为错误，少于时提示）。

    依据：
    因公出国（境）费在经济分类中列 30212。

    错误示例：
    “三公”因公出国（境）费 0，基本支出表 30212 为 5.00。

    正确示例：
    两者均为 0 或相等。
    """
    yield from _econ_check(ctx, "因公出国", "30212", "因公出国（境）费")


@rule("SG406", "公务用车购置费与经济科目31013一致", "三公", requires=("三公经费表", "一般公共预算基本支出表"), severity=Severity.WARNING, params=ECON_PARAMS)
def sangong_vehicle_purchase(ctx: Context):
    """检查内容：
    “三公”经费表本年公务用车购置费与一般公共预算基本支出表 31013 公务用车购置比较（超过为错误，
    少于时提示；购置费通常在项目支出中安排）。

    依据：
    公务用车购置在经济分类中列 31013。

    错误示例：
    “三公”公务用车购置费 0，基本支出表 31013 为 20.00。

    正确示例：
    两者均为 0，或差额在项目支出中安排并已说明。
    """
    yield from _econ_check(ctx, "公务用车购置", "31013", "公务用车购置费")
