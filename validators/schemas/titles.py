"""Table titles as real publishers print them → table kinds.

A printed title is an alias of a kind (schemas/tables.toml) wrapped in what publishers add:

    [numbering] [department name] [year] [部门|单位] ALIAS [suffixes]

numbering   附件2-1：  附表3  表五  预算表1  公开05表  5．  一、  （一）  续表：
name        烟台市医疗保障局  上海市普陀区人民政府办公室   (ends like an organisation; never a
            word of the tables themselves: 预算, 支出, 收入, 经费 …)
year        2024年  2024年度
suffixes    （2024年）  (单位:万元)  单位：元  （续）  续表  （预算表1）  (表号:公开01表)  公开01表

Letter-spacing (“收 支 总 表”), full-width forms and quotes are removed by ``norm`` first.  A text
that does not end in 表 after its suffixes are removed is never a title, so narrative headings
that mention a table (“关于收入支出决算总表的说明”, “（一）一般公共预算支出情况表说明”) are not tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# this module is imported at the end of the package's __init__, where both are defined
from . import _alias_index, norm

MAX_TITLE = 80  # normalised characters; longer text is a sentence, not a title

_CN = "一二三四五六七八九十〇零"
_NUM = r"\d+(?:[-—–－_.．]\d+)*"
_SEP = r"[、.．:：\-—–－_]*"
_UNIT = r"(?:亿元|万元|千元|元)"

# suffixes, removed from the end one at a time (a title may carry several)
_SUFFIX_BODY = re.compile(
    r"^(?:"
    r"\d{4}年度?(?:预算|决算)?"  # （2024年）
    rf"|(?:金额)?(?:计量)?单位[:：]?{_UNIT}|{_UNIT}"  # (单位:万元)  （万元）
    rf"|(?:表号[:：]?)?(?:预算表|决算表|公开|附表|表)?(?:{_NUM}|[{_CN}]{{1,3}})表?"  # （预算表1） (表号:公开01表)
    r"|续(?:表|\d+|[一二三四五六七八九十]{1,2})?"  # （续） （续表）
    r")$"
)
_PAREN_SUFFIX = re.compile(r"[(（\[【]([^()（）\[\]【】]{1,24})[)）\]】]$")
_BARE_SUFFIXES = (
    re.compile(rf"[-—:：,，]?(?:金额)?单位[:：]{_UNIT}$"),  # 收支总表 单位：万元
    re.compile(r"[-—:：,，]?(?:表号[:：]?)?(?:公开|预算表|决算表|附表)\d+(?:-\d+)?表?$"),  # 收入决算表 公开02表
)
_BARE_ENDS = (  # a cheap test that each of _BARE_SUFFIXES needs before it can match
    lambda t: t[-1:] == "元" and "单位" in t,
    lambda t: (t[-1:] == "表" or t[-1:].isdecimal()) and ("公开" in t or "算表" in t or "附表" in t),
)
_CONTINUED_BARE = re.compile(r"[-—:：,，]?[(（]?续表?[)）]?$")

# prefixes, removed from the start; several may follow each other
_LABEL = r"(?:附件|附表|预算公开表|公开表|预算表|决算表|公开|表)"
_PREFIXES: tuple[re.Pattern[str], ...] = (
    re.compile(rf"^{_LABEL}{_NUM}表?{_SEP}"),  # 附件2-1：  表3  公开05表
    *(re.compile(rf"^{_LABEL}[{_CN}]{{{n}}}表?{_SEP}") for n in (1, 2, 3)),  # 表五 一般… (every length)
    re.compile(rf"^{_NUM}[、.．:：\-—–－_]+"),  # 5．  2-1：
    re.compile(rf"^[{_CN}]{{1,3}}[、.．:：]+"),  # 一、
    re.compile(rf"^[(（](?:\d+|[{_CN}]{{1,3}})[)）]{_SEP}"),  # （一） (1)
    re.compile(r"^第[一二三四五六七八九十\d]{1,3}[、:：]?"),  # 第一
    re.compile(r"^续表?[:：]?"),  # 续表：收入总体情况表
    re.compile(r"^\d{4}年度?"),  # 2024年  2024年度
    re.compile(r"^本?(?:预算)?(?:部门|单位)"),  # 部门收支总表 (aliases mostly carry it; a year may stand between)
)
_CONTINUED_PREFIX = re.compile(r"^续表?[:：]?")

# a department's name in front of the title: ends like an organisation, holds no table word
_ORG_END = (
    "局", "委员会", "委", "办公室", "办", "院", "厅", "中心", "所", "站", "队", "馆", "处", "社", "团", "校", "署",
    "部", "会", "室", "政府", "公司", "集团", "机关", "医院", "学校", "大学", "科", "组",
)
_NAME = re.compile(r".{1,40}(?:" + "|".join(sorted(_ORG_END, key=len, reverse=True)) + r")")
_NOT_IN_NAME = re.compile(r"预算|决算|支出|收入|经费|拨款|表|项目|关于|说明|情况|详见|附件|的|[、，,。；;:：()（）]")


@dataclass(frozen=True)
class TitleMatch:
    """What a printed title was recognised as, and what was around the alias."""

    kind: str
    alias: str  # the alias (normalised) the title reduced to
    continued: bool = False  # 续表: the rest of a table already started
    unit: str | None = None  # a unit printed in the title itself ("（单位：万元）")


def _norm(text: Any) -> str:
    return norm(text)  # the package's normaliser (NFKC, no whitespace, no quotes)


def _strip_suffixes(t: str) -> tuple[str, bool, str | None]:
    continued, unit = False, None
    for _ in range(6):
        m = _PAREN_SUFFIX.search(t)
        if m and _SUFFIX_BODY.match(m.group(1)):
            body = m.group(1)
            continued = continued or body.startswith("续")
            found = re.search(_UNIT + "$", body)
            if found and ("单位" in body or body == found.group()):
                unit = unit or found.group()
            t = t[: m.start()]
            continue
        m = _CONTINUED_BARE.search(t) if "续" in t[-3:] else None  # 续 is among its last three characters
        if m and len(t) > len(m.group()) and t[: m.start()].endswith("表"):
            continued, t = True, t[: m.start()]
            continue
        for pattern, may_end in zip(_BARE_SUFFIXES, _BARE_ENDS):
            if not may_end(t):
                continue  # what every match of the pattern holds is missing: no search through the text
            m = pattern.search(t)
            if m and len(t) > len(m.group()):
                found = re.search(_UNIT + "$", m.group())
                if found:
                    unit = unit or found.group()
                t = t[: m.start()]
                break
        else:
            break
    return t, continued, unit


def _candidates(t: str) -> list[str]:
    """``t`` and every text left after removing prefixes (breadth first, each at most once)."""
    seen, queue = [t], [t]
    while queue and len(seen) < 64:
        cur = queue.pop(0)
        for pattern in _PREFIXES:
            m = pattern.match(cur)
            if m and m.end() < len(cur):
                rest = cur[m.end():]
                if rest not in seen:
                    seen.append(rest)
                    queue.append(rest)
    return seen


def _aliases_by_length() -> tuple[tuple[str, str], ...]:
    return _sorted_aliases(_alias_index())


_SORTED: dict[int, tuple[dict[str, str], tuple[tuple[str, str], ...]]] = {}


def _sorted_aliases(index: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """Longest first; recomputed when the alias index is rebuilt (format packs added or removed)."""
    found = _SORTED.get(id(index))
    if found is None or found[0] is not index:
        _SORTED.clear()
        found = _SORTED[id(index)] = (index, tuple(sorted(index.items(), key=lambda kv: -len(kv[0]))))
    return found[1]


def _with_name(t: str) -> tuple[str, str] | None:
    """(kind, alias) when ``t`` is a department's name, optionally a year and 部门, then an alias."""
    for alias, kind in _aliases_by_length():
        if not t.endswith(alias) or len(t) == len(alias):
            continue
        front = t[: -len(alias)]
        front = re.sub(r"(?:\d{4}年度?)?(?:部门|单位)?$", "", front)  # 烟台市医疗保障局2024年部门…
        if _NAME.fullmatch(front) and not _NOT_IN_NAME.search(front):
            return kind, alias
        return None  # the longest alias decides: a shorter one inside it is not the title
    return None


