"""Statements extracted from the narrative (情况说明): amounts, changes, shares, completion rates.

Pure text in, Statements out; linking a statement to a table figure is the rules' job
(rules/narrative.py).  Handles OCR spaces inside numbers ("452. 00"), fullwidth digits, "其中"
part lists, and direction words (增加/减少/持平, 增长/下降).
"""

from __future__ import annotations

import re
from functools import lru_cache
from operator import attrgetter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from .amounts import UNIT_YUAN
from .model import CellRef, Paragraph

if TYPE_CHECKING:
    from .model import Disclosure

_FULLWIDTH = str.maketrans("０１２３４５６７８９．％－", "0123456789.%-")
_NUM_GAP = re.compile(r"(?<=[\d.,])\s+(?=[\d.,])")
_AMOUNT = re.compile(r"(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>亿元|万元|元)(?!/)")
_PERCENT = re.compile(r"(?P<num>\d+(?:\.\d+)?)\s*%")
_SENTENCE = re.compile(r"(?<=[。！？])")
_CLAUSE = re.compile(r"[，；;：:]|,(?!\d{3})")
_CHANGE = re.compile(r"(增加|减少|增长|下降|降低|上升|持平|相等|一致)")
_THRESHOLD = re.compile(r"^\s*(以上|以下|及以上|及以下|/)")
_YEAR = re.compile(r"(?<!\d)(\d{4})\s*年度?(?![\d月])")  # a year, not a date (“2024年12月31日”)
_YEAR_CLAUSE = re.compile(r"(?:在|于)?(\d{4})\s*年度?(?:内|全年|当年)?")  # a clause that is only a year: “2023年，…”
_PREFIX = re.compile(
    r"^(?:[-•·]\s*)?(?:[（(][一二三四五六七八九十\d]+[）)]|\d+[、.．]+|[一二三四五六七八九十]+、)?\s*"
    r"(?:其中|包括|主要包括|含)?[:：]?\s*(?:\d{4}\s*年度?)?\s*"
)
# compiled once (they run for every clause; re's own cache lookup cost more than the match)
_COMPARED_TAIL = re.compile(r"(比上年|较上年|同比|与上年|比\d{4}年(预算)?)$")
_VERB_TAIL = re.compile(r"(共计|共|合计|总额|为|是|安排|达到|预算数)$")
_TOTAL_TAIL = re.compile(r"(总数|总额|总计|合计)$")
_PARTS_HEAD = re.compile(r"^(其中|包括|主要包括)")
_SHARE_OF = re.compile(r"占([^\d]{0,30})$")
_SHARE_TAIL = re.compile(r"(的|比例|比重)$")
_COMPLETED = re.compile(r"完成[^\d]{0,12}$")
UNIT_FACTOR = {u: UNIT_YUAN[u] / UNIT_YUAN["万元"] for u in ("万元", "元", "亿元")}  # 万元 per unit a narrative writes


