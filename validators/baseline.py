"""Baseline: findings a reviewer has accepted (explained 提示, known 尾差 …) do not come back every round.

``czcheck validate --write-baseline accepted.json`` records the findings of a run; ``--baseline
accepted.json`` then reports only findings that are not in it.

A finding is matched by its fingerprint, never by its message (wording may change between versions):

    scope     the department + year + 预算/决算 read from the workbook (so a renamed file still matches),
              or the file name when the workbook names no department
    code      the rule code
    cells     every cell named by the finding, sorted ("表!B5")
    table     the table kind, for findings that name no cell (a missing table)
    expected / actual   the numbers, normalised ("10.00" == "10")

A changed figure is a new finding, so is the same rule on another cell.  Status (已校验/部分校验/未能校验)
is decided before the baseline is applied: a baseline never makes an unchecked file look checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterable

from .model import Finding, Report

VERSION = 1
KIND = "czcheck-baseline"

Fingerprint = tuple[str, str, tuple[str, ...], str, str, str]


class BaselineError(ValueError):
    """A baseline file that cannot be used (Chinese message)."""


def _num(value: Any) -> str:
    if value is None or value == "":
        return ""
    try:
        d = Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        return str(value)
    if not d.is_finite():
        return str(value)
    d = d.normalize()
    return format(d if d != 0 else Decimal(0), "f")


def scope_of(report: Report) -> str:
    d = report.disclosure
    if d is not None and d.department:
        return "|".join(str(x) for x in (d.department, d.year or "", d.kind or ""))
    return Path(report.source).name


def fingerprint(scope: str, finding: Finding) -> Fingerprint:
    cells = tuple(sorted(str(c) for c in finding.all_cells))
    table = "" if cells else finding.table or ""
    return (scope, finding.code, cells, table, _num(finding.expected), _num(finding.actual))


def _entry(report: Report, finding: Finding) -> dict[str, Any]:
    d = report.disclosure
    return {
        "范围": scope_of(report),
        "规则": finding.code,
        "单元格": sorted(str(c) for c in finding.all_cells),
        "表": finding.table or "",
        "应为": _num(finding.expected),
        "实际": _num(finding.actual),
        # for the reader only, never matched
        "级别": finding.severity.value,
        "说明": finding.message,
        "文件": report.source,
        "部门": d.department if d is not None and d.department else "",
    }


def _entry_fingerprint(entry: dict[str, Any]) -> Fingerprint:
    cells = tuple(sorted(str(c) for c in entry.get("单元格") or ()))
    table = "" if cells else str(entry.get("表") or "")
    return (str(entry["范围"]), str(entry["规则"]), cells, table, _num(entry.get("应为")), _num(entry.get("实际")))


def baseline_document(reports: Iterable[Report]) -> dict[str, Any]:
    """Every finding of ``reports`` (those already hidden by a baseline included) as a baseline."""
    entries = []
    for report in reports:
        for f in [*report.findings, *report.baselined]:
            entries.append(_entry(report, f))
    entries.sort(key=lambda e: (e["范围"], e["规则"], e["单元格"], e["表"]))
    return {
        "version": VERSION,
        "kind": KIND,
        "说明": "czcheck 基线：已接受的校验结果。用 --baseline 指定本文件后，与下列条目相同的结果不再报告。"
                "按 范围、规则、单元格（或表）、应为、实际 匹配；“说明”“级别”“文件”“部门”仅供阅读。删除某一条即恢复报告该结果。",
        "条目": entries,
    }


def write_baseline(reports: Iterable[Report], path: str | Path, *, force: bool = False) -> tuple[Path, int]:
    """Write the baseline through the safe-write layer (raises safewrite.WriteRefused or OSError)."""
    from .safewrite import write_output

    doc = baseline_document(reports)
    path = Path(path)
    write_output(path, (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8"), force=force)
    return path, len(doc["条目"])


@dataclass(frozen=True)
class Baseline:
    """The accepted fingerprints.  Picklable, so it travels to pool and Dask workers."""

    fingerprints: frozenset[Fingerprint]

    def __len__(self) -> int:
        return len(self.fingerprints)

    def apply(self, report: Report) -> int:
        """Move the accepted findings of ``report`` to ``report.baselined``; returns how many."""
        if not self.fingerprints or not report.findings:
            return 0
        scope = scope_of(report)
        kept, hidden = [], []
        for f in report.findings:
            (hidden if fingerprint(scope, f) in self.fingerprints else kept).append(f)
        report.findings = kept
        report.baselined.extend(hidden)
        return len(hidden)


def load_baseline(path: str | Path) -> Baseline:
    """Read a baseline file; a clear Chinese BaselineError when it cannot be used."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BaselineError(f"找不到基线文件：{path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"无法读取基线文件 {path}：{getattr(exc, 'strerror', None) or type(exc).__name__}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"基线文件不是有效的 JSON（第 {exc.lineno} 行）：{path}") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND or not isinstance(doc.get("条目"), list):
        raise BaselineError(f"不是 czcheck 基线文件：{path}（请用 --write-baseline 生成）")
    version = doc.get("version")
    if version != VERSION:
        raise BaselineError(f"基线文件版本 {version} 不受支持（本版本 czcheck 使用版本 {VERSION}）：{path}")
    prints = set()
    for i, entry in enumerate(doc["条目"], start=1):
        try:
            prints.add(_entry_fingerprint(entry))
        except (KeyError, TypeError, AttributeError):
            raise BaselineError(f"基线文件第 {i} 条缺少“范围”或“规则”：{path}") from None
    return Baseline(frozenset(prints))


@dataclass(frozen=True)
class WithBaseline:
    """``after`` hook for validate_many: hide the accepted findings in the worker, then run ``then`` (e.g.
    writing a marked copy, which so marks only what is reported).  Picklable."""

    baseline: Baseline
    then: Any = None

    def __call__(self, report: Report) -> str | None:
        self.baseline.apply(report)
        return self.then(report) if self.then is not None else None
