"""Department identity: one key per department across names, years and levels.

A department prints its name in several ways (全称 “烟台市医疗保障局”, the 编制部门 line, “（本级）”, a
unit's “局机关”); a mapping file records what text cannot: 简称, renames and merges.  A name that matches
more than one known department is reported as ambiguous and linked to none: never guessed.

Mapping file (TOML)::

    [[department]]
    name = "烟台市医疗保障局"            # the canonical name
    aliases = ["市医保局", "烟台市医保局"]
    units = ["烟台市医疗保险事业中心"]    # optional: its 单位 (besides the narrative's own list)

    [[rename]]                           # documents under the old name belong to the new one
    old = "烟台市卫生和计划生育委员会"
    new = "烟台市卫生健康委员会"
    year = 2019                          # first year under the new name

    [[merge]]                            # several departments became one: no year-on-year comparison
    old = ["甲局", "乙局"]
    new = "丙局"
    year = 2019
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Disclosure

LEVEL_DEPARTMENT, LEVEL_UNIT = "部门", "单位"

_SPACE = re.compile(r"[\s\u3000\u00a0]+")
_BRACKETED = re.compile(r"[（(][^（()）]{0,12}[)）]$")
_PREFIX = re.compile(r"^(编制部门|编制单位|预算主管部门|预算单位|部门\(单位\)|部门名称|单位名称|部门|单位)[:：]")
_SUFFIX = re.compile(r"(本部|本级|机关本级|机关)$")


class MappingError(ValueError):
    """A mapping file that cannot be used; the message is Chinese."""


def normalise(name: str | None) -> str:
    """The comparable form of a department or unit name: NFKC, no spaces, no “编制部门：” prefix,
    no trailing “（本级）”, “本部”, “机关” (“××局局机关” → “××局”)."""
    if not name:
        return ""
    n = _SPACE.sub("", unicodedata.normalize("NFKC", str(name)))
    n = _PREFIX.sub("", n)
    for _ in range(2):
        n = _BRACKETED.sub("", n)
        n = _SUFFIX.sub("", n)
    if n.endswith("局局"):
        n = n[:-1]
    return n.strip("“”\"'")


_REGION = re.compile(r"^.{1,8}?(省|自治区|市|州|盟|区|县|旗)")


def _short(n: str) -> str:
    """The name without its leading region(s): “烟台市医疗保障局” → “医疗保障局”."""
    prev = None
    while prev != n:
        prev = n
        m = _REGION.match(n)
        if m and len(n) - m.end() >= 3:
            n = n[m.end():]
    return n


@dataclass
class Mapping:
    """Renames, merges and aliases from the mapping file (empty when there is none)."""

    aliases: dict[str, str] = field(default_factory=dict)  # normalised alias -> canonical name
    renames: list[tuple[str, str, int | None]] = field(default_factory=list)  # (old, new, year)
    merges: list[tuple[list[str], str, int | None]] = field(default_factory=list)
    units: dict[str, set[str]] = field(default_factory=dict)  # canonical dept key -> unit keys

    def canonical(self, name: str) -> str:
        """The canonical key of a name: aliases and renames followed (a rename chain too)."""
        key = normalise(name)
        for _ in range(10):
            nxt = self.aliases.get(key)
            if nxt is None:
                nxt = next((normalise(new) for old, new, _y in self.renames if normalise(old) == key), None)
            if nxt is None or nxt == key:
                return key
            key = nxt
        return key

    def merged_from(self, key: str) -> tuple[list[str], int | None] | None:
        """(old keys, year) when ``key`` is the result of a merge."""
        for olds, new, year in self.merges:
            if normalise(new) == key:
                return [normalise(o) for o in olds], year
        return None


def load_mapping(path: str | Path | None) -> Mapping:
    if path is None:
        return Mapping()
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(f"无法读取部门对照文件 {p}：{exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"部门对照文件 {p} 格式有误：{exc}") from None
    m = Mapping()
    try:
        for d in data.get("department", []):
            canon = normalise(d["name"])
            for alias in d.get("aliases", []):
                m.aliases[normalise(alias)] = canon
            if d.get("units"):
                m.units.setdefault(canon, set()).update(normalise(u) for u in d["units"])
        for r in data.get("rename", []):
            m.renames.append((str(r["old"]), str(r["new"]), r.get("year")))
        for g in data.get("merge", []):
            olds = g["old"] if isinstance(g["old"], list) else [g["old"]]
            m.merges.append(([str(o) for o in olds], str(g["new"]), g.get("year")))
            for o in olds:  # a merged department's old documents are not the new one's
                m.aliases.pop(normalise(o), None)
    except (KeyError, TypeError, AttributeError) as exc:
        raise MappingError(f"部门对照文件 {p} 缺少必填项或类型不对：{exc}") from None
    return m


@dataclass
class Resolution:
    """How a printed name was linked to a known department key."""

    name: str
    key: str | None  # None when ambiguous
    how: str  # 一致 | 对照文件 | 简称 | 新部门 | 不唯一 | 未识别
    candidates: list[str] = field(default_factory=list)

    @property
    def ambiguous(self) -> bool:
        return self.key is None

    def describe(self) -> str:
        if self.how == "未识别":
            return "未识别出部门名称，不与其他文件关联"
        if self.how == "不唯一":
            return f"部门名称“{self.name}”可对应多个部门（{'、'.join(self.candidates)}），未自动关联；请在部门对照文件中写明"
        if self.how == "简称":
            return f"部门名称“{self.name}”按简称关联到“{self.key}”"
        return ""


def resolve(name: str | None, known: set[str], mapping: Mapping | None = None) -> Resolution:
    """Link a printed name to one of the ``known`` department keys, or to a new key of its own.

    Exact (after normalisation and the mapping file) first; then a unique 简称 match (one name is the other
    without its region, or contained in it).  Two or more candidates: ambiguous, linked to none.
    """
    mapping = mapping or Mapping()
    raw = name or ""
    key = mapping.canonical(raw)
    if not key:
        return Resolution(raw, None, "未识别")
    if key in known:
        return Resolution(raw, key, "一致" if key == normalise(raw) else "对照文件")
    if key != normalise(raw):
        return Resolution(raw, key, "对照文件")
    if _short(key) != key:
        return Resolution(raw, key, "新部门")  # a full name with its region: only exact or mapped matches
    # a name without its region (简称 “医疗保障局”): the known full names that end with or contain it
    candidates = sorted(k for k in known if _short(k) == key or key in k)
    if len(candidates) == 1:
        return Resolution(raw, candidates[0], "简称", candidates)
    if len(candidates) > 1:
        return Resolution(raw, None, "不唯一", candidates)
    return Resolution(raw, key, "新部门")


# ---------------------------------------------------------------- level and units

_UNIT_TITLE = re.compile(r"单位(预算|决算)|预算单位|编制单位")
_DEPT_TITLE = re.compile(r"部门(预算|决算)|主管部门|编制部门")


def level_of(d: Disclosure) -> str:
    """部门 or 单位: from the narrative's title lines, the table titles, then the file name; 部门 by default."""
    texts = [p.text for p in d.narrative[:6]] + [t.title for t in d.all_tables()] + [Path(d.source).stem]
    for text in texts:
        n = _SPACE.sub("", str(text))
        unit, dept = _UNIT_TITLE.search(n), _DEPT_TITLE.search(n)
        if unit and not (dept and dept.start() < unit.start()):
            return LEVEL_UNIT
        if dept:
            return LEVEL_DEPARTMENT
    return LEVEL_DEPARTMENT