@dataclass
class Statement:
    """One figure stated in the narrative."""

    kind: str  # amount | change | share | percent_change | same_as_last_year | completion | comparison
    subject: str  # the words the figure is about, e.g. "一般公共预算收入"
    text: str  # the clause, for messages
    ref: CellRef  # the paragraph cell
    paragraph: int  # index of the paragraph
    amount: Decimal | None = None  # as written
    unit: str | None = None  # 万元 | 元 | 亿元
    percent: Decimal | None = None
    direction: str | None = None  # 增加 | 减少 | 持平
    parent: int | None = None  # index of the head statement of a 其中 list
    index: int = 0
    parts: list[int] = field(default_factory=list)
    sentence: str = ""
    # 元 written where 万元 is meant (the number is the table figure in 万元): set by the linker once
    # the statement is matched (rules/narrative.py ``statements``); the slip is reported once (WB602)
    # and every other rule reads the amount as meant.
    unit_slip: bool = False
    # the year the figure is said to be of, when the text names one (“2023年支出预算…”, or a sentence
    # opening “2023年，…”); None when it names none (then it is the disclosure's own year)
    year: int | None = None

    @property
    def meant_unit(self) -> str | None:
        if not self.unit_slip:
            return self.unit
        return {"元": "万元", "万元": "元"}.get(self.unit or "", self.unit)

    @property
    def amount_wan(self) -> Decimal | None:
        """The amount in 万元, as meant (a unit slip is read in 万元)."""
        if self.amount is None or self.meant_unit is None:
            return None
        return self.amount * UNIT_FACTOR[self.meant_unit]

    @property
    def written_wan(self) -> Decimal | None:
        """The amount in 万元 exactly as written, unit slip included."""
        if self.amount is None or self.unit is None:
            return None
        return self.amount * UNIT_FACTOR[self.unit]

    @property
    def half_wan(self) -> Decimal:
        """Half a unit of the last printed digit, in 万元, as meant (what rounding alone can move it)."""
        return UNIT_FACTOR[self.meant_unit] * Decimal(1).scaleb(-self.decimals) / 2 if self.meant_unit else Decimal(0)

    @property
    def written_half_wan(self) -> Decimal:
        """Half a unit of the last printed digit, in 万元, in the unit as written."""
        return UNIT_FACTOR[self.unit] * Decimal(1).scaleb(-self.decimals) / 2 if self.unit else Decimal(0)

    @property
    def decimals(self) -> int:
        value = self.percent if self.kind in ("share", "percent_change", "completion") else self.amount
        if value is None:
            return 2
        exp = value.as_tuple().exponent
        return -exp if isinstance(exp, int) and exp < 0 else 0


# What every heading of the narrative opens with (rules/published._HEADING_START, rules/narrative._HEADING,
# performance._TOP_HEADING and _SUB_HEADING), the last branch cut after the number's mark so that no
# match reaches past its paragraph: the one pattern NarrativeText.opening_with is asked for (found once, shared)
HEADING_OPENING = r"第[一二三四五六七八九十]+部分|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.．、]"
_HEADING_FIRST = r"第一二三四五六七八九十（(\d"  # the first characters of HEADING_OPENING's matches


