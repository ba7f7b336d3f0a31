"""Aggregations shared by the HTML, xlsx, JUnit and SARIF reports: by department, by rule, by severity."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from ..model import SEVERITY_ORDER, Finding, Report, Severity

READ_FAILURE = "无法读取"


def department_of(report: Report) -> str:
    """The department named in the workbook, else the file name (so distinct files stay distinct)."""
    d = report.disclosure
    if d is not None and d.department:
        return d.department
    return f"（未识别部门）{Path(report.source).name}"


def year_of(report: Report) -> int | None:
    return report.disclosure.year if report.disclosure is not None else None


def rule_name(finding: Finding) -> str:
    if finding.rule_name:
        return finding.rule_name
    from ..rules import get_rule

    rule = get_rule(finding.code)
    return rule.name if rule else ""


def primary_cell(finding: Finding) -> str:
    if finding.cells:
        return str(finding.cells[0])
    return finding.table or ""


@dataclass
class DepartmentSummary:
    name: str
    files: list[str] = field(default_factory=list)
    years: set[int] = field(default_factory=set)
    counts: Counter = field(default_factory=Counter)  # Severity -> n
    unreadable: int = 0
    rules: Counter = field(default_factory=Counter)  # code -> n (错误 and 无法校验 and 提示)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def top_rules(self, n: int = 3) -> list[tuple[str, int]]:
        return self.rules.most_common(n)


@dataclass
class RuleSummary:
    code: str
    name: str
    counts: Counter = field(default_factory=Counter)
    departments: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class BatchSummary:
    reports: list[Report]
    departments: list[DepartmentSummary]
    rules: list[RuleSummary]
    totals: dict[Severity, int]
    unreadable: list[Report]

    @property
    def finding_count(self) -> int:
        return sum(self.totals.values())


def _severity_key(counts: Counter) -> tuple:
    return tuple(-counts.get(s, 0) for s in SEVERITY_ORDER)


def summarise(reports: Iterable[Report]) -> BatchSummary:
    reports = list(reports)
    depts: dict[str, DepartmentSummary] = {}
    rules: dict[str, RuleSummary] = {}
    totals = {s: 0 for s in SEVERITY_ORDER}
    for report in reports:
        name = department_of(report)
        ds = depts.setdefault(name, DepartmentSummary(name))
        ds.files.append(report.source)
        year = year_of(report)
        if year:
            ds.years.add(year)
        if report.error:
            ds.unreadable += 1
        for f in report.findings:
            totals[f.severity] += 1
            ds.counts[f.severity] += 1
            if f.severity is not Severity.ROUNDING:
                ds.rules[f.code] += 1
            rs = rules.get(f.code)
            if rs is None:
                rs = rules[f.code] = RuleSummary(f.code, rule_name(f))
            rs.counts[f.severity] += 1
            rs.departments.add(name)
    dept_list = sorted(depts.values(), key=lambda d: (-d.unreadable, _severity_key(d.counts), d.name))
    rule_list = sorted(rules.values(), key=lambda r: (_severity_key(r.counts), r.code))
    return BatchSummary(reports, dept_list, rule_list, totals, [r for r in reports if r.error])


def link_target(target: str | os.PathLike, start: str | os.PathLike) -> str:
    """``target`` relative to the folder ``start`` (a report's folder), with forward slashes."""
    try:
        rel = os.path.relpath(Path(target).resolve(), Path(start).resolve())
    except ValueError:  # another drive on Windows
        rel = str(Path(target).resolve())
    return rel.replace(os.sep, "/")


def marked_for(report: Report, marked: Mapping[str, str] | None) -> str | None:
    return marked.get(report.source) if marked else None
