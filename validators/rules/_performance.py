"""The 绩效 checks: project target tables and 绩效 paragraphs against the tables and each other.

Each check is a generator over a rule's Context; the 文表一致 rules (rules/narrative.py) run them
under their codes — WB601 (an amount against the table or the listed projects), WB602 (a 绩效 table
amount ten thousand times its project: a unit slip, reported once), WB603 (the same total stated twice
differently), WB604 (parts against their total: 年度资金总额 = 财政拨款 + 其他资金, grade counts, listed
projects), WB605 (“占…项目支出总额的 100%”) and WB609 (a 绩效 paragraph with funds that nothing links).
"""

from __future__ import annotations

import re
from functools import lru_cache
from decimal import Decimal
from typing import Iterator

from .. import schemas
from ..amounts import fmt
from ..reading.units import UNIT_YUAN, to_wan, value_to_wan
from ..model import CellRef, Disclosure, Finding, RowKey, Severity, Value
from ..performance import Amount, ProjectTotal, TargetTable, read_part
from . import Context

YUAN_PER_WAN = UNIT_YUAN["万元"]  # a target table in 元 under a 万元 header is this many times too large
MONEY = re.compile(r"(预算数|执行数|资金|金额)[^，。,；;]{0,8}?\d[\d,]*(?:\.\d+)?\s*万元")


@lru_cache(maxsize=65536)  # compared pairwise with every listed project: normalise each name once
def _name(text: str) -> str:
    return re.sub(r"^\d{4}年(度)?", "", schemas.norm(text)).rstrip("等")


def _same_project(a: str, b: str, exact: bool = False) -> bool:
    a, b = _name(a), _name(b)
    return bool(a) and bool(b) and (a == b or (not exact and min(len(a), len(b)) >= 6 and (a in b or b in a)))


def _tolerance(*amounts: Amount | Value | None) -> Decimal:
    """The rounding envelope of a relation among printed amounts (at least one cent's worth)."""
    halves = [a.half_ulp for a in amounts if a is not None]
    return max(sum(halves, Decimal(0)), Decimal("0.01"))


# ---- the project table's figures for a project --------------------------------------------------------

def _project_table(d: Disclosure):
    """The table that lists projects by name (subjects.toml [performance] project_table)."""
    return d.table(schemas.subjects()["performance"]["project_table"])


class _ByName:
    """Items by normalised project name, answering ``[x for x in items if _same_project(name_of(x), name)]``
    in the items' order without comparing every item with every name: the same names are asked for again
    and again (a long narrative repeats its projects), so each distinct name is matched once."""

    def __init__(self, items, name_of):
        self.items = list(items)
        self.groups: dict[str, list[int]] = {}
        for i, item in enumerate(self.items):
            n = _name(name_of(item))
            if n:
                self.groups.setdefault(n, []).append(i)
        self.long = [n for n in self.groups if len(n) >= 6]
        self.memo: dict[tuple[str, bool], list] = {}

    def matching(self, name: str, exact: bool = False) -> list:
        n = _name(name)
        key = (n, exact)
        if key not in self.memo:
            if not n:
                found = []
            elif exact or len(n) < 6:
                found = self.groups.get(n, [])
            else:
                found = sorted(i for m in self.long if n in m or m in n for i in self.groups[m])  # m == n too
            self.memo[key] = [self.items[i] for i in found]
        return self.memo[key]


def _index(d: Disclosure, key: str, source, items, name_of) -> _ByName:
    """The _ByName of ``items`` kept in ``d.cache`` while ``source`` (the object they come from) is the same."""
    kept = d.cache.get(key)
    if kept is None or kept[0] is not source:
        kept = (source, _ByName(items(), name_of))
        d.cache[key] = kept
    return kept[1]


def _project_rows(d: Disclosure, name: str):
    t = _project_table(d)
    if t is None:
        return []
    rows = _index(d, "_performance_project_rows", t, lambda: [r for r in t.data_rows() if r.label], lambda r: r.label)
    return rows.matching(name, exact=True) or rows.matching(name)  # a longer or shorter wording only without an exact one