class NarrativeText:
    """A disclosure's narrative paragraphs as one string, built once per disclosure (``narrative_text(d)``).

    Most passes over the narrative look for the few paragraphs that hold a word or a character; a
    long narrative has tens of thousands of paragraphs (a 绩效 table arrives as one paragraph per
    row), and a Python loop over them costs more than the search itself.  Here the texts are joined
    with a separator no text holds and searched in C (``str.find``); the index of a paragraph is the
    number of separators before it (``str.count``).  A pass then runs its own test, unchanged, on the
    paragraphs returned: a gate only has to hold for every paragraph the test can accept.

    A gate is a literal, or a pattern whose matches are runs of a text: no anchors or lookarounds (they
    would see the separator where a text alone sees its start or end).  Patterns are scanned by
    ``re`` character by character unless they open with a literal, which ``re`` finds fast: prefer
    literals (``having_any``).  When some text holds the separator itself, every question is answered
    paragraph by paragraph instead (the same answers, the old cost).
    """

    SEP = "\x00"

    def __init__(self, d: "Disclosure") -> None:
        self.source = d.narrative  # the list read (``narrative_text`` reads again if it is replaced)
        self.count = len(self.source)
        self.texts = list(map(attrgetter("text"), self.source))
        self.joined = self.SEP + self.SEP.join(self.texts)
        self.plain = self.joined.count(self.SEP) != self.count + (self.count == 0)  # some text holds SEP
        self._memo: dict = {}

    @property
    def sections(self) -> list[str]:
        """Each paragraph's section (部分) name."""
        found = self._memo.get("sections")
        if found is None:
            found = self._memo["sections"] = list(map(attrgetter("section"), self.source))
        return found

    @property
    def prose(self) -> list[int]:
        """Indexes of the paragraphs that are not table rows (“cell | cell”, performance.ROW_SEP)."""
        found = self._memo.get("prose")
        if found is None:
            found = self._memo["prose"] = [i for i, t in enumerate(self.texts) if " | " not in t]
        return found

    def first_of_sections(self) -> dict[str, int]:
        """Each section name (falsy ones included) and the index of its first paragraph, in order."""
        found = self._memo.get("first_of_sections")
        if found is None:
            sections = self.sections  # a narrative has a handful of sections: list.index finds each in C
            found = self._memo["first_of_sections"] = dict(sorted(((s, sections.index(s)) for s in set(sections)),
                                                                  key=lambda kv: kv[1]))
        return found

    def having(self, gate: "str | re.Pattern[str]") -> list[int]:
        """Indexes, in order, of the paragraphs whose text holds ``gate`` (a literal, or a match of a pattern)."""
        found = self._memo.get(("having", gate))
        if found is None:
            found = self._memo[("having", gate)] = self._having(gate)
        return found

    def first_having(self, literal: str) -> int | None:
        """The index of the first paragraph whose text holds ``literal``, or None (a search that stops there)."""
        if self.plain or not literal or self.SEP in literal:
            return next((i for i, t in enumerate(self.texts) if literal in t), None)
        at = self.joined.find(literal)
        return None if at < 0 else self.joined.count(self.SEP, 0, at) - 1

    def having_any(self, *literals: str) -> list[int]:
        """Indexes, in order, of the paragraphs whose text holds one of ``literals``."""
        found: set[int] = set()
        for literal in literals:
            found.update(self.having(literal))
        return sorted(found)

    def _having(self, gate) -> list[int]:
        literal = isinstance(gate, str)
        if self.plain or (literal and (not gate or self.SEP in gate)):
            return [i for i, t in enumerate(self.texts) if (gate in t if literal else gate.search(t))]
        joined, sep = self.joined, self.SEP
        find, count = joined.find, joined.count
        out: list[int] = []
        done, before = 0, 0  # ``before`` separators lie before offset ``done``
        while True:
            if literal:
                at = find(gate, done)
                if at < 0:
                    break
            else:
                m = gate.search(joined, done)
                if m is None:
                    break
                if sep in m.group():  # a match across paragraphs: ask each paragraph alone
                    return [i for i, t in enumerate(self.texts) if gate.search(t)]
                at = m.start()
            before += count(sep, done, at)
            out.append(before - 1)
            done = find(sep, at)  # the separator that ends this paragraph: search on from there
            if done < 0:
                break
        return out

    def opening_with(self, body: str) -> list[int]:
        """Indexes, in order, of the paragraphs whose text, once stripped, starts with a match of the
        pattern ``body`` (a prefix of what the caller tests for; it must not match the separator)."""
        found = self._memo.get(("opening", body))
        if found is None:
            start, pattern = _opening_patterns(body, self.SEP)
            if self.plain:
                found = [i for i, t in enumerate(self.texts) if start.match(t)]
            else:
                joined, count, sep = self.joined, self.joined.count, self.SEP
                found, done, before = [], 0, 0
                for m in pattern.finditer(joined):
                    before += count(sep, done, m.start() + 1)
                    done = m.start() + 1
                    found.append(before - 1)
            self._memo[("opening", body)] = found
        return found


@lru_cache(maxsize=32)  # compiled once per process (re's own cache may have let them go by the next file)
def _opening_patterns(body: str, sep: str) -> tuple["re.Pattern[str]", "re.Pattern[str]"]:
    """(a text's opening as ``body``, the same after a separator in the joined text).  \\s is what
    str.strip() removes; the lookahead turns most paragraphs away at their first character (when the
    body is HEADING_OPENING, whose first characters are known)."""
    first = rf"(?=[\s{_HEADING_FIRST}])" if body == HEADING_OPENING else ""
    return re.compile(r"\s*(?:" + body + ")"), re.compile(sep + first + r"\s*(?:" + body + ")")


def narrative_text(d: "Disclosure") -> NarrativeText:
    """The NarrativeText of ``d`` (kept among its views; built again when ``d.narrative`` was
    replaced or grew, as tests do between runs)."""
    found = d.view(NarrativeText)
    if found.source is not d.narrative or found.count != len(d.narrative):
        found = d._views[NarrativeText] = NarrativeText(d)
    return found


