"""读取 family: what could not be read fails closed as 无法校验."""

from __future__ import annotations

from ..model import Disclosure, Finding, Severity
from . import RULES, Context, odd_values, rule


@rule("RD001", "金额单元格无法识别", "读取", severity=Severity.UNVERIFIABLE)
def unreadable_amounts(ctx: Context):
    """检查内容：
    表格金额列中的每个单元格都必须是数字或空白。文字（如“一百”）、多个小数点（“12.3.4”）、
    错误的千分位（“1,2,3”）或公式错误（#REF!、#DIV/0!）都无法参与校验。

    依据：
    公开表金额以“万元”为单位、保留两位小数填报；无法识别的内容会使所有相关勾稽关系失去意义。

    错误示例：
    支出总表“合计”列填写“一百”，或复制粘贴后出现“#REF!”。

    正确示例：
    填写 100.00；没有金额的单元格留空或填“-”。
    """
    for table in ctx.disclosure.all_tables():
        for value in [v for v in odd_values(ctx, table) if v.problem]:
            yield ctx.finding(
                message=f"{table.kind} {value.ref.address} 单元格内容无法作为金额：{value.problem}，相关校验无法进行",
                cells=[value.ref], table=table.kind, evidence={"raw": str(value.raw)[:80]},
            )


@rule("RD003", "表格行缺失（截断）", "读取", severity=Severity.UNVERIFIABLE)
def truncated_tables(ctx: Context):
    """检查内容：
    表格中标有“数据缺失”的位置（导入 PDF 转换结果时发现表格被截断、或填报人注明缺行）。
    缺失行之后的数据无法核对，涉及这些行的合计关系报告为“无法校验”，而不是“错误”。

    依据：
    只能对实际存在的数据下结论；缺行时既不能判定平衡，也不能判定不平衡。

    错误示例：
    支出总表只转换出第一页，“医疗保障管理事务”款下缺少“事业运行”等项。

    正确示例：
    补齐原表全部行后删除“数据缺失”标记行，再次校验。
    """
    for table in ctx.disclosure.all_tables():
        for marker in table.missing_rows:
            yield ctx.finding(
                message=f"{table.kind}在此处之后缺少数据行（PDF 转换截断或未填完），涉及该表的合计关系无法完整核对",
                cells=[marker], table=table.kind,
            )


@rule("RD002", "缺少公开表", "读取", severity=Severity.UNVERIFIABLE)
def _missing_tables_doc(ctx: Context):
    """检查内容：
    工作簿中找不到某张公开表（按表名及其别名查找，不按工作表位置）。需要该表的所有规则
    都无法运行，列在本条结果中。

    依据：
    部门预算公开要求公开全部规定表格；空表也应保留并注明“本表无数据”的原因。

    错误示例：
    工作簿中没有“项目支出预算情况表”，或表名写错为“项目支出表格”。

    正确示例：
    保留模板中的全部表格，表名与模板一致。
    """
    return ()


def missing_tables_findings(disclosure: Disclosure, blocked: dict[str, list[str]]) -> list[Finding]:
    rule_ = RULES["RD002"]
    ctx = Context(disclosure, rule_)
    profile = disclosure.format
    if not disclosure.tables:
        return [ctx.finding(message="工作簿中没有找到任何可识别的公开表（按表名查找），无法校验。请使用 czcheck 模板或检查表名")]
    expected = [t.kind for t in profile.tables] if profile else sorted(blocked)
    out = []
    for kind in expected:
        if disclosure.table(kind) is None:
            codes = "、".join(sorted(set(blocked.get(kind, [])))) or "无"
            out.append(ctx.finding(message=f"缺少“{kind}”，依赖该表的规则无法运行：{codes}", table=kind))
    return out


@rule("RD004", "表头栏目无法区分", "读取", severity=Severity.UNVERIFIABLE)
def ambiguous_columns(ctx: Context):
    """检查内容：
    同一张表中有两个或更多金额栏目被识别为同一栏目（例如两个“一般公共预算”栏），无法确定哪一栏
    是哪一栏。这通常是分组表头（如“本年财政拨款”“财政拨款结转”“上年预算数”“本年预算数”）未能
    读出，例如 PDF 中跨栏合并的表头只出现在第一栏上方。这些栏目都不参与校验，涉及它们的勾稽关系
    报告为“无法校验”或不做判断，而不是任取一栏得出“错误”。

    依据：
    只能对确认了含义的数字下结论；把结转数当作本年数核对，会得出不真实的错误或一致。

    错误示例：
    项目支出表表头为“本年财政拨款（一般公共预算、政府性基金）｜财政拨款结转（一般公共预算、政府性基金）”，
    分组行丢失后只剩两个“一般公共预算”、两个“政府性基金”。

    正确示例：
    保留完整的分组表头（合并单元格或在每一栏写明“本年财政拨款一般公共预算”等）。
    """
    from .relations import column_name

    for table in ctx.disclosure.all_tables():
        for key, headers, cells in table.cache.get("ambiguous_columns", ()):
            shown = "、".join(f"“{h}”" for h in headers)
            yield ctx.finding(
                message=f"{table.kind}有 {len(headers)} 个栏目都识别为“{column_name(key)}”（{shown}），无法区分哪一栏是哪一栏"
                        "（分组表头可能未能读出），这些栏目不参与校验",
                cells=cells, table=table.kind,
            )
