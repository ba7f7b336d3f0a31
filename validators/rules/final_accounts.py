"""决算 family: the 部门决算 公开01–09 tables reconcile (JS5xx).

Hierarchy sums (类 = Σ款 = Σ项, 合计 = Σ类) and row identities (合计 = 基本支出 + 项目支出, 合计 = Σ资金来源)
of the function-classified 决算 tables are checked by the generic 表内 rules (BN20x, BN21x), and the
“三公” table's 预算数/决算数 groups by SG40x; the rules here cover what is particular to 决算.
"""

from __future__ import annotations

from ..model import Row, RowKind, Table, Value
from . import Context, rule
from ._checks import row_name, sum_check
from .relations import balance_check

SUMMARY = "收支决算总表"
FISCAL = "财政拨款收支决算总表"
INCOME = "收入决算表"
EXPENSE = "支出决算表"
GENERAL = "一般公共预算支出决算表"
BASIC = "一般公共预算基本支出决算表"
FUND = "政府性基金收支决算表"
SOE = "国有资本经营支出决算表"
FUNDS = ("一般公共预算", "政府性基金", "国有资本经营")
INCOME_LINES = FUNDS + ("上级补助收入", "事业收入", "经营收入", "附属单位上缴收入", "其他收入")
OPENING = "年初结转和结余"
CLOSING = "年末结转和结余"


def _v(row: Row | None, key: str = "合计") -> Value | None:
    return row.values.get(key) if row else None


def _lines(t: Table, side: str, keys) -> list[Row]:
    return [r for k in keys if (r := t.line(k, side)) is not None]


def _emit(*findings):
    return [f for f in findings if f]


@rule("JS508", "年初结转加本年收入等于本年支出加年末结转", "决算")
def carryover_identity(ctx: Context):
    """检查内容：
    按每一类财政拨款核对：年初结转和结余 + 本年收入 = 本年支出 + 年末结转和结余。
    财政拨款收入支出决算总表按一般公共预算、政府性基金预算、国有资本经营预算各列核对；
    政府性基金（及国有资本经营）预算财政拨款收入支出决算表按每一行核对。

    依据：
    财政拨款资金的期初、本期收入、本期支出和期末余额之间的恒等关系。

    错误示例：
    一般公共预算财政拨款：年初 0.00，本年收入 2,315.76，本年支出 2,315.76，年末填 10.00。

    正确示例：
    0.00 + 2,315.76 = 2,315.76 + 0.00。
    """
    t = ctx.table(FISCAL)
    if t is not None:
        spent, closing = t.line("本年支出合计", "支出"), t.line(CLOSING, "支出")
        for key in FUNDS:
            opening, income = t.line(f"{OPENING}:{key}", "收入"), t.line(key, "收入")
            out = [_v(spent, key), _v(closing, key)]
            if opening is None or income is None or any(v is None for v in out):
                continue
            # opening + income = spent + closing  ⇔  opening + income (as total) vs spent + closing
            f = balance_check(ctx, [_v(opening), _v(income)], out, f"{FISCAL}{key}财政拨款：年初结转和结余 + 本年收入 与 本年支出 + 年末结转和结余", t)
            if f:
                yield f
    for kind in (FUND, SOE):
        ft = ctx.table(kind)
        if ft is None or not (ft.has(OPENING) and ft.has("本年收入") and ft.has("合计") and ft.has(CLOSING)):
            continue
        for row in ft.rows:
            if row.kind is RowKind.MARKER:
                continue
            f = balance_check(ctx, [row.values.get(OPENING), row.values.get("本年收入")], [row.values.get("合计"), row.values.get(CLOSING)],
                         f"{row_name(ft, row)}：年初结转和结余 + 本年收入 与 本年支出 + 年末结转和结余", ft)
            if f:
                yield f


def _block_classes(t: Table, blocks: set[str]) -> list[Row]:
    return [r for r in t.data_rows() if r.side in blocks and r.econ_dept and len(r.econ_dept) == 3]


@rule("JS521", "人员经费合计、公用经费合计等于各经济分类类之和", "决算", requires=(BASIC,))
def basic_block_totals(ctx: Context):
    """检查内容：
    一般公共预算财政拨款基本支出决算明细表：“人员经费合计”等于人员经费栏各类（301 工资福利支出 +
    303 对个人和家庭的补助）之和；“公用经费合计”等于公用经费栏各类（302 商品和服务支出 + 307 + 310
    资本性支出 + 312 + 399 等表中列出的类）之和。

    依据：
    基本支出中的人员经费与公用经费按部门预算支出经济分类的类级汇总。

    错误示例：
    301 为 1,349.06，303 为 0.04，人员经费合计填 1,394.10。

    正确示例：
    人员经费合计 = 1,349.06 + 0.04 = 1,349.10；公用经费合计 = 95.40 + 0.00 + 0.40 + 0.00 + 0.00 = 95.80。
    """
    t = ctx.table(BASIC)
    blocks = sorted({c.side for c in t.columns if c.side})
    for key, sides in (("人员经费合计", set(blocks[:1])), ("公用经费合计", set(blocks[1:]))):
        total = next((r for r in t.rows if r.key == key), None)
        if total is None:
            continue
        classes = _block_classes(t, sides)
        yield from _emit(sum_check(ctx, _v(total), [_v(r) for r in classes], f"{BASIC}{key}", table=t, incomplete=t.truncated))