@lru_cache(maxsize=16384)  # the same paragraphs are cleaned by many rules; translate is per character
def clean(text: str) -> str:
    return _NUM_GAP.sub("", text.translate(_FULLWIDTH))


@lru_cache(maxsize=4096)  # a pure function of the text; a narrative repeats its wordings (“其中”, “支出预算”)
def _subject(before: str) -> str:
    s = _PREFIX.sub("", before.strip())
    s = _COMPARED_TAIL.sub("", s)
    s = _VERB_TAIL.sub("", s.strip())
    return s.strip(" “”\"")


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


_COMPARE = re.compile(r"(决算数?|支出)(大于|小于|等于|高于|低于|超过|持平于?)(年初)?(预算数?)")


def _budget_final_pair(out: list["Statement"], first: int, sentence: str | None):
    """(budget, final) amount statements: the latest 预算数 and 决算数 of the paragraph (``out[first:]``)."""
    budget = final = None
    for st in reversed(out[first:]):
        if st.kind != "amount" or (sentence is not None and st.sentence != sentence):
            continue
        if final is None and "决算" in st.subject:
            final = st
        elif budget is None and "预算" in st.subject and "决算" not in st.subject:
            budget = st
        if budget and final:
            return budget, final
    return None


def _named_base(out: list["Statement"], part: "Statement", name: str) -> "Statement | None":
    """“占政府采购支出总额的 15.34%”: the latest earlier amount whose subject is the named total."""
    from .schemas import norm

    wanted = _TOTAL_TAIL.sub("", norm(name))
    if not wanted:
        return None
    for st in reversed(out[: part.index]):
        subject = norm(st.subject)
        if st.kind == "amount" and subject and wanted in subject and st is not part:
            return st
    return None


def _share_base(out: list["Statement"], part: "Statement") -> "Statement | None":
    """The total a share without a 其中 head refers to: the nearest earlier stand-alone amount, within
    four paragraphs, that is at least as large and is not itself a shared item ("一般公共预算财政拨款支出
    1,386.51 万元。…卫生健康(类)支出 1,200.84 万元，占 86.61%")."""
    shared = {st.parts[0] for st in out if st.kind == "share" and st.parts}
    for st in reversed(out[: part.index]):
        if st.paragraph < part.paragraph - 4:
            return None
        if st.kind != "amount" or st.parent is not None or st is part or st.index in shared:
            continue
        if st.amount_wan is None or part.amount_wan is None:
            continue
        # large enough; a figure written in 元 counts by its number (a 元-for-万元 slip is common)
        if st.amount_wan >= part.amount_wan or (st.unit == "元" and st.amount >= part.amount_wan):
            return st
    return None


def _direction(word: str) -> str:
    if word in ("增加", "增长", "上升"):
        return "增加"
    if word in ("减少", "下降", "降低"):
        return "减少"
    return "持平"


