"""Figures of another year that a narrative quotes: “2025年“三公”经费预计执行数为5.70万元”, “上年预算数为…”,
“比2025年执行数减少0.50万元”, and the basis of every “比上年…” comparison.

Read from the statements ``rules.narrative.statements`` extracts (narrative.py's extraction is not changed):
this module only looks at the clause around each statement for a year and a basis word (执行数, 预计执行数,
预算数, 决算数), and says which figure of the counterpart document the quote is about.  The checks that use it
are declared in schemas/data/crossdoc.toml (``narrative_quoted``; ``basis`` on ``narrative_change``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from ..model import Disclosure
from ..narrative import UNIT_FACTOR, Statement, clean

# the basis words, longest first; 预算执行数 is an 执行数
BASES = ("预计执行数", "预算执行数", "执行数", "预算数", "决算数")
_BASIS = r"(?P<basis>预计执行数|预计执行|预算执行数|执行数|预算数?|决算数?)"
_YEAR = r"(?:(?P<year>\d{4})\s*年度?|(?P<last>上一?年度?)(?!结转|结余))"  # “上年结转” is this year's line
_NUM = r"(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>亿元|万元|元)"
# “2025年“三公”经费预计执行数为5.70万元”, “上年预算数112,250.18万元”
_QUOTED_AMOUNT = re.compile(_YEAR + r"(?:的)?(?P<subj>[^，,；;。：:\d]{0,30}?)" + _BASIS + r"(?:为|是|达到|共计|合计|约为?)?\s*" + _NUM)
# “比2025年预计执行数”, “与上年预算数相比”, “较2024年决算”, and without a year “比年初预算数”
_COMPARED_HEAD = r"(?:比|较|与|同)\s*(?:" + _YEAR + r"|(?P<opening>年初))(?:的)?"
_COMPARED = re.compile(_COMPARED_HEAD + r"(?P<subj>[^，,；;。：:\d比较与]{0,12}?)" + _BASIS)
_COMPARED_PLAIN = re.compile(_COMPARED_HEAD)
_CLAUSE = re.compile(r"[，；;：:]|,(?!\d{3})")
# subject words that say which figure of the year, not what it is about
_BASIS_WORDS = re.compile(r"(预计执行数|预计执行|预算执行数|执行数|决算数|(?<!一般公共)(?<!政府性基金)(?<!国有资本经营)预算数?|预算安排|安排)$")
_TOTALS = {"收支": "收支总计", "收入": "收入总计", "支出": "支出总计", "财政拨款收支": "财政拨款收支总计"}


def _basis(word: str | None) -> str:
    if not word:
        return ""
    if word.startswith("预计"):
        return "预计执行数"
    if "执行" in word:
        return "执行数"
    return "预算数" if word.startswith("预算") else "决算数"


def _amount(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def plain_subject(subject: str) -> str:
    """The figure a subject names, without the words that say which year's version of it
    (“三公经费预算” → “三公经费”, “收支预计执行数” → “收支总计”); “一般公共预算” keeps its 预算."""
    s = clean(subject).strip(" “”\"'的")
    s = re.sub(r"^\d{4}\s*年度?", "", s)
    for _ in range(2):
        s = _BASIS_WORDS.sub("", s).strip(" “”\"'的")
    return _TOTALS.get(s, s)


@dataclass(frozen=True)
class Quote:
    """A figure of another year (or of another basis) that the narrative states or compares with."""

    statement: Statement  # the amount statement (form "amount") or the change statement (form "change")
    form: str  # amount: the quoted figure itself | change: this document's figure minus the quoted one
    year: int  # the year of the quoted figure
    basis: str  # 执行数 | 预计执行数 | 预算数 | 决算数 | "" (a plain “比上年”)
    subject: str  # the figure's subject as printed beside the quote ("" when the sentence's head names it)

    @property
    def quantum(self) -> Decimal:
        """Half the last printed digit of the stated amount, in 万元 (0 for a 持平 without a number)."""
        st = self.statement
        if st.amount is None or st.unit is None:
            return Decimal(0)
        return UNIT_FACTOR[st.meant_unit or st.unit] * Decimal(1).scaleb(-st.decimals) / 2


def quoted_amounts(d: Disclosure, sts: list[Statement]) -> list[Quote]:
    """Amount statements whose clause says they are another year's figure (“2025年预计执行数5.70万元”)."""
    out = []
    for st in sts:
        if st.kind != "amount" or st.amount is None or st.unit is None:
            continue
        for m in _QUOTED_AMOUNT.finditer(clean(st.text)):
            if m.group("unit") != st.unit or _amount(m.group("num")) != st.amount:
                continue
            year = int(m.group("year")) if m.group("year") else (d.year - 1 if d.year else None)
            if year is None or year == d.year:
                break  # this year's own figure: not a quote
            out.append(Quote(st, "amount", year, _basis(m.group("basis")), m.group("subj") or ""))
            break
    return out


