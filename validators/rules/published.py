"""公开文本 family: what a published document needs beyond its numbers.

Years in headings and 截至 dates, template text left unedited, the 决算/预算 comparison and its
reason, a 收支总计 of zero, the 目录 against the tables found, and a blank table whose figures the
narrative states.  Works on any Disclosure: a workbook's 情况说明 sheet today, a PDF's paragraphs
(with ``Disclosure.contents`` filled from its 目录) tomorrow.

Every check here is tuned to stay quiet on the clean documents under ../shared (the peer tool drowns
its hits in false alarms: codes read as amounts, years read as numbers): a year is only read where
it is followed by 年 inside a heading or a 截至 date, a template phrase only where it governs a number
or a comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from decimal import Decimal
from typing import Iterator

from .. import schemas
from ..amounts import envelope_of, fmt
from ..model import CellRef, Disclosure, Paragraph, Severity, Table
from ..narrative import HEADING_OPENING, Statement, clean, narrative_text
from . import Context, rule
from .completeness import LEFTOVER
from .narrative import linked_statements, narrative_paragraphs, performance_paragraphs, statements

FAMILY = "公开文本"

# ---- text places ------------------------------------------------------------------------------

_CN_NUM = "一二三四五六七八九十"
_HEADING_START = re.compile(rf"^(?:第[{_CN_NUM}]+部分|[{_CN_NUM}]+、|[（(][{_CN_NUM}]+[）)]|\d+[.．、]\s*\D)")
_DOC_TITLE = re.compile(r"(部门|单位|区级|市级|县级|本级)?(预算|决算)(?!数)")


@dataclass
class Place:
    """A piece of text a reader sees as a heading or a title, with the cell (or page line) it sits in."""

    text: str
    ref: CellRef
    what: str  # Chinese: "表名" | "表注" | "标题" | "部分名称" | "目录" | "部门名称"


_SENTENCE_MARKS = re.compile(r"[。，；,;\t]")
_WIDE_GAP = re.compile(r"\s{3,}")  # in a stripped text, the same as r"\S\s{3,}\S" (a run of spaces between words)
_YEAR_TITLE = re.compile(r"\d{4}\s*年度?\s*" + _DOC_TITLE.pattern)


def is_heading(text: str) -> bool:
    """A short line without sentence punctuation that opens a part or names the document."""
    t = text.strip()
    if not t or len(t) > 50 or _SENTENCE_MARKS.search(t) or _WIDE_GAP.search(t):
        return False
    return bool(_HEADING_START.match(t)) or ("年" in t and bool(_YEAR_TITLE.search(t)))


class PublishedView:
    """What the 公开文本 rules read of a disclosure, computed once (``d.view(PublishedView)``)."""

    def __init__(self, d: Disclosure) -> None:
        self.d = d

    @cached_property
    def headings(self) -> list[Place]:
        return _headings(self.d)

    @cached_property
    def pairs(self) -> list["Pair"]:
        return _budget_final_pairs(self.d)

    @cached_property
    def pair_texts(self) -> list[tuple["Pair", str]]:
        return _pair_texts_of(self.d)


def headings(d: Disclosure) -> list[Place]:
    """Headings and titles: table titles, section names, heading paragraphs, 目录 entries."""
    return d.view(PublishedView).headings


_HEADING_OPENING = HEADING_OPENING  # a prefix of every _HEADING_START match (NarrativeText.opening_with)
# the part of each _YEAR_TITLE match from 年 on (a pattern opening with a literal is searched fast)
_YEAR_TITLE_GATE = re.compile(r"年度?\s*(?:部门|单位|区级|市级|县级|本级)?(?:预算|决算)")


def heading_candidates(d: Disclosure) -> list[int]:
    """Indexes of the narrative paragraphs ``is_heading`` may accept, found in the joined text: those
    opening with what _HEADING_START begins with, and those holding a _YEAR_TITLE.  A superset: the
    caller asks ``is_heading`` of each."""
    nt = narrative_text(d)
    return sorted(set(nt.having(_YEAR_TITLE_GATE)).union(nt.opening_with(_HEADING_OPENING)))


def _headings(d: Disclosure) -> list[Place]:
    out: list[Place] = []
    for t in d.all_tables():
        out.append(Place(t.title, t.title_ref, "表名"))
    narrative = d.narrative
    # per paragraph, in order: its section when it is the section's first paragraph, then the
    # paragraph itself when it is a heading (is_heading runs only on the candidates)
    places: dict[int, list[Place]] = {}
    for section, i in narrative_text(d).first_of_sections().items():
        if section:
            places[i] = [Place(section, narrative[i].ref, "部分名称")]
    for i in heading_candidates(d):
        p = narrative[i]
        if (len(p.text) <= 50 or len(p.text.strip()) <= 50) and is_heading(p.text) and not _in_contents_section(p):
            places.setdefault(i, []).append(Place(p.text.strip(), p.ref, "标题"))
    for i in sorted(places):
        out += places[i]
    for text, ref in contents_entries(d):
        out.append(Place(text, ref, "目录"))
    return out


# ---- 目录 ------------------------------------------------------------------------------------

_LEADERS = re.compile(r"[.…·．\-—_\s]{3,}\s*\d*\s*$|\s+\d+\s*$")


def _in_contents_section(p: Paragraph) -> bool:
    return schemas.norm(p.section) in ("目录", "目次")


def contents_entries(d: Disclosure) -> list[tuple[str, CellRef]]:
    """The entries of the document's 目录, leaders and page numbers removed.

    ``Disclosure.contents`` when the reader filled it (a PDF's 目录 page); otherwise the lines of
    paragraphs whose section is “目录”.  A workbook usually has no 目录: then the list is empty."""
    entries: list[tuple[str, CellRef]] = []
    if d.contents:  # each entry sits where a paragraph prints it, else at the start of the text
        first = d.narrative[0].ref if d.narrative else CellRef("目录", 0, 0)
        raw = [(text, next((p.ref for p in d.narrative if text.strip() and text.strip() in p.text), first)) for text in d.contents]
    else:
        sections = {s for s in narrative_text(d).first_of_sections() if schemas.norm(s) in ("目录", "目次")}
        raw = [(line, p.ref) for p in d.narrative if p.section in sections for line in p.text.splitlines()] if sections else []
    for text, ref in raw:
        t = _LEADERS.sub("", text).strip()
        if t and schemas.norm(t) not in ("目录", "目次"):
            entries.append((t, ref))
    return entries


# ---- WB610 years ------------------------------------------------------------------------------

_YEAR_IN_HEADING = re.compile(r"(?<![\d.,])((?:19|20)\d{2})\s*年\s*度?")
_COMPARING = re.compile(r"与|比|较|相比|对比|同期|上年|以来|至今|—|-|~|～|至\d")
_LOOKS_BACK = re.compile(r"执行|完成|实际|决算|自评")
_CITED = re.compile(r"《[^》]*》|〔[^〕]*〕|【[^】]*】|\[[^\]]*\]")  # titles of documents cited, document numbers
_AS_OF = re.compile(
    r"(截至|截止|截止到|截至到)\s*((?:19|20)\d{2})\s*年\s*(?:(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?|(年底|年末|底|末))"
)


def _date_ok(kind: str | None, year: int, stated: int, year_end: bool) -> bool:
    """A 截至 date a document of ``kind`` for ``year`` may print.

    决算: the state at the end of the year (Y-12-31); a later date of the publication year Y+1 is a
    status at publication, but not Y+1's year end.  预算: compiled in Y-1 (staff and vehicles as at
    Y-1-10-31 or Y-1-12-31) or early in Y."""
    if kind == "决算":
        return stated == year or (stated == year + 1 and not year_end)
    if kind == "预算":
        return stated in (year - 1, year)
    return True


@rule("WB610", "标题和截至日期的年份与公开年度一致", FAMILY)
def years_match(ctx: Context):
    """检查内容：
    标题（表名、各部分名称、目录条目、“××年度部门决算”一类标题）中写的年度与本公开文本的年度一致；
    “截至××年××月××日”的日期与年度相符：决算应为本年末（2024 年度决算写“截至2024年12月31日”），
    或公开当年的某个日期；预算应为上年（编制时点）或本年。只读标题中紧跟“年”的四位年份和“截至”日期，
    不读“与2023年度相比”“比上年”、文件号（〔2024〕3号、【2017】89号）和金额。

    依据：
    年度写错多是沿用上年文本未改，读者会误以为公开的是另一年度的数据。

    错误示例：
    2024 年度部门决算中写“截至2023年12月31日，本部门共有车辆2辆”；标题写“2023年度部门决算情况说明”。

    正确示例：
    “截至2024年12月31日，本部门共有车辆2辆”；“第三部分 2024年度部门决算情况说明”。
    """
    d = ctx.disclosure
    wrong_headings = []
    for place in headings(d):
        if "年" not in place.text:
            continue  # every _YEAR_IN_HEADING match holds 年 (clean leaves it as it is)
        text = _CITED.sub("", clean(place.text))
        if _COMPARING.search(text) and place.what != "表名":
            continue
        for m in _YEAR_IN_HEADING.finditer(text):
            if re.match(r"\s*(预算|决算|执行)数", text[m.end():]):
                continue  # a column header (“2023年预算数”): the previous year's figures, by design
            if d.kind == "预算" and int(m.group(1)) == (d.year or 0) - 1 and _LOOKS_BACK.search(text):
                continue  # a budget may report on the year before (“2024年预算执行情况”)
            wrong_headings.append((place, int(m.group(1))))
    dates = []
    for i in narrative_text(d).having("截"):  # every _AS_OF date starts with 截至/截止 (clean leaves 截 as it is)
        p = d.narrative[i]
        for m in _AS_OF.finditer(clean(p.text)):
            year_end = bool(m.group(5)) or (m.group(3) == "12" and m.group(4) in (None, "31"))
            dates.append((p, m, int(m.group(2)), year_end))
    if d.year is None:
        if wrong_headings or dates:
            yield ctx.finding(Severity.UNVERIFIABLE, message="未能确定本公开文本的年度，无法核对标题和“截至”日期中的年份",
                              cells=[(wrong_headings[0][0].ref if wrong_headings else dates[0][0].ref)])
        return
    for place, year in wrong_headings:
        if year != d.year:
            yield ctx.finding(
                message=f"{place.what}“{place.text.strip()[:40]}”中的年度为 {year} 年，本公开文本为 {d.year} 年度",
                cells=[place.ref], expected=Decimal(d.year), actual=Decimal(year), difference=Decimal(year - d.year),
            )
    for p, m, year, year_end in dates:
        if not _date_ok(d.kind, d.year, year, year_end):
            want = f"{d.year}年12月31日" if d.kind == "决算" else f"{d.year - 1}年或{d.year}年的日期"
            yield ctx.finding(
                message=f"情况说明“{m.group(0)}”与{d.year}年度{d.kind or ''}不符（应为{want}）",
                cells=[p.ref], expected=Decimal(d.year), actual=Decimal(year), difference=Decimal(year - d.year),
            )


# ---- WB611 / WB612 template text --------------------------------------------------------------

_CHOICES = "增加|减少|增长|下降|上升|降低|大于|小于|高于|低于|等于|持平"
_BRACKETED = re.compile(rf"(?:{_CHOICES})\s*[（(]\s*(?:{_CHOICES})\s*[）)]|[（(]\s*(?:{_CHOICES})\s*[/／、]\s*(?:{_CHOICES})\s*[）)]")
_SLASHED = re.compile(rf"(?:{_CHOICES})\s*[/／]\s*(?:{_CHOICES})")
# what a choice phrase governs when it cannot have been meant: a number, a placeholder, a comparison
_GOVERNS = re.compile(r"^\s*(?:了|为|约)?\s*(?:\d|XX|ＸＸ|××|x{2,}|_{2,}|＿|(?:年初|全年)?预算数?|决算数?|上年)", re.I)
_INSTRUCTION = re.compile(
    r"[（(](?:如持平作持平表述|不涉及的不列|如有|如无|请填写|此处填写|根据实际情况填写|按实际填写)[^）)]{0,20}[）)]|如持平作持平表述|不涉及的不列示?"
)


def template_hits(t: str) -> list["re.Match[str]"]:
    """The template phrases of a cleaned text: choices that govern a number or a comparison (the first of
    overlapping ones), then instructions.  Each pattern runs only where the characters every match of it
    holds are in the text: a literal search is far cheaper than the regex's scan, and long narratives have
    thousands of paragraphs (tests/test_rules_fast.py holds this equal to running all three everywhere)."""
    bracketed = "(" in t or "（" in t
    slashed = "/" in t or "／" in t
    instruction = "如" in t or "填写" in t or "不涉及的不列" in t
    if not (bracketed or slashed or instruction):
        return []
    hits: list[re.Match[str]] = []
    for m in (list(_BRACKETED.finditer(t)) if bracketed else []) + (list(_SLASHED.finditer(t)) if slashed else []):
        if _GOVERNS.match(t[m.end():]) and not any(m.start() < h.end() and h.start() < m.end() for h in hits):
            hits.append(m)
    if instruction:
        hits += list(_INSTRUCTION.finditer(t))
    return hits


_CHOICE = re.compile(_CHOICES)  # one of these words is in every _BRACKETED or _SLASHED match
# one of these characters is in every _INSTRUCTION match (如有, 如无, 如持平…; 填写; 不涉及的不列)
_INSTRUCTION_CHARS = "如填涉"


def template_candidates(d: Disclosure) -> list[int]:
    """Indexes of the narrative paragraphs ``template_hits`` may find something in, found in the joined
    text: those holding a bracket or a slash and a choice word (_BRACKETED, _SLASHED), and those holding
    a character of every instruction (_INSTRUCTION).  clean() changes none of these characters.  A
    superset: the caller runs template_hits on each."""
    nt = narrative_text(d)
    texts = nt.texts
    chosen = [i for i in nt.having_any("(", "（", "/", "／") if _CHOICE.search(texts[i])]
    return sorted(set(chosen).union(nt.having_any(*_INSTRUCTION_CHARS)))


def _all_text(d: Disclosure) -> Iterator[tuple[str, CellRef, str]]:
    narrative = d.narrative
    for i in template_candidates(d):  # the others hold no template phrase
        p = narrative[i]
        yield p.text, p.ref, "情况说明"
    for t in d.all_tables():
        yield t.title, t.title_ref, f"{t.kind}表名"
        if t.note:
            yield t.note, t.title_ref, f"{t.kind}表注"


@rule("WB611", "模板用语未按实际情况修改", FAMILY)
def template_phrases(ctx: Context):
    """检查内容：
    标题、表注和情况说明中保留了模板的待选用语或填写提示：“增加（减少）XX万元”“增长（下降）X%”
    “（增加/减少）”“决算数大于（小于）预算数”“（如持平作持平表述）”“（不涉及的不列）”等。待选用语只在
    它说明一个数字或一对比较时报告（一个数不能同时增加和减少）；“收支预算增加（减少）的主要原因”这类
    概括增减两方面的小标题不报告。

    依据：
    模板中的括号用语是填写提示，公开文本应按实际情况只保留一种表述。

    错误示例：
    “与2023年度相比，收入支出总计增加（减少）56.95万元，增长（下降）1.87%”；
    “决算数大于（小于）预算数的主要原因：……（如持平作持平表述）”。

    正确示例：
    “与2023年度相比，收入支出总计减少56.95万元，下降1.87%”。
    """
    for text, ref, where in _all_text(ctx.disclosure):
        t = clean(text)
        for m in template_hits(t):
            context = t[max(0, m.start() - 12): m.end() + 12]
            yield ctx.finding(message=f"{where}保留了模板用语“{m.group(0)}”：……{context}……", cells=[ref])


_PLACEHOLDER_YEAR = re.compile(r"(?:_{2,}|＿+|[XＸ×x]{2,}|某|(?<!\d)\d{2,3}[XＸ×x])\s*年|[XＸ×x]\s*月\s*[XＸ×x]\s*日")
_PLACEHOLDER_LETTERS = "_＿XＸ×x某"
_PLACEHOLDER_CHARS = re.compile(f"[{_PLACEHOLDER_LETTERS}]")  # one of them is in every _PLACEHOLDER_YEAR match (a fast scan)


@rule("WB612", "标题、表名和部门名称中的模板占位内容", FAMILY)
def title_placeholders(ctx: Context):
    """检查内容：
    表名、表注、各部分名称、目录条目和部门名称中残留模板占位内容：“上海市XX局”“××年”“某某单位”
    “____年度部门决算”。情况说明正文和表中科目名称由 WZ804 检查；WZ804 不认识的年份、日期占位
    （“__年”“202X年”“X月X日”）在正文中也由本规则报告。

    依据：
    标题和部门名称是读者最先看到的内容，占位内容说明模板未填写完整。

    错误示例：
    “第三部分 上海市XX局2024年度部门决算情况说明”；表注“上海市XX局本年度没有政府性基金预算……”。

    正确示例：
    “第三部分 上海市普陀区财政局2024年度部门决算情况说明”。
    """
    d = ctx.disclosure
    places = [p for p in headings(d) if p.what != "标题"]  # heading paragraphs are narrative: WZ804
    places += [Place(t.note, t.title_ref, "表注") for t in d.all_tables() if t.note]
    if d.department:
        ref = next(iter(d.all_tables()), None)
        places.append(Place(d.department, ref.title_ref if ref else (d.narrative[0].ref if d.narrative else CellRef("封面", 0, 0)), "部门名称"))
    for i in narrative_text(d).having_any(*_PLACEHOLDER_LETTERS):  # date placeholders WZ804 does not know
        p = d.narrative[i]
        m = _PLACEHOLDER_YEAR.search(p.text)
        if m and not LEFTOVER.search(p.text):
            yield ctx.finding(message=f"情况说明含模板占位内容“{m.group(0)}”：{p.text.strip()[:40]}", cells=[p.ref])
    in_narrative = None  # paragraph texts, those WZ804 reports already (worked out when a place needs it)
    for place in places:
        m = LEFTOVER.search(place.text) or _PLACEHOLDER_YEAR.search(place.text)
        if m:
            if in_narrative is None:
                in_narrative = {p.text.strip() for p in d.narrative}
            if place.text.strip() in in_narrative:
                continue
            yield ctx.finding(message=f"{place.what}“{place.text.strip()[:40]}”含模板占位内容“{m.group(0)}”", cells=[place.ref])


# ---- WB613 / WB614 决算 against 预算 ---------------------------------------------------------

_LEVEL = re.compile(r"(决算数?|支出决算|执行数?)\s*(?:与|和|同)\s*(?:年初|全年|调整后)?\s*(?:预算数?)\s*(基本)?\s*(持平|一致|相等|相同|相当)")
_REASON = re.compile(r"(?:主要)?原因(?:是|为|系|在于)?\s*[：:]?\s*(?P<why>[^。；;]*)")
_NO_REASON = re.compile(r"^(?:无|暂无|XX+|ＸＸ+|××+|_+|…+|\W*)$", re.I)


@dataclass
class _Printed:
    """A narrative figure as printed: what rounding alone can move it (for ``envelope_of``)."""

    half_ulp: Decimal




@dataclass
class Pair:
    """“年初预算为 A 万元，支出决算为 B 万元” in one paragraph."""

    budget: Statement
    final: Statement
    paragraph: int

    @property
    def envelope(self) -> Decimal:
        return envelope_of([_Printed(self.budget.written_half_wan), _Printed(self.final.written_half_wan)])

    @property
    def difference(self) -> Decimal:
        return self.final.amount_wan - self.budget.amount_wan


def budget_final_pairs(d: Disclosure) -> list[Pair]:
    """Each 预算数 amount followed (next amount in the same paragraph) by a 决算数 amount, outside
    绩效 parts (there 执行数 of projects is compared with their own 预算)."""
    return d.view(PublishedView).pairs


def _budget_final_pairs(d: Disclosure) -> list[Pair]:
    sts = statements(d)
    performance = performance_paragraphs(d)
    out = []
    amounts = [st for st in sts if st.kind == "amount" and st.amount_wan is not None and st.paragraph not in performance]
    for a, b in zip(amounts, amounts[1:]):
        if a.paragraph != b.paragraph:
            continue
        if "预算" in a.subject and "决算" not in a.subject and "决算" in b.subject:
            out.append(Pair(a, b, a.paragraph))
    return out


def _pair_texts(d: Disclosure) -> list[tuple[Pair, str]]:
    """``_pair_texts_of(d)``, worked out once per disclosure (WB613 and WB614 read it)."""
    return d.view(PublishedView).pair_texts


def _pair_texts_of(d: Disclosure) -> list[tuple[Pair, str]]:
    """Each pair with the text that belongs to it: from the end of the previous pair in its paragraph
    to the start of the next one; the last pair of a paragraph also gets the next paragraph unless that
    opens a new item (a PDF or a worksheet row may cut a sentence: “决算数大”｜“于年初预算数，主要原因是…”)."""
    paragraphs = narrative_paragraphs(d)
    pairs = budget_final_pairs(d)
    out = []
    for i, pair in enumerate(pairs):
        text = clean(paragraphs[pair.paragraph].text)  # only the paragraphs of pairs and those after them
        start = text.find(pair.budget.text)
        prev = pairs[i - 1] if i and pairs[i - 1].paragraph == pair.paragraph else None
        begin = text.find(prev.final.text) + len(prev.final.text) if prev else 0
        nxt = pairs[i + 1] if i + 1 < len(pairs) and pairs[i + 1].paragraph == pair.paragraph else None
        end = text.find(nxt.budget.text, max(start, 0) + 1) if nxt else len(text)
        segment = text[begin: end if end > begin else len(text)]
        if nxt is None and pair.paragraph + 1 < len(paragraphs):
            follow = clean(paragraphs[pair.paragraph + 1].text)
            if not _HEADING_START.match(follow.strip().lstrip("-•· ")):
                segment += follow
        out.append((pair, segment))
    return out


@rule("WB613", "“持平”“一致”表述与预算数、决算数相符", FAMILY)
def level_statements(ctx: Context):
    """检查内容：
    情况说明“年初预算为 A 万元，支出决算为 B 万元。决算数与预算数持平（一致、相等）”中 A 与 B 在印刷
    精度的舍入范围内相等；写“基本持平”而 A、B 超出舍入范围不同时作为提示（说明差异或改写为大于、
    小于）。“决算数大于（小于、等于）预算数”由 WB608 检查。

    依据：
    决算模板要求：决算数大于（小于）预算数的说明原因，持平的作持平表述；表述须与两个数一致。

    错误示例：
    “年初预算为 10.00 万元，支出决算为 9.50 万元。决算数与预算数持平。”

    正确示例：
    “年初预算为 10.00 万元，支出决算为 10.00 万元。决算数与预算数持平。”
    """
    for pair, segment in _pair_texts(ctx.disclosure):
        m = _LEVEL.search(segment)
        if m is None:
            continue
        diff = pair.difference
        if abs(diff) <= pair.envelope:
            continue
        severity = Severity.WARNING if m.group(2) else Severity.ERROR
        real = "大于" if diff > 0 else "小于"
        yield ctx.finding(
            severity,
            message=f"情况说明称“{m.group(0)}”，但决算数 {fmt(pair.final.amount_wan)} 万元{real}预算数 {fmt(pair.budget.amount_wan)} 万元，相差 {fmt(diff)}",
            cells=[pair.final.ref], expected=pair.budget.amount_wan, actual=pair.final.amount_wan, difference=diff,
        )


@rule("WB614", "决算数与预算数不同时应说明原因", FAMILY, severity=Severity.WARNING)
def difference_explained(ctx: Context):
    """检查内容：
    情况说明写出年初预算数和决算数（“年初预算为 A 万元，支出决算为 B 万元”）而两者不同（超出舍入
    范围）时，应说明原因（“决算数小于预算数的主要原因：……”）。原因为空、只有“无”或占位符也报告。

    依据：
    部门决算公开模板要求对决算数大于或小于预算数的情况说明原因。

    错误示例：
    “年初预算为 135.90 万元，支出决算为 135.25 万元。”（没有原因）；“……的主要原因：XXXXXXXX。”

    正确示例：
    “年初预算为 135.90 万元，支出决算为 135.25 万元。决算数小于预算数的主要原因：因产业政策扶持资金
    管理系统项目进度，调减相关经费。”
    """
    for pair, segment in _pair_texts(ctx.disclosure):
        if abs(pair.difference) <= pair.envelope:
            continue
        reasons = [m.group("why").strip() for m in _REASON.finditer(segment)]
        given = [r for r in reasons if not _NO_REASON.match(r)]
        if given or re.search(r"(?:主要是|主要为|由于|因为|是因|系因|年中追加|年内追加)[^。；;]{2,}", segment.split(pair.final.text, 1)[-1]):
            continue
        hint = "原因为空" if reasons else "没有说明原因"
        yield ctx.finding(
            message=f"情况说明“{pair.budget.text}，{pair.final.text}”决算数与预算数相差 {fmt(pair.difference)} 万元，{hint}",
            cells=[pair.final.ref], expected=pair.budget.amount_wan, actual=pair.final.amount_wan, difference=pair.difference,
        )


# ---- WZ810 收支总计 of zero ----------------------------------------------------------------------

_FISCAL_KINDS = re.compile(schemas.subjects()["grand_total"]["fiscal_tables"])  # the tables a 财政拨款 total covers
_GRAND_LINES = tuple(schemas.subjects()["grand_total"]["lines"])  # a ledger's 总计 lines (line keys)


def _nonzero(t: Table) -> bool:
    return any(v.amount is not None and v.amount != 0 for r in t.rows for v in r.values.values())


def _total_lines(t: Table) -> list:
    return [r for r in t.rows if (r.key or "") in _GRAND_LINES]


_GRAND = re.compile(r"收入?、?支出?总计|收支总额|收支(预算|决算)(总额|总计)?$")


@rule("WZ810", "收支总计为零而其他表有数", FAMILY)
def zero_grand_total(ctx: Context):
    """检查内容：
    收支总表（收入支出决算总表）的“总计”为 0 或空白，而其他公开表有金额；财政拨款收支总表的“总计”为
    0 或空白，而一般公共预算、政府性基金、国有资本经营或“三公”经费表有金额。情况说明写“收入支出
    总计 0 万元”（且未与表格对应核对）而公开表有金额，同样报告。

    依据：
    总表的总计是其他各表的来源；总计为零而分表有数，说明总表漏填或填错（常见于只填了分表）。

    错误示例：
    收入支出决算总表收入总计、支出总计均为 0.00，收入决算表合计 2,946.25。

    正确示例：
    总表总计 2,995.39，与各表一致。
    """
    d = ctx.disclosure
    for t in d.all_tables():
        if schemas.table_kinds().get(t.kind) is None or schemas.table_kinds()[t.kind].layout != "ledger":
            continue
        lines = _total_lines(t)
        if not lines or any(not v.problem and v.amount is not None and v.amount != 0 for r in lines for v in r.values.values()):
            continue
        if any(v.problem for r in lines for v in r.values.values()):
            continue  # unreadable: the reading rules report it
        fiscal = t.kind.startswith("财政拨款")
        others = [o for o in d.all_tables() if o is not t and _nonzero(o)
                  and (not fiscal or _FISCAL_KINDS.search(o.kind))]
        if others:
            names = "、".join(dict.fromkeys(o.kind for o in others))
            yield ctx.finding(
                message=f"{t.kind}“总计”为 0 或空白，但{names}有金额",
                cells=[v.ref for r in lines for v in r.values.values()] or [t.title_ref],
                related_cells=[o.title_ref for o in others], table=t.kind,
            )
    linked = linked_statements(d)
    for st in statements(d):
        if st.kind != "amount" or st.amount is None or st.amount != 0 or st.index in linked:
            continue  # a linked statement is compared with its table figure by WB601
        subject = schemas.norm(st.subject)
        if not _GRAND.search(subject):
            continue
        fiscal = "财政拨款" in subject
        others = [o for o in d.all_tables() if _nonzero(o) and (not fiscal or _FISCAL_KINDS.search(o.kind) or o.kind.startswith("财政拨款"))]
        if others:
            names = "、".join(dict.fromkeys(o.kind for o in others))
            yield ctx.finding(
                message=f"情况说明“{st.text}”中的总计为 0，但{names}有金额",
                cells=[st.ref], related_cells=[o.title_ref for o in others], actual=Decimal(0),
            )


# ---- WZ813 a stated 收支总计 below its own parts ------------------------------------------------

_FISCAL_GRAND = re.compile(r"财政拨款收入?、?支出?总计$")
_ALL_GRAND = re.compile(r"(?<!财政拨款)收入?、?支出?总计$")
# parts of each grand total, as the narrative names them (subject endings)
_FISCAL_PARTS = re.compile(r"(财政拨款收入|一般公共预算财政拨款(收入|支出)|财政拨款支出|政府性基金预算财政拨款(收入|支出)|国有资本经营预算财政拨款(收入|支出))$")
_ALL_PARTS = re.compile(r"(本年收入(合计)?|本年支出(合计)?|财政拨款收入|财政拨款收入?、?支出?总计)$")


_YEAR_WORD = re.compile(r"(?<![\d.,])((?:19|20)\d{2})\s*年")


def _this_year(d: Disclosure, st: Statement) -> bool:
    years = {int(y) for y in _YEAR_WORD.findall(clean(st.text))}
    return not (years - {d.year}) and "上年" not in st.text and "上一年" not in st.text


@rule("WZ813", "情况说明中的收支总计小于其组成部分", FAMILY)
def grand_total_below_parts(ctx: Context):
    """检查内容：
    情况说明写出的“收入支出总计”不小于同一文本写出的本年收入合计、本年支出合计和财政拨款收入（支出）
    总计；“财政拨款收入支出总计”不小于写出的财政拨款收入、一般公共预算财政拨款支出等。只比较本年度的
    金额，按印刷精度留出舍入范围。与表格的核对由 WB601 负责；本规则在表格缺失或未读出时也能发现
    总计写错（如把两千多万元的总计写成 0.3 万元）。

    依据：
    总计 = 本年收入（支出）+ 年初结转和结余（年末结转和结余），不可能小于其中任何一项。

    错误示例：
    “财政拨款收入支出总计 0.3 万元”，同一说明写“一般公共预算财政拨款支出 2,940.05 万元”。

    正确示例：
    “财政拨款收入支出总计”不小于 2,940.05 万元（本年支出加年末结转和结余）。
    """
    d = ctx.disclosure
    sts = [st for st in statements(d) if st.kind == "amount" and st.amount_wan is not None and _this_year(d, st)]
    performance = performance_paragraphs(d)
    sts = [st for st in sts if st.paragraph not in performance]
    linked = linked_statements(d)
    for total in sts:
        if total.index in linked:
            continue  # a total that restates a table figure is compared with it by WB601: one slip, one finding
        subject = schemas.norm(total.subject)
        parts_re = _FISCAL_PARTS if _FISCAL_GRAND.search(subject) else _ALL_PARTS if _ALL_GRAND.search(subject) else None
        if parts_re is None:
            continue
        parts = [p for p in sts if p is not total and parts_re.search(schemas.norm(p.subject))]
        if not parts:
            continue
        part = max(parts, key=lambda p: p.amount_wan)
        tolerance = envelope_of([_Printed(total.written_half_wan), _Printed(part.written_half_wan)])
        if part.amount_wan - total.amount_wan > tolerance:
            yield ctx.finding(
                message=f"情况说明“{total.text}”：总计 {fmt(total.amount_wan)} 万元小于同一说明中的“{part.text}”{fmt(part.amount_wan)} 万元",
                cells=[total.ref], related_cells=[part.ref], expected=part.amount_wan, actual=total.amount_wan,
                difference=total.amount_wan - part.amount_wan,
            )


# ---- WZ811 目录 -------------------------------------------------------------------------------

_NUMBER_PREFIX = re.compile(r"^(?:[{0}]+、|[（(][{0}]+[）)]|\d+\s*[.．、]\s*|附表\d*[:：]?)".format(_CN_NUM))


_PART_ENTRY = re.compile(r"^第[{0}]+部分".format(_CN_NUM))
# a 目录 entry that names the part holding the tables, not a table: “五、部门预算表”, “第二部分 …部门决算表”
_TABLES_PART = re.compile(r"^(部门|单位|区级部门|区级单位)?(预算|决算)(公开)?表$|^(公开|附)表$")


def _title_key(text: str) -> str:
    t = schemas.norm(_NUMBER_PREFIX.sub("", text.strip()))
    return re.sub(r"^(\d{4}年度?)", "", t)


def _names_a_table(text: str) -> bool:
    key = _title_key(text)
    if not key.endswith("表") or _PART_ENTRY.match(schemas.norm(text)):
        return False
    return not _TABLES_PART.match(re.sub(r"^.*\d{4}年度?", "", key))


@rule("WZ811", "目录所列公开表应当存在", FAMILY)
def contents_tables(ctx: Context):
    """检查内容：
    目录中列出的每张表（以“表”结尾的条目）都能在文本中找到：按表名识别出表的种类而没有读到这张表的，
    报告错误；表名无法识别、也与读到的任何表名都对不上的，报告无法校验。没有目录（工作簿通常没有）
    时不检查。

    依据：
    公开文本应包含目录所列的全部表格，缺表是常见的公开不完整问题。

    错误示例：
    目录列有“七、财政拨款“三公”经费支出决算表”，正文没有这张表。

    正确示例：
    目录所列九张表在正文中都能找到。
    """
    d = ctx.disclosure
    entries = contents_entries(d)
    tables = list(d.all_tables())
    if not entries or not tables:
        return  # no 目录, or no table read at all (the reading rules report that)
    found_titles = {_title_key(t.title) for t in tables}
    for text, ref in entries:
        if not _names_a_table(text):
            continue
        key = _title_key(text)
        kind = schemas.match_title(key) or schemas.match_title(text)
        if kind is not None:
            if d.table(kind) is None and key not in found_titles:
                yield ctx.finding(message=f"目录列有“{text}”，但文本中没有找到这张表", cells=[ref], table=kind)
        elif key not in found_titles and not any(key in f or f in key for f in found_titles if f):
            yield ctx.finding(Severity.UNVERIFIABLE, message=f"目录列有“{text}”，无法识别为已知的公开表，也没有找到同名的表，需人工核对", cells=[ref])


# ---- WZ812 blank table, figures stated -----------------------------------------------------------

# which narrative subjects state a figure of which table (the first pattern that matches decides):
# subjects.toml [[subject_table]]
_SUBJECT_TABLES: list[tuple[re.Pattern[str], tuple[str, ...]]] = [(re.compile(e["pattern"]), tuple(e["tables"]))
                                                                    for e in schemas.subjects()["subject_table"]]


@rule("WZ812", "表格无数据而情况说明写出其数字", FAMILY)
def blank_table_stated(ctx: Context):
    """检查内容：
    一张公开表的所有行都没有金额（空白或全为 0），而情况说明写出了这张表的数字（如“三公”经费表为空，
    情况说明写“‘三公’经费预算 15.00 万元”）。情况说明写 0 万元、写“无……支出”不报告；绩效部分的
    指标值不算。

    依据：
    情况说明是对表格的解释；表空而文中有数，说明表漏填或文字沿用了别处的数字。

    错误示例：
    政府性基金预算支出表只有表头，情况说明写“政府性基金预算拨款支出 30.00 万元”。

    正确示例：
    表中列出 30.00 万元；或表注“本部门没有政府性基金预算拨款安排的支出”，情况说明写 0 万元。
    """
    d = ctx.disclosure
    performance = performance_paragraphs(d)
    reported: set[str] = set()
    stated: dict[str, tuple[str, ...]] = {}
    for st in statements(d):
        if st.kind != "amount" or not st.amount or st.paragraph in performance:
            continue
        subject = schemas.norm(st.subject)
        years = {int(y) for y in _YEAR_WORD.findall(clean(st.text))}
        if "上年" in subject or years - {d.year}:
            continue  # another year's figure: not this year's table
        kinds = stated.get(subject)
        if kinds is None:  # the tables a subject states a figure of, once per subject
            kinds = stated[subject] = next((k for pattern, k in _SUBJECT_TABLES if pattern.search(subject)), ())
        for kind in kinds:
            for t in d.tables.get(kind, []):
                if (t.truncated or t.unread_columns or _nonzero(t)
                        or any(v.problem for r in t.rows for v in r.values.values())):
                    continue
                if t.kind in reported:
                    continue
                reported.add(t.kind)
                yield ctx.finding(
                    message=f"{t.kind}没有金额，但情况说明写“{st.text}”",
                    cells=[t.title_ref], related_cells=[st.ref], actual=st.amount_wan, table=t.kind,
                )


__all__ = ["Place", "Pair", "budget_final_pairs", "contents_entries", "headings", "is_heading"]