def extract(paragraphs: list[Paragraph]) -> list[Statement]:
    """All statements in the given paragraphs, in reading order."""
    out: list[Statement] = []

    def add(st: Statement) -> Statement:
        st.index = len(out)
        st.sentence = sentence
        out.append(st)
        return st

    for p_index, para in enumerate(paragraphs):
        raw = para.text
        # _AMOUNT needs 元 and _PERCENT needs % (％ once cleaned): a paragraph without them states
        # nothing, and leaves nothing behind (head, last and the sentence's year are per sentence;
        # a comparison pairs statements of its own paragraph)
        if "元" not in raw and "%" not in raw and "％" not in raw:
            continue
        text = clean(raw)
        first = len(out)  # out[first:]: the statements of this paragraph
        for sentence in _SENTENCE.split(text):
            if "元" not in sentence and "%" not in sentence and "决算" not in sentence and "支出" not in sentence:
                # no amount or percentage (and so no ``last``): only a comparison could be stated, and
                # every _COMPARE match holds 决算 or 支出
                continue
            head: Statement | None = None  # head of a 其中/包括 list
            last: Statement | None = None  # last amount or change statement in this sentence
            sentence_year: int | None = None  # “2023年，…”: the year of the sentence's figures
            for clause in _CLAUSE.split(sentence):
                c = clause.strip()
                if not c:
                    continue
                # each pattern runs only on clauses holding a character every match of it holds
                if "年" in c:
                    year_clause = _YEAR_CLAUSE.fullmatch(c)
                    if year_clause:
                        sentence_year = int(year_clause.group(1))
                        continue
                amounts = list(_AMOUNT.finditer(c)) if "元" in c else ()  # each found once
                percents = list(_PERCENT.finditer(c)) if "%" in c else ()
                starts_parts = c.startswith(("其中", "包括", "主要包括"))  # _PARTS_HEAD
                if starts_parts and last is not None:
                    head = last
                elif c.endswith("中") and not amounts:
                    # "基本支出中，人员经费…": the head is an earlier figure of that subject
                    wanted = _subject(c[:-1])
                    head = next((st for st in reversed(out[first:]) if st.kind == "amount" and st.subject == wanted), None)
                pos = 0
                bounded = "以" in c or "/" in c  # every _THRESHOLD match holds 以 or /
                for m in amounts:
                    if bounded and _THRESHOLD.match(c[m.end():]):
                        pos = m.end()
                        continue
                    segment = c[pos:m.start()]
                    change = _CHANGE.search(segment)
                    amount, unit = _decimal(m.group("num")), m.group("unit")
                    if change:
                        subject = _subject(segment[:change.start()]) or (last.subject if last else "")
                        st = Statement("change", subject, c, para.ref, p_index, amount, unit, direction=_direction(change.group(1)))
                    else:
                        st = Statement("amount", _subject(segment), c, para.ref, p_index, amount, unit)
                        years = _YEAR.findall(segment) if "年" in segment else None
                        st.year = int(years[-1]) if years else sentence_year
                    if head is not None and head.kind == st.kind and head is not st:
                        st.parent = head.index
                    add(st)
                    if st.parent is not None:
                        head.parts.append(st.index)
                    last = st
                    pos = m.end()
                for m in percents:
                    before = c[:m.start()]
                    change = _CHANGE.search(before)
                    share = _SHARE_OF.search(before) if "占" in before else None
                    if share and last is not None:
                        named = _SHARE_TAIL.sub("", share.group(1).strip())
                        if named:  # the sentence names its total: that one, or none (never a guess)
                            base = _named_base(out, last, named)
                        else:
                            base = out[last.parent] if last.parent is not None else _share_base(out, last)
                        st = Statement("share", last.subject, c, para.ref, p_index, percent=_decimal(m.group("num")))
                        st.parts = [last.index] + ([base.index] if base else [])
                        add(st)
                    elif "完成" in before and _COMPLETED.search(before):
                        pair = _budget_final_pair(out, first, sentence)
                        st = Statement("completion", pair[1].subject if pair else "", c, para.ref, p_index, percent=_decimal(m.group("num")))
                        st.parts = [pair[0].index, pair[1].index] if pair else []
                        add(st)
                    elif change and last is not None:
                        st = Statement("percent_change", last.subject if not _subject(before[:change.start()]) else _subject(before[:change.start()]),
                                       c, para.ref, p_index, percent=_decimal(m.group("num")), direction=_direction(change.group(1)))
                        st.parts = [last.index]
                        add(st)
                cmp = _COMPARE.search(c) if "决算" in c or "支出" in c else None
                if cmp and not amounts:
                    pair = _budget_final_pair(out, first, None)
                    if pair:
                        word = "大于" if cmp.group(2) in ("大于", "高于", "超过") else "小于" if cmp.group(2) in ("小于", "低于") else "等于"
                        st = Statement("comparison", pair[1].subject, c, para.ref, p_index, direction=word)
                        st.parts = [pair[0].index, pair[1].index]
                        add(st)
                    continue
                if not amounts and not percents and last is not None:
                    change = _CHANGE.search(c)
                    if change and _direction(change.group(1)) == "持平":
                        st = Statement("same_as_last_year", last.subject, c, para.ref, p_index, direction="持平")
                        st.parts = [last.index]
                        add(st)
    return out
