"""文表一致 family: every figure the narrative (情况说明) restates agrees with the tables."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property, lru_cache

from .. import schemas
from ..amounts import envelope, envelope_of, fmt
from ..model import CellRef, Disclosure, Paragraph, Severity, Value
from ..narrative import HEADING_OPENING, NarrativeText, Statement, extract, narrative_text
from ..reading.units import UNIT_YUAN, to_wan, value_to_wan
from . import Context, rule
from . import _performance as perf
from .relations import sangong_years

NARRATIVE_EXCLUDE = re.compile(r"概况|名词解释|目录|绩效目标表|附件|附表")
# subjects that name no particular figure ("年初预算数为…"): never "the same figure stated twice"
GENERIC_SUBJECT = re.compile(r"^(年初|全年|调整后?)?(支出|收入)?(预算|决算|执行)?数?$|^(采购|合同)?(金额|资金|合计|共计)$")


@dataclass
class Figure:
    """A table figure a statement is compared with."""

    amount: Decimal
    cells: list[CellRef]
    what: str  # Chinese description, e.g. "收支总表收入总计"
    values: list[Value] = field(default_factory=list)  # the printed values (their half_ulp), when known
    source: tuple[str, str] | None = None  # (table kind, column key) of a total-row figure


class NarrativeView:
    """What the rules read of a disclosure's 情况说明, computed once (``d.view(NarrativeView)``): its
    paragraphs, their headings and 绩效 part, the statements extracted from them, the table figure each
    restates and the unit slips.  The extraction itself is validators/narrative.py's."""

    def __init__(self, d: Disclosure) -> None:
        self.d = d
        self._statements: list[Statement] | None = None
        self._unit_slips: set[int] | None = None
        self._linked: dict[int, Figure] | None = None

    @cached_property
    def _places(self) -> tuple[list[Paragraph], list[int], NarrativeText]:
        """The paragraphs, their indexes in the narrative, and the joined text they were taken from."""
        nt = narrative_text(self.d)
        narrative, sections = self.d.narrative, nt.sections
        excluded = {s for s in nt.first_of_sections() if NARRATIVE_EXCLUDE.search(s)}  # per distinct section
        indexes = [i for i in nt.prose if sections[i] not in excluded] if excluded else nt.prose
        return [narrative[i] for i in indexes], indexes, nt

    @property
    def paragraphs(self) -> list[Paragraph]:
        """The 情况说明 part: not 部门概况 or 名词解释, not table rows carried as text."""
        return self._places[0]

    @cached_property
    def _heading_marks(self) -> tuple[list[str], set[int]]:
        """``headings`` and ``performance``, from the headings alone: only paragraphs opening as a
        heading does (NarrativeText.opening_with, a superset of _HEADING's matches) are stripped and
        matched; between two headings every paragraph sits under the first."""
        paragraphs, indexes, nt = self._places
        position = {i: j for j, i in enumerate(indexes)}  # narrative index -> index among the paragraphs
        marks = []  # (position, heading text) of each top-level heading, in order
        for i in nt.opening_with(HEADING_OPENING):
            j = position.get(i)
            if j is not None:
                text = paragraphs[j].text.strip()
                if _HEADING.match(text) and len(text) < 40:
                    marks.append((j, text))
        out: list[str] = []
        performance: set[int] = set()
        heading, start = "", 0
        for j, text in marks + [(len(paragraphs), "")]:
            out += [heading] * (j - start)
            if "绩效" in heading:  # a 绩效 heading (“inside”) reaches to the next top-level heading
                performance.update(range(start, j))
            heading, start = text, j
        in_section = {s for s in {p.section for p in paragraphs} if "绩效" in s}  # per distinct section
        if in_section:
            performance.update(j for j, p in enumerate(paragraphs) if p.section in in_section)
        return out, performance

    @property
    def headings(self) -> list[str]:
        """The top-level heading each paragraph sits under ("八、政府性基金预算财政拨款…")."""
        return self._heading_marks[0]

    @property
    def performance(self) -> set[int]:
        """Indexes of paragraphs under a 绩效 heading: project indicators (指标值、完成值), not
        restatements of the tables."""
        return self._heading_marks[1]

    @property
    def statements(self) -> list[Statement]:
        """The statements, unit slips marked (the linker reads them before the marks: see unit_slips)."""
        if self._statements is None:
            self._statements = extract(self.paragraphs)
            for index in self.unit_slips:
                self._statements[index].unit_slip = True
        return self._statements

    @property
    def unit_slips(self) -> set[int]:
        if self._unit_slips is None:
            sts = self.statements if self._statements is None else self._statements
            self._unit_slips = set()  # guards the linker, which reads the statements, against recursion
            self._unit_slips = {i for i, fig in self.linked.items() if is_unit_slip(sts[i], fig.amount)}
        return self._unit_slips

    @property
    def linked(self) -> dict[int, Figure]:
        if self._linked is None and self._statements is None:
            self.statements  # extracting marks the unit slips, which links: asked first, it linked twice
        if self._linked is None:
            self._linked = _link(self.d)
        return self._linked


def narrative_paragraphs(d: Disclosure) -> list[Paragraph]:
    """The 情况说明 part: not 部门概况 or 名词解释, not table rows carried as text."""
    return d.view(NarrativeView).paragraphs


