"""Machine-readable JSON report."""

from __future__ import annotations

import json

from .. import __version__
from ..model import SEVERITY_ORDER, Report
from ..status import status_counts
from .tables import found_tables


def report_dict(report: Report) -> dict:
    d = report.disclosure
    return {
        "source": report.source,
        "department": d.department if d else None,
        "year": d.year if d else None,
        "kind": d.kind if d else None,
        "profile": d.profile if d else None,
        "error": report.error,
        **_status(report),
        "counts": {s.value: report.count(s) for s in SEVERITY_ORDER},
        "baselined": len(report.baselined),
        "tables": found_tables(d),  # which title matched which kind (report/tables.py)
        "findings": [_finding_dict(f) for f in report.findings],
    }


def _finding_dict(f) -> dict:
    """A finding; a cross-document one also names its counterpart documents (``counterparts``: source, label,
    department, year, kind, level, cells, and pages for a PDF), from ``evidence`` (validators/archive/crossdoc.py)."""
    out = f.to_dict()
    counterparts = f.evidence.get("counterparts") if f.evidence else None
    if counterparts:
        out["counterparts"] = counterparts
    return out


def _status(report: Report) -> dict:
    st = report.status
    return {"status": st.value, "status_reasons": list(st.reasons),
            "missing_tables": list(st.missing_tables), "unreadable_tables": list(st.unreadable_tables)}


def render_json(reports: list[Report]) -> str:
    summary = {s.value: n for s, n in status_counts(reports).counts.items()}
    return json.dumps(
        {"tool": "czcheck", "version": __version__, "status_counts": summary,
         "baselined": sum(len(r.baselined) for r in reports), "files": [report_dict(r) for r in reports]},
        ensure_ascii=False, indent=2,
    )
