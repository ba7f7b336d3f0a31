"""吉林 预算表1–9 rules (JL9xx).  The two summary tables print 编制预算 and 上年结转 side by side
(keys 合计@编制预算, 合计@上年结转), the 收入总表 is by unit with 当年预算 and 上年结转结余 column
groups, the 项目支出表 splits 本年财政拨款 and 财政拨款结转.  The generic rules that read one 合计
column skip these tables; these rules compare like with like: column with column, and a table's
合计 with 编制预算 + 上年结转.
"""

from __future__ import annotations


from ..amounts import fmt
from ..model import Row, Severity, Table, Value
from ..reading.tables import NON_AMOUNT_ROLES
from . import Context, rule
from ._checks import column_name, equal_check, missing_row, sum_check
from .relations import sum_against

PLANNED, CARRIED = "合计@编制预算", "合计@上年结转"
LEDGER_COLUMNS = (PLANNED, CARRIED)
NON_FISCAL_INCOME = ("财政专户", "事业收入", "经营收入", "上级补助收入", "附属单位上缴收入", "其他收入")


def _jilin_ledger(t: Table | None) -> bool:
    return t is not None and t.has(PLANNED)


def _both(row: Row | None) -> list[Value]:
    return [row.values[k] for k in LEDGER_COLUMNS if row is not None and k in row.values]


def _classes(t: Table) -> dict[str, Row]:
    return {r.code: r for r in t.rows if r.side == "支出" and r.code}


def _has_non_fiscal(t: Table, key: str) -> bool:
    for k in NON_FISCAL_INCOME:
        line = t.line(k, "收入")
        v = line.values.get(key) if line else None
        if v is not None and not v.blank and v.number != 0:
            return True
    return False


@rule("JL901", "收支总表与财政拨款收支总表按类逐列一致", "表间", requires=("收支总表", "财政拨款收支总表"))
def summary_vs_fiscal_by_class(ctx: Context):
    """检查内容：
    吉林格式（预算表1、预算表4）：收支总表支出栏每一“类”与财政拨款收支总表同一类，按“编制预算”“上年结转”
    两列分别核对；本年支出合计、支出总计及收入栏一般公共预算拨款也逐列核对。收支总表该列没有财政拨款以外的
    收入（财政专户、单位资金）时两表应相等，有时财政拨款收支总表不应大于收支总表。

    依据：
    财政拨款收支总表是收支总表中财政拨款部分的展开；编制预算与上年结转是两笔不同的资金，不能互相抵补。

    错误示例：
    收支总表卫生健康支出上年结转 55.76，财政拨款收支总表卫生健康支出上年结转 55.75（差 0.01 为尾差；
    差 1.00 为错误）。

    正确示例：
    两表卫生健康支出编制预算均为 689.62，上年结转均为 55.76。
    """
    s, fz = ctx.table("收支总表"), ctx.table("财政拨款收支总表")
    if not (_jilin_ledger(s) and _jilin_ledger(fz)):
        return
    s_cls, f_cls = _classes(s), _classes(fz)
    pairs = [(s.line(k, side), fz.line(k, side), k) for k, side in (("本年支出合计", "支出"), ("支出总计", "支出"), ("一般公共预算", "收入"))]
    pairs += [(s_cls.get(c), f_cls.get(c), f"类{c}") for c in list(s_cls) + [c for c in f_cls if c not in s_cls]]
    for a, b, _ in pairs:
        if a is None and b is None:
            continue
        label = (a or b).label
        for key in LEDGER_COLUMNS:
            what = f"收支总表与财政拨款收支总表“{label}”（{column_name(key)}列）"
            va, vb = (a.values.get(key) if a else None), (b.values.get(key) if b else None)
            if va is None or vb is None:
                present = va if va is not None else vb
                if present is not None and (a is None or b is None):
                    f = missing_row(ctx, present, fz if a is not None else s, what)
                    if f:
                        yield f
                continue
            if _has_non_fiscal(s, key):
                if not (va.problem or vb.problem) and vb.number > va.number:
                    yield ctx.finding(message=f"{what}：财政拨款 {fmt(vb.number)} 大于收支总表 {fmt(va.number)}",
                                      cells=[vb.ref], related_cells=[va.ref], expected=va.number, actual=vb.number,
                                      difference=vb.number - va.number, table=fz.kind)
                continue
            f = equal_check(ctx, va, vb, what, table=s)
            if f:
                yield f