def _wan(d: Disclosure, amount: Decimal) -> Decimal:
    """A table amount (in the disclosure's unit) in 万元, the unit the 绩效 part is compared in."""
    return to_wan(d.unit, amount)


def _row_candidates(row, d: Disclosure) -> list[tuple[Decimal, list[Value]]]:
    """The amounts a target table's 年度资金总额 may restate: 合计, 财政拨款 (this year's), any column (万元)."""
    present = {k: v for k, v in row.values.items() if v.amount is not None and not v.problem}
    out = [(_wan(d, v.amount), [v]) for v in present.values()]
    this_year = [v for k, v in present.items() if k.endswith("@本年财政拨款") or k.endswith("@编制预算")]
    if len(this_year) > 1:
        out.append((_wan(d, sum((v.amount for v in this_year), Decimal(0))), this_year))
    return out


def target_slips(d: Disclosure) -> dict[int, TargetTable]:
    """Target tables (by id) whose 年度资金总额 is ten thousand times their project's amount in the
    project table: 元 printed under a 万元 header.  Read as meant (÷10,000) by every other check."""
    if "target_slips" in d.cache:
        return d.cache["target_slips"]
    out = {}
    for t in read_part(d).targets:
        if t.total is None or t.total.unit != "万元" or t.total.value < YUAN_PER_WAN:
            continue
        candidates = [c for r in _project_rows(d, t.name) for c in _row_candidates(r, d)]
        if any(abs(t.total.value - c) <= _tolerance(t.total, *vs) for c, vs in candidates):
            continue
        if any(c and abs(t.total.value - c * YUAN_PER_WAN) <= YUAN_PER_WAN * _tolerance(*vs) for c, vs in candidates):
            out[id(t)] = t
    d.cache["target_slips"] = out
    return out


def target_wan(d: Disclosure, t: TargetTable) -> Decimal | None:
    """A target table's 年度资金总额 in 万元, a unit slip read as meant."""
    if t.total is None:
        return None
    return t.total.wan / YUAN_PER_WAN if id(t) in target_slips(d) else t.total.wan


# ---- WB601 / WB602: target tables against the project table --------------------------------------------

def target_units(ctx: Context) -> Iterator[Finding]:
    """WB602: a 绩效 target table's 年度资金总额 in 元 under a 万元 header (once per table)."""
    d = ctx.disclosure
    for t in target_slips(d).values():
        rows = _project_rows(d, t.name)
        meant = t.total.value / YUAN_PER_WAN
        cells = [v.ref for r in rows for v in r.values.values() if v.amount is not None and abs(_wan(d, v.amount) - meant) <= Decimal("0.01")]
        yield ctx.finding(
            message=f"绩效目标表“{t.name}”年度资金总额 {fmt(t.total.value)}（表头单位为万元）是项目支出表中该项目 "
                    f"{fmt(meant)} 万元的一万倍：金额按“元”填写，应为 {fmt(meant)} 万元（同表财政拨款等金额同此）",
            cells=[t.total.ref], related_cells=cells, expected=meant, actual=t.total.value, difference=t.total.value - meant,
        )


def target_amounts(ctx: Context) -> Iterator[Finding]:
    """WB601: a target table's 年度资金总额 against its project in the project table."""
    d = ctx.disclosure
    slips = target_slips(d)
    by_row: dict[int, list[tuple[Decimal, list[Value]]]] = {}  # for this check: many targets, few projects

    def row_candidates(r) -> list[tuple[Decimal, list[Value]]]:
        found = by_row.get(id(r))
        if found is None:
            found = by_row[id(r)] = _row_candidates(r, d)
        return found

    of_rows: dict[int, list[tuple[Decimal, list[Value]]]] = {}  # id(rows) -> their candidates (rows are kept lists)
    for t in read_part(d).targets:
        if t.total is None or id(t) in slips:
            continue
        rows = _project_rows(d, t.name)
        if not rows:
            continue  # listed by unlinked_targets (WB609)
        candidates = of_rows.get(id(rows))
        if candidates is None:
            candidates = of_rows[id(rows)] = [c for r in rows for c in row_candidates(r)]
        # a candidate equal to the total holds whatever the envelope (at least 0.01): envelopes only without one
        wan = t.total.wan
        if any(c == wan for c, _ in candidates) or any(abs(wan - c) <= _tolerance(t.total, *vs) for c, vs in candidates):
            continue
        best, values = min(candidates, key=lambda cv: abs(t.total.wan - cv[0]))
        yield ctx.finding(
            message=f"绩效目标表“{t.name}”年度资金总额 {fmt(t.total.wan)} 万元与项目支出表中该项目的金额"
                    f"（{'、'.join(fmt(c) for c, _ in candidates[:4])} 万元）都不一致",
            cells=[t.total.ref], related_cells=[v.ref for v in values], expected=best, actual=t.total.wan,
            difference=t.total.wan - best,
        )


