"""完整性 family: empty tables explained, codes detailed to 项/款, no template leftovers, units."""

from __future__ import annotations

import re
from decimal import Decimal

from .. import schemas
from ..hierarchy import groups
from ..amounts import fmt
from ..model import CellRef, RowKey, RowKind, Severity
from ..narrative import narrative_text
from ..reading import COVER_LEFTOVERS
from ..reading.tables import any_value
from . import Context, odd_values, rule
from ._profile import param

_ZERO = Decimal(0)
LEFTOVER = re.compile(r"XX|ＸＸ|××|xx年|某某|＿{2,}|_{3,}|此处填写|示例单位|（单位名称）|\(单位名称\)|按照?以下模板填写")
_LEFTOVER_CHARS = re.compile(r"[XＸ×x某＿_此示按]")  # with 单位名称: in every LEFTOVER match (a fast scan)


def _may_be_leftover(text: str) -> bool:
    return _LEFTOVER_CHARS.search(text) is not None or "单位名称" in text


_LABELS: dict[str, bool] = {}  # template_leftovers: row label -> _may_be_leftover (pure)


# literals one of which is in every LEFTOVER match (XX, ＸＸ, ××, xx年, 某某, ＿{2,}, _{3,}; 此处填写 and
# 按照?以下模板填写 hold 填, 示例单位 示; the bracketed 单位名称), chosen short: a single character is found
# fastest (NarrativeText.having_any)
_LEFTOVER_WORDS = ("X", "Ｘ", "×", "x", "某", "＿", "_", "填", "示", "单位名称")


def leftover(text: str) -> "re.Match[str] | None":
    """``LEFTOVER.search(text)``, the regex run only where the characters each of its matches holds are."""
    return LEFTOVER.search(text) if _may_be_leftover(text) else None


def _layout(kind: str) -> str:
    return schemas.table_kinds()[kind].layout


@rule("WZ801", "空表或负数应注明原因", "完整性", severity=Severity.WARNING)
def empty_table_note(ctx: Context):
    """检查内容：
    没有任何金额的公开表（如没有政府性基金预算拨款的部门的政府性基金预算支出表）应保留表格并注明
    原因（如“注：本部门 2024 年没有使用政府性基金预算拨款安排的支出，故本表无数据。”）。
    部门预算表中的负数金额（即使合计关系成立）也需要核实并说明：预算数一般不为负，负数多是
    符号录入错误或把调减数填进了预算表。

    依据：
    公开要求“空表也要公开并说明”，否则读者无法区分“没有”与“漏报”；预算安排数不应为负。

    错误示例：
    国有资本经营预算支出情况表只有表头，没有数据也没有说明；支出总表某项目填写 -3.00。

    正确示例：
    表下注明“本部门没有国有资本经营预算拨款安排的支出，故本表无数据”；预算数填写正数。
    """
    for t in ctx.disclosure.all_tables():
        has_amount = any_value(t.rows)  # any(not v.blank for r in t.rows for v in r.values.values())
        if not has_amount and not t.note and not t.truncated and not t.unread_columns:
            yield ctx.finding(message=f"{t.kind}没有数据，也没有注明原因（如“本表无数据”及原因）", cells=[t.title_ref], table=t.kind)
    yield from _negative_budget_amounts(ctx)


def _negative_budget_amounts(ctx: Context):
    """One 提示 per 预算 table listing its negative amounts (决算 may carry negative 结余)."""
    d = ctx.disclosure
    if d.kind != "预算":
        return
    for t in d.all_tables():
        negative = [v for v in odd_values(ctx, t) if v.number < _ZERO]  # blank/unreadable: number 0
        if not negative:
            continue
        shown = "、".join(f"{v.ref.address}（{fmt(v.amount)}）" for v in negative[:5]) + (" 等" if len(negative) > 5 else "")
        yield ctx.finding(message=f"{t.kind}有 {len(negative)} 个负数金额：{shown}。预算数一般不为负，请核实或注明原因",
                          cells=[v.ref for v in negative], actual=negative[0].amount, table=t.kind)


@rule("WZ802", "功能分类应细化到项", "完整性", severity=Severity.WARNING)
def function_detail(ctx: Context):
    """检查内容：
    按功能分类列示的表中，每个“类”下应有“款”，每个“款”下应有“项”（公开表应细化到项级科目）。

    依据：
    部门预算公开要求支出按功能分类公开到项级科目。

    错误示例：
    “21015 医疗保障管理事务”只有款级金额，下面没有“2101501 行政运行”等项。

    正确示例：
    款级下列出各项，款级金额等于各项之和。
    """
    for t in ctx.disclosure.all_tables():
        if _layout(t.kind) != "function":
            continue
        parents = {g.parent.code for g in groups(t, "function") if g.parent.code}
        data = [r for r in t.rows if r.kind is RowKind.DATA and r.code]
        last = data[-1] if data else None
        for r in [r for r in data if len(r.code) in (3, 5) and r.code not in parents]:
            if any(not v.blank and v.number != _ZERO for v in r.values.values()):
                if t.truncated and last is not None and last.code.startswith(r.code):
                    continue  # the rows below may be the ones lost
                level = "款" if len(r.code) == 3 else "项"
                yield ctx.finding(message=f"{t.kind}“{r.code} {r.label}”下没有列出{level}级科目", cells=[r.label_ref or r.cells[0]], table=t.kind)


