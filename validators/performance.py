"""The 绩效 part of a disclosure, read from its text: project target tables (项目支出绩效目标表,
专项资金绩效目标表), self-evaluation tables flattened into one paragraph (决算 附件), and the 绩效
paragraphs' claims (project counts and totals, named projects, shares, grade counts).

Pure text in (the Disclosure's narrative, where table rows arrive as “cell | cell” paragraphs),
plain records out; the checks are in rules/_performance.py, run by the 文表一致 rules.  Indicator values (指标值: “≥85%”,
“=5万元”, “54359人”, dates, targets) are never read as amounts: only the funding rows of a target
table and the funding clauses of a paragraph are.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .model import CellRef, Disclosure, Paragraph
from .narrative import _FULLWIDTH, HEADING_OPENING, UNIT_FACTOR, NarrativeText, clean, narrative_text

ROW_SEP = " | "
_NUMBER = re.compile(r"^[+-]?\d[\d,]*(?:\.\d+)?$")


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


@lru_cache(maxsize=4096)  # a pure function of the printed number; asked for every comparison of a 绩效 amount
def half_ulp(number_text: str, unit: str = "万元") -> Decimal:
    """Half a unit of the last printed digit, in 万元."""
    decimals = len(number_text.split(".")[1]) if "." in number_text else 0
    return UNIT_FACTOR[unit] * Decimal(1).scaleb(-decimals) / 2


@dataclass
class Amount:
    """One printed amount of the 绩效 part, in the unit its table or sentence declares."""

    value: Decimal
    text: str  # as printed, for precision and messages
    ref: CellRef
    unit: str = "万元"

    @property
    def wan(self) -> Decimal:
        return self.value * UNIT_FACTOR[self.unit]

    @property
    def half_ulp(self) -> Decimal:
        return half_ulp(self.text, self.unit)


@dataclass
class TargetTable:
    """One 项目支出绩效目标表 (or 专项资金绩效目标表): a project and its funds."""

    name: str
    ref: CellRef  # the 项目名称 row
    kind: str = "项目"  # 项目 | 专项资金
    unit: str = "万元"  # declared in the funding row (“项目资金（万元）”)
    total: Amount | None = None  # 年度资金总额 / 年度预算资金总额
    fiscal: Amount | None = None  # 其中：财政拨款
    other: Amount | None = None  # 其他资金
    tasks: list[str] = field(default_factory=list)  # 专项资金: the projects of its 主要政策任务 rows


@dataclass
class SelfEvaluation:
    """One 项目支出绩效自评表 flattened into a paragraph: name and 年度资金总额 (年初预算数, 全年预算数, 执行数)."""

    name: str
    ref: CellRef
    budget: Amount  # 全年预算数（A）


@dataclass
class ProjectTotal:
    """“涉及预算项目支出12个，预算资金110156.20万元” / “对“A”“B”3 个项目开展了部门自评，涉及资金 X 万元”."""

    count: int | None
    amount: Amount
    sentence: str
    paragraph: int  # index into the disclosure's narrative
    names: list[str] = field(default_factory=list)
    share: Decimal | None = None  # “占部门预算项目支出总额的 100%”
    share_of: str = ""


@dataclass
class GradeCount:
    """“自评的12个项目中，12个项目自评等级为优，0个…良，0个…中，0个…差”."""

    total: int | None
    grades: dict[str, int]
    sentence: str
    ref: CellRef


@dataclass
class ListedProject:
    """A numbered per-project paragraph: “1. X项目绩效自评综述：…全年预算数为58万元”."""

    name: str
    budget: Amount
    paragraph: int


@dataclass
class PerformancePart:
    """What the 绩效 part of a narrative states: target tables, self-evaluations, totals, grades, projects."""

    targets: list[TargetTable] = field(default_factory=list)
    evaluations: list[SelfEvaluation] = field(default_factory=list)
    totals: list[ProjectTotal] = field(default_factory=list)
    grades: list[GradeCount] = field(default_factory=list)
    listed: list[ListedProject] = field(default_factory=list)
    paragraphs: list[int] = field(default_factory=list)  # narrative indexes of the 绩效 paragraphs (prose)


# ---- target tables (rows “cell | cell”) --------------------------------------------------------------

_NAME_ROW = re.compile(r"^(项目名称|专项资金名称)$")
_TASK = re.compile(r"^主要政策任务\s*\d+\s*[：:]\s*(?P<name>[^-—－]+?)(?:\s*[-—－].*)?$")
_TOTAL_LABEL = re.compile(r"年度(预算)?资金总额|^年度预算资金")
_UNIT_IN = re.compile(r"[（(]\s*(万元|元|亿元)\s*[）)]")


def _cells(text: str) -> list[str]:
    return [c.strip() for c in clean(text).split(ROW_SEP.strip())]


def _single_amount(cells: list[str]) -> str | None:
    """The one number of a funding row (a self-evaluation row prints several: not a target table)."""
    numbers = [c.replace(" ", "") for c in cells if _NUMBER.match(c.replace(" ", ""))]
    return numbers[0] if len(numbers) == 1 else None


def _row_reading(text: str) -> tuple:
    """What target_tables reads of a row text (a pure function of it): (name row's kind and name or
    None, label, the one number or None, its unit in the label or None, whether the label names the
    total, whether cells[0] opens the indicators)."""
    cells = _cells(text)
    if _NAME_ROW.match(cells[0]) and len(cells) > 1 and cells[1]:
        return ("专项资金" if cells[0].startswith("专项") else "项目", cells[1]), "", None, None, False, False
    label = "".join(c for c in cells if not _NUMBER.match(c.replace(" ", "")))
    unit = _UNIT_IN.search(label)
    return (None, label, _single_amount(cells), unit.group(1) if unit else None, _TOTAL_LABEL.search(label) is not None,
            cells[0].startswith(("绩效指标", "一级指标", "年度绩效指标")))


def target_events(d: Disclosure) -> list[int]:
    """The ``events`` of target_tables for ``d``'s narrative: the paragraphs holding a name label (found
    in its joined text)."""
    return narrative_text(d).having_any("项目名称", "专项资金名称")


def target_tables(narrative: list[Paragraph], events: list[int] | None = None,
                  prose: list[int] | None = None) -> list[TargetTable]:
    """The target tables of ``narrative``.  ``events``, when given, are the indexes of the paragraphs
    that can open a table (every paragraph holding 项目名称 or 专项资金名称, at least: ``target_events``);
    while no table is open the paragraphs between them change nothing and are skipped, but for those
    that are not table rows (``prose``, the indexes of every one of them) while a 专项资金 table awaits
    its 主要政策任务."""
    out: list[TargetTable] = []
    # ``current not in out`` compared each new table with every one before it (quadratic); equal
    # tables have equal refs, so only those at the same ref are compared (the same answer)
    at_ref: dict[CellRef, list[TargetTable]] = {}
    readings: dict[str, tuple] = {}  # row text -> _row_reading (a long narrative repeats its rows)
    current: TargetTable | None = None
    special: TargetTable | None = None  # the 专项资金 table whose 主要政策任务 rows may follow
    i, n = 0, len(narrative)
    while i < n:
        if events is not None and current is None and (special is None or prose is not None):
            # no table open: a row matters only when it opens with a name label, so it is among
            # ``events``; a paragraph that is not a row matters only while a 专项资金 table awaits its
            # 主要政策任务 (otherwise “绩效目标表” sets None to None), so it is among ``prose``
            k = bisect_left(events, i)
            to = events[k] if k < len(events) else n
            if special is not None:
                q = bisect_left(prose, i)
                to = min(to, prose[q] if q < len(prose) else n)
            if to >= n:
                break
            i = to
        p = narrative[i]
        i += 1
        text = p.text
        if ROW_SEP not in text:
            if "绩效目标表" in text:
                current = None
                special = None if "专项资金" not in text else special
            task = _TASK.match(text.strip()) if special is not None else None
            if task:
                special.tasks.append(task.group("name").strip())
            continue
        if current is None and not text.lstrip().startswith(("项目名称", "专项资金名称")):
            continue  # cheap skip: only a target table's own rows are cleaned and read
        reading = readings.get(text)
        if reading is None:
            reading = readings[text] = _row_reading(text)
        named, label, number, unit, total_label, indicators = reading
        if named is not None:
            current = TargetTable(named[1], p.ref, named[0])
            special = current if current.kind == "专项资金" else None
            continue
        if current is None:
            continue
        if unit and total_label:
            current.unit = unit
        if number is None:
            if indicators or p.ref.row - current.ref.row > 8:
                current = None  # the funding rows are over (or never came: not a target table)
            continue
        value = _decimal(number)
        if value is None:
            continue
        amount = Amount(value, number, p.ref, current.unit)
        if total_label and current.total is None:
            current.total = amount
            same_ref = at_ref.setdefault(current.ref, [])
            if current not in same_ref:
                same_ref.append(current)
                out.append(current)
        elif "财政拨款" in label and current.fiscal is None:
            current.fiscal = amount
        elif "其他资金" in label and current.other is None:
            current.other = amount
    return out


# ---- self-evaluation tables flattened into one paragraph (决算 附件) -------------------------------------

_EVALUATION = re.compile(
    r"项目名称\s*(?P<name>[^\d|]{2,40}?)\s*(?:主管部门|项目主管部门).{0,300}?年度资金总额\s*[:：]?\s*"
    r"(?P<a>\d[\d,]*(?:\.\d+)?)\s+(?P<b>\d[\d,]*(?:\.\d+)?)\s+(?P<c>\d[\d,]*(?:\.\d+)?)"
)


def self_evaluations(narrative: list[Paragraph], holding: list[int] | None = None) -> list[SelfEvaluation]:
    """``holding``, when given: the indexes of the paragraphs holding 年度资金总额 (the others are skipped)."""
    out = []
    for p in (narrative if holding is None else [narrative[i] for i in holding]):
        if ROW_SEP in p.text or "年度资金总额" not in p.text:
            continue
        text = p.text.translate(_FULLWIDTH)  # not clean(): the columns are separated by spaces only
        for m in _EVALUATION.finditer(text):
            value = _decimal(m.group("b"))
            if value is not None:
                out.append(SelfEvaluation(m.group("name").strip(), p.ref, Amount(value, m.group("b"), p.ref)))
    return out


# ---- paragraphs ------------------------------------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[。；;])")
_FUNDS = re.compile(r"(?:涉及|预算)(?:预算)?(?:资金|金额)(?:总额)?(?:为|共计|共)?\s*(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>亿元|万元|元)")
_COUNT = re.compile(r"(?:(?:项目支出|项目)\s*(?P<a>\d+)\s*个|(?P<b>\d+)\s*个(?:[^，。,；;\d]{0,12})?项目)")
_SHARE = re.compile(r"占(?P<of>[^，。,；;%\d]{2,30}?)的?\s*(?P<pct>\d+(?:\.\d+)?)\s*%")
_QUOTED = re.compile(r"[“\"]([^”\"]{2,40})[”\"]")
_LISTED_NAMES = re.compile(r"(?:对|涉及)(?P<names>[^，。,；;“\"]{2,120}?)\s*\d+\s*个项目")
_GRADE = re.compile(r"(?P<n>\d+)\s*个项目(?:自评)?(?:等级|结果)?为\s*[“\"]?(?P<g>优|良|中|差)")
_GRADE_TOTAL = re.compile(r"的\s*(?P<n>\d+)\s*个项目中")
_LISTED_ITEM = re.compile(r"^\s*[-•]?\s*\d+\s*[.．、]+\s*(?P<name>[^:：,，]{2,40}?)项目(?:绩效)?自评综述")
_ITEM_BUDGET = re.compile(r"全年预算数为\s*(?P<num>\d[\d,]*(?:\.\d+)?)\s*万元")
_TOP_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|第[一二三四五六七八九十]+部分)")
_SUB_HEADING = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")
_OUTSIDE = re.compile(r"名词解释|附件|附表")




def _heading_effect(text: str, inside: bool) -> bool:
    """``inside`` after the paragraph ``text`` (not a table row), when it is a heading."""
    cleaned = clean(text).strip() if len(text) < 80 else ""
    if cleaned and len(cleaned) < 40:
        if _TOP_HEADING.match(cleaned):
            return "绩效" in cleaned
        if _SUB_HEADING.match(cleaned) and "绩效" in cleaned:
            return True
    return inside


def performance_indexes(narrative: list[Paragraph], nt: "NarrativeText | None" = None) -> list[int]:
    """Prose paragraphs (not table rows) under a 绩效 heading: a top-level heading (“十三、预算绩效情况
    说明”, not a “- 一、” list item) or a sub-heading (“（四）预算绩效情况”), up to the next top-level
    heading or the 名词解释/附件 parts.

    With ``nt`` (the NarrativeText of ``narrative``) only the paragraphs where the answer can change
    are looked at: those opening as a heading does (opening_with, a superset of _TOP_HEADING's and
    _SUB_HEADING's matches) and those of a 名词解释/附件 part; the prose between two of them shares the
    answer of the first."""
    if nt is None:
        out, inside = [], False
        for i, p in enumerate(narrative):
            if ROW_SEP in p.text:
                continue
            inside = _heading_effect(p.text, inside)
            if _OUTSIDE.search(p.section):
                inside = False
            if inside:
                out.append(i)
        return out
    prose, texts, sections = nt.prose, nt.texts, nt.sections
    outside = {s for s in nt.first_of_sections() if _OUTSIDE.search(s)}
    out_of_part = set(i for i in prose if sections[i] in outside) if outside else set()
    headings = {i for i in nt.opening_with(HEADING_OPENING) if ROW_SEP not in texts[i]}
    out, inside, last = [], False, -1
    for i in sorted(headings | out_of_part):
        if inside:  # the prose since the last event shares its answer
            out += prose[bisect_right(prose, last):bisect_left(prose, i)]
        if i in headings:
            inside = _heading_effect(texts[i], inside)
        if i in out_of_part:
            inside = False
        if inside:
            out.append(i)
        last = i
    if inside:
        out += prose[bisect_right(prose, last):]
    return out


_QUOTED_BEFORE_COUNT = re.compile(r"((?:[“\"][^”\"]{2,40}[”\"]\s*[、，,和及]?\s*)+)(?:等)?\s*\d+\s*个(?:项目|$)")


def _names(before: str, count: int | None) -> list[str]:
    """The projects a claim names: quoted names right before “N 个项目”, or “对A、B2个项目”."""
    m = _QUOTED_BEFORE_COUNT.search(before)
    if m:
        return [q.strip() for q in _QUOTED.findall(m.group(1))]
    m = _LISTED_NAMES.search(before)
    if m:
        names = re.sub(r"^(?:\d{4}年度?)", "", m.group("names")).strip()
        parts = [n.strip() for n in re.split(r"[、]", names) if n.strip()]
        if len(parts) > 1 or count == 1:
            return parts
    return []


def read_part(d: Disclosure) -> PerformancePart:
    """The 绩效 part of ``d`` (computed once per disclosure)."""
    if "performance_part" in d.cache:
        return d.cache["performance_part"]
    narrative = d.narrative
    nt = narrative_text(d)
    part = PerformancePart(target_tables(narrative, target_events(d), nt.prose),
                           self_evaluations(narrative, nt.having("年度资金总额")))
    part.paragraphs = performance_indexes(narrative, nt)
    pending: str | None = None  # a numbered item whose figures continue in the next paragraph
    for i in part.paragraphs:
        p = narrative[i]
        text = clean(p.text)
        # each pattern only where the words every match of it holds are
        item = _LISTED_ITEM.match(text) if "自评综述" in text else None
        budget = _ITEM_BUDGET.search(text) if "全年预算数为" in text else None
        name = item.group("name").strip() if item else pending
        pending = None
        if name and budget and _decimal(budget.group("num")) is not None:
            part.listed.append(ListedProject(name, Amount(_decimal(budget.group("num")), budget.group("num"), p.ref), i))
            continue
        if item:
            pending = name
            continue
        if "个项目" not in text and "资金" not in text and "金额" not in text:
            continue  # no sentence holds a grade count (_GRADE) or funds (_FUNDS)
        for sentence in _SENTENCE.split(text):
            _read_sentence(part, sentence, p, i)
    d.cache["performance_part"] = part
    return part


def _read_sentence(part: PerformancePart, sentence: str, p: Paragraph, index: int) -> None:
    # every _GRADE match holds 个项目, every _FUNDS match 资金 or 金额
    grades = {m.group("g"): int(m.group("n")) for m in _GRADE.finditer(sentence)} if "个项目" in sentence else None
    if grades:
        total = _GRADE_TOTAL.search(sentence)
        part.grades.append(GradeCount(int(total.group("n")) if total else None, grades, sentence.strip(), p.ref))
        return
    funds = list(_FUNDS.finditer(sentence)) if "资金" in sentence or "金额" in sentence else None
    if not funds:
        return
    # one claim per funding clause: the count and names before it (in the same clause group)
    start = 0
    for m in funds:
        before = sentence[start:m.start()]
        counts = list(_COUNT.finditer(before))
        count = None
        if counts:
            last = counts[-1]
            count = int(last.group("a") or last.group("b"))
        value = _decimal(m.group("num"))
        if value is None:
            continue
        claim = ProjectTotal(count, Amount(value, m.group("num"), p.ref, m.group("unit")), sentence.strip(), index, _names(before, count))
        share = _SHARE.search(sentence[m.end():])
        if share and not _FUNDS.search(sentence[m.end():m.end() + share.start()]):
            claim.share, claim.share_of = _decimal(share.group("pct")), share.group("of").strip()
        if claim.count is not None or claim.names or claim.share is not None:
            part.totals.append(claim)
        start = m.end()
