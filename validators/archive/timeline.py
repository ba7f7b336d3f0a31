"""A department's timeline: years × key figures, with the cross-document findings beside them.

Used by ``czcheck archive show 部门`` and the HTML report (its own section).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Callable

from ..amounts import fmt
from ..model import Disclosure, Finding, Report
from . import identity

FIGURES = ("收入总计", "支出总计", "财政拨款", "三公经费", "机关运行经费")
CROSS_PREFIX = "KW"


def _first(*candidates: Callable[[], object]):
    for c in candidates:
        fig = c()
        if fig is not None:
            return fig
    return None


def key_figures(d: Disclosure) -> dict[str, Decimal | None]:
    """The timeline's figures of one disclosure (None where the tables do not give them)."""
    from ..rules.narrative import in_wan, ledger_figure, sangong_figure, jiguan_figure, statements

    final = d.kind == "决算"
    out: dict[str, Decimal | None] = {}
    figs: dict = {}
    try:
        figs = {
            "收入总计": _first(lambda: ledger_figure(d, "收支决算总表", "总计", "收入") if final else ledger_figure(d, "收支总表", "收入总计", "收入")),
            "支出总计": _first(lambda: ledger_figure(d, "收支决算总表", "总计", "支出") if final else ledger_figure(d, "收支总表", "支出总计", "支出")),
            "财政拨款": _first(lambda: ledger_figure(d, "财政拨款收支决算总表", "本年收入合计", "收入"),
                               lambda: ledger_figure(d, "财政拨款收支总表", "本年收入合计", "收入"),
                               lambda: ledger_figure(d, "收支总表", "财政拨款", "收入")),
            "三公经费": sangong_figure(d, "合计"),
        }
        stated = next((s for s in statements(d) if s.kind == "amount" and "机关运行经费" in s.subject and s.amount_wan is not None), None)
        fig = jiguan_figure(d, stated.amount_wan if stated else None)
        if stated is not None and (fig is None or "上限" in fig.what):
            # a 决算's tables only bound it (公用经费 of 行政 and 事业 units alike): its narrative states it
            out["机关运行经费"] = stated.amount_wan
        figs["机关运行经费"] = fig
    except (ArithmeticError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        figs, out = {}, {}
    for name in FIGURES:
        if name in out:
            continue
        fig = in_wan(d, figs.get(name))  # the timeline is in 万元 whatever unit a year was printed in
        out[name] = fig.amount if fig is not None else None
    return {name: out[name] for name in FIGURES}


@dataclass
class Entry:
    year: int | None
    kind: str | None
    level: str
    source: str
    figures: dict[str, Decimal | None]
    findings: list[tuple[str, str, str]] = field(default_factory=list)  # (code, severity, message) cross-document only

    @property
    def title(self) -> str:
        return f"{self.year or '?'}年{self.level}{self.kind or ''}"


@dataclass
class Timeline:
    department: str
    key: str
    entries: list[Entry] = field(default_factory=list)


def _cross(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.code, f.severity.value, f.message) for f in findings if f.code.startswith(CROSS_PREFIX)]


def timelines(reports: list[Report], archive=None) -> list[Timeline]:
    """One timeline per department of ``reports`` (their full disclosures), completed from the archive."""
    out: dict[str, Timeline] = {}
    mapping = archive.mapping if archive is not None else identity.Mapping()
    known = archive.known_departments() if archive is not None else set()
    seen_sources: set[tuple[str, str]] = set()
    for r in reports:
        d = r.disclosure
        if r.error or d is None or not d.tables:
            continue
        res = identity.resolve(d.department, known, mapping)
        key = res.key or identity.normalise(d.department)
        tl = out.setdefault(key, Timeline(d.department or Path(r.source).name, key))
        level = identity.level_of(d)
        tl.entries.append(Entry(d.year, d.kind, level, r.source, key_figures(d), _cross(r.findings)))
        seen_sources.add((str(Path(r.source).resolve()), level))
    if archive is not None:
        for key, tl in out.items():
            for info in archive.documents(dept_key=key):
                if (info.source, info.level) in seen_sources:
                    continue
                d = archive.load(info.id)
                stored = [(f["code"], f["severity"], f["message"]) for f in archive.findings(info.id) if f["code"].startswith(CROSS_PREFIX)]
                tl.entries.append(Entry(info.year, info.kind, info.level or "", info.source, key_figures(d), stored))
    for tl in out.values():
        tl.entries.sort(key=lambda e: (e.year or 0, e.kind or "", e.level))
    return list(out.values())


def shown(amount: Decimal | None) -> str:
    """A timeline figure as shown: 万元 to two decimals (a 元 table converts to more digits; the data keeps them)."""
    if amount is None:
        return "—"
    return fmt(amount.quantize(Decimal("0.01")) if amount.as_tuple().exponent < -2 else amount)


def render_text(tl: Timeline) -> str:
    lines = [f"{tl.department}（{len(tl.entries)} 份文件）", "文件".ljust(12, "　") + "".join(f"{n:>14}" for n in FIGURES)]
    for e in tl.entries:
        lines.append(e.title.ljust(12, "　") + "".join(f"{shown(e.figures[n]):>16}" for n in FIGURES))
        for code, sev, msg in e.findings:
            lines.append(f"    【{sev}】{code} {msg}")
    return "\n".join(lines)


def render_html_section(timelines: list[Timeline]) -> str:
    """The HTML report's 部门时间线 section (escaped; no scripts, no links)."""
    if not timelines:
        return ""
    e = lambda x: escape("" if x is None else str(x), quote=True)  # noqa: E731
    parts = ['<section id="timeline"><h2>部门时间线</h2><p class="muted">各年度文件的主要数字（万元），右侧为跨文件核对发现的问题'
             '（决算与预算、本年与上年、部门与所属单位）。</p>']
    for tl in timelines:
        parts.append(f'<h3 style="font-size:14px;margin:10px 0 4px">{e(tl.department)}</h3><div class="scroll"><table class="timeline">'
                     "<thead><tr><th>文件</th>" + "".join(f"<th>{e(n)}</th>" for n in FIGURES) + "<th>跨文件核对</th></tr></thead><tbody>")
        for entry in tl.entries:
            cells = "".join(f'<td class="n">{e(shown(entry.figures[n]))}</td>' for n in FIGURES)
            found = "<br>".join(f'<span class="sev {"err" if sev == "错误" else "rnd" if sev == "尾差" else "warn"}">{e(sev)}</span> {e(code)} {e(msg)}'
                                for code, sev, msg in entry.findings) or '<span class="muted">无</span>'
            parts.append(f'<tr><td title="{e(entry.source)}">{e(entry.title)}</td>{cells}<td class="msg">{found}</td></tr>')
        parts.append("</tbody></table></div>")
    parts.append("</section>")
    return "".join(parts)