def statements(d: Disclosure) -> list[Statement]:
    """The narrative's statements (extracted once per disclosure), unit slips marked: a statement
    whose number is its table figure in the other unit carries ``unit_slip`` and is read as meant by
    every rule but WB602, which reports the slip once."""
    return d.view(NarrativeView).statements


_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|第[一二三四五六七八九十]+部分)")  # top level, not "- 一、" sub-items


def paragraph_headings(d: Disclosure) -> list[str]:
    """The top-level heading each 情况说明 paragraph sits under ("八、政府性基金预算财政拨款…")."""
    return d.view(NarrativeView).headings


def performance_paragraphs(d: Disclosure) -> set[int]:
    """Indexes (in narrative_paragraphs order) of paragraphs under a 绩效 heading: project
    indicators (指标值、完成值), not restatements of the tables."""
    return d.view(NarrativeView).performance


# ---- figures ---------------------------------------------------------------------------------

def _sum(values: list[Value | None], what: str) -> Figure | None:
    present = [v for v in values if v is not None and not v.problem]
    if not present:
        return None
    return Figure(sum((v.number for v in present), Decimal(0)), [v.ref for v in present], what, present)


def ledger_figure(d: Disclosure, kind: str, key: str, side: str, role: str = "合计") -> Figure | None:
    t = d.table(kind)
    line = t.line(key, side) if t else None
    if line is None:
        return None
    vals = [v for k, v in line.values.items() if k == role or k.startswith(role + "@")]
    fig = _sum(vals, f"{kind}“{line.label}”")
    if fig is not None and role == "合计":
        fig.source = (kind, f"line:{side}:{key}")
    return fig


def _sum_lines(d: Disclosure, kind: str, keys: tuple[str, ...], what: str) -> Figure | None:
    figures = [f for k in keys if (f := ledger_figure(d, kind, k, "收入")) is not None]
    if not figures:
        return None
    return Figure(sum((f.amount for f in figures), Decimal(0)), [c for f in figures for c in f.cells], what,
                  [v for f in figures for v in f.values])


def _total(d: Disclosure, kind: str, key: str) -> Figure | None:
    t = d.table(kind)
    row = t.total_row() if t else None
    if row is None or key not in row.values:
        return None
    fig = _sum([row.values[key]], f"{kind}合计行{key}")
    if fig is not None:
        fig.source = (kind, key)
    return fig


def _class_row(d: Disclosure, kind: str, code: str) -> Figure | None:
    t = d.table(kind)
    row = t.by_code().get(code) if t else None
    if row is None or "合计" not in row.values:
        return None
    return _sum([row.values["合计"]], f"{kind}“{code} {row.label}”")


def sangong_figure(d: Disclosure, role: str, year: str = "cur", st: Statement | None = None) -> Figure | None:
    t = d.table(schemas.subjects()["sangong"]["table"])
    if t is None:
        return None
    prev, cur, final = _sangong_groups(t)
    group = cur if year == "cur" else prev
    said_budget = st is not None and _SAID_BUDGET.search(schemas.norm(st.subject)) is not None
    if final and year == "cur" and not (said_budget and "决算" not in st.subject):
        group = final  # a 决算 narrative states the 决算数 unless it says 预算数
    first = next(t.data_rows(), None)
    if group is None or first is None:
        return None
    return _sum([first.values.get(f"{role}@{group}")], f"“三公”经费表{group}{role}")


_SAID_BUDGET = re.compile(r"预算数|年初预算|预算$")


def _sangong_groups(t) -> tuple[str | None, str | None, str | None]:
    """(previous, current, 决算) year groups of the 三公 table: worked out once while its columns are the same."""
    kept = t.cache.get("narrative_sangong_groups")
    if kept is None or kept[0] is not t.columns:
        final = next((c.group for c in t.columns if c.group and "决算" in c.group), None)
        kept = t.cache["narrative_sangong_groups"] = (t.columns, *sangong_years(t), final)
    return kept[1], kept[2], kept[3]


def jiguan_candidates(d: Disclosure) -> list[Figure]:
    """``_jiguan_candidates`` in 万元."""
    return [f for f in (in_wan(d, c) for c in _jiguan_candidates(d)) if f is not None]


def _jiguan_candidates(d: Disclosure) -> list[Figure]:
    """机关运行经费 under each 口径 the seeds use: the 机关 (政府经济分类 502) 公用经费, or it minus
    30239 其他交通费用.  Without a 502 breakdown (决算, 吉林) the tables give only bounds: the whole
    公用经费 (and it minus 30239), marked ``bound`` in their description.  The tables and codes:
    subjects.toml [jiguan]."""
    spec = schemas.subjects()["jiguan"]
    printed = _printed_jiguan(d)
    if printed is not None:
        return [printed]
    t = d.table(spec["table"])
    if t is None:
        return _final_jiguan_bounds(d)
    rows = [r for r in t.data_rows() if r.econ_dept]
    gov = [r for r in rows if r.econ_gov and r.econ_gov.startswith(spec["government"])]
    key = next((c for c in spec["columns"] if t.has(c)), spec["columns"][-1])
    out = []
    if gov:
        items = [r for r in gov if len(r.econ_dept) == 5] or [r for r in gov if len(r.econ_dept) == 3]
        base = _sum([r.values.get(key) for r in items], f"{spec['table']}中机关商品和服务支出（{spec['government']}）")
    else:
        base = _total(d, spec["table"], spec["columns"][0])
    if base is None:
        return []
    out.append(base)
    other = [r.values.get(key) for r in (gov or rows) if r.econ_dept == spec["minus"]]
    minus = _sum(other, spec["minus"])
    if minus and minus.amount:
        out.append(Figure(base.amount - minus.amount, base.cells + minus.cells, base.what + f"扣除{spec['minus']}{spec['minus_name']}"))
    return out