@rule("WZ803", "经济分类应细化到款", "完整性", severity=Severity.WARNING)
def economic_detail(ctx: Context):
    """检查内容：
    按经济分类列示的基本支出表中，每个经济分类“类”（如 301 工资福利支出）下应列出“款”
    （如 30101 基本工资）。

    依据：
    基本支出按经济分类公开到款级科目。

    错误示例：
    “302 商品和服务支出 70.94”下没有办公费、会议费等款。

    正确示例：
    302 下列出 30201 办公费、30215 会议费……，类级等于各款之和。
    """
    for t in ctx.disclosure.all_tables():
        if _layout(t.kind) != "economic":
            continue
        parents = {id(g.parent) for g in groups(t, "economic") if g.level == "经济分类类"}
        rows = [r for r in t.data_rows() if r.econ_dept]
        for i, r in enumerate(rows):
            if len(r.econ_dept) == 3 and id(r) not in parents and any(not v.blank and v.number != 0 for v in r.values.values()):
                if t.truncated and i == len(rows) - 1:
                    continue
                yield ctx.finding(message=f"{t.kind}经济分类“{r.econ_dept} {r.label}”下没有列出款级科目", cells=[r.label_ref or r.cells[0]], table=t.kind)


@rule("WZ804", "模板占位内容未替换", "完整性", severity=Severity.WARNING)
def template_leftovers(ctx: Context):
    """检查内容：
    表格名称、科目、项目名称和情况说明中残留模板占位内容，如“XX”“××”“某某”“____”“此处填写”，
    以及照抄的模板说明（“部门按照以下模板填写”）；封面仍是模板（“____年____部门”，“部门名称”或“年度”未填写）。

    依据：
    公开文本应为本部门的实际内容。

    错误示例：
    “XX 部门 2024 年部门预算”、“某某项目”。

    正确示例：
    “烟台市医疗保障局 2024 年部门预算”。
    """
    d = ctx.disclosure
    for ref, what in d.cache.get(COVER_LEFTOVERS, []):  # 封面: “____年____部门”, empty 部门名称 / 年度
        yield ctx.finding(message=f"{what}：封面仍是模板，请填写部门名称和年度", cells=[ref])
    known = _LABELS  # label -> _may_be_leftover(label): row labels recur, in a book and across books
    if len(known) > 16384:
        known.clear()
    for t in d.all_tables():
        for r in t.rows:
            label = r.label
            if not label:
                continue
            may = known.get(label)
            if may is None:
                may = known[label] = _may_be_leftover(label)
            if may and r.label_ref and leftover(label):
                yield ctx.finding(message=f"{t.kind}“{r.label}”含模板占位内容", cells=[r.label_ref], table=t.kind)
    for i in narrative_text(d).having_any(*_LEFTOVER_WORDS):  # the other paragraphs hold no LEFTOVER
        p = d.narrative[i]
        m = leftover(p.text)
        if m:
            yield ctx.finding(message=f"情况说明含模板占位内容“{m.group()}”：{p.text[:40]}", cells=[p.ref])


@rule("WZ805", "金额单位应与格式一致", "完整性")
def unit_matches_profile(ctx: Context):
    """检查内容：
    表头“单位：”标注的金额单位与本公开文件的单位（封面“金额单位”，或格式规定的单位）一致。czcheck
    按各表标注的单位把金额换算成同一单位后再核对，所以单位不同不会引起连串的错误；本规则只在
    单位确实有问题的地方报告一次，并指向写着单位的单元格：某张表与格式规定的单位不同，或标注的
    单位与金额不符（标“元”而金额按万元填列）。各表都不同于封面时只报告一次（封面）。

    依据：
    部门预算公开表统一以万元为单位；以元填报会使与其他表、与情况说明的比较全部失效。

    错误示例：
    其他表都是“单位：万元”，支出总表写“单位：元”并按元填报。

    正确示例：
    表头写“单位：万元”，金额按万元保留两位小数。
    """
    d = ctx.disclosure
    declared = [t for t in d.all_tables() if t.unit]
    by_design = {s.kind: s.unit for s in d.format.tables if s.unit} if d.format is not None else {}
    odd = [t for t in declared if t.unit != d.unit and by_design.get(t.kind) != t.unit]
    if not odd or d.unit is None:
        return
    profile = d.format
    fixed = d.unit_ref is not None or (profile is not None and param(d, "unit", profile.unit) == d.unit)
    if d.unit_ref is not None and len(odd) == len(declared):  # every table against the cover: once
        units = "、".join(sorted({t.unit for t in odd}))
        wrong = all(t.cache.get("unit_label_wrong") for t in odd)
        how = "金额与封面单位相符，表头单位标注有误" if wrong else f"已按表头单位换算为{d.unit}后核对"
        yield ctx.finding(message=f"封面金额单位为“{d.unit}”，但各表表头标注为“{units}”（{how}），请统一",
                          cells=[d.unit_ref], related_cells=[t.unit_ref or t.title_ref for t in odd])
        return
    for t in odd:
        where = t.unit_ref or t.title_ref
        if t.cache.get("unit_label_wrong"):
            yield ctx.finding(message=f"{t.kind}标注的金额单位为“{t.unit}”，但金额与其他表按“{d.unit}”一致：单位标注有误",
                              cells=[where], table=t.kind)
        elif fixed:
            yield ctx.finding(message=f"{t.kind}标注的金额单位为“{t.unit}”，应为“{d.unit}”（已按{t.unit}换算后核对）",
                              cells=[where], table=t.kind)


