"""The WPS 加载项's Python half: what the 校验本工作簿 and 清除标注 buttons do, as operations.

The add-in's JavaScript (addin/wps/czcheck-wps.js) only reads the object model and applies
operations; every decision is taken here, in Pyodide, by the same code as the Excel door
(addin/excel.py: the record of originals, the 校验结果 block with HYPERLINK formulas, address
unions under Excel's limit) and the same mark plan (validators/marking/plan.py).

One click is two calls:

    begin(book_json)      book JSON -> {"probe": [...], "restore": [ops], "counts": ...}
        book JSON = {"source": name, "sheets": [{"name", "hidden", "row", "col", "values"}]}
        (every sheet in book order; row/col = 1-based top-left of the used range; values =
        UsedRange.Value2 as a 2-D array; visible_rows = [first row, count] per area of visible cells,
        null when unknown; czcheck's own sheets are read for the record only)
        probe = the cells about to be marked for the first time: their original fill and comment
        must be read, per sheet, address chunk by chunk ({"sheet", "chunks": [{"address", "cells"}]}).
    finish(originals_json) -> {"ops": [...], "message": "...", "marked": [...], "results": [...]}
        originals JSON = {"sheet!A1": {"color": BGR int | null, "comment": text | null}}

    clear(book_json)      -> {"ops": [...], "message": "..."}  (the record's originals put back,
                             校验结果 and the record sheet deleted)

An operation is a dict with "op":
    fill      sheet, address (≤ 250 chars, may hold several areas), color (BGR int; null = no fill)
    comment   sheet, cell, text (null = none), had (the cell has a comment now: clear it first)
    sheet     name, create (add after the last sheet) | clear (clear its cells), hide
    values    sheet, address, rows (2-D; text starting with = is a formula, ' keeps text as text)
    width     sheet, address ("A:A"), width
    delete    name
    activate  name

Colours: WPS (like Excel) gives Interior.Color as a BGR integer; the record keeps "#RRGGBB" as
the Excel door does, so a book marked by one door is re-marked or cleared by the other.
"""

from __future__ import annotations

import json
from typing import Any

from addin.excel import RECORD_HEAD, RECORD_SHEET, Original, _hex, _parse_address, result_rows, unions
from addin.gridjson import findings_to_json
from validators.marking.comments import SEPARATOR
from validators.marking.plan import RESULT_COLUMNS, RESULT_SHEET_NAME, RESULT_WIDTHS, SEVERITY_STYLES, plan_marks
from validators.model import SEVERITY_ORDER, column_letter
from validators.reading.grid import SparseRows

# Value2 of an error cell, as Excel's COM gives it (CVErr codes); WPS is assumed to do the same.
CV_ERRORS = {-2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?", -2146826288: "#NULL!",
             -2146826252: "#NUM!", -2146826265: "#REF!", -2146826273: "#VALUE!", -2146826245: "#GETTING_DATA"}

_PENDING: dict[str, Any] = {}


def bgr(color: str | None) -> int | None:
    """"#RRGGBB" -> the BGR integer Interior.Color takes (None stays None: no fill)."""
    if color is None:
        return None
    h = color.lstrip("#")
    return int(h[0:2], 16) + int(h[2:4], 16) * 256 + int(h[4:6], 16) * 65536