def comparison(d: Disclosure, st: Statement) -> tuple[int | None, str]:
    """(year, basis) a change statement compares with: “比2025年预计执行数减少…” → (2025, 预计执行数);
    “比上年增加…” → (last year, ""); “比年初预算数增加…” → (this year, 预算数); (None, "") when it says nothing.
    Looked for in the statement's own clause, else in the clause just before it (“与2025年执行数相比，减少…”)."""
    text = clean(st.text)
    sentence = clean(st.sentence or "")
    places = [text]
    at = sentence.find(text)
    if at > 0:
        before = [c for c in _CLAUSE.split(sentence[:at]) if c.strip()]
        if before:
            places.append(before[-1])
    for place in places:
        found = list(_COMPARED.finditer(place)) or list(_COMPARED_PLAIN.finditer(place))
        if not found:
            continue
        m = found[-1]
        basis = m.groupdict().get("basis")
        if m.group("opening"):
            return d.year, _basis(basis) or "预算数"
        year = int(m.group("year")) if m.group("year") else (d.year - 1 if d.year else None)
        return year, _basis(basis)
    return None, ""


def quoted_changes(d: Disclosure, sts: list[Statement]) -> list[Quote]:
    """Change statements (and “持平”) that compare with another year's figure of a named basis."""
    out = []
    for st in sts:
        if st.kind not in ("change", "same_as_last_year"):
            continue
        if st.kind == "change" and (st.amount is None or st.unit is None or st.direction == "持平"):
            continue
        year, basis = comparison(d, st)
        if year is None or (year == d.year and not (d.kind == "决算" and basis == "预算数")):
            continue  # (a 决算's “比年初预算数增加…” is this year's 预算: kept)
        out.append(Quote(st, "change", year, basis, ""))
    return out


def quotes(d: Disclosure) -> list[Quote]:
    """Every quoted figure of the disclosure's narrative (amounts, then changes), cached."""
    if "quoted_figures" not in d.cache:
        from ..rules.narrative import statements

        sts = statements(d)
        d.cache["quoted_figures"] = quoted_amounts(d, sts) + quoted_changes(d, sts)
    return d.cache["quoted_figures"]


def head_amount(q: Quote, sts: list[Statement]) -> Statement | None:
    """The amount a quote is about when its own clause does not name it: the nearest earlier amount
    statement of the same sentence (“2026年“三公”经费预算6.00万元，2025年预计执行数5.70万元”)."""
    st = q.statement
    for prev in reversed(sts[: st.index]):
        if prev.paragraph != st.paragraph or prev.sentence != st.sentence:
            break
        if prev.kind == "amount" and not _QUOTED_AMOUNT.search(clean(prev.text)):
            return prev
    return None


_ITEM_PATH = re.compile(r"[（(](类|款|项)[)）]")


def subject_statement(q: Quote, sts: list[Statement], d: Disclosure | None = None) -> Statement | None:
    """A synthetic amount statement naming the quoted figure by its plain subject (for ``rules.narrative.resolve``
    on the counterpart document), or None when the narrative does not say what the figure is."""
    own = plain_subject(q.subject) if q.subject else ""
    if not own:
        head = head_amount(q, sts) if q.form == "amount" else _change_head(q, sts)
        if head is None:
            return None
        if d is not None and _about_an_item(d, head):
            # “（项）。年初预算为…，支出决算为…，比年初预算减少…”: that 项, not the total its words name
            own = item_subject(d, head) or ""
            return replace(q.statement, kind="amount", subject=own, parent=None, parts=[]) if own else None
        own = plain_subject(head.subject)
    if not own:
        return None
    return replace(q.statement, kind="amount", subject=own, parent=None, parts=[])