@rule("WZ806", "表中科目应有编码和名称", "完整性", severity=Severity.WARNING)
def rows_identified(ctx: Context):
    """检查内容：
    按功能分类或经济分类列示的表中，有金额的行都应有科目编码；有编码的行应有科目名称。

    依据：
    没有编码的行无法归入类/款/项，合计关系无从核对。

    错误示例：
    支出总表中一行“其他支出 12.00”没有科目编码。

    正确示例：
    “2299999 其他支出 12.00”。
    """
    for t in ctx.disclosure.all_tables():
        layout = _layout(t.kind)
        if layout not in ("function", "economic"):
            continue
        attr = "code" if layout == "function" else "econ_dept"
        for r in [r for r in t.rows if not (getattr(r, attr) and r.label)]:  # coded and named rows are fine
            if r.kind is not RowKind.DATA or (r.key is not None and r.key.kind == RowKey.UNIT):
                continue  # 吉林 收入总表 rows are units (部门(单位)代码), not 科目
            coded = getattr(r, attr)
            if not coded and any(not v.blank for v in r.values.values()):
                yield ctx.finding(message=f"{t.kind}第 {r.index + 1} 行“{r.label or '（无名称）'}”有金额但没有科目编码", cells=[r.label_ref or r.cells[0]], table=t.kind)
            elif coded and not r.label:
                yield ctx.finding(message=f"{t.kind}科目“{coded}”没有名称", cells=r.cells[:1], table=t.kind)


@rule("WZ807", "公开表不应隐藏（工作表或行）", "完整性", severity=Severity.WARNING)
def hidden_tables(ctx: Context):
    """检查内容：
    公开表位于隐藏（或深度隐藏）的工作表中，或表格中间有被隐藏的行。czcheck 仍然校验它们（隐藏行
    的金额照样计入合计），但公开或打印时读者看不到；若同名表另有可见的一份，表间核对使用可见的那份。

    依据：
    公开内容应完整可见；隐藏工作表常是旧版本或草稿的残留，隐藏行会让读者看到的各行之和与合计不符。

    错误示例：
    “支出总体情况表”在隐藏工作表“旧版”中，另有一份可见；支出总表第 12 行被隐藏。

    正确示例：
    删除旧版工作表，或取消隐藏并确认其内容；删除不需要的行，而不是隐藏。
    """
    for t in ctx.disclosure.all_tables():
        if t.hidden:
            yield ctx.finding(message=f"{t.kind}位于隐藏工作表“{t.sheet}”中", cells=[t.title_ref], table=t.kind)
        elif t.hidden_rows:
            by_row = {r.index: r for r in t.rows}
            cells = [by_row[i].label_ref or (by_row[i].cells or [CellRef(t.sheet, i, 0)])[0] if i in by_row else CellRef(t.sheet, i, 0)
                     for i in t.hidden_rows]
            rows = "、".join(str(i + 1) for i in t.hidden_rows[:8]) + (" 等" if len(t.hidden_rows) > 8 else "")
            with_amounts = sum(1 for i in t.hidden_rows if i in by_row and any(not v.blank for v in by_row[i].values.values()))
            extra = f"，其中 {with_amounts} 行有金额（仍计入合计）" if with_amounts else ""
            yield ctx.finding(message=f"{t.kind}第 {rows} 行被隐藏{extra}：公开或打印时看不到，请删除或取消隐藏",
                              cells=cells, table=t.kind)


@rule("WZ808", "同一张表出现多次", "完整性", severity=Severity.WARNING)
def duplicated_tables(ctx: Context):
    """检查内容：
    同一张公开表（按表名识别）在工作簿中出现不止一次。表间核对使用第一份（可见工作表优先），
    每一份都做表内核对；请确认保留哪一份。

    依据：
    一个部门的每张公开表只有一份；重复的表常是复制粘贴或旧版本的残留，数字可能不同。

    错误示例：
    工作表“支出总表”和“支出总表 (2)”都有“支出总体情况表”。

    正确示例：
    只保留一份。
    """
    for kind, tables in ctx.disclosure.tables.items():
        if len(tables) > 1:
            places = "、".join(str(t.title_ref) for t in tables)
            yield ctx.finding(message=f"{kind}出现 {len(tables)} 次：{places}", cells=[t.title_ref for t in tables], table=kind)