def _tasks_sum(d: Disclosure, t: TargetTable) -> tuple[Decimal, list[Value]] | None:
    """A 专项资金 table's projects (its 主要政策任务) in the project table: their 合计 summed, when
    every task names as many project rows as it is listed times."""
    if t.kind != "专项资金" or not t.tasks:
        return None
    values: list[Value] = []
    for name in dict.fromkeys(t.tasks):
        rows = _project_rows(d, name)
        if len(rows) != t.tasks.count(name):
            return None
        for r in rows:
            v = r.values.get("合计")
            if v is None or v.amount is None:
                return None
            values.append(v)
    return _wan(d, sum((v.amount for v in values), Decimal(0))), values


def special_funds(ctx: Context) -> Iterator[Finding]:
    """WB601: a 专项资金绩效目标表's 年度预算资金 against the projects its 主要政策任务 name."""
    d = ctx.disclosure
    for t in read_part(d).targets:
        if t.total is None or _project_rows(d, t.name):
            continue
        linked = _tasks_sum(d, t)
        if linked is None:
            continue
        total, values = linked
        diff = t.total.wan - total
        if abs(diff) > _tolerance(t.total, *values):
            yield ctx.finding(
                message=f"专项资金绩效目标表“{t.name}”年度预算资金 {fmt(t.total.wan)} 万元与其主要政策任务"
                        f"（{'、'.join(dict.fromkeys(t.tasks))}）在项目支出表中的合计 {fmt(total)} 万元不一致",
                cells=[t.total.ref], related_cells=[v.ref for v in values], expected=total, actual=t.total.wan, difference=diff,
            )


def unlinked_targets(ctx: Context) -> Iterator[Finding]:
    """WB609: a target table whose project the project table does not list by that name."""
    d = ctx.disclosure
    if _project_table(d) is None:
        return
    for t in read_part(d).targets:
        if t.total is not None and not _project_rows(d, t.name) and _tasks_sum(d, t) is None:
            yield ctx.finding(
                Severity.UNVERIFIABLE,
                message=f"绩效目标表“{t.name}”的资金 {fmt(t.total.value)} 无法与表格数字对应：项目支出表中找不到同名项目（请核对项目名称）",
                cells=[t.ref], actual=t.total.wan,
            )


# ---- WB604: 年度资金总额 = 财政拨款 + 其他资金 -------------------------------------------------------------

def target_parts(ctx: Context) -> Iterator[Finding]:
    for t in read_part(ctx.disclosure).targets:
        if t.total is None or t.fiscal is None:
            continue
        parts = t.fiscal.value + (t.other.value if t.other else Decimal(0))
        diff = parts - t.total.value
        if abs(diff) > _tolerance(t.total, t.fiscal, t.other):
            yield ctx.finding(
                message=f"绩效目标表“{t.name}”：财政拨款 {fmt(t.fiscal.value)} + 其他资金 "
                        f"{fmt(t.other.value if t.other else Decimal(0))} = {fmt(parts)}，不等于年度资金总额 {fmt(t.total.value)}",
                cells=[t.total.ref], related_cells=[a.ref for a in (t.fiscal, t.other) if a is not None],
                expected=t.total.value, actual=parts, difference=diff,
            )


# ---- paragraph totals ------------------------------------------------------------------------------------