@rule("JL902", "收支总表（编制预算＋上年结转）与收入总表、支出总表一致", "表间", requires=("收支总表",))
def summary_vs_income_expenditure(ctx: Context):
    """检查内容：
    吉林格式：支出总表合计行、各类的“合计”等于收支总表同一行“编制预算”与“上年结转”之和；收入总表合计行
    “合计”等于收支总表收入总计两列之和，“当年预算小计”“上年结转结余小计”分别等于收支总表收入总计的
    编制预算、上年结转，一般公共预算两列分别等于收支总表一般公共预算拨款的两列。

    依据：
    收入总表、支出总表按单位和功能分类展开全部资金（当年预算和上年结转），收支总表把两者分列。

    错误示例：
    收支总表卫生健康支出编制预算 689.62、上年结转 55.76，支出总表 210 类合计 755.38。

    正确示例：
    支出总表 210 类合计 745.38 = 689.62 + 55.76。
    """
    s = ctx.table("收支总表")
    if not _jilin_ledger(s):
        return
    exp, inc = ctx.table("支出总表"), ctx.table("收入总表")
    if exp is not None:
        rows = exp.by_code()
        pairs = [(s.line("本年支出合计", "支出"), exp.total_row(), "收支总表本年支出合计与支出总表合计")]
        pairs += [(line, rows.get(line.code), f"收支总表“{line.label}”与支出总表类{line.code}") for line in s.rows if line.side == "支出" and line.code]
        for line, row, what in pairs:
            parts = _both(line)
            if not parts:
                continue
            if row is None:
                for v in parts:
                    f = missing_row(ctx, v, exp, what) if line.code else None
                    if f:
                        yield f
                continue
            f = sum_check(ctx, row.values.get("合计"), parts, f"{what}（编制预算＋上年结转）", table=exp)
            if f:
                yield f
    if inc is None or inc.total_row() is None:
        return
    total = inc.total_row()
    grand = s.line("收入总计", "收入")
    f = sum_check(ctx, total.values.get("合计"), _both(grand), "收入总表合计与收支总表收入总计（编制预算＋上年结转）", table=inc)
    if f:
        yield f
    general = s.line("一般公共预算", "收入")
    for line, key, col in ((grand, PLANNED, "合计@当年预算"), (grand, CARRIED, "合计@上年结转结余"),
                           (general, PLANNED, "一般公共预算@当年预算"), (general, CARRIED, "一般公共预算@上年结转结余")):
        if line is None or key not in line.values or col not in total.values:
            continue
        f = equal_check(ctx, total.values[col], line.values[key],
                        f"收入总表合计行{column_name(col)}与收支总表“{line.label}”{column_name(key)}", table=inc)
        if f:
            yield f


def _unit_rows(t: Table) -> list[Row]:
    return [r for r in t.data_rows() if (r.key or "").startswith("单位:")]


@rule("JL903", "收入总表按单位汇总且当年预算、上年结转结余分列相加", "表内", requires=("收入总表",))
def income_by_unit(ctx: Context):
    """检查内容：
    吉林格式收入总表（按部门、单位列示）：每行“合计”等于“当年预算小计”加“上年结转结余小计”，两个小计
    分别等于其下各资金来源之和；合计行等于各部门行之和，部门行（如 502）等于所属单位行（502001、502002）之和。

    依据：
    收入总表按单位列示全部收入；当年预算与上年结转结余是两组不同的资金，各自相加。

    错误示例：
    延边朝鲜族自治州社会医疗保险管理局合计 707.91，当年预算小计 670.10，上年结转结余小计 47.82。

    正确示例：
    707.92 = 670.10 + 37.82（印 707.91 相差 0.01，为四舍五入尾差）。
    """
    t = ctx.table("收入总表")
    groups = {g: [c.key for c in t.columns if c.group == g and c.key and c.role not in NON_AMOUNT_ROLES] for g in ("当年预算", "上年结转结余")}
    subtotal = {g: f"合计@{g}" for g in groups}
    if not all(subtotal[g] in keys for g, keys in groups.items()):
        return
    for row in t.rows:
        if row.kind.value == "marker":
            continue
        name = "合计行" if row.kind.value == "total" else f"“{row.label}”"
        f = sum_check(ctx, row.values.get("合计"), [row.values.get(subtotal[g]) for g in groups],
                      f"收入总表{name}合计（当年预算小计＋上年结转结余小计）", table=t)
        if f:
            yield f
        for g, keys in groups.items():
            parts = [row.values.get(k) for k in keys if k != subtotal[g]]
            f = sum_check(ctx, row.values.get(subtotal[g]), parts, f"收入总表{name}{g}小计", table=t)
            if f:
                yield f
    units = _unit_rows(t)
    codes = {r.key[3:]: r for r in units}
    top_len = min((len(c) for c in codes), default=0)
    tops = [r for c, r in codes.items() if len(c) == top_len]
    total = t.total_row()
    keys = [c.key for c in t.columns if c.key and c.role not in NON_AMOUNT_ROLES]
    parents = ([(total, tops, "合计行应等于各部门行之和")] if total is not None and tops else [])
    for code, row in codes.items():
        kids = [r for c, r in codes.items() if c != code and c.startswith(code) and len(c) > len(code)]
        if kids:
            parents.append((row, kids, f"“{code} {row.label}”应等于所属各单位之和"))
    for parent, kids, what in parents:
        for key in keys:
            f = sum_check(ctx, parent.values.get(key), [k.values.get(key) for k in kids],
                          f"收入总表{what}（{column_name(key)}列）", incomplete=t.truncated, table=t)
            if f:
                yield f