# the head of the unit list: it speaks of units (“…编制范围的二级预算单位包括：”, “具体包括（列示至基层预算单位）：”),
# not of functions or internal offices (“主要职能包括：”, “设10个内设机构，包括：”)
_LIST_HEAD = re.compile(r"单位[^。：:]*(包括|构成|如下)[^。]*[:：]\s*$|编制范围[^。]*[:：]\s*$|列示至基层预算单位")
_ITEM = re.compile(r"^\s*[-•·]?\s*\d+\s*[.、．]\s*(.+?)\s*[。；;，,]?\s*$")
_MERGED = re.compile(r"不单列预算|不单独编制|并入本部|并入机关|纳入本部")


@dataclass
class UnitList:
    """The units a department's narrative lists: those with their own budget, and those merged in."""

    separate: list[str] = field(default_factory=list)  # normalised unit names expected as 单位 documents
    merged: list[str] = field(default_factory=list)  # “不单列预算，并入本部”
    cells: list = field(default_factory=list)


def listed_units(d: Disclosure) -> UnitList:
    """Units named in the 机构设置 part of the narrative (“纳入…编制范围的二级预算单位包括：1. … 2. …”)."""
    out = UnitList()
    inside = None
    for p in d.narrative:
        text = _SPACE.sub("", unicodedata.normalize("NFKC", p.text))
        if _LIST_HEAD.search(text) and not _ITEM.match(text) and not (out.separate or out.merged):
            inside = p.section
            continue
        if inside is None:
            continue
        m = _ITEM.match(text) if p.section == inside else None
        if not m:
            if out.separate or out.merged:
                break  # the list ended
            continue
        item = m.group(1)
        merged = _MERGED.search(item)
        item = re.split(r"不单列预算|不单独编制|[，,。；;]", item)[0]
        item = re.sub(r"^(下属事业单位|下属单位|局属事业单位|所属事业单位)", "", item)
        key = normalise(item)
        if not key:
            continue
        (out.merged if merged else out.separate).append(key)
        out.cells.append(p.ref)
    return out
