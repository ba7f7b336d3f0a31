"""机关运行经费 family: the narrative figure against the tables under either 口径, and its change."""

from __future__ import annotations

import re

from .. import schemas
from ..amounts import fmt
from ..model import Severity
from ..narrative import narrative_text
from . import Context, rule
from .narrative import _half, _matches, _round, jiguan_candidates, percent_band, statements, table_checked_change

JIGUAN = re.compile(r"机关运行经费")


def _jiguan_statements(ctx: Context, kind: str = "amount"):
    return [st for st in statements(ctx.disclosure) if st.kind == kind and JIGUAN.search(schemas.norm(st.subject))]


@rule("JY701", "机关运行经费与基本支出表一致", "机关运行经费")
def jiguan_amount(ctx: Context):
    """检查内容：
    情况说明中的机关运行经费金额，与一般公共预算基本支出表按口径计算的数一致。口径：行政单位
    （含参公事业单位）的日常公用经费，即政府经济分类 502 机关商品和服务支出；部分地区再扣除
    30239 其他交通费用。与任一口径一致即通过，都不一致时列出各口径的数。表中没有 502 分类时
    （如决算公开06表），公用经费合计只是上限：超过上限为错误，小于上限时提示确认口径。
    公开表自身印有机关运行经费时（如上海“三公”经费和机关运行经费预算表），情况说明与该数一致。

    依据：
    机关运行经费指保障行政单位运行用于购买货物和服务的各项资金，由基本支出中的公用经费构成。

    错误示例：
    “机关运行经费安排 80.94 万元”，502 合计 70.94（扣除 30239 后 50.34）。

    正确示例：
    “机关运行经费安排 70.94 万元”（502 合计）或 448.92 万元（502 合计 513.54 扣除 30239 的 64.62）。
    """
    candidates = jiguan_candidates(ctx.disclosure)
    bounds = bool(candidates) and all("上限" in c.what for c in candidates)
    for st in _jiguan_statements(ctx):
        if st.amount_wan is None:
            continue
        if not candidates:
            yield ctx.finding(Severity.UNVERIFIABLE, message=f"情况说明“{st.text}”：基本支出表中没有可计算机关运行经费的公用经费数据", cells=[st.ref])
            continue
        if any(_matches(st, c.amount)[0] for c in candidates):
            continue
        if bounds and st.amount_wan < max(c.amount for c in candidates):
            listing = "；".join(f"{c.what} {fmt(c.amount)}" for c in candidates)
            yield ctx.finding(
                Severity.WARNING,
                message=f"情况说明“{st.text}”中的机关运行经费 {fmt(st.amount_wan)} 万元小于表中公用经费（{listing}）。"
                        "机关运行经费只含行政单位，表中不能精确计算，请确认口径并在说明中写明",
                cells=[st.ref], related_cells=sorted({r for c in candidates for r in c.cells}),
                expected=candidates[0].amount, actual=st.amount_wan, difference=st.amount_wan - candidates[0].amount,
            )
            continue
        best = min(candidates, key=lambda c: abs(c.amount - st.amount_wan))
        listing = "；".join(f"{c.what} {fmt(c.amount)}" for c in candidates)
        yield ctx.finding(
            message=f"情况说明“{st.text}”中的机关运行经费 {fmt(st.amount_wan)} 万元与表格不一致（{listing}）",
            cells=[st.ref], related_cells=sorted({r for c in candidates for r in c.cells}),
            expected=best.amount, actual=st.amount_wan, difference=st.amount_wan - best.amount,
        )


def growth_findings(ctx: Context, subject_filter):
    """增减额与增减率：“X 万元，比上年增加 a 万元，增长 r%” — r = a ÷ (X − a)."""
    sts = statements(ctx.disclosure)
    for st in sts:
        if st.kind != "percent_change" or st.percent is None or not st.parts:
            continue
        change = sts[st.parts[0]]
        if change.kind != "change" or change.amount_wan is None or not subject_filter(change.subject):
            continue
        if table_checked_change(ctx.disclosure, change):
            continue  # the change itself is wrong against the tables (WB606): one slip, one finding
        current = next((s for s in reversed(sts[: change.index]) if s.kind == "amount" and s.paragraph == change.paragraph), None)
        if current is None or current.amount_wan is None:
            continue
        signed = change.amount_wan if change.direction == "增加" else -change.amount_wan
        previous = current.amount_wan - signed
        if previous == 0:
            continue
        computed = _round(signed / previous * 100, st.decimals)
        stated = st.percent if st.direction == "增加" else -st.percent
        sign = 1 if change.direction == "增加" else -1
        band = percent_band(lambda cur, ch: sign * ch / (cur - sign * ch) * 100, current.amount_wan, _half(current),
                            change.amount_wan, _half(change), st.decimals)
        if (st.direction != change.direction) or (band and not band[0] <= stated <= band[1]):
            yield ctx.finding(
                message=f"情况说明“{current.text}，{change.text}，{st.text}”：按 {fmt(current.amount_wan)} 与上年 {fmt(previous)} 计算，变动率应为 {computed}%",
                cells=[st.ref], expected=computed, actual=stated, difference=stated - computed,
            )


@rule("JY702", "机关运行经费增减额与增长率一致", "机关运行经费")
def jiguan_growth(ctx: Context):
    """检查内容：
    情况说明“机关运行经费 X 万元，比上年增加（减少）a 万元，增长（下降）r%”中，r 等于 a 除以上年数
    （X 减去增加额或加上减少额），按写出的小数位比较；增减方向词前后一致。

    依据：
    增长率 = 增减额 ÷ 上年数。

    错误示例：
    “机关运行经费 70.94 万元，较上年增加 1.30 万元，增长 1.78%”（应为 1.87%）。

    正确示例：
    1.30 ÷ (70.94 − 1.30) = 1.87%。
    """
    yield from growth_findings(ctx, lambda subject: JIGUAN.search(schemas.norm(subject)) is not None)


@rule("JY703", "情况说明应给出机关运行经费金额", "机关运行经费", severity=Severity.WARNING)
def jiguan_stated(ctx: Context):
    """检查内容：
    情况说明有“机关运行经费”段落但没有写出金额（或整段缺失）。

    依据：
    部门预决算公开要求说明机关运行经费安排情况及增减原因。

    错误示例：
    “三、机关运行经费情况”标题下只有定义，没有金额。

    正确示例：
    “2024 年本部门机关运行经费安排 70.94 万元，较 2023 年预算增加 1.30 万元，增长 1.87%”。
    """
    if _jiguan_statements(ctx):
        return
    first = narrative_text(ctx.disclosure).first_having("机关运行经费")
    if first is not None:
        yield ctx.finding(message="情况说明提到机关运行经费，但没有写出金额", cells=[ctx.disclosure.narrative[first].ref])


@rule("WB607", "情况说明增减额与增减率一致", "文表一致")
def narrative_growth(ctx: Context):
    """检查内容：
    情况说明中“X 万元，比上年增加（减少）a 万元，增长（下降）r%”的 r 等于 a 除以上年数
    （机关运行经费由 JY702 检查）。

    依据：
    增长率 = 增减额 ÷ 上年数；上年数 = 本年数 − 增加额（或 + 减少额）。

    错误示例：
    “政府采购预算 120.00 万元，比上年增加 20.00 万元，增长 16.67%”（应为 20.00%）。

    正确示例：
    20.00 ÷ 100.00 = 20.00%。
    """
    yield from growth_findings(ctx, lambda subject: JIGUAN.search(schemas.norm(subject)) is None)