def _printed_jiguan(d: Disclosure) -> Figure | None:
    """The 机关运行经费 a table prints itself (subjects.toml [jiguan] ``printed``), from its first data row."""
    for place in schemas.subjects()["jiguan"].get("printed", []):
        t = d.table(place["table"])
        row = next(iter(t.data_rows()), None) if t is not None else None
        value = row.values.get(place["column"]) if row is not None else None
        if value is not None and not value.blank:
            return _sum([value], place["what"])
    return None


def _final_jiguan_bounds(d: Disclosure) -> list[Figure]:
    """决算: 公开06's 公用经费合计 (and it minus 30239) — upper bounds, since 机关运行经费 covers
    行政单位 only and the table also holds 事业单位."""
    spec = schemas.subjects()["jiguan"]
    t = d.table(spec["final_table"])
    if t is None:
        return []
    total = next((r for r in t.rows if spec["final_total"] in r.label), None)
    base = _sum([total.values.get("合计")], f"{spec['final_table']}{spec['final_total']}（上限）") if total else None
    if base is None:
        return []
    out = [base]
    minus = _sum([r.values.get("合计") for r in t.data_rows() if r.econ_dept == spec["minus"]], spec["minus"])
    if minus and minus.amount:
        out.append(Figure(base.amount - minus.amount, base.cells + minus.cells,
                          f"{spec['final_total']}扣除{spec['minus']}{spec['minus_name']}（上限）"))
    return out


def jiguan_figure(d: Disclosure, stated: Decimal | None = None, slipped: Decimal | None = None) -> Figure | None:
    """The candidate closest to the stated figure (a department may use either 口径), in the tables' unit;
    ``slipped`` is the number of a figure written in 元, which may be the 万元 figure with a unit slip."""
    candidates = _jiguan_candidates(d)
    if not candidates:
        return None
    if stated is None:
        return candidates[0]
    readings = [stated] + ([slipped] if slipped is not None else [])
    return min(candidates, key=lambda f: min(abs(in_wan(d, f).amount - r) for r in readings))


_CLASS_LEAD = re.compile(r"^.*?(支出包括|主要用于|其中)")
_CLASS_TWICE = re.compile(r"支出支出$")
_FINAL_ONLY = re.compile(r"(支出)?决算(数)?")


def _class_code(subject: str) -> str | None:
    name = schemas.norm(subject).replace("(类)", "")
    name = _CLASS_LEAD.sub("", name)
    name = _CLASS_TWICE.sub("支出", name)
    return schemas.function_class_by_name().get(name) or schemas.function_class_by_name().get(name + "支出")


def _subject_figure(d: Disclosure, st: Statement, spec: dict) -> Figure | None:
    """One figure of a resolver in subjects.toml ([[resolver]] figure = [...])."""
    if spec.get("special") == "jiguan":
        return jiguan_figure(d, st.amount_wan, st.amount if st.unit == "元" else None)
    if "sangong" in spec:
        return sangong_figure(d, spec["sangong"], st=st)
    if "total" in spec:
        column = schemas.norm(st.subject) if spec["column"] == "{subject}" else spec["column"]
        return _total(d, spec["total"], column)
    if "lines" in spec:
        return _sum_lines(d, spec["ledger"], tuple(spec["lines"]), spec.get("what", spec["ledger"]))
    side, _, key = spec["line"].partition(":")
    if key == "{subject}":
        key = schemas.ledger_key(st.subject)[0] or ""
    return ledger_figure(d, spec["ledger"], key, side, spec.get("column", "合计"))


@lru_cache(maxsize=None)
def _resolvers() -> list[tuple[re.Pattern[str], str, str | None, list[dict], str | None]]:
    """(pattern, scope "own"/"ctx", unless, figures, disclosure kind or None) from subjects.toml, in order
    (the first match that applies to the disclosure's kind decides)."""
    return [(re.compile(r["pattern"]), r["scope"], r.get("unless"), r["figure"], r.get("disclosure"))
            for r in schemas.subjects()["resolver"]]


def full_subject(st: Statement, all_st: list[Statement]) -> str:
    subject = schemas.norm(st.subject)
    if st.parent is not None:
        return f"{schemas.norm(all_st[st.parent].subject)}/{subject}"
    return subject


def in_wan(d: Disclosure, fig: Figure | None) -> Figure | None:
    """A table figure in 万元 (the narrative's unit): the tables are read in the disclosure's unit
    (上海 预算: 元; reading/units.py converts every table to it)."""
    if fig is None or d.unit not in UNIT_YUAN or d.unit == "万元":
        return fig
    return dataclasses.replace(fig, amount=to_wan(d.unit, fig.amount), values=[value_to_wan(d.unit, v) for v in fig.values])


def resolve(d: Disclosure, st: Statement, all_st: list[Statement], chosen: dict | None = None) -> Figure | None:
    """The table figure ``st`` restates, in 万元.  ``chosen``: a dict kept by the caller across the
    statements of one disclosure, remembering which resolver each (subject, context) selects."""
    return in_wan(d, _resolve(d, st, all_st, chosen))