def about_an_item(d: Disclosure, head: Statement) -> bool:
    return _about_an_item(d, head)


def _about_an_item(d: Disclosure, head: Statement) -> bool:
    """A generic subject (“支出决算”, “年初预算”) in a paragraph about a 类/款/项 (named there or on the line before)."""
    from ..rules.narrative import GENERIC_SUBJECT, narrative_paragraphs

    from ..schemas import norm

    if not GENERIC_SUBJECT.search(norm(head.subject)):
        return False
    paragraphs = narrative_paragraphs(d)
    near = [paragraphs[i].text for i in (head.paragraph - 1, head.paragraph) if 0 <= i < len(paragraphs)]
    return any(_ITEM_PATH.search(clean(text)) for text in near)


_PATH = re.compile(r"([^()（）\s、,，。:：\-]+?)[（(]类[)）]([^()（）\s、,，。:：]+?)[（(]款[)）]([^()（）\s、,，。:：]+?)[（(]项[)）]")


_NUMBERING = re.compile(r"^[-\d、.．\s]+")


def item_subject(d: Disclosure, head: Statement) -> str | None:
    """The 类/款/项 a generic statement is about, as “类名-款名-项名科目” (the form ``rules.narrative`` resolves on
    any document by names); None when the paragraph (or the line before) names no single 项."""
    from ..rules.narrative import narrative_paragraphs
    from ..schemas import norm

    paragraphs = narrative_paragraphs(d)
    for i in (head.paragraph, head.paragraph - 1):
        if 0 <= i < len(paragraphs):
            found = _PATH.findall(norm(clean(paragraphs[i].text)))
            if len(found) == 1:
                a, b, c = found[0]
                return f"{_NUMBERING.sub('', a)}-{b}-{c}科目"
            if found:
                return None
    return None


def _change_head(q: Quote, sts: list[Statement]) -> Statement | None:
    st = q.statement
    subject = plain_subject(re.sub(r"(比|较|与|同).*$", "", clean(st.subject)))
    for prev in reversed(sts[: st.index]):
        if prev.paragraph != st.paragraph or prev.sentence != st.sentence:
            break
        if prev.kind == "amount" and (not subject or plain_subject(prev.subject) == subject):
            return prev
    if subject:
        return replace(st, kind="amount", subject=subject, amount=None, unit=None)
    return None


def change_head(q: Quote, sts: list[Statement]) -> Statement | None:
    """This document's figure a quoted change is about (the amount the sentence states before it)."""
    return _change_head(q, sts)


_SAME_FAMILY = re.compile(r"机关运行经费|三公.{0,3}经费|因公出国|公务用车|公务接待费")


def counterpart_figure(p: Disclosure, st: Statement):
    """(figure in 万元, extra tolerance) of the counterpart ``p`` that the synthetic statement ``st`` names.

    The tables first (``rules.narrative.resolve``); where they give no figure or only a bound (a 决算's
    机关运行经费 is not printed in its tables), the counterpart's own narrative statement of the same subject
    (its own year's figure, not a quote), compared at its printed precision."""
    from ..rules.narrative import Figure, resolve, statements

    sts = statements(p)
    fig = resolve(p, replace(st, year=None), sts)  # the caller chose the year: ``p`` is that year's document
    if fig is not None and "上限" not in fig.what:
        return fig, Decimal(0)
    wanted = plain_subject(st.subject)
    family = _SAME_FAMILY.search(wanted)
    quoted_here = {q.statement.index for q in quotes(p)}
    for other in sts:
        if other.kind != "amount" or other.amount_wan is None or other.index in quoted_here or other.parent is not None:
            continue
        years = {int(y) for y in re.findall(r"(\d{4})\s*年", clean(other.text))}
        if years - {p.year}:
            continue
        subject = plain_subject(other.subject)
        if subject == wanted or (family and subject and _SAME_FAMILY.search(subject) and _SAME_FAMILY.search(subject).group(0) == family.group(0)):
            half = UNIT_FACTOR[other.meant_unit or other.unit] * Decimal(1).scaleb(-other.decimals) / 2
            return Figure(other.amount_wan, [other.ref], f"情况说明“{other.text}”"), half
    return None, Decimal(0)