def _targets(d: Disclosure, part) -> _ByName:
    """The target tables with a 年度资金总额 by name; ``.projects``: those of kind 项目."""
    targets = _index(d, "_performance_targets", part, lambda: [t for t in part.targets if t.total is not None],
                     lambda t: t.name)
    if not hasattr(targets, "projects"):
        targets.projects = [t for t in targets.items if t.kind == "项目"]
    return targets


def _listed_sum(d: Disclosure, claim: ProjectTotal) -> tuple[Decimal, list[CellRef], str] | None:
    """(sum, cells, what) of the amounts the disclosure lists for the projects of ``claim``."""
    part = read_part(d)
    complete_names = claim.names and not re.search(r"等\s*\d+\s*个", claim.sentence)
    if complete_names and (claim.count is None or claim.count == len(claim.names)):
        total, cells = Decimal(0), []
        for name in claim.names:
            rows = _project_rows(d, name)
            targets = _targets(d, part).matching(name)
            evals = _index(d, "_performance_evaluations", part, lambda: part.evaluations, lambda e: e.name).matching(name)
            if len(rows) == 1 and "合计" in rows[0].values and rows[0].values["合计"].amount is not None:
                total += _wan(d, rows[0].values["合计"].amount)
                cells.append(rows[0].values["合计"].ref)
            elif len(targets) == 1:
                total += target_wan(d, targets[0])
                cells.append(targets[0].total.ref)
            elif len(evals) == 1:
                total += evals[0].budget.wan
                cells.append(evals[0].ref)
            else:
                break  # a name not found as written: try the count below
        else:
            return total, cells, "所列项目的金额合计"
    if claim.count is None:
        return None
    targets = _targets(d, part)
    for group, what in ((targets.projects, "项目支出绩效目标表"), (targets.items, "绩效目标表")):
        if d.kind != "决算" and group and len(group) == claim.count:
            return sum((target_wan(d, t) for t in group), Decimal(0)), [t.total.ref for t in group], f"{claim.count} 张{what}的年度资金总额合计"
    evals = part.evaluations
    if evals and len(evals) == claim.count:  # the 自评表 may word a name differently from the paragraph
        return sum((e.budget.wan for e in evals), Decimal(0)), sorted({e.ref for e in evals}, key=lambda r: (r.row, r.col)), f"{claim.count} 个项目绩效自评表的全年预算数合计"
    return None


def paragraph_totals(ctx: Context, sts: list, linked: dict) -> Iterator[Finding]:
    """WB601: the total a 绩效 paragraph states for N projects against the amounts listed for them.
    ``sts``/``linked``: the narrative's statements and their table links (from rules/narrative.py)."""
    d = ctx.disclosure
    # a figure that is a statement WB601 already compares with a table (one slip, one finding)
    compared = {(sts[i].ref, sts[i].amount) for i in linked}
    for claim in read_part(d).totals:
        if (claim.amount.ref, claim.amount.value) in compared:
            continue
        listed = _listed_sum(d, claim)
        if listed is None:
            continue
        total, cells, what = listed
        diff = claim.amount.wan - total
        if abs(diff) > max(claim.amount.half_ulp * 2, Decimal("0.01")):
            yield ctx.finding(
                message=f"绩效情况说明“{_clip(claim.sentence)}”中的 {claim.amount.text}{claim.amount.unit} 与{what} {fmt(total)} 万元不一致",
                cells=[claim.amount.ref], related_cells=cells, expected=total, actual=claim.amount.wan, difference=diff,
            )