_ITEM_PATH = re.compile(r"^\d*[、.]?(.+?)\(类\)(.+?)\(款\)(.+?)\(项\)")


def _named_item(d: Disclosure, st: Statement) -> Figure | None:
    """A 项 named by its 类/款/项 names: “一般公共服务支出-政府办公厅（室）及相关机构事务-行政运行”科目
    (上海 预算), or a 决算 paragraph opening “1、一般公共服务支出（类）财政事务（款）行政运行（项）” whose
    “支出决算为…” states that 项."""
    own = schemas.norm(st.subject)
    names: list[str] = []
    if own.endswith("科目") and own.count("-") in (1, 2):
        names = own[: -len("科目")].split("-")
    elif d.kind == "决算" and _FINAL_ONLY.fullmatch(own):
        paragraphs = narrative_paragraphs(d)
        m = _ITEM_PATH.match(schemas.norm(paragraphs[st.paragraph].text)) if st.paragraph < len(paragraphs) else None
        names = list(m.groups()) if m else []
    if not names:
        return None
    items = schemas.subjects()["named_items"]
    for kind in items.get(d.kind) or items["预算"]:
        t = d.table(kind)
        if t is None:
            continue
        rows = t.by_code()
        for code, row in rows.items():
            if len(code) != 2 * len(names) + 1 or row.label != names[-1] or "合计" not in row.values:
                continue
            parents = [rows.get(code[:n]) for n in (3, 5)][: len(names) - 1]
            if all(p is not None and p.label == name for p, name in zip(parents, names)):
                return _sum([row.values["合计"]], f"{kind}“{code} {row.label}”")
    return None


def of_another_year(d: Disclosure, st: Statement) -> bool:
    """The statement names a year, and it is not the disclosure's (“2023年支出预算…” in a 2025 预算)."""
    return st.year is not None and d.year is not None and st.year != d.year


def _first_resolver(kind: str | None, own: str, ctx: str):
    """The first resolver that applies to a disclosure of ``kind`` and matches the subject (``own``)
    or its context (``ctx``), or None: a pure function of the three (and subjects.toml)."""
    for resolver in _resolvers():
        pattern, scope, _unless, _figures, for_kind = resolver
        if for_kind is not None and for_kind != kind:
            continue
        if pattern.search(own if scope == "own" else ctx):
            return resolver
    return None


def _resolve(d: Disclosure, st: Statement, all_st: list[Statement], chosen: dict | None = None) -> Figure | None:
    if of_another_year(d, st):
        return None  # “2023年支出预算…” in a 2025 预算: not a figure of these tables (listed by WB608)
    own, ctx = schemas.norm(st.subject), full_subject(st, all_st)
    named = _named_item(d, st)
    if named is not None:
        return named
    key = (d.kind, own, ctx)
    if chosen is None:
        resolver = _first_resolver(*key)
    elif key in chosen:
        resolver = chosen[key]
    else:
        resolver = chosen[key] = _first_resolver(*key)
    if resolver is not None:
        _pattern, _scope, unless, figures, _kind = resolver
        if unless and unless in st.sentence:
            return None
        return next((f for spec in figures if (f := _subject_figure(d, st, spec)) is not None), None)
    code = _class_code(st.subject)
    tables = schemas.subjects()["class_rows"].get(d.kind) or schemas.subjects()["class_rows"]["预算"]
    if code:
        general = ("一般公共预算" in ctx or (tables.get("by_sentence", False) and "一般公共预算" in st.sentence)
                   or (tables.get("general_without_other", False) and d.table(tables["other"]) is None))
        row = _class_row(d, tables["general"] if general else tables["other"], code)
        if row is None and tables.get("fallback", False):
            row = _class_row(d, tables["other"], code)
        return row
    return None


def is_unit_slip(st: Statement, figure: Decimal) -> bool:
    """The number is the table figure written in the other unit: 元 for 万元 (same number), or 万元
    for 元 (ten thousand times the figure)."""
    if figure == 0 or st.amount is None:
        return False
    if st.unit == "元":
        return abs(st.amount - figure) <= envelope(2)
    return st.unit == "万元" and abs(st.amount - figure * 10000) <= 1


def unit_slips(d: Disclosure) -> set[int]:
    """Statements whose unit is slipped (reported once, by WB602; read as meant by every other rule)."""
    return d.view(NarrativeView).unit_slips


@lru_cache(maxsize=None)
def _same_figure() -> list[list[tuple[str, tuple[str, ...]]]]:
    """Tables that print the same quantity (subjects.toml [[same_figure]]): [(table, keys)] per group."""
    return [[(place[0], tuple(place[1:])) for place in g["places"]] for g in schemas.subjects()["same_figure"]]


def counterparts(d: Disclosure, figure: Figure) -> list[Figure]:
    """The figure and the same quantity as printed by the other tables of its identity group."""
    out = [figure]
    if figure.source is None:
        return out
    for group in _same_figure():
        if not any(figure.source[0] == kind and figure.source[1] in keys for kind, keys in group):
            continue
        for kind, keys in group:
            if kind == figure.source[0]:
                continue
            other = next((f for k in keys if (f := _figure(d, kind, k)) is not None), None)
            if other is not None and not set(other.cells) & set(figure.cells):
                out.append(in_wan(d, other))
    return out