def rgb_hex(value: Any) -> str | None:
    """A BGR integer (Interior.Color) -> "#RRGGBB"; None (no fill) stays None."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    n = int(value)
    return f"#{n & 0xFF:02X}{(n >> 8) & 0xFF:02X}{(n >> 16) & 0xFF:02X}"


def _cell(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, float) and v.is_integer() and int(v) in CV_ERRORS:
        return CV_ERRORS[int(v)]
    if isinstance(v, int) and v in CV_ERRORS:
        return CV_ERRORS[v]
    if isinstance(v, (int, float, str)):
        return v
    return str(v)


def _sparse_rows(sheet: dict[str, Any]) -> SparseRows:
    cells: dict[int, dict[int, Any]] = {}
    for area in sheet.get("areas") or []:
        values = area.get("values")
        values = values if isinstance(values, list) else [[values]]
        r0, c0 = int(area["row"]) - 1, int(area["col"]) - 1
        for i, row in enumerate(values):
            for j, v in enumerate(row if isinstance(row, list) else [row]):
                if v is not None and v != "":
                    cells.setdefault(r0 + i, {})[c0 + j] = _cell(v)
    height = int(sheet.get("row") or 1) - 1 + int(sheet.get("height") or 0)
    return SparseRows(cells, max([height, *(r + 1 for r in cells)]), fill=None)


def _grid_rows(sheet: dict[str, Any]) -> Any:
    if "areas" in sheet:
        return _sparse_rows(sheet)
    values = sheet.get("values")
    if values is None:
        return []
    if not isinstance(values, list):  # a one-cell used range: Value2 is the value itself
        values = [[values]]
    top, left = int(sheet.get("row") or 1) - 1, int(sheet.get("col") or 1) - 1
    rows: list[list[Any]] = [[] for _ in range(top)]
    for row in values:
        row = row if isinstance(row, list) else [row]
        rows.append([None] * left + [_cell(v) for v in row])
    return rows


def _hidden_rows(sheet: dict[str, Any], height: int) -> frozenset[int]:
    """0-based rows of the used range outside every area of visible cells (nothing when unknown)."""
    spans = sheet.get("visible_rows")
    if not isinstance(spans, list):
        return frozenset()
    top = int(sheet.get("row") or 1) - 1
    visible = set()
    for span in spans:
        if isinstance(span, list) and len(span) == 2:
            first, count = int(span[0]) - 1, int(span[1])
            visible.update(range(first, first + count))
    return frozenset(r for r in range(top, height) if r not in visible)


def _own(name: str) -> bool:
    from validators.reading import RESULTS_SHEET

    return name == RECORD_SHEET or bool(RESULTS_SHEET.match(name))


def _record(sheets: list[dict[str, Any]]) -> dict[tuple[str, str], Original]:
    for s in sheets:
        if s["name"] == RECORD_SHEET:
            out = {}
            if int(s.get("row") or 1) != 1 or int(s.get("col") or 1) != 1:
                return {}
            for row in _grid_rows(s):
                original = Original.from_text(row[0] if row else None)
                if original:
                    out[(original.sheet, original.address)] = original
            return out
    return {}


def _restore_ops(originals: list[Original]) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = []
    by_sheet: dict[str, dict[str | None, list[tuple[int, int]]]] = {}
    for o in originals:
        by_sheet.setdefault(o.sheet, {}).setdefault(o.color, []).append(_parse_address(o.address))
    for sheet, by_color in by_sheet.items():
        for color, cells in by_color.items():
            ops += [{"op": "fill", "sheet": sheet, "address": a, "color": bgr(color)} for a in unions(cells)]
    for o in originals:
        ops.append({"op": "comment", "sheet": o.sheet, "cell": o.address, "text": o.note, "had": True})
    return ops


def begin(book_json: str) -> str:
    """Read the book, run the engine, plan the marks; say which originals to read."""
    from validators.blanks import name_blank_cells
    from validators.reading import Grid, ReadError, disclosure_from_grids
    from validators.rules import run_rules

    data = json.loads(book_json)
    sheets = data["sheets"]
    names = [s["name"] for s in sheets]
    grids = []
    for s in sheets:
        if not _own(s["name"]):
            rows = _grid_rows(s)
            grids.append(Grid(s["name"], rows, hidden=bool(s.get("hidden")), hidden_rows=_hidden_rows(s, len(rows))))
    grids.sort(key=lambda g: g.hidden)  # visible sheets first, as the Excel door reads them
    try:
        disclosure = disclosure_from_grids(grids, source=data.get("source", ""))
    except ReadError as exc:
        return json.dumps({"error": f"无法校验本工作簿：{exc}"}, ensure_ascii=False)
    findings = name_blank_cells(disclosure, run_rules(disclosure))
    plan = plan_marks(findings, RESULT_SHEET_NAME)
    old = _record(sheets)
    marks = {(m.ref.sheet, m.ref.address): m for m in plan.cells.values() if m.ref.sheet in names}
    stale = [o for key, o in old.items() if key not in marks and o.sheet in names]
    probe: dict[str, list[tuple[int, int]]] = {}
    for (sheet, _), m in marks.items():
        if (sheet, m.ref.address) not in old:
            probe.setdefault(sheet, []).append((m.ref.row, m.ref.col))
    _PENDING.clear()
    _PENDING.update(plan=plan, old=old, marks=marks, names=names, findings=findings)
    chunks = []
    for sheet, cells in probe.items():
        parts = []
        for address in unions(cells):
            covered = [f"{column_letter(c)}{r + 1}" for part in address.split(",") for r, c in _area(part)]
            parts.append({"address": address, "cells": covered})
        chunks.append({"sheet": sheet, "chunks": parts})
    return json.dumps({"probe": chunks, "restore": _restore_ops(stale), "findings": json.loads(findings_to_json(findings))},
                      ensure_ascii=False)


def _area(area: str) -> list[tuple[int, int]]:
    first, _, last = area.partition(":")
    r1, c1 = _parse_address(first)
    r2, c2 = _parse_address(last) if last else (r1, c1)
    return [(r, c) for c in range(c1, c2 + 1) for r in range(r1, r2 + 1)]


def finish(originals_json: str) -> str:
    """The originals read; the operations that put the plan on the book."""
    if not _PENDING:
        raise RuntimeError("finish() without begin()")
    plan, old, marks, names = _PENDING["plan"], _PENDING["old"], _PENDING["marks"], _PENDING["names"]
    originals = json.loads(originals_json)
    ops: list[dict[str, Any]] = []
    record: dict[tuple[str, str], Original] = {}
    by_fill: dict[tuple[str, str], list[tuple[int, int]]] = {}
    comment_ops: list[dict[str, Any]] = []
    for key, m in marks.items():
        sheet, address = key
        if key in old:
            before = old[key]
        else:
            seen = originals.get(f"{sheet}!{address}") or {}
            comment = seen.get("comment")
            before = Original(sheet, address, rgb_hex(seen.get("color")), comment if isinstance(comment, str) else None)
        fill = _hex(m.fill.bg)
        if before.fill != fill:
            by_fill.setdefault((sheet, fill), []).append((m.ref.row, m.ref.col))
        text = m.comment if before.note is None else before.note + SEPARATOR + m.comment
        if before.mark != text:
            had = key in old or before.note is not None
            comment_ops.append({"op": "comment", "sheet": sheet, "cell": address, "text": text, "had": had})
        record[key] = Original(sheet, address, before.color, before.note, fill, text)
    # the record first: should a later operation fail, 清除标注 still finds every original
    rec_rows = [[RECORD_HEAD]] + [[o.to_text()] for o in record.values()]
    if RECORD_SHEET in names:
        ops.append({"op": "sheet", "name": RECORD_SHEET, "clear": True})
    else:
        ops.append({"op": "sheet", "name": RECORD_SHEET, "create": True, "hide": True})
        names.append(RECORD_SHEET)
    ops.append({"op": "values", "sheet": RECORD_SHEET, "address": f"A1:A{len(rec_rows)}", "rows": rec_rows})
    for (sheet, fill), cells in by_fill.items():
        ops += [{"op": "fill", "sheet": sheet, "address": a, "color": bgr(fill)} for a in unions(cells)]
    ops += comment_ops

    block = result_rows(plan, set(names))
    width = len(RESULT_COLUMNS)
    created = plan.sheet_name not in names
    ops.append({"op": "sheet", "name": plan.sheet_name, "create": True} if created
               else {"op": "sheet", "name": plan.sheet_name, "clear": True})
    ops.append({"op": "values", "sheet": plan.sheet_name, "address": f"A1:{column_letter(width - 1)}{len(block)}",
                "rows": block})
    if created:
        for i, w in enumerate(RESULT_WIDTHS):
            ops.append({"op": "width", "sheet": plan.sheet_name, "address": f"{column_letter(i)}:{column_letter(i)}",
                        "width": w})
    severity_col = RESULT_COLUMNS.index("严重程度")
    by_severity: dict[str, list[tuple[int, int]]] = {}
    for row in plan.rows:
        by_severity.setdefault(_hex(SEVERITY_STYLES[row.severity].fill.bg), []).append((row.sheet_row - 1, severity_col))
    for color, cells in by_severity.items():
        ops += [{"op": "fill", "sheet": plan.sheet_name, "address": a, "color": bgr(color)} for a in unions(cells)]
    ops.append({"op": "activate", "name": plan.sheet_name})

    counts = plan.counts()
    parts = "，".join(f"{s.value} {counts.get(s, 0)} 项" for s in SEVERITY_ORDER)
    message = f"校验完成：共 {len(plan.rows)} 项（{parts}）。详见“{plan.sheet_name}”工作表，单元格批注写明了每一项。"
    marked = [{"cell": f"{m.ref.sheet}!{m.ref.address}", "severity": m.severity.value}
              for m in sorted(marks.values(), key=lambda m: (names.index(m.ref.sheet), m.ref.row, m.ref.col))]
    _PENDING.clear()
    return json.dumps({"ops": ops, "message": message, "marked": marked, "results": block[2:]}, ensure_ascii=False,
                      default=str)


def clear(book_json: str) -> str:
    """清除标注: every recorded cell gets its original fill and comment back; czcheck's sheets go."""
    data = json.loads(book_json)
    sheets = data["sheets"]
    names = [s["name"] for s in sheets]
    if RECORD_SHEET not in names:
        return json.dumps({"ops": [], "message": "本工作簿中没有 czcheck 的标注，无需清除。"}, ensure_ascii=False)
    old = _record(sheets)
    ops = _restore_ops([o for o in old.values() if o.sheet in names])
    if RESULT_SHEET_NAME in names:
        ops.append({"op": "delete", "name": RESULT_SHEET_NAME})
    ops.append({"op": "delete", "name": RECORD_SHEET})
    return json.dumps({"ops": ops, "message": f"已清除标注：{len(old)} 个单元格恢复了原来的填充色和批注。"},
                      ensure_ascii=False)


def warm() -> None:
    """Run the engine once on a one-cell book while the add-in loads: the rules' and format packs'
    first-use work is then part of the load, not of the first click."""
    begin(json.dumps({"source": "", "sheets": [{"name": "Sheet1", "row": 1, "col": 1, "values": [["预热"]]}]}))
    _PENDING.clear()


__all__ = ["begin", "bgr", "clear", "finish", "rgb_hex", "warm"]
