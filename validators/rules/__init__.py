"""The rule catalogue.  One rule = one stable code, a Chinese name, a family, a default severity,
the tables it requires, and a docstring with four parts: 检查内容, 依据, 错误示例, 正确示例.

A rule is a function ``(ctx) -> Iterable[Finding]`` registered with ``@rule``.  Rules never
touch openpyxl or xlwings; they read the Disclosure only.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..model import Disclosure, Finding, Severity, Table

FAMILIES = ("读取", "收支总表", "表内", "表间", "三公", "机关运行经费", "文表一致", "完整性", "决算")
DOC_PARTS = ("检查内容", "依据", "错误示例", "正确示例")


@dataclass
class Rule:
    code: str
    name: str
    family: str
    severity: Severity
    requires: tuple[str, ...]
    func: Callable[["Context"], Iterable[Finding]]
    params: dict[str, object] = field(default_factory=dict)

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.func.__doc__ or "")

    def doc_part(self, part: str) -> str:
        lines = self.doc.splitlines()
        out, inside = [], False
        for line in lines:
            head = line.rstrip("：:").strip()
            if head in DOC_PARTS:
                inside = head == part
                continue
            if inside:
                out.append(line)
        return "\n".join(out).strip()


RULES: dict[str, Rule] = {}


def rule(code: str, name: str, family: str, requires: tuple[str, ...] = (), severity: Severity = Severity.ERROR, **params):
    def register(func):
        if code in RULES:
            raise ValueError(f"duplicate rule code {code}")
        RULES[code] = Rule(code, name, family, severity, tuple(requires), func, dict(params))
        return func

    return register


class Context:
    """What a rule sees: the disclosure and helpers that build findings consistently."""

    def __init__(self, disclosure: Disclosure, rule: Rule):
        self.disclosure = disclosure
        self.rule = rule

    def table(self, kind: str) -> Table | None:
        return self.disclosure.table(kind)

    def finding(self, severity: Severity | None = None, **kw) -> Finding:
        return Finding(code=self.rule.code, severity=severity or self.rule.severity, rule_name=self.rule.name, **kw)


def _load_all() -> None:
    # importing the modules registers their rules
    from . import completeness, crosstable, final_accounts, jiguan, jilin, narrative, published, reading, sangong, summary, within  # noqa: F401


def all_rules() -> list[Rule]:
    _load_all()
    return [RULES[c] for c in sorted(RULES)]


def get_rule(code: str) -> Rule | None:
    _load_all()
    return RULES.get(code.upper())


def run_rules(disclosure: Disclosure, select: Iterable[str] | None = None) -> list[Finding]:
    """Run the catalogue (or ``select`` codes) and return findings sorted by place."""
    from .reading import missing_tables_findings

    chosen = [r for r in all_rules() if select is None or r.code in set(select)]
    findings: list[Finding] = []
    blocked: dict[str, list[str]] = {}
    for r in chosen:
        missing = [k for k in r.requires if disclosure.table(k) is None]
        if missing:
            for k in missing:
                blocked.setdefault(k, []).append(r.code)
            continue
        ctx = Context(disclosure, r)
        try:
            findings.extend(r.func(ctx))
        except (ArithmeticError, KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            findings.append(
                ctx.finding(
                    Severity.UNVERIFIABLE,
                    message=f"规则 {r.code} 无法在本工作簿上完成（{type(exc).__name__}），请检查表格结构",
                )
            )
    findings.extend(missing_tables_findings(disclosure, blocked))
    return sort_findings(findings)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    def key(f: Finding):
        c = f.cells[0] if f.cells else None
        return (f.severity.rank, c.sheet if c else "", c.row if c else 0, c.col if c else 0, f.code)

    return sorted(findings, key=key)