def _figure(d: Disclosure, kind: str, key: str) -> Figure | None:
    """A total-row column (“合计”) or a summary-table line (“line:收入:一般公共预算”)."""
    if key.startswith("line:"):
        _, side, line = key.split(":", 2)
        return ledger_figure(d, kind, line, side)
    return _total(d, kind, key)


def _agree(a: Figure, b: Figure) -> bool:
    """Two table figures of the same quantity agree within the rounding envelope of their values."""
    tolerance = envelope_of(a.values + b.values) if a.values and b.values else envelope(2)
    return abs(a.amount - b.amount) <= tolerance


def narrative_in_minority(st: Statement, figures: list[Figure]) -> Figure | None:
    """The figure to blame the statement against, or None when the statement is not the odd one out.

    A statement that agrees with no table is blamed.  One that agrees with some tables is blamed only
    when a larger group of tables agrees on another value (the tables disagree with the majority of
    tables; the cross-table rules report them, and the statement sides with the minority); when the
    tables split evenly, the cross-table rules' finding is the only one."""
    agreeing = [f for f in figures if _matches(st, f.amount)[0]]
    others = [f for f in figures if f not in agreeing]
    if not others:
        return None
    strongest = max(others, key=lambda f: sum(_agree(f, g) for g in others))
    if not agreeing or sum(_agree(strongest, g) for g in others) > len(agreeing):
        return strongest
    return None


def _matches(st: Statement, figure: Decimal) -> tuple[bool, Decimal]:
    """Compare at the precision the narrative states; returns (ok, difference in 万元)."""
    stated = st.amount_wan
    diff = stated - figure
    if not diff:
        return True, diff  # within any tolerance (the one below is positive): no need to work it out
    unit_quantum = 2 * st.half_wan
    return abs(diff) <= max(unit_quantum / 2, envelope(2)), diff


def linked_statements(d: Disclosure) -> dict[int, Figure]:
    """Statement index -> the table figure it restates (computed once per disclosure)."""
    return d.view(NarrativeView).linked


def _link(d: Disclosure) -> dict[int, Figure]:
    sts = statements(d)
    out = {}
    chosen: dict = {}  # (kind, subject, context) -> the resolver it selects, for this disclosure
    for st in sts:
        if st.kind == "amount" and st.amount is not None:
            fig = resolve(d, st, sts, chosen)
            if fig is not None:
                out[st.index] = fig
    return out


# ---- rules -----------------------------------------------------------------------------------

@rule("WB601", "情况说明金额与表格一致", "文表一致")
def narrative_amounts(ctx: Context):
    """检查内容：
    情况说明中陈述的金额（收支总额、一般公共预算/政府性基金/国有资本经营收入、基本支出、项目支出、
    人员经费、公用经费、各类支出、“三公”经费各项、政府采购、项目预算资金、机关运行经费等）与表格
    中对应数字一致。按文字写出的精度比较（写“3.6万元”与表中 3.60 一致）。同一数字印在几张表中时
    与每张表比较：文字与多数表一致时不报（不一致的表由表间规则报告），只有文字属于少数时才报。
    绩效部分：项目支出绩效目标表的年度资金总额与项目支出表同名项目一致；段落中“N 个项目……涉及资金
    X 万元”与所列项目（项目支出表、绩效目标表、绩效自评表）的金额合计一致。

    依据：
    情况说明是对公开表的文字解释，同一数字在文、表中必须一致（文表一致）。

    错误示例：
    情况说明写“公用经费 79.96 万元”，一般公共预算基本支出表公用经费合计 79.86。

    正确示例：
    情况说明与表格均为 79.86 万元。
    """
    d = ctx.disclosure
    sts = statements(d)
    for index, fig in linked_statements(d).items():
        st = sts[index]
        if "机关运行经费" in schemas.norm(st.subject) or st.unit_slip:
            continue  # 机关运行经费 has its own 口径 rule (JY701); a unit slip is WB602's
        ok, diff = _matches(st, fig.amount)
        if not ok:
            blamed = narrative_in_minority(st, counterparts(d, fig))
            if blamed is None:
                continue  # the statement agrees with the majority: the odd table is BJ30x's
            fig = blamed
            ok, diff = _matches(st, fig.amount)
        if ok:
            if diff != 0 and st.decimals >= 2 and st.unit == "万元":
                yield ctx.finding(
                    Severity.ROUNDING,
                    message=f"情况说明“{st.text}”中的 {fmt(st.amount)}{st.unit} 与{fig.what} {fmt(fig.amount)} 万元相差 {fmt(diff)}（在尾差范围内）",
                    cells=[st.ref], related_cells=fig.cells, expected=fig.amount, actual=st.amount_wan, difference=diff,
                )
            continue
        yield ctx.finding(
            message=f"情况说明“{st.text}”中的 {fmt(st.amount)}{st.unit} 与{fig.what} {fmt(fig.amount)} 万元不一致",
            cells=[st.ref], related_cells=fig.cells, expected=fig.amount, actual=st.amount_wan, difference=diff,
            evidence={"subject": st.subject},
        )

    yield from perf.target_amounts(ctx)
    yield from perf.special_funds(ctx)
    yield from perf.paragraph_totals(ctx, statements(ctx.disclosure), linked_statements(ctx.disclosure))