def _match(t: str) -> TitleMatch | None:
    if not t or len(t) > MAX_TITLE:
        return None
    if t[-1] not in _LAST_CHARS and not t[-1].isdecimal():
        return None  # no suffix ends here and the text does not end in 表: most long cell texts
    index = _alias_index()
    return _match_in(t, id(index)) if _SORTED.get(id(index), (None,))[0] is index else _fresh(t, index)


def _fresh(t: str, index: dict[str, str]) -> TitleMatch | None:
    _match_in.cache_clear()  # the alias index was rebuilt: earlier answers may be stale
    _sorted_aliases(index)
    return _match_in(t, id(index))


@lru_cache(maxsize=65536)
def _match_in(t: str, index_id: int) -> TitleMatch | None:
    """``t`` against the current alias index (``index_id`` keys the cache to it)."""
    return _full_match(t, _alias_index())


# what a title's last character may be: 表, or the end of a suffix (_PAREN_SUFFIX, _CONTINUED_BARE,
# _BARE_SUFFIXES: a bracket, 续, 元, or a digit, which \d and str.isdecimal both take as category Nd)
_LAST_CHARS = frozenset("表)）]】续元")


def _full_match(t: str, index: dict[str, str]) -> TitleMatch | None:
    """``t`` (normalised, at most MAX_TITLE long) against ``index``: suffixes, then prefixes and names."""
    t, continued, unit = _strip_suffixes(t)
    if not t.endswith("表"):
        return None
    if _CONTINUED_PREFIX.match(t):
        continued = True
    for cand in _candidates(t):
        if cand in index:
            return TitleMatch(index[cand], cand, continued, unit)
    for cand in _candidates(t):
        found = _with_name(cand)
        if found:
            return TitleMatch(found[0], found[1], continued, unit)
    return None


def _no_title(text: Any) -> bool:
    """True when ``text`` cannot be a title without normalising it: a title ends in 表 once its suffixes
    are cut off, and no character but 表 itself normalises (NFKC) to one (tests/test_startup.py)."""
    return isinstance(text, str) and "表" not in text


def match(text: Any) -> TitleMatch | None:
    """The recognised title (kind, alias, 续表, unit in the title), or None.  Never by position."""
    if _no_title(text):
        return None
    return _match(_norm(text))


def match_title(text: Any) -> str | None:
    """The table kind whose title this cell text is, or None.  Never by position."""
    if _no_title(text):
        return None
    found = _match(_norm(text))
    return found.kind if found else None