def repeated_totals(ctx: Context) -> Iterator[Finding]:
    """WB603: two totals stated for the same projects (same count, same or no names) that differ,
    unless the listed amounts settle which is wrong (WB601 then reports each)."""
    d = ctx.disclosure
    claims = [c for c in read_part(d).totals if c.count is not None]
    sums: dict[int, bool] = {}  # id(claim) -> whether the listed amounts settle it (asked once per claim)

    def settled(claim: ProjectTotal) -> bool:
        if id(claim) not in sums:
            sums[id(claim)] = _listed_sum(d, claim) is not None
        return sums[id(claim)]

    names: dict[int, list[str]] = {}  # id(claim) -> its names normalised and sorted

    def named(claim: ProjectTotal) -> list[str]:
        if id(claim) not in names:
            names[id(claim)] = sorted(map(_name, claim.names))
        return names[id(claim)]

    # each claim against the earlier ones of its count, in order (claims of other counts were skipped),
    # and only those the listed amounts do not settle (a settled claim was skipped on either side)
    unsettled: dict[int, list[ProjectTotal]] = {}
    for later in claims:
        if settled(later):
            continue
        earlier = unsettled.setdefault(later.count, [])
        for first in earlier:
            if first.names and later.names and named(first) != named(later):
                continue
            diff = later.amount.wan - first.amount.wan
            if diff and abs(diff) > _tolerance(first.amount, later.amount):  # (the tolerance is at least 0.01)
                yield ctx.finding(
                    message=f"绩效情况说明对同样 {later.count} 个项目前后写出两个金额：“{_clip(first.sentence)}”为 "
                            f"{fmt(first.amount.wan)} 万元，“{_clip(later.sentence)}”为 {fmt(later.amount.wan)} 万元",
                    cells=[later.amount.ref], related_cells=[first.amount.ref],
                    expected=first.amount.wan, actual=later.amount.wan, difference=diff,
                )
                break
        earlier.append(later)


def listed_exceed_total(ctx: Context) -> Iterator[Finding]:
    """WB604: the projects listed one by one already add up to more than the total stated for all of them."""
    part = read_part(ctx.disclosure)
    if not part.listed:
        return
    listed = sum((p.budget.wan for p in part.listed), Decimal(0))
    for claim in part.totals:
        if claim.count is None or claim.count < len(part.listed):
            continue
        tolerance = _tolerance(claim.amount, *(p.budget for p in part.listed))
        if listed > claim.amount.wan + tolerance:
            yield ctx.finding(
                message=f"绩效情况说明“{_clip(claim.sentence)}”：{claim.count} 个项目共 {fmt(claim.amount.wan)} 万元，"
                        f"但逐项列出的 {len(part.listed)} 个项目全年预算数已合计 {fmt(listed)} 万元，项目个数与金额无法对应",
                cells=[claim.amount.ref], related_cells=sorted({p.budget.ref for p in part.listed}, key=lambda r: (r.row, r.col)),
                expected=listed, actual=claim.amount.wan, difference=claim.amount.wan - listed,
            )


def project_count(ctx: Context) -> Iterator[Finding]:
    """WB604 (提示): “涉及预算项目支出 N 个，预算资金 X 万元” where X is the 项目支出表 total but the
    table lists another number of projects."""
    d = ctx.disclosure
    t = _project_table(d)
    total = t.total_row() if t else None
    value = total.values.get("合计") if total else None
    if value is None or value.amount is None:
        return
    value = value_to_wan(d.unit, value)
    leaves = [r for r in t.data_rows() if r.label and not (r.key is not None and r.key.kind == RowKey.LEVEL
                                                          and r.key != RowKey.LEVELS[-1])]  # 类型/一级项目 rows group projects
    for claim in read_part(d).totals:
        if claim.count is None or claim.names or abs(claim.amount.wan - value.amount) > _tolerance(claim.amount, value):
            continue
        if claim.count != len(leaves):
            yield ctx.finding(
                Severity.WARNING,
                message=f"绩效情况说明“{_clip(claim.sentence)}”称 {claim.count} 个项目共 {fmt(claim.amount.wan)} 万元"
                        f"（即项目支出表合计），但项目支出表列出 {len(leaves)} 个项目，请核对项目个数",
                cells=[claim.amount.ref], related_cells=[value.ref], expected=Decimal(len(leaves)),
                actual=Decimal(claim.count), difference=Decimal(claim.count - len(leaves)),
            )


