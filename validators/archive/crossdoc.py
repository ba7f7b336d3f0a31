"""Cross-document relations: a disclosure against its counterparts (last year's, the same year's 预算,
its units or its department), declared as data in schemas/data/crossdoc.toml.

Counterparts come from a Pool: documents given on the command line (``--with`` and the run's own files) and
the archive.  A finding names the checked document's cells (``cells``) and the counterpart's in its message
and ``evidence["counterpart"]`` (a counterpart's cells are not in this workbook, so they are not marked).
A missing counterpart is not a finding: it is one line in ``Notes`` per run.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from ..amounts import envelope_of, fmt
from ..reading.units import value_to_wan
from ..model import CellRef, Disclosure, Finding, Severity, Value
from ..rules.relations import column_name
from . import identity
from .facts import Fact, index
from .quoted import about_an_item, change_head, comparison, counterpart_figure, item_subject, quotes, subject_statement

RELATIONS_FILE = Path(__file__).resolve().parent.parent / "schemas" / "data" / "crossdoc.toml"
FAMILY = "跨文件"


@dataclass(frozen=True)
class Relation:
    code: str
    name: str
    check: str
    this: dict
    other: dict
    items: tuple[str, ...] = ()
    doc: str = ""
    basis: tuple[str, ...] | None = None  # narrative checks: the bases of the quoted figures (quoted.BASES, "" = none said)
    severity: Severity = Severity.ERROR  # beyond the rounding envelope (a 预计执行数 is an estimate: 提示)
    options: dict = field(default_factory=dict)  # check-specific arguments (units_columns: rows, compare)


_RELATION_KEYS = {"code", "name", "check", "this", "other", "items", "doc", "basis", "severity"}


@lru_cache(maxsize=1)
def relations() -> tuple[Relation, ...]:
    data = tomllib.loads(RELATIONS_FILE.read_text(encoding="utf-8"))
    out = []
    docs: dict[str, str] = {}
    for r in data["relation"]:
        if r.get("doc"):
            docs[r["code"]] = r["doc"].strip()
        basis = tuple(r["basis"]) if "basis" in r else None
        options = {k: v for k, v in r.items() if k not in _RELATION_KEYS}
        out.append(Relation(r["code"], r["name"], r["check"], dict(r.get("this", {})), dict(r.get("other", {})),
                            tuple(r.get("items", ())), r.get("doc", "").strip(), basis,
                            Severity(r.get("severity", Severity.ERROR.value)), options))
    return tuple(replace(r, doc=docs.get(r.code, "")) for r in out)


def catalogue() -> list[Relation]:
    """One entry per code (for ``czcheck rules`` / ``explain``)."""
    seen: dict[str, Relation] = {}
    for r in relations():
        seen.setdefault(r.code, r)
    return [seen[c] for c in sorted(seen)]


def explain(code: str) -> Relation | None:
    return next((r for r in catalogue() if r.code == code.upper()), None)


# ---------------------------------------------------------------- documents and the pool

@dataclass
class Doc:
    """A disclosure with its identity."""

    disclosure: Disclosure
    key: str  # department identity key
    level: str  # 部门 | 单位
    archive_id: int | None = None

    @property
    def kind(self) -> str | None:
        return self.disclosure.kind

    @property
    def year(self) -> int | None:
        return self.disclosure.year

    @property
    def label(self) -> str:
        d = self.disclosure
        return f"{d.year or '?'}年{d.department or '（未识别部门）'}{self.level}{d.kind or ''}（{Path(d.source).name}）"

    @property
    def short_label(self) -> str:
        d = self.disclosure
        return f"{d.year or '?'}年{d.department or Path(d.source).name}{self.level}{d.kind or ''}"

    def units(self) -> identity.UnitList:
        if "listed_units" not in self.disclosure.cache:
            self.disclosure.cache["listed_units"] = identity.listed_units(self.disclosure)
        return self.disclosure.cache["listed_units"]


@dataclass
class Notes:
    """What could not be checked for want of a counterpart: said once per run, one line per document and
    missing counterpart (“…：未找到 2023年部门预算，跳过 KW103、KW104”)."""

    other: list[str] = field(default_factory=list)
    missing: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (document, counterpart) -> codes

    def add(self, text: str) -> None:
        if text not in self.other:
            self.other.append(text)

    def add_missing(self, doc: "Doc", counterpart: str, code: str) -> None:
        codes = self.missing.setdefault((doc.short_label, counterpart), [])
        if code not in codes:
            codes.append(code)

    GROUP_OVER = 10  # more documents than this lacking counterparts: one line per kind of counterpart

    @property
    def lines(self) -> list[str]:
        if len(self.missing) <= self.GROUP_OVER:
            out = [f"{doc}：未找到{what}，跳过 {'、'.join(codes)}" for (doc, what), codes in self.missing.items()]
            return out + self.other
        # a batch of many departments: “37 份文件未找到对应年度部门预算，跳过 KW103、KW104（烟台…、淄博…、… 等）”
        groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        for (doc, what), codes in self.missing.items():
            generic = re.sub(r"\s*\d{4}年度?", "对应年度", what, count=1).strip()  # each document has its own year
            groups.setdefault((generic, tuple(codes)), []).append(doc)
        out = []
        for (what, codes), docs in groups.items():
            shown = "、".join(docs[:3]) + (" 等" if len(docs) > 3 else "")
            out.append(f"{len(docs)} 份文件未找到{what}，跳过 {'、'.join(codes)}（{shown}）")
        return out + self.other


class Pool:
    """Where counterparts are looked for: documents in memory first, then the archive."""

    def __init__(self, archive=None, mapping: identity.Mapping | None = None):
        self.archive = archive
        self.mapping = mapping or (archive.mapping if archive is not None else identity.Mapping())
        self.memory: list[Doc] = []
        self._loaded: dict[int, Doc] = {}
        self._asked: dict[tuple, list] = {}
        self.identity_notes: list[str] = []
        # (document outside the run, document of the run, finding as declared on the former): filled by run()
        self.said_backwards: list[tuple[Doc, Doc, Finding]] = []

    def _known(self) -> set[str]:
        known = {d.key for d in self.memory}
        if self.archive is not None:
            known |= self.archive.known_departments()
        return known

    def identify(self, d: Disclosure) -> Doc:
        res = identity.resolve(d.department, self._known(), self.mapping)
        if res.describe():
            self.identity_notes.append(f"{Path(d.source).name}：{res.describe()}")
        key = res.key or f"（未关联）{identity.normalise(d.department)}"
        return Doc(d, key, identity.level_of(d), d.cache.get("archive_id"))

    def add(self, d: Disclosure) -> Doc:
        doc = self.identify(d)
        self.memory.append(doc)
        return doc

    def find(self, key: str, kind: str | None, year: int | None, level: str | None, exclude: Doc | None = None) -> list[Doc]:
        if year is None or kind is None:
            return []
        found = [m for m in self.memory if m is not exclude and m.key == key and m.kind == kind and m.year == year
                 and (level is None or m.level == level)]
        if found:
            return found
        if self.archive is None:
            return []
        out = []
        asked = (key, year, kind, level)
        if asked not in self._asked:  # the relations ask the same question many times; the archive is not changing
            self._asked[asked] = self.archive.documents(dept_key=key, year=year, kind=kind, level=level)
        for info in self._asked[asked]:
            if exclude is not None and exclude.archive_id == info.id:
                continue
            out.append(self._load(info.id))
        return out

    def _load(self, doc_id: int) -> Doc:
        if doc_id not in self._loaded:
            d = self.archive.load(doc_id)
            self._loaded[doc_id] = Doc(d, d.cache["archive_dept_key"], d.cache["archive_level"], doc_id)
        return self._loaded[doc_id]

    def units_of(self, dept: Doc) -> tuple[list[Doc], list[str]]:
        """(unit documents present, expected unit keys missing) for a 部门 document."""
        listed = dept.units()
        expected = [self.mapping.canonical(u) for u in listed.separate]
        expected += sorted(self.mapping.units.get(dept.key, set()) - set(expected))
        if not expected:
            expected = [dept.key]  # no list: at least the department's own 本部 unit
        present, missing = [], []
        for key in expected:
            found = self.find(key, dept.kind, dept.year, identity.LEVEL_UNIT)
            if found:
                present.extend(f for f in found if f not in present)
            else:
                missing.append(key)
        return present, missing

    def parents_of(self, unit: Doc) -> list[Doc]:
        """部门 documents (same kind and year) that list this unit, or share its name (本部)."""
        if unit.kind is None or unit.year is None:
            return []
        candidates = [m for m in self.memory if m.level == identity.LEVEL_DEPARTMENT and m.kind == unit.kind and m.year == unit.year]
        if self.archive is not None:
            seen = {m.archive_id for m in candidates if m.archive_id}
            for info in self.archive.departments_listing(unit.key, unit.kind, unit.year):
                if info.id not in seen:
                    candidates.append(self._load(info.id))
        out = []
        for dept in candidates:
            listed = {self.mapping.canonical(u) for u in dept.units().separate} | self.mapping.units.get(dept.key, set())
            if unit.key == dept.key or unit.key in listed:
                out.append(dept)
        return out


# ---------------------------------------------------------------- checking

def _severity(diff: Decimal, values: Iterable[Value], extra: Decimal = Decimal(0),
              default: Severity = Severity.ERROR) -> Severity | None:
    """The one policy (rules.relations.verdict): None when equal; 尾差 inside the rounding envelope of the
    values involved (plus ``extra``, a narrative figure's printed precision); else ``default`` (错误)."""
    from ..rules.relations import verdict

    return verdict(diff, envelope_of(values) + extra, incomplete=False, explain="any", default=default)


def _subst(text: str, year: int, item: str | None) -> str:
    text = text.replace("{Y}", str(year)).replace("{Y-1}", str(year - 1))
    return text.replace("{item}", item) if item is not None else text


def _where(f: Fact, doc: "Doc | None" = None) -> str:
    row = f.row.split(":", 1)[-1] if ":" in f.row else f.row
    return f"{f.table}“{row}”{column_name(f.column)}（{_ref(doc, f.ref)}）"


def _ref(doc: "Doc | None", ref: CellRef) -> str:
    """A cell as its document names it: a PDF's by page (as the PDF door says it), a workbook's by address."""
    return _on_page(doc.disclosure, ref)[1] if doc is not None else str(ref)


def _finding(rel: Relation, severity: Severity, message: str, cells: list[CellRef], *, expected, actual, diff,
             other: Doc | None = None, other_cells: list[CellRef] = (), table: str | None,
             others: list[tuple[Doc, list[CellRef]]] | None = None) -> Finding:
    """``evidence["counterparts"]``: every other document involved with its cells (the first also as "counterpart")."""
    if severity is Severity.ROUNDING:
        message += "（在四舍五入尾差范围内）"
    pairs = others if others is not None else [(other, list(other_cells))]
    evidence = _described(pairs)
    evidence[_REFS] = [(doc, list(cs)) for doc, cs in pairs]  # for the reverse direction; removed by run()
    return Finding(code=rel.code, severity=severity, message=message, cells=cells, expected=expected, actual=actual,
                   difference=diff, rule_name=rel.name, table=table, evidence=evidence)


_REFS = "_counterpart_refs"
CHECKED_QUOTES = "crossdoc_checked_quotes"  # (cell, clause) of quoted figures a counterpart document settled


def _described(pairs: list[tuple[Doc, list[CellRef]]]) -> dict:
    """``evidence["counterparts"]``: each other document (path, department, year, kind, level) with its cells
    (and their PDF pages, for a PDF); the first one also as ``counterpart``."""
    described = [counterpart_dict(doc, cs) for doc, cs in pairs if doc is not None]
    return {"counterpart": described[0], "counterparts": described} if described else {}


def counterpart_dict(doc: Doc, cells: list[CellRef]) -> dict:
    d = doc.disclosure
    pages, shown = [], []
    for c in cells:
        page, text = _on_page(d, c)
        pages.append(page)
        shown.append(text)
    out = {"source": d.source, "label": doc.label, "department": d.department, "year": d.year, "kind": d.kind,
           "level": doc.level, "cells": shown}
    if any(p is not None for p in pages):
        out["pages"] = pages
    if doc.archive_id is not None:
        out["archive_id"] = doc.archive_id
    return out


def _on_page(d: Disclosure, c: CellRef) -> tuple[int | None, str]:
    """(page, text) of a counterpart's cell: a PDF's cells are named by page, row and column (as the PDF door
    names them); an archived PDF's cells keep their page."""
    if getattr(c, "page", None):
        return c.page, str(c)
    w = (d.cache.get("pdf_where") or {}).get((c.sheet, c.row, c.col))
    if w is not None and isinstance(getattr(w, "page", None), int):
        try:
            from ..reading.pdf.locate import PdfRef
        except ImportError:
            return w.page, f"第{w.page}页 {c}"
        return w.page, str(PdfRef(c.sheet, c.row, c.col, w.page, w.box, w.label, w.column))
    page = (d.cache.get("cell_pages") or {}).get((c.sheet, c.row, c.col))
    return (page, f"第{page}页 {c.sheet}（{c.address}）") if page else (None, str(c))


def _applies(op: dict, doc: Doc) -> bool:
    return (op.get("kind") in (None, "same", doc.kind)) and (op.get("level") in (None, "same", doc.level))


def _counterparts(rel: Relation, doc: Doc, pool: Pool, notes: Notes) -> list[Doc]:
    o = rel.other
    kind = doc.kind if o.get("kind") in (None, "same") else o["kind"]
    level = doc.level if o.get("level") in (None, "same") else o["level"]
    year = (doc.year + int(o.get("year", 0))) if doc.year is not None else None
    found = pool.find(doc.key, kind, year, level, exclude=doc)
    if not found:
        notes.add_missing(doc, f" {year or '?'}年{level}{kind}", rel.code)
    elif len(found) > 1:
        notes.add(f"{doc.disclosure.department}：{year}年{level}{kind}有 {len(found)} 份，无法确定对照哪一份，跳过 {rel.code}")
        return []
    return found


def check(doc: Doc, pool: Pool, notes: Notes) -> list[Finding]:
    """Every declared relation that applies to ``doc``, against the counterparts the pool holds."""
    out: list[Finding] = []
    if doc.year is None or doc.kind is None:
        notes.add(f"{Path(doc.disclosure.source).name}：未识别年度或公开类型，跳过跨文件核对")
        return out
    if doc.key.startswith("（未关联）"):
        notes.add(f"{Path(doc.disclosure.source).name}：部门未能唯一识别，跳过跨文件核对")
        return out
    done_units = False
    for rel in relations():
        if not _applies(rel.this, doc):
            continue
        if rel.check == "equal":
            for other in _counterparts(rel, doc, pool, notes):
                out.extend(_equal(rel, doc, other))
        elif rel.check == "narrative_change":
            for other in _counterparts(rel, doc, pool, notes):
                out.extend(_narrative_change(rel, doc, other))
        elif rel.check == "narrative_quoted":
            forms = rel.options.get("forms", ("amount", "change"))
            if any(q.year == doc.year + int(rel.other.get("year", 0)) and q.basis in (rel.basis or ()) and q.form in forms
                   for q in quotes(doc.disclosure)):
                for other in _counterparts(rel, doc, pool, notes):  # asked for only when the narrative quotes one
                    out.extend(_narrative_quoted(rel, doc, other))
        elif rel.check == "narrative_budget":
            for other in _counterparts(rel, doc, pool, notes):
                out.extend(_narrative_budget(rel, doc, other))
        elif rel.check == "units_sum" and not done_units:
            done_units = True
            out.extend(_units(rel, doc, pool, notes))
        elif rel.check == "units_columns":
            out.extend(_units_columns(rel, doc, pool))
        elif rel.check == "unit_within":
            parents = pool.parents_of(doc)
            if not parents:
                notes.add_missing(doc, f"所属部门的 {doc.year}年部门{doc.kind}", rel.code)
            elif len(parents) > 1:
                notes.add(f"{doc.disclosure.department}：可归属多个部门（{'、'.join(p.disclosure.department or '' for p in parents)}），未自动关联，跳过 {rel.code}")
            else:
                out.extend(_within(rel, doc, parents[0], unit_is_this=True))
    return out


def _pairs(rel: Relation, doc: Doc, other: Doc) -> Iterable[tuple[Fact, Fact]]:
    mine, theirs = index(doc.disclosure), index(other.disclosure)
    for item in rel.items or (None,):
        t_table, o_table = rel.this["table"], rel.other.get("table", rel.this["table"])
        t_col, o_col = _subst(rel.this["column"], doc.year, item), _subst(rel.other["column"], doc.year, item)
        if rel.this.get("row", "*") == "*":
            for (table, row, col), f in mine.items():
                if table == t_table and col == t_col:
                    g = theirs.get((o_table, row, o_col))
                    if g is not None:
                        yield f, g
        else:
            f = mine.get((t_table, _subst(rel.this["row"], doc.year, item), t_col))
            g = theirs.get((o_table, _subst(rel.other["row"], doc.year, item), o_col))
            if f is not None and g is not None:
                yield f, g


def _equal(rel: Relation, doc: Doc, other: Doc) -> Iterable[Finding]:
    for f, g in _pairs(rel, doc, other):
        if f.value.problem or g.value.problem or (f.value.blank and g.value.blank):
            continue
        a, b = f.value.number, g.value.number
        sev = _severity(a - b, [f.value, g.value])
        if sev is None:
            continue
        yield _finding(rel, sev, f"{rel.name}：本文件{_where(f, doc)} {fmt(a)}，{other.label}{_where(g, other)} {fmt(b)}，相差 {fmt(a - b)}",
                       [f.ref], expected=b, actual=a, diff=a - b, other=other, other_cells=[g.ref], table=f.table)


# ---- narrative: “比上年增加 X 万元”

def _narrative_change(rel: Relation, doc: Doc, other: Doc) -> Iterable[Finding]:
    from ..rules.narrative import linked_statements, resolve, statements

    d, p = doc.disclosure, other.disclosure
    sts = statements(d)
    linked = linked_statements(d)
    by_ref_d, by_ref_p = _values_by_ref(d), _values_by_ref(p)
    for st in sts:
        if st.kind not in ("change", "same_as_last_year"):
            continue
        if st.kind == "change" and (st.amount is None or st.unit is None or st.direction == "持平"):
            continue
        years = [int(y) for y in re.findall(r"(\d{4})年", st.text)]
        if any(y != other.year for y in years):
            continue  # “比2024年预算” in a 2024 决算: compared with another figure, not last year's document
        if rel.basis is not None and comparison(d, st)[1] not in rel.basis:
            continue  # “比2024年执行数”: compared with the 决算 (KW109), not with last year's 预算
        head = _head(st, sts, linked)
        if head is None:
            continue
        cur, half_cur = _own_figure(d, head, sts, linked)
        looked_up = head
        if about_an_item(d, head):  # “（项）。…支出决算为…，比上年增加…”: that 项 on the other document, by its names
            named = item_subject(d, head)
            if named is None:
                continue
            looked_up = replace(head, subject=named)
        prev, half_prev = resolve(p, replace(looked_up, year=None), statements(p)), Decimal(0)  # p: last year's document
        if prev is not None and "上限" in prev.what:  # a 决算's 机关运行经费: its narrative states it, its tables bound it
            prev, half_prev = counterpart_figure(p, head)
        if cur is None or prev is None:
            continue
        if st.kind == "same_as_last_year" and "基本" in st.text:
            continue  # “基本持平” allows a change the text does not quantify
        values = [by_ref_d[c] for c in cur.cells if c in by_ref_d] + [by_ref_p[c] for c in prev.cells if c in by_ref_p]
        f = _change_finding(rel, st, _stated_change(st), cur, prev, f"{prev.what} {fmt(prev.amount)}", values,
                            st.written_half_wan + half_cur + half_prev, other)
        if f is not None:
            yield f


def _stated_change(st) -> Decimal:
    """The change a statement states, signed, in 万元 (持平: 0)."""
    if st.kind == "same_as_last_year":
        return Decimal(0)
    return st.amount_wan if st.direction == "增加" else -st.amount_wan


def _change_finding(rel: Relation, st, stated: Decimal, cur, prev, prev_text: str, values: list[Value],
                    quantum: Decimal, other: "Doc", default: Severity = Severity.ERROR) -> Finding | None:
    """A stated change against this document's figure ``cur`` and the other year's ``prev`` (shown as
    ``prev_text``): None when it holds, else the finding (尾差 inside the envelope of ``values`` + ``quantum``)."""
    delta = cur.amount - prev.amount
    diff = stated - delta
    sev = _severity(diff, values or [Value(None, None, st.ref)] * 2, quantum, default)
    if sev is None:
        return None
    word = "增加" if delta >= 0 else "减少"
    return _finding(rel, sev, f"{rel.name}：本文件情况说明“{st.text}”；本文件{cur.what} {fmt(cur.amount)}，{other.label}{prev_text}"
                              f"，应为{word} {fmt(abs(delta))} 万元",
                    [st.ref], expected=delta, actual=stated, diff=diff, other=other, other_cells=prev.cells, table=None)


def _own_figure(d: Disclosure, head, sts, linked):
    """(figure, extra tolerance) of this document that a change statement is about: the table figure its head
    statement links to, or, where the tables only bound it (a 决算's 机关运行经费), the head's own stated amount."""
    from ..rules.narrative import Figure, resolve

    real = head.index < len(sts) and sts[head.index] is head
    fig = (linked.get(head.index) if real else None) or resolve(d, head, sts)
    if (fig is None or "上限" in fig.what) and real and head.amount_wan is not None:
        half = head.half_wan
        return Figure(head.amount_wan, [head.ref], f"情况说明“{head.text}”"), half
    return fig, Decimal(0)


def _narrative_quoted(rel: Relation, doc: Doc, other: Doc) -> Iterable[Finding]:
    """Another year's figure the narrative quotes (“2025年预计执行数5.70万元”, “比2025年执行数减少0.50万元”)
    against that year's document: its 决算 for 执行数, its 预算 for 预算数 (as the relation declares)."""
    from ..rules.narrative import linked_statements, statements

    d = doc.disclosure
    sts = statements(d)
    linked = linked_statements(d)
    by_ref_d = _values_by_ref(d)
    by_ref_p = _values_by_ref(other.disclosure)
    for q in quotes(d):
        if q.year != other.year or q.basis not in (rel.basis or ()) or q.form not in rel.options.get("forms", ("amount", "change")):
            continue
        st = q.statement
        named = subject_statement(q, sts, d)
        if named is None:
            continue
        basis = q.basis or "数"
        if q.form == "amount":
            fig, half = counterpart_figure(other.disclosure, named)
            if fig is None:
                continue
            d.cache.setdefault(CHECKED_QUOTES, set()).add((st.ref, st.text))  # WB609 need not ask for it by hand
            values = [by_ref_p[c] for c in fig.cells if c in by_ref_p]
            stated, value = st.amount_wan, fig.amount
            diff = stated - value
            sev = _severity(diff, values or [Value(None, None, st.ref)] * 2, q.quantum + half, rel.severity)
            if sev is None:
                continue
            yield _finding(rel, sev, f"{rel.name}：本文件情况说明“{st.text}”（{q.year}年{named.subject}{basis}），"
                                     f"{other.label}{fig.what}为 {fmt(value)} 万元，相差 {fmt(diff)}",
                           [st.ref], expected=value, actual=stated, diff=diff, other=other, other_cells=fig.cells, table=None)
            continue
        if st.kind == "same_as_last_year" and "基本" in st.text:
            continue  # “基本持平” allows a change the text does not quantify
        head = change_head(q, sts)
        if head is None:
            continue
        cur, half_cur = _own_figure(d, head, sts, linked)
        if cur is None:
            continue
        stated = _stated_change(st)
        # the figure the statement implies for the other year (picks the 口径 of a figure printed two ways)
        implied = replace(named, amount=cur.amount - stated, unit="万元", unit_slip=False)
        fig, half = counterpart_figure(other.disclosure, implied)
        if fig is None:
            continue
        d.cache.setdefault(CHECKED_QUOTES, set()).add((st.ref, st.text))
        values = [by_ref_p[c] for c in fig.cells if c in by_ref_p] + [by_ref_d[c] for c in cur.cells if c in by_ref_d]
        f = _change_finding(rel, st, stated, cur, fig, f"{fig.what}（{q.year}年{basis}）{fmt(fig.amount)}", values,
                            q.quantum + half + half_cur, other, rel.severity)
        if f is not None:
            yield f


_COMPARED = re.compile(r"^(比|较|与|同)?(上年|上年度|\d{4}年度?)(预算数?|决算数?|相比)?$")


_ITEM_PATH = re.compile(r"([^\s、,，。:：()（）\-]+?)[(（]类[)）]([^\s、,，。:：()（）]+?)[(（]款[)）]([^\s、,，。:：()（）]+?)[(（]项[)）]")
_OPENING = re.compile(r"年初预算")
_GENERAL_TOTAL = re.compile(r"一般公共预算财政拨款支出")


def _narrative_budget(rel: Relation, doc: Doc, other: Doc) -> Iterable[Finding]:
    """“年初预算数为 X 万元” in a 决算's narrative against the same year's 预算 (total, or the 项 the paragraph names)."""
    from ..rules.narrative import narrative_paragraphs, statements
    from .. import schemas

    d = doc.disclosure
    budget = other.disclosure.table(rel.other["table"])
    if budget is None:
        return
    column = rel.other["column"]
    paragraphs = narrative_paragraphs(d)
    rows = [r for r in budget.data_rows() if r.code]
    by_code = {r.code: r for r in rows}
    for st in statements(d):
        if st.kind != "amount" or st.amount is None or st.unit is None or not _OPENING.search(st.subject) or "决算" in st.subject:
            continue
        text = schemas.norm(paragraphs[st.paragraph].text)
        head = text[: text.find(schemas.norm(st.text)) if schemas.norm(st.text) in text else len(text)]
        path = _ITEM_PATH.findall(head)
        if not path and not _GENERAL_TOTAL.search(st.subject) and st.paragraph > 0:
            path = _ITEM_PATH.findall(schemas.norm(paragraphs[st.paragraph - 1].text))  # “…(项)。” alone on the line before
        if path:
            _cls, kuan, xiang = path[-1]
            found = [r for r in rows if len(r.code) == 7 and schemas.norm(r.label) == xiang
                     and (r.code[:5] not in by_code or schemas.norm(by_code[r.code[:5]].label) == kuan)]
            what = f"一般公共预算支出表“{kuan}/{xiang}”"
            if len(found) > 1:
                continue  # two 项 of that name under that 款 name: not ours to pick
            row = found[0] if found else None
        elif _GENERAL_TOTAL.search(st.subject):
            row, what = budget.total_row(), "一般公共预算支出表合计"
        else:
            continue
        stated = st.amount_wan
        quantum = st.written_half_wan
        value = row.values.get(column) if row is not None else None
        if value is not None:
            value = value_to_wan(other.disclosure.unit, value)  # the narrative states 万元
        if value is not None and value.problem:
            continue
        if value is None:
            if stated == 0:
                continue
            yield _finding(rel, Severity.WARNING, f"{rel.name}：本文件情况说明“{st.text}”（{what}），{other.label}的一般公共预算支出表中没有该科目"
                           + ("（该表有行缺失，可能在缺失的行中）" if budget.truncated else ""),
                           [st.ref], expected=None, actual=stated, diff=None, other=other, other_cells=[], table=None)
            continue
        diff = stated - value.number
        sev = _severity(diff, [value, value], quantum)
        if sev is None:
            continue
        yield _finding(rel, sev, f"{rel.name}：本文件情况说明“{st.text}”；{other.label}{what}（{_ref(other, value.ref)}）为 {fmt(value.number)} 万元，相差 {fmt(diff)}",
                       [st.ref], expected=value.number, actual=stated, diff=diff, other=other, other_cells=[value.ref], table=None)


def _head(st, sts, linked):
    """The amount statement a change statement is about: the nearest earlier amount of the same sentence with
    the same subject (or the change's own subject read as an amount)."""
    subject = _COMPARED.sub("", st.subject)
    for prev in reversed(sts[: st.index]):
        if prev.paragraph != st.paragraph or prev.sentence != st.sentence:
            break
        if prev.kind == "amount" and (not subject or prev.subject == subject):
            return prev
    if subject:
        return replace(st, kind="amount", subject=subject, amount=None, unit=None)
    return None


def _values_by_ref(d: Disclosure) -> dict[CellRef, Value]:
    if "values_by_ref" not in d.cache:
        d.cache["values_by_ref"] = {f.ref: f.value for f in index(d).values()}
    return d.cache["values_by_ref"]


# ---- 部门 and 单位

def _units(rel: Relation, dept: Doc, pool: Pool, notes: Notes) -> list[Finding]:
    present, missing = pool.units_of(dept)
    if not present:
        notes.add_missing(dept, f"所属单位的 {dept.year}年单位{dept.kind}", rel.code)
        return []
    if missing:
        notes.add(f"{dept.disclosure.department}：{dept.year}年所属单位{dept.kind}不全（缺 {'、'.join(missing)}），"
                  f"只核对各单位不超过部门数（KW106）")
        within = next(r for r in relations() if r.check == "unit_within")
        out = [f for u in present for f in _within(within, u, dept, unit_is_this=False)]
        for f in out:
            f.evidence[_SIDE] = True  # the unit's own check says it first when the unit is in the run
        return out
    mine = index(dept.disclosure)
    unit_indexes = [(u, index(u.disclosure)) for u in present]
    keys = list(mine) + [k for _, idx in unit_indexes for k in idx if k not in mine]
    out = []
    merged = dept.units().merged
    for key in dict.fromkeys(keys):
        f = mine.get(key)
        parts = [(u, idx.get(key)) for u, idx in unit_indexes]
        parts = [(u, g) for u, g in parts if g is not None]
        if f is None and all(g.value.blank or g.value.number == 0 for _, g in parts):
            continue
        if (f is not None and f.value.problem) or any(g.value.problem for _, g in parts):
            continue
        if f is None and not _has_column(dept, key):
            continue  # the department does not publish this table or column: nothing to compare with
        total = f.value.number if f is not None else Decimal(0)
        s = sum((g.value.number for _, g in parts), Decimal(0))
        involved = ([f.value] if f is not None else []) + [g.value for _, g in parts]
        sev = _severity(total - s, involved)
        if sev is None:
            continue
        where = _where(f, dept) if f is not None else f"{key[0]}“{key[1]}”{column_name(key[2])}（部门无此行）"
        shown = "；".join(f"{u.disclosure.department} {_ref(u, g.ref)} {fmt(g.value.number)}" for u, g in parts) or "各单位均无此项"
        extra = f"（{'、'.join(merged)}不单列预算，并入本部）" if merged else ""
        out.append(_finding(rel, sev, f"{rel.name}：部门{where} {fmt(total)}，各单位合计 {fmt(s)}（{shown}），相差 {fmt(total - s)}{extra}",
                            [f.ref] if f is not None else [], expected=s, actual=total, diff=total - s, table=key[0],
                            others=[(u, [g.ref]) for u, g in parts] or [(present[0], [])]))
    return out


def _units_columns(rel: Relation, dept: Doc, pool: Pool) -> list[Finding]:
    """A department's cell = Σ over its units of Σ of some columns of another table (a unit 收支总表's 人员/公用/
    项目支出 against the department's 支出总表 or 经济分类 totals), per row: ``{class}`` in the rows runs over every
    功能分类 类 of either side.  All units present: equal (or, with ``compare = "at_most"``, the department's
    figure ≤ the units' — equal when the ``equal_when`` cells of the department agree); some units missing: each
    unit ≤ the department.  Nothing is said when a unit's table does not print those columns (formats that do not
    split them)."""
    present, missing = pool.units_of(dept)
    if not present:
        return []
    t_table, t_col = rel.this["table"], rel.this["column"]
    o_table, columns = rel.other["table"], list(rel.other["columns"])
    table = dept.disclosure.table(t_table)
    if table is None or not table.has(t_col):
        return []
    for u in present:
        ut = u.disclosure.table(o_table)
        if ut is None or not all(ut.has(c) for c in columns):
            return []
    mine = index(dept.disclosure)
    unit_indexes = [(u, index(u.disclosure)) for u in present]
    out: list[Finding] = []
    for this_row, other_row in _column_rows(rel, mine, unit_indexes):
        f = mine.get((t_table, this_row, t_col))
        if f is not None and f.value.problem:
            continue
        parts: list[tuple[Doc, Fact]] = []
        bad = False
        for u, idx in unit_indexes:
            for c in columns:
                g = idx.get((o_table, other_row, c))
                if g is None:
                    continue
                if g.value.problem:
                    bad = True
                parts.append((u, g))
        if bad or (f is None and not parts):
            continue
        total = f.value.number if f is not None else Decimal(0)
        where = _where(f, dept) if f is not None else f"{t_table}“{this_row.split(':', 1)[-1]}”{column_name(t_col)}（部门无此行）"
        cells = [f.ref] if f is not None else []
        if missing:
            for u in present:
                mine_parts = [g for v, g in parts if v is u]
                s = sum((g.value.number for g in mine_parts), Decimal(0))
                if not mine_parts or s <= total:
                    continue
                sev = _severity(s - total, ([f.value] if f is not None else []) + [g.value for g in mine_parts])
                if sev is None:
                    continue
                shown = "、".join(f"{column_name(g.column)} {_ref(u, g.ref)} {fmt(g.value.number)}" for g in mine_parts)
                out.append(_finding(rel, sev, f"{rel.name}：单位{u.label}{o_table}（{shown}）合计 {fmt(s)}，超过部门{where} {fmt(total)}，"
                                              f"多 {fmt(s - total)}（所属单位不全，只核对不超过）",
                                    cells, expected=total, actual=s, diff=s - total, table=t_table, others=[(u, [g.ref for g in mine_parts])]))
            continue
        s = sum((g.value.number for _, g in parts), Decimal(0))
        diff = total - s
        if rel.options.get("compare") == "at_most" and not _equal_when(rel, mine) and diff <= 0:
            continue  # the department's figure may be smaller (another fund's part is not in it)
        sev = _severity(diff, ([f.value] if f is not None else []) + [g.value for _, g in parts])
        if sev is None:
            continue
        shown = "；".join(f"{u.disclosure.department} {column_name(g.column)} {_ref(u, g.ref)} {fmt(g.value.number)}" for u, g in parts) or "各单位均无此项"
        out.append(_finding(rel, sev, f"{rel.name}：部门{where} {fmt(total)}，所属单位{o_table}合计 {fmt(s)}（{shown}），相差 {fmt(diff)}",
                            cells, expected=s, actual=total, diff=diff, table=t_table,
                            others=[(u, [g.ref for v, g in parts if v is u]) for u in present]))
    return out


_CLASS = "{class}"


def _column_rows(rel: Relation, mine: dict, unit_indexes: list) -> list[tuple[str, str]]:
    """(this row key, other row key) pairs: the declared one, or one per 功能分类 类 when the rows hold {class}."""
    t_row, o_row = rel.this["row"], rel.other["row"]
    if _CLASS not in t_row:
        return [(t_row, o_row)]
    t_pat = re.compile("^" + re.escape(t_row).replace(re.escape(_CLASS), r"(\d{3})") + "$")
    o_pat = re.compile("^" + re.escape(o_row).replace(re.escape(_CLASS), r"(\d{3})") + "$")
    classes = {m.group(1) for (table, row, _c) in mine if table == rel.this["table"] and (m := t_pat.match(row))}
    for _u, idx in unit_indexes:
        classes |= {m.group(1) for (table, row, _c) in idx if table == rel.other["table"] and (m := o_pat.match(row))}
    return [(t_row.replace(_CLASS, c), o_row.replace(_CLASS, c)) for c in sorted(classes)]


def _equal_when(rel: Relation, mine: dict) -> bool:
    """``equal_when = [[table, row, column], [table, row, column]]``: the department's two cells agree (exactly)."""
    cells = rel.options.get("equal_when")
    if not cells:
        return False
    facts = [mine.get(tuple(c)) for c in cells]
    if any(f is None or f.value.problem for f in facts):
        return False
    return len({f.value.number for f in facts}) == 1


def _within(rel: Relation, unit: Doc, dept: Doc, *, unit_is_this: bool) -> list[Finding]:
    """unit ≤ department on every shared line.  Findings sit on the document being checked."""
    mine, theirs = index(unit.disclosure), index(dept.disclosure)
    out = []
    for key, g in mine.items():
        f = theirs.get(key)
        if g.value.problem or g.value.blank or g.value.number <= 0:
            continue
        if f is not None and f.value.problem:
            continue
        if f is None and not _has_column(dept, key):
            continue  # e.g. a unit 收支总表's 人员/公用/项目 columns, which the department's does not print
        d_amount = f.value.number if f is not None else Decimal(0)
        excess = g.value.number - d_amount
        if excess <= 0:
            continue
        sev = _severity(excess, [g.value] + ([f.value] if f is not None else []))
        d_where = _where(f, dept) if f is not None else f"{key[0]}（无此行）"
        msg = f"{rel.name}：单位{unit.label}{_where(g, unit)} {fmt(g.value.number)}，超过部门{dept.label}{d_where} {fmt(d_amount)}，多 {fmt(excess)}"
        if unit_is_this:
            out.append(_finding(rel, sev, msg, [g.ref], expected=d_amount, actual=g.value.number, diff=excess,
                                other=dept, other_cells=[f.ref] if f is not None else [], table=key[0]))
        else:
            out.append(_finding(rel, sev, msg, [f.ref] if f is not None else [], expected=d_amount, actual=g.value.number,
                                diff=excess, other=unit, other_cells=[g.ref], table=key[0]))
    return out


def _has_column(doc: Doc, key: tuple[str, str, str]) -> bool:
    table = doc.disclosure.table(key[0])
    return table is not None and table.has(key[2])


def run(docs: list[Doc], pool: Pool) -> tuple[dict[int, list[Finding]], Notes]:
    """Check each document; returns findings by position in ``docs`` and the run's notes.

    Both directions: a document is checked against its counterparts (forward), and, where it is itself the
    counterpart of a document that is not in this run (last year's 预算 when next year's is in the archive, a
    unit whose department is archived), the relations declared on that document are checked too and said on
    this one (reverse).  Each relation between two cells is said once per run: forward before reverse, the
    document the relation is declared on before the other."""
    notes = Notes()
    in_run = {id(doc) for doc in docs}
    said: list[tuple[int, int, Finding]] = []  # (priority, position in docs, finding)
    for i, doc in enumerate(docs):
        said.extend((_priority(f), i, f) for f in _guarded(check, doc, notes, pool, notes))
    for i, doc in enumerate(docs):
        said.extend((2, i, f) for f in _guarded(reverse, doc, notes, pool, in_run))
    found: dict[int, list[Finding]] = {i: [] for i in range(len(docs))}
    seen: set = set()
    for _prio, i, f in sorted(said, key=lambda t: (t[0], t[1])):
        key = _said_key(docs[i], f)
        if key in seen:
            continue
        seen.add(key)
        f.evidence.pop(_REFS, None)
        f.evidence.pop(_SIDE, None)
        forward = f.evidence.pop(_FORWARD, None)
        if forward is not None:  # said on this document; the archived document it is declared on keeps it too
            x, g = forward
            g.evidence.pop(_REFS, None)
            pool.said_backwards.append((x, docs[i], g))
        found[i].append(f)
    for line in pool.identity_notes:
        notes.add(line)
    return found, notes


def _guarded(func, doc: Doc, notes: Notes, *args) -> list[Finding]:
    """One document's cross-document checks; a document they cannot handle is said in Chinese (once) and the run
    goes on with the other documents: never a traceback for a user's file."""
    try:
        return list(func(doc, *args))
    except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as exc:
        notes.add(f"{doc.short_label}：跨文件核对未能完成（{type(exc).__name__}），请人工核对与其他文件的关系")
        return []


_SIDE = "_said_from_the_other_side"
_FORWARD = "_as_declared"


def _priority(f: Finding) -> int:
    return 1 if f.evidence.get(_SIDE) else 0


def _said_key(doc: Doc, f: Finding) -> tuple:
    cells = {(doc.disclosure.source, str(c)) for c in f.cells}
    for other, refs in f.evidence.get(_REFS, []):
        cells |= {(other.disclosure.source, str(c)) for c in refs}
    # two statements of one paragraph share its cell: their figures tell them apart
    figures = tuple(sorted(str(x) for x in (f.expected, f.actual)))
    return f.code, frozenset(cells), figures, f.message if not cells else ""


def _other_shape(rel: Relation, d: Doc) -> tuple[str, str, int] | None:
    """(kind, level, year) of the documents whose counterpart ``d`` is under ``rel``; None when it cannot be one."""
    o, t = rel.other, rel.this
    if d.kind is None or d.year is None:
        return None
    shape = []
    for name in ("kind", "level"):  # the same field as ``d``'s, or the one ``this`` names when ``other`` names d's
        mine = getattr(d, name)
        if o.get(name) in (None, "same"):
            if t.get(name) not in (None, mine):
                return None
            shape.append(mine)
        else:
            if o[name] != mine or t.get(name) is None:
                return None
            shape.append(t[name])
    return shape[0], shape[1], d.year - int(o.get("year", 0))


def reverse(doc: Doc, pool: Pool, in_run: set[int]) -> list[Finding]:
    """The relations of which ``doc`` is the counterpart, checked on the documents outside the run that declare
    them (so the order in which documents arrive in the archive does not matter), said on ``doc``."""
    out: list[Finding] = []
    if doc.key.startswith("（未关联）"):
        return out
    for rel in relations():
        shape = _other_shape(rel, doc)
        if shape is None:
            continue
        kind, level, year = shape
        if rel.check in ("units_sum", "units_columns"):
            candidates = pool.parents_of(doc)  # doc is a unit; the relation is its department's
        elif rel.check == "unit_within":
            candidates = pool.units_of(doc)[0]  # doc is a department; the relation is each unit's
        else:
            candidates = pool.find(doc.key, kind, year, level, exclude=doc)
        for x in candidates:
            if id(x) in in_run or x is doc or x.key.startswith("（未关联）") or x.year is None or x.kind is None:
                continue
            if not _applies(rel.this, x):
                continue
            for f in _evaluate(rel, x, doc, pool):
                refs = f.evidence.get(_REFS, [])
                if any(o is doc for o, _ in refs):
                    out.append(_flip(f, x, doc))
    return out


def _evaluate(rel: Relation, x: Doc, counterpart: Doc, pool: Pool) -> list[Finding]:
    """One declared relation of ``x`` against ``counterpart`` (or, for 部门/单位, against all of x's units)."""
    if rel.check == "equal":
        return list(_equal(rel, x, counterpart))
    if rel.check == "narrative_change":
        return list(_narrative_change(rel, x, counterpart))
    if rel.check == "narrative_quoted":
        return list(_narrative_quoted(rel, x, counterpart))
    if rel.check == "narrative_budget":
        return list(_narrative_budget(rel, x, counterpart))
    if rel.check == "units_sum":
        return _units(rel, x, pool, Notes())
    if rel.check == "units_columns":
        return _units_columns(rel, x, pool)
    if rel.check == "unit_within":
        return _within(rel, x, counterpart, unit_is_this=True)
    return []


def _flip(f: Finding, x: Doc, doc: Doc) -> Finding:
    """A finding of ``x`` said on its counterpart ``doc``: doc's cells become the finding's, x's the counterpart's."""
    refs = f.evidence.get(_REFS, [])
    mine = [c for o, cs in refs if o is doc for c in cs]
    others = [(x, list(f.cells))] + [(o, cs) for o, cs in refs if o is not doc]
    message = f.message.replace("本文件", x.label) if "本文件" in f.message else f"{f.message}（见{x.label}）"
    evidence = _described(others)
    evidence[_REFS] = others
    evidence[_FORWARD] = (x, f)
    return Finding(code=f.code, severity=f.severity, message=message, cells=mine, expected=f.actual, actual=f.expected,
                   difference=None if f.difference is None else -f.difference, rule_name=f.rule_name, table=f.table,
                   evidence=evidence)
