"""SARIF 2.1.0 for code-scanning tools: one result per finding, the workbook as the artifact and the
cell address as a logical location (spreadsheets have no line/column regions)."""

from __future__ import annotations

import json
from pathlib import Path

from .. import __version__
from ..model import Report, Severity
from .summary import department_of, rule_name

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.UNVERIFIABLE: "warning", Severity.WARNING: "warning", Severity.ROUNDING: "note"}


def _uri(source: str) -> str:
    p = Path(source)
    return p.as_posix() if not p.is_absolute() else p.as_uri()


def render_sarif(reports: list[Report]) -> str:
    from ..rules import all_rules

    catalogue = {r.code: r for r in all_rules()}
    used: dict[str, int] = {}
    rules_out: list[dict] = []

    def rule_index(code: str, name: str) -> int:
        if code not in used:
            used[code] = len(rules_out)
            r = catalogue.get(code)
            entry = {"id": code, "name": name or (r.name if r else code),
                     "shortDescription": {"text": name or (r.name if r else code)}}
            if r is not None:
                entry["fullDescription"] = {"text": r.doc.strip()}
                entry["defaultConfiguration"] = {"level": LEVEL[r.severity]}
                entry["properties"] = {"family": r.family}
            rules_out.append(entry)
        return used[code]

    results, notes, later, artifacts = [], [], [], []
    for report in reports:
        artifact = {"uri": _uri(report.source)}
        status = report.status
        artifacts.append({"location": dict(artifact), "properties": {"status": status.value, "statusReasons": list(status.reasons)}})
        if report.error:
            notes.append({"level": "error", "message": {"text": f"{report.source}：{report.error}"},
                          "locations": [{"physicalLocation": {"artifactLocation": artifact}}]})
            continue
        if status.failed:  # read, but nothing to check (empty, no table recognised): after the read errors
            later.append({"level": "error", "message": {"text": f"{report.source}：{status.describe()}"},
                          "locations": [{"physicalLocation": {"artifactLocation": artifact}}]})
        dept = department_of(report)
        for f in report.findings:
            cells = f.cells or f.related_cells
            locations = [{"physicalLocation": {"artifactLocation": artifact},
                          "logicalLocations": [{"fullyQualifiedName": str(c), "name": c.address, "kind": "element"}]}
                         for c in cells[:1]] or [{"physicalLocation": {"artifactLocation": artifact}}]
            related = [{"id": i, "physicalLocation": {"artifactLocation": artifact},
                        "logicalLocations": [{"fullyQualifiedName": str(c), "kind": "element"}]}
                       for i, c in enumerate([c for c in f.all_cells if c not in cells[:1]], start=1)]
            result = {"ruleId": f.code, "ruleIndex": rule_index(f.code, rule_name(f)), "level": LEVEL[f.severity],
                      "message": {"text": f.message}, "locations": locations,
                      "properties": {"severity": f.severity.value, "department": dept, **{
                          k: format(v, "f") for k, v in (("expected", f.expected), ("actual", f.actual), ("difference", f.difference)) if v is not None}}}
            if related:
                result["relatedLocations"] = related
            results.append(result)
    notes += later
    run = {
        "tool": {"driver": {"name": "czcheck", "version": __version__, "rules": rules_out}},
        "invocations": [{"executionSuccessful": not notes, "toolExecutionNotifications": notes}],
        "artifacts": artifacts,
        "results": results,
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, ensure_ascii=False, indent=2)