@rule("JL904", "项目支出表每行合计等于各资金来源之和", "表内", requires=("项目支出表",))
def project_sources(ctx: Context):
    """检查内容：
    吉林格式项目支出表（预算表9）：合计行、类型行、一级项目和二级项目每一行的“合计”等于本年财政拨款
    （一般公共预算、政府性基金预算、国有资本经营预算）、财政拨款结转（同上三列）和单位资金之和。

    依据：
    项目的资金由本年拨款、上年结转和单位资金组成，合计是各来源之和。

    错误示例：
    医疗保障专家评审费合计 14.68，本年一般公共预算 12.20，财政拨款结转一般公共预算 3.48。

    正确示例：
    14.68 = 12.20 + 2.48。
    """
    t = ctx.table("项目支出表")
    keys = [c.key for c in t.columns if c.key and c.group and c.role not in NON_AMOUNT_ROLES]
    if not keys or not t.has("合计"):
        return  # only the 吉林 layout splits sources into 本年财政拨款 | 财政拨款结转 groups
    keys += [c.key for c in t.columns if c.key == "单位资金"]
    for row in t.rows:
        if "合计" not in row.values:
            continue
        name = "合计行" if row.kind.value == "total" else f"“{row.label}”"
        f = sum_check(ctx, row.values["合计"], [row.values.get(k) for k in keys], f"项目支出表{name}合计应等于各资金来源之和", table=t)
        if f:
            yield f


@rule("JL905", "一般公共预算支出表与财政拨款收支总表按类一致", "表间", requires=("一般公共预算支出表", "财政拨款收支总表"))
def general_vs_fiscal(ctx: Context):
    """检查内容：
    吉林格式：一般公共预算支出表（预算表5）合计行及每一“类”的合计，等于财政拨款收支总表（预算表4）同一类
    “编制预算”与“上年结转”之和，减去政府性基金、国有资本经营预算支出表中同一类的金额。

    依据：
    预算表5列示全部一般公共预算拨款（当年预算和上年结转）的支出；财政拨款收支总表按类列示全部财政拨款。

    错误示例：
    财政拨款收支总表住房保障支出编制预算 49.64、上年结转为空，一般公共预算支出表 221 类 59.64。

    正确示例：
    一般公共预算支出表 221 类 49.64 = 49.64 + 0。
    """
    g, fz = ctx.table("一般公共预算支出表"), ctx.table("财政拨款收支总表")
    if not _jilin_ledger(fz):
        return
    others = [t for t in (ctx.table("政府性基金支出表"), ctx.table("国有资本经营支出表")) if t is not None]
    rows = g.by_code()
    pairs = [(fz.line("本年支出合计", "支出"), g.total_row(), None)]
    pairs += [(line, rows.get(line.code), line.code) for line in fz.rows if line.side == "支出" and line.code]
    for line, row, code in pairs:
        parts = _both(line)
        if not parts:
            continue
        what = f"一般公共预算支出表{'类' + code if code else '合计'}与财政拨款收支总表“{line.label}”（编制预算＋上年结转）"
        if row is None:
            for v in parts:
                f = missing_row(ctx, v, g, what) if code else None
                if f:
                    yield f
            continue
        minus = []
        for t in others:
            other = t.by_code().get(code) if code else t.total_row()
            if other is not None and other.values.get("合计") is not None:
                minus.append(other.values["合计"])
        # fiscal = general + funds: the fiscal cells are the total, the general row and the fund rows the parts
        f = sum_against(ctx, parts, [row.values.get("合计")] + minus, what, g)
        if f:
            yield f


@rule("JL906", "一般公共预算支出表科目编码缺失", "完整性", requires=("一般公共预算支出表",), severity=Severity.UNVERIFIABLE)
def general_rows_without_codes(ctx: Context):
    """检查内容：
    一般公共预算支出表（预算表5）中有金额却没有科目编码的行（常见于 PDF 转换丢失“项”级编码）：这些行无法
    按科目与支出总表核对，列为无法校验；款内合计仍按行所在位置核对。不补造任何编码。

    依据：
    表间核对按功能分类科目编码对应；没有编码的行只能人工对照。

    错误示例：
    “社会保险经办机构 279.30”没有编码（应为 2080109）。

    正确示例：
    2080109 社会保险经办机构 279.30。
    """
    t = ctx.table("一般公共预算支出表")
    exp = ctx.table("支出总表")
    by_label = {r.label: r for r in exp.data_rows() if r.code} if exp is not None else {}
    for row in t.data_rows():
        amounts = [v for v in row.values.values() if not v.blank]
        if row.code or not amounts:
            continue
        same = by_label.get(row.label)
        hint = f"；支出总表中同名科目为 {same.code}，请核对后补填" if same else ""
        yield ctx.finding(
            message=f"一般公共预算支出表“{row.label}”没有科目编码（可能在转换中丢失），无法按科目与支出总表核对{hint}",
            cells=[row.label_ref or amounts[0].ref], related_cells=[v.ref for v in amounts],
            actual=row.values["合计"].number if "合计" in row.values else None, table=t.kind,
        )
