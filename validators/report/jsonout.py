"""Machine-readable JSON report."""

from __future__ import annotations

import json

from .. import __version__
from ..model import SEVERITY_ORDER, Report
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
        "counts": {s.value: report.count(s) for s in SEVERITY_ORDER},
        "tables": found_tables(d),  # which title matched which kind (report/tables.py)
        "findings": [f.to_dict() for f in report.findings],
    }


def render_json(reports: list[Report]) -> str:
    return json.dumps(
        {"tool": "czcheck", "version": __version__, "files": [report_dict(r) for r in reports]},
        ensure_ascii=False, indent=2,
    )