@rule("WB602", "情况说明金额单位错误", "文表一致")
def narrative_units(ctx: Context):
    """检查内容：
    情况说明中的金额写成“元”，而数值与表格中以“万元”计的数字相同（应写“万元”）；或写成“万元”而
    数值是表格数字的一万倍。

    依据：
    公开表金额单位为万元，情况说明应使用同一单位或正确换算。绩效目标表表头为“万元”而金额是
    项目支出表中该项目的一万倍（按元填写）时，每张表报告一次，其他规则按万元理解该金额。

    错误示例：
    “2024 年一般公共预算拨款 1,144.52 元”，表中为 1,144.52 万元。

    正确示例：
    “2024 年一般公共预算拨款 1,144.52 万元”。
    """
    sts = statements(ctx.disclosure)
    for index, fig in linked_statements(ctx.disclosure).items():
        st = sts[index]
        if st.unit_slip:
            yield ctx.finding(
                message=f"情况说明“{st.text}”写作 {fmt(st.amount)}{st.unit}，与{fig.what} {fmt(fig.amount)} 万元对照，单位应为“{st.meant_unit}”",
                cells=[st.ref], related_cells=fig.cells, expected=fig.amount, actual=st.written_wan,
                difference=st.written_wan - fig.amount,
            )

    yield from perf.target_units(ctx)

@rule("WB603", "情况说明同一数字前后不一致", "文表一致")
def narrative_repeated(ctx: Context):
    """检查内容：
    情况说明中同一事项（如“公用经费”“机关运行经费”“三公经费”）在不同位置写出不同金额；绩效部分
    对同样 N 个项目前后写出两个不同的资金总额（没有所列项目金额可以判断哪个错时）。

    依据：
    同一数字只能有一个值；前后不一致说明至少一处笔误。

    错误示例：
    第五部分写“公用经费 79.86 万元”，第六部分写“公用经费 79.96 万元”。

    正确示例：
    两处均为 79.86 万元。
    """
    seen: dict[str, Statement] = {}
    sts = statements(ctx.disclosure)
    linked = linked_statements(ctx.disclosure)
    performance = performance_paragraphs(ctx.disclosure)
    headings = paragraph_headings(ctx.disclosure)
    for st in sts:
        if st.kind != "amount" or st.amount_wan is None:
            continue
        subject = schemas.norm(st.subject)
        if len(subject) < 2 or st.paragraph in performance:
            continue
        key = f"{headings[st.paragraph]}|{full_subject(st, sts)}"
        if st.index in linked or GENERIC_SUBJECT.search(subject):
            if st.index in linked:
                seen.setdefault(key, st)
            continue
        first = seen.get(key)
        if first is None:
            seen[key] = st
            continue
        q = 2 * max(st.half_wan, first.half_wan)
        if abs(st.amount_wan - first.amount_wan) > q / 2 + envelope(2):
            yield ctx.finding(
                message=f"情况说明中“{st.subject}”前后金额不一致：“{first.text}”为 {fmt(first.amount_wan)} 万元，“{st.text}”为 {fmt(st.amount_wan)} 万元",
                cells=[st.ref], related_cells=[first.ref], expected=first.amount_wan, actual=st.amount_wan,
                difference=st.amount_wan - first.amount_wan,
            )

    yield from perf.repeated_totals(ctx)

def _signed(st: Statement) -> Decimal:
    value = st.amount_wan or Decimal(0)
    return -value if st.direction == "减少" else value


@rule("WB604", "情况说明“其中”各项不超过总数", "文表一致")
def narrative_parts(ctx: Context):
    """检查内容：
    情况说明“X 万元，其中：A 万元，B 万元……”的各项之和不超过 X；增减变化（“增加 X 万元，其中
    A 增加……B 减少……”）按增减方向合计后不超过 X。各项之和等于 X 时视为列全。
    绩效部分：绩效目标表“年度资金总额 = 其中财政拨款 + 其他资金”；逐项列出的项目全年预算数之和
    不超过文中 N 个项目的总额；自评等级“优/良/中/差”的个数之和与自评项目数一致；文中“N 个项目、
    预算资金 X 万元”而 X 为项目支出表合计时，N 与表中所列项目个数一致（不一致为提示）。

    依据：
    “其中”列出的是总数的组成部分，之和不能大于总数。

    错误示例：
    “支出预算 10,495.83 万元，其中：基本支出 7,096.83 万元，项目支出 3,499.00 万元”。

    正确示例：
    “其中：基本支出 7,096.83 万元，项目支出 3,399.00 万元”，合计 10,495.83。
    """
    d = ctx.disclosure
    sts = statements(d)
    for head in sts:
        if not head.parts or head.kind not in ("amount", "change") or head.amount_wan is None:
            continue
        parts = [sts[i] for i in head.parts if sts[i].amount_wan is not None]
        if not parts:
            continue
        if head.kind == "amount":
            total, psum = head.amount_wan, sum((p.amount_wan for p in parts), Decimal(0))
        else:
            total, psum = _signed(head), sum((_signed(p) for p in parts), Decimal(0))
        quantum = 2 * max(s.written_half_wan for s in [head, *parts])
        tol = quantum / 2 * (len(parts) + 1)
        if abs(psum) > abs(total) + tol:
            yield ctx.finding(
                message=f"情况说明“{head.text}”：其中各项合计 {fmt(psum)} 万元，超过总数 {fmt(total)} 万元",
                cells=[head.ref], expected=total, actual=psum, difference=psum - total,
            )

    yield from perf.target_parts(ctx)
    yield from perf.listed_exceed_total(ctx)
    yield from perf.grade_counts(ctx)
    yield from perf.project_count(ctx)

