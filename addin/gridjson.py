"""A live book's grids as JSON, and the engine on them: the seam for doors without CPython.

A host that can read a workbook's used ranges (Excel's or WPS 表格's JavaScript APIs, or a test
under Node.js) hands the engine JSON and gets findings back as JSON; the engine runs in Pyodide
(addin/pyodide/engine.mjs) with nothing but the standard library: no python-calamine, openpyxl,
pandas or defusedxml is imported on this path.

    grids JSON    {"source": "...", "sheets": [{"name": "...", "hidden": false, "rows": [[cell, ...], ...]}]}
    a cell        null | true/false | number | "text" | {"date": "2024-01-31T00:00:00"}
    findings JSON [Finding.to_dict(), ...] in the engine's order
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

# The engine's modules are imported inside the functions: ``python -m addin`` and the add-in's
# entry module import this package without paying for the rules.


def _cell_out(v: Any) -> Any:
    if isinstance(v, _dt.datetime):
        return {"date": v.isoformat()}
    if isinstance(v, _dt.date):
        return {"date": _dt.datetime(v.year, v.month, v.day).isoformat()}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)  # anything else a host may hand over is text to the engine


def _cell_in(v: Any) -> Any:
    if isinstance(v, dict) and set(v) == {"date"}:
        return _dt.datetime.fromisoformat(v["date"])
    return v


def grids_to_json(grids: list[Any], source: str = "") -> str:
    sheets = [{"name": g.name, "hidden": bool(g.hidden), "rows": [[_cell_out(v) for v in row] for row in g.rows]}
              for g in grids]
    return json.dumps({"source": source, "sheets": sheets}, ensure_ascii=False)


def grids_from_json(text: str) -> tuple[list[Any], str]:
    from validators.reading import Grid

    data = json.loads(text)
    grids = [Grid(s["name"], [[_cell_in(v) for v in row] for row in s["rows"]], hidden=bool(s.get("hidden")))
             for s in data["sheets"]]
    return grids, data.get("source", "")


def findings_to_json(findings: list[Any]) -> str:
    return json.dumps([f.to_dict() for f in findings], ensure_ascii=False, default=str)


def validate_json(text: str) -> str:
    """Grids JSON in, findings JSON out (what a JavaScript host calls)."""
    from validators.reading import disclosure_from_grids
    from validators.rules import run_rules

    grids, source = grids_from_json(text)
    return findings_to_json(run_rules(disclosure_from_grids(grids, source=source)))


__all__ = ["findings_to_json", "grids_from_json", "grids_to_json", "validate_json"]