def grade_counts(ctx: Context) -> Iterator[Finding]:
    """WB604: 优/良/中/差 counts against the number of projects evaluated."""
    for g in read_part(ctx.disclosure).grades:
        if g.total is None:
            continue
        counted = sum(g.grades.values())
        if counted > g.total or (len(g.grades) == 4 and counted != g.total):
            listing = "、".join(f"{k} {v} 个" for k, v in g.grades.items())
            yield ctx.finding(
                message=f"绩效自评结果“{_clip(g.sentence)}”：{listing}，合计 {counted} 个，与自评项目数 {g.total} 个不符",
                cells=[g.ref], expected=Decimal(g.total), actual=Decimal(counted), difference=Decimal(counted - g.total),
            )


def _project_expenditure(d: Disclosure):
    """(amount, cells, what, is the same year's budget) of the disclosure's 项目支出 total."""
    for place in schemas.subjects()["performance"]["project_total"]:
        kind, key = place["table"], place["column"]
        t = d.table(kind)
        row = t.total_row() if t else None
        value = row.values.get(key) if row else None
        if value is not None and value.amount is not None:
            return value, kind
    return None


def project_shares(ctx: Context, sts: list) -> Iterator[Finding]:
    """WB605: “涉及资金 X 万元，占…项目支出总额的 100%” against the 项目支出 the tables print.  A
    budget's own 项目支出表 makes a difference an 错误; a 决算 compares a budget total with the
    决算 table, so a difference is a 提示."""
    d = ctx.disclosure
    found = None
    checked = {(st.ref, st.percent) for st in sts if st.kind == "share" and len(st.parts) >= 2}
    for claim in read_part(d).totals:
        if claim.share is None or "项目支出" not in claim.share_of or (claim.amount.ref, claim.share) in checked:
            continue  # a share the narrative rule (WB605) already recomputes: one slip, one finding
        found = found or _project_expenditure(d)
        if found is None:
            continue
        value, kind = found
        value = value_to_wan(d.unit, value)
        if not value.amount:
            continue
        computed = (claim.amount.wan / value.amount * 100).quantize(Decimal(1).scaleb(-_decimals(claim.share)))
        low = (claim.amount.wan - claim.amount.half_ulp) / (value.amount + value.half_ulp) * 100
        high = (claim.amount.wan + claim.amount.half_ulp) / (value.amount - value.half_ulp) * 100 if value.amount > value.half_ulp else computed
        half = Decimal(1).scaleb(-_decimals(claim.share)) / 2
        if low - half <= claim.share <= high + half:
            continue
        severity = Severity.ERROR if d.kind != "决算" else Severity.WARNING
        note = "" if severity is Severity.ERROR else "（决算表中的项目支出与文中所称的预算项目支出总额口径可能不同，请核对并说明）"
        yield ctx.finding(
            severity,
            message=f"绩效情况说明“{_clip(claim.sentence)}”：{fmt(claim.amount.wan)} 万元占“{claim.share_of}”的 {claim.share}%，"
                    f"但{kind}项目支出为 {fmt(value.amount)} 万元，按此计算为 {computed}%{note}",
            cells=[claim.amount.ref], related_cells=[value.ref], expected=computed, actual=claim.share,
            difference=claim.share - computed,
        )


def _decimals(value: Decimal) -> int:
    exp = value.as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


def unlinked_paragraphs(ctx: Context) -> Iterator[Finding]:
    """WB609: a 绩效 paragraph stating funds that no check links, listed once."""
    d = ctx.disclosure
    part = read_part(d)
    used = {d.narrative[c.paragraph].ref for c in part.totals} | {p.budget.ref for p in part.listed} | {g.ref for g in part.grades}
    for i in part.paragraphs:
        p = d.narrative[i]
        if p.ref in used or "万" not in p.text or "元" not in p.text:
            continue  # every MONEY match holds 万元 (spaces taken out)
        m = MONEY.search(p.text.replace(" ", ""))
        if m:
            yield ctx.finding(
                Severity.UNVERIFIABLE,
                message=f"绩效情况说明中的资金数（“{m.group()}”等）无法与表格数字对应，也不属于所列项目，需人工核对",
                cells=[p.ref],
            )


def _clip(text: str, size: int = 60) -> str:
    text = text.strip()
    return text if len(text) <= size else text[: size - 1] + "…"