def _round(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _half(st: Statement) -> Decimal:
    """Half a unit of the last printed digit of an amount statement, in 万元 (as meant)."""
    return st.half_wan


def percent_band(func, a: Decimal, ha: Decimal, b: Decimal, hb: Decimal, decimals: int) -> tuple[Decimal, Decimal] | None:
    """The rounded percentages the printed amounts allow: ``func`` evaluated at the corners of
    [a ± ha] × [b ± hb] (it is monotonic in each argument), rounded at the stated precision."""
    values = []
    for x in (a - ha, a + ha):
        for y in (b - hb, b + hb):
            try:
                values.append(func(x, y))
            except ArithmeticError:
                return None
    return _round(min(values), decimals), _round(max(values), decimals)


@rule("WB605", "情况说明占比计算正确", "文表一致")
def narrative_shares(ctx: Context):
    """检查内容：
    情况说明“A 万元，占 X%”的 X 按 A 除以所属总数（“其中”的总数或“……中”所指的数）重新计算，
    按文字写出的小数位四舍五入后比较。绩效部分“涉及资金 A 万元，占项目支出总额的 100%”与表中的
    项目支出比较（决算中为提示：文中所称的预算项目支出总额与决算表口径可能不同）。

    依据：
    占比由金额计算得出，应与金额一致。

    错误示例：
    “支出预算 1,144.52 万元，其中：基本支出 636.85 万元，占 55.46%”（应为 55.64%）。

    正确示例：
    636.85 ÷ 1,144.52 = 55.64%。
    """
    sts = statements(ctx.disclosure)
    for st in sts:
        if st.kind != "share" or st.percent is None or len(st.parts) < 2:
            continue
        part, base = sts[st.parts[0]], sts[st.parts[1]]
        a, b = part.amount_wan, base.amount_wan
        if not a or not b:
            continue
        computed = _round(a / b * 100, st.decimals)
        band = percent_band(lambda x, y: x / y * 100, a, _half(part) * (a / part.amount_wan), b, _half(base) * (b / base.amount_wan), st.decimals)
        if band and not band[0] <= st.percent <= band[1]:
            yield ctx.finding(
                message=f"情况说明“{st.text}”：{part.subject} {fmt(a)} ÷ {base.subject} {fmt(b)} = {computed}%，文中写 {st.percent}%",
                cells=[st.ref], expected=computed, actual=st.percent, difference=st.percent - computed,
            )

    yield from perf.project_shares(ctx, statements(ctx.disclosure))

@rule("WB606", "情况说明增减方向与数字一致", "文表一致")
def narrative_directions(ctx: Context):
    """检查内容：
    情况说明中“三公”经费各项的增减表述（“与上年持平”“比上年增加/减少 X 万元”“增长/下降 X%”）
    与“三公”经费表上年、本年两列数字一致；方向词与数字相反（增加实为减少、持平实有变化）也报告。

    依据：
    增减变化由两年数字计算得出。

    错误示例：
    本年 26.10、上年 28.10，文中写“与上年基本持平”或“比上年增加 2.00 万元”。

    正确示例：
    “比上年减少 2.00 万元，下降 7.12%”。
    """
    d = ctx.disclosure
    sts = statements(d)
    reported: set[int] = set()  # change statements found wrong: their 增减率 is the same slip
    years: dict[str, tuple] = {}  # role -> (this year's, last year's) figure of the 三公 table
    for st in sts:
        if st.kind not in ("same_as_last_year", "change", "percent_change"):
            continue
        if st.kind == "percent_change" and st.parts and st.parts[0] in reported:
            continue  # one slip, one finding
        subject_st = sts[st.parts[0]] if st.parts else st
        role = _sangong_role(subject_st.subject if subject_st.kind == "amount" else st.subject)
        if role is None:
            continue
        if role not in years:  # the table's two figures of a role, read once per role
            years[role] = in_wan(d, sangong_figure(d, role, "cur")), in_wan(d, sangong_figure(d, role, "prev"))
        cur, prev = years[role]
        if cur is None or prev is None:
            continue
        delta = cur.amount - prev.amount
        cells = cur.cells + prev.cells
        if st.kind == "same_as_last_year":
            if delta != 0:
                yield ctx.finding(message=f"情况说明“{st.text}”称与上年持平，但“三公”经费表本年 {fmt(cur.amount)}、上年 {fmt(prev.amount)}，相差 {fmt(delta)}",
                                  cells=[st.ref], related_cells=cells, expected=delta, actual=Decimal(0), difference=-delta)
        elif st.kind == "change" and st.amount_wan is not None:
            stated = _signed(st)
            if abs(stated - delta) > envelope(3):
                reported.add(st.index)
                yield ctx.finding(message=f"情况说明“{st.text}”：按“三公”经费表本年 {fmt(cur.amount)}、上年 {fmt(prev.amount)}，应为{'增加' if delta >= 0 else '减少'} {fmt(abs(delta))} 万元",
                                  cells=[st.ref], related_cells=cells, expected=delta, actual=stated, difference=stated - delta)
        elif st.kind == "percent_change" and st.percent is not None and prev.amount:
            computed = _round(delta / prev.amount * 100, st.decimals)
            stated = st.percent if st.direction == "增加" else -st.percent
            if abs(stated - computed) > Decimal(1).scaleb(-st.decimals):
                yield ctx.finding(message=f"情况说明“{st.text}”：按“三公”经费表计算变动率为 {computed}%",
                                  cells=[st.ref], related_cells=cells, expected=computed, actual=stated, difference=stated - computed)


def table_checked_change(d: Disclosure, change: Statement) -> bool:
    """A change (“比上年增加 a 万元”) of a 三公 item whose two years the 三公 table prints: WB606
    checks it and its 增减率 against the table, blaming the figure that is wrong; a rule comparing the
    stated change with the stated 增减率 (WB607) should skip it (one slip, one finding)."""
    if change.kind != "change":
        return False
    role = _sangong_role(change.subject)
    return role is not None and sangong_figure(d, role, "cur") is not None and sangong_figure(d, role, "prev") is not None


_SANGONG_ROLES = [(re.compile(pattern), role) for pattern, role in (
    (r"三公.{0,3}经费", "合计"), (r"因公出国", "因公出国"), (r"公务用车购置及运行", "公务用车小计"),
    (r"公务用车购置", "公务用车购置"), (r"公务用车运行", "公务用车运行"), (r"公务接待", "公务接待"))]


@lru_cache(maxsize=4096)  # a pure function of the subject; asked for every change statement by several rules
def _sangong_role(subject: str) -> str | None:
    subject = schemas.norm(subject)
    for pattern, role in _SANGONG_ROLES:
        if pattern.search(subject):
            return role
    return None


@rule("WB609", "情况说明中无法对应的数字", "文表一致", severity=Severity.UNVERIFIABLE)
def narrative_unlinked(ctx: Context):
    """检查内容：
    情况说明中提取出、但无法与任何表格数字或同段其他数字对应核对的金额与增减表述（如与上年比较的
    增减额，预算公开表中没有上年数），逐条列出，由人工核对。绩效部分：项目支出表中找不到同名项目的
    绩效目标表，以及写有资金数却无法与表格或所列项目对应的绩效段落，各列出一次。

    依据：
    不能核对的数字不能视为正确；列出而不是忽略。

    错误示例：
    “比上年增加 96,411.85 万元”——公开表中没有上年数，无法自动核对。
    （绩效目标、绩效自评段落中的指标值不是表格数字的复述，不列出。）

    正确示例：
    人工对照上年公开数据核对后确认。
    """
    d = ctx.disclosure
    sts = statements(d)
    linked = set(linked_statements(d))
    performance = performance_paragraphs(d)
    for st in sts:
        if st.paragraph in performance:
            continue  # project indicators under a 绩效 heading are not restated table figures
        if st.kind == "amount" and st.amount is not None:
            if st.index in linked or st.parts or st.parent is not None:
                continue
        elif st.kind == "change":
            if st.parts or st.parent is not None or _sangong_role(st.subject):
                continue
        else:
            continue
        other_year = f"（是{st.year}年的数，不是本{d.kind or '公开'}年度的）" if of_another_year(d, st) else ""
        yield ctx.finding(
            message=f"情况说明“{st.text}”中的 {fmt(st.amount)}{st.unit or ''} 无法与表格数字对应{other_year}，需人工核对",
            cells=[st.ref], actual=st.amount_wan, evidence={"subject": st.subject},
        )

    yield from perf.unlinked_targets(ctx)
    yield from perf.unlinked_paragraphs(ctx)

@rule("WB608", "情况说明完成率与预决算比较一致", "文表一致")
def narrative_completion(ctx: Context):
    """检查内容：
    情况说明“年初预算数为 A 万元，决算数为 B 万元，完成年初预算的 X%”中 X 等于 B ÷ A（按写出的小数位），
    以及“决算数大于（小于、等于）年初预算数”与 A、B 的大小一致。

    依据：
    完成率和增减方向由预算数与决算数计算得出。

    错误示例：
    “年初预算数为 6.47 万元，支出决算数为 5.44 万元，完成年初预算的 84.80%。决算数大于年初预算数”。

    正确示例：
    5.44 ÷ 6.47 = 84.08%，决算数小于年初预算数。
    """
    sts = statements(ctx.disclosure)
    for st in sts:
        if st.kind not in ("completion", "comparison") or len(st.parts) != 2:
            continue
        budget, final = sts[st.parts[0]], sts[st.parts[1]]
        if budget.amount_wan is None or final.amount_wan is None:
            continue
        if st.kind == "completion" and st.percent is not None and budget.amount_wan:
            computed = _round(final.amount_wan / budget.amount_wan * 100, st.decimals)
            band = percent_band(lambda x, y: x / y * 100, final.amount_wan, _half(final), budget.amount_wan, _half(budget), st.decimals)
            if band and not band[0] <= st.percent <= band[1]:
                yield ctx.finding(
                    message=f"情况说明“{st.text}”：{fmt(final.amount_wan)} ÷ {fmt(budget.amount_wan)} = {computed}%，文中写 {st.percent}%",
                    cells=[st.ref], expected=computed, actual=st.percent, difference=st.percent - computed,
                )
        elif st.kind == "comparison":
            real = "大于" if final.amount_wan > budget.amount_wan else "小于" if final.amount_wan < budget.amount_wan else "等于"
            if real != st.direction:
                yield ctx.finding(
                    message=f"情况说明“{st.text}”与数字不符：决算数 {fmt(final.amount_wan)} {real}预算数 {fmt(budget.amount_wan)}",
                    cells=[st.ref], expected=budget.amount_wan, actual=final.amount_wan, difference=final.amount_wan - budget.amount_wan,
                )
