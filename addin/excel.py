"""A live xlwings Book as czcheck sees it: its used ranges read into Grids, and a MarkPlan put on it.

The xlwings surface used here is small on purpose; tests/test_addin.py implements exactly this
surface in an in-memory fake Book that holds real state:

    Book    .name  .fullname  .sheets  .app
    App     .screen_updating (set)  .alert(prompt, title=...)
    Sheets  iteration  .add(name, after=sheet)
    Sheet   .name  .visible (get/set)  .used_range  .range(address)  .notes (iteration)  .clear()  .activate()
    Range   .address  .options(ndim=2, err_to_str=True).value  .value = rows
            .color (get/set; a multi-cell get raises when the fills differ, as xlwings on Windows does)
            .note  .add_note(text)  .column_width (set)
    Note    .text (get/set)  .delete()  .location (a Range)

One click costs, in these operations (each at least one round trip to Excel; counted per sample by
benchmarks/bench_com_calls.py): the sheet list once (names), four per sheet to read it (visible,
used range, its address, its values), fills per sheet, colour and address chunk, and per marked
cell its note (two operations for a new note: the cell, then AddComment).  A re-run that plans
the same marks writes nothing per cell: the record keeps what czcheck wrote.

Marks replace earlier marks: the original fill and note of every cell czcheck marks are kept in
a hidden sheet (one JSON text per cell, written and read in one call); a rerun restores cells
that are no longer marked and re-marks the others from their recorded originals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable

from validators.marking import RESULT_SHEET_NAME, SEVERITY_STYLES, MarkPlan, plan_marks
from validators.marking.comments import SEPARATOR
from validators.marking.plan import RESULT_COLUMNS, RESULT_WIDTHS
from validators.model import Finding, column_letter
from validators.reading import Grid, disclosure_from_grids
from validators.reading import RESULTS_SHEET
from validators.blanks import name_blank_cells
from validators.rules import run_rules

RECORD_SHEET = "czcheck标注记录"
RECORD_HEAD = "czcheck 标注记录：记录被标注单元格原来的填充色和批注，重新校验时据此恢复。请勿修改或删除。"
CHECK_SHEET = "校验"
ADDRESS_LIMIT = 250  # Excel refuses Range("…") addresses longer than 255 characters
FORMULA_START = ("=", "+", "-", "@")


def _hex(argb: str) -> str:
    return "#" + argb[-6:]


def _rgb_hex(color: Any) -> str | None:
    """xlwings colours come back as (r, g, b) tuples, None for no fill."""
    if color is None:
        return None
    if isinstance(color, str):
        return "#" + color.lstrip("#").upper()[-6:]
    r, g, b = color
    return f"#{r:02X}{g:02X}{b:02X}"


# ---- reading -----------------------------------------------------------------------------------

def list_sheets(book: Any) -> dict[str, Any]:
    """Sheet name -> sheet, in book order: the one listing of a click (a name read per sheet)."""
    return {s.name: s for s in book.sheets}


def _origin(address: str) -> tuple[int, int]:
    """0-based (row, col) of the top-left cell of "$B$2:$H$40" / "$A$1"."""
    return _parse_address(address.split(":")[0].replace("$", ""))


def _own_sheet(name: str) -> bool:
    return name == RECORD_SHEET or bool(RESULTS_SHEET.match(name))


def read_grids(book: Any, sheets: dict[str, Any] | None = None) -> list[Grid]:
    """Every worksheet's used range, padded to start at A1, in one value read per sheet (visible
    sheets first).  Four operations per sheet: visible, used range, its address, its values.

    czcheck's own sheets (校验结果, the mark record) are left out; error cells come back as their
    error text ("#REF!"), which the amount parser reports as a formula error.
    """
    sheets = list_sheets(book) if sheets is None else sheets
    grids = []
    for name, sheet in sheets.items():
        if _own_sheet(name):
            continue
        hidden = not sheet.visible
        used = sheet.used_range
        top, left = _origin(used.address)
        values = used.options(ndim=2, err_to_str=True).value or []
        rows: list[list[Any]] = [[] for _ in range(top)]
        rows += [[None] * left + list(r) for r in values]
        grids.append(Grid(name, rows, hidden=hidden))
    return sorted(grids, key=lambda g: g.hidden)


SNAPSHOT_SECONDS = 3.0
_SNAPSHOTS: dict[str, tuple[float, list[Grid]]] = {}


def book_snapshot(book: Any, clock: Any = None) -> list[Grid]:
    """The book's grids for CZ_RULE / CZ_STATUS.  Excel recalculates every volatile cell in one
    pass: the first of them reads the book, the others (and a recalculation within
    SNAPSHOT_SECONDS) reuse that read; the engine itself runs again only when the grids changed
    (udf_logic.book_findings)."""
    import time

    now = (clock or time.monotonic)()
    key = str(book.name)
    hit = _SNAPSHOTS.get(key)
    if hit is not None and now - hit[0] <= SNAPSHOT_SECONDS:
        return hit[1]
    grids = read_grids(book)
    if len(_SNAPSHOTS) > 8:
        _SNAPSHOTS.clear()
    _SNAPSHOTS[key] = (now, grids)
    return grids


def validate_book(book: Any, sheets: dict[str, Any] | None = None) -> list[Finding]:
    disclosure = disclosure_from_grids(read_grids(book, sheets), source=book.name)
    return name_blank_cells(disclosure, run_rules(disclosure))


# ---- ranges ------------------------------------------------------------------------------------

def unions(addresses: Iterable[tuple[int, int]]) -> list[str]:
    """Multi-area addresses ("E5:E9,G7") for 0-based (row, col) cells, each under Excel's limit.

    Vertical runs in a column become one area, so a marked column costs one area, not one per cell.
    """
    cells = sorted(set(addresses), key=lambda rc: (rc[1], rc[0]))
    areas: list[str] = []
    i = 0
    while i < len(cells):
        r, c = cells[i]
        j = i
        while j + 1 < len(cells) and cells[j + 1] == (cells[j][0] + 1, c):
            j += 1
        top = f"{column_letter(c)}{r + 1}"
        areas.append(top if j == i else f"{top}:{column_letter(c)}{cells[j][0] + 1}")
        i = j + 1
    chunks: list[str] = []
    for area in areas:
        if chunks and len(chunks[-1]) + 1 + len(area) <= ADDRESS_LIMIT:
            chunks[-1] += "," + area
        else:
            chunks.append(area)
    return chunks


def _parse_address(address: str) -> tuple[int, int]:
    letters = "".join(ch for ch in address if ch.isalpha())
    digits = "".join(ch for ch in address if ch.isdigit())
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return int(digits) - 1, col - 1


# ---- the record of originals -------------------------------------------------------------------

@dataclass
class Original:
    sheet: str
    address: str
    color: str | None  # "#RRGGBB" or None (no fill)
    note: str | None  # the note text the cell had, None for none
    fill: str | None = None  # the fill czcheck put on the cell ("#RRGGBB"), None when unknown
    mark: str | None = None  # the note text czcheck wrote, None when unknown

    def to_text(self) -> str:
        return json.dumps({"s": self.sheet, "a": self.address, "c": self.color, "n": self.note, "f": self.fill,
                           "m": self.mark}, ensure_ascii=False)

    @classmethod
    def from_text(cls, text: Any) -> "Original | None":
        if not isinstance(text, str) or not text.startswith("{"):
            return None
        try:
            d = json.loads(text)
        except json.JSONDecodeError:
            return None
        if not isinstance(d, dict) or not isinstance(d.get("s"), str) or not isinstance(d.get("a"), str):
            return None
        fill, mark = d.get("f"), d.get("m")
        return cls(d["s"], d["a"], d.get("c"), d.get("n"), fill if isinstance(fill, str) else None,
                   mark if isinstance(mark, str) else None)


def read_record(sheet: Any) -> dict[tuple[str, str], Original]:
    used = sheet.used_range
    if _origin(used.address) != (0, 0):
        return {}
    rows = used.options(ndim=2, err_to_str=True).value or []
    out = {}
    for row in rows:
        original = Original.from_text(row[0] if row else None)
        if original:
            out[(original.sheet, original.address)] = original
    return out


# ---- applying a plan ---------------------------------------------------------------------------

def _safe_text(value: Any) -> Any:
    """Text that Excel would take for a formula is written as text (leading apostrophe)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _cell_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return _safe_text(value)


def _link(sheet: str, address: str, shown: str) -> str:
    target = "#'" + sheet.replace("'", "''") + "'!" + address
    return f'=HYPERLINK("{target.replace(chr(34), chr(34) * 2)}","{shown.replace(chr(34), chr(34) * 2)}")'


def result_rows(plan: MarkPlan, existing: set[str]) -> list[list[Any]]:
    """The 校验结果 sheet as one block of values (HYPERLINK formulas in the 位置 column)."""
    width = len(RESULT_COLUMNS)
    block: list[list[Any]] = [[plan.summary()] + [None] * (width - 1), list(RESULT_COLUMNS)]
    where = RESULT_COLUMNS.index("位置")
    for row in plan.rows:
        values = [_cell_value(v) for v in row.values()]
        target = row.target
        if target is not None and target.sheet in existing:
            values[where] = _link(target.sheet, target.address, str(target))
        block.append(values)
    return block


def _get_or_add(sheets: dict[str, Any], book: Any, name: str) -> tuple[Any, bool]:
    if name in sheets:
        sheets[name].clear()
        return sheets[name], False
    last = next(reversed(sheets.values()))
    sheets[name] = book.sheets.add(name, after=last)
    return sheets[name], True


def _set_note(rng: Any, text: str) -> None:
    note = rng.note
    if note is None:
        rng.add_note(text)
    else:
        note.text = text


def _fill(sheet: Any, color: str | None, cells: list[tuple[int, int]], calls: dict[str, int]) -> None:
    for address in unions(cells):
        sheet.range(address).color = color
        calls["fill"] += 1


def _original_colors(sheet: Any, cells: list[tuple[int, int]], calls: dict[str, int]) -> dict[tuple[int, int], str | None]:
    """The fill of each cell: one read per address chunk when the chunk is uniform (Excel reports "no
    fill" only when no cell has one; xlwings raises on mixed fills), else one read per cell of that chunk."""
    out: dict[tuple[int, int], str | None] = {}
    for address in unions(cells):
        chunk = [rc for part in address.split(",") for rc in _area_cells(part)]
        calls["read"] += 1
        try:
            color = sheet.range(address).color
        except Exception:  # noqa: BLE001 - mixed fills: xlwings' int_to_rgb(None) on Windows
            color = _MIXED
        if color is _MIXED:
            for rc in chunk:
                calls["read"] += 1
                out[rc] = _rgb_hex(sheet.range(f"{column_letter(rc[1])}{rc[0] + 1}").color)
        else:
            for rc in chunk:
                out[rc] = _rgb_hex(color)
    return out


_MIXED = object()


def _area_cells(area: str) -> list[tuple[int, int]]:
    first, _, last = area.partition(":")
    r1, c1 = _parse_address(first)
    r2, c2 = _parse_address(last) if last else (r1, c1)
    return [(r, c) for c in range(c1, c2 + 1) for r in range(r1, r2 + 1)]


def _original_notes(sheet: Any) -> dict[str, Any]:
    """Address ("E5") -> the Note of every cell of the sheet that has one: one listing, then the
    location and text of each existing note."""
    out = {}
    for note in sheet.notes:
        out[note.location.address.replace("$", "")] = note
    return out


def _restore(sheet: Any, originals: list[Original], calls: dict[str, int]) -> None:
    by_color: dict[str | None, list[tuple[int, int]]] = {}
    for o in originals:
        by_color.setdefault(o.color, []).append(_parse_address(o.address))
    for color, cells in by_color.items():
        _fill(sheet, color, cells, calls)
    for o in originals:
        note = sheet.range(o.address).note
        calls["note"] += 1
        if o.note is None:
            if note is not None:
                note.delete()
        elif note is None:
            sheet.range(o.address).add_note(o.note)
        else:
            note.text = o.note


def apply_plan(book: Any, plan: MarkPlan, sheets: dict[str, Any] | None = None) -> dict[str, int]:
    """Put ``plan`` on the live book, replacing earlier czcheck marks.  Returns operation counts by
    kind.  A cell whose planned fill and note are what the record says czcheck wrote there last
    time is not touched."""
    sheets = list_sheets(book) if sheets is None else sheets
    record_sheet = sheets.get(RECORD_SHEET)
    old = read_record(record_sheet) if record_sheet is not None else {}
    calls = {"fill": 0, "note": 0, "read": 0}
    new: dict[tuple[str, str], Any] = {(m.ref.sheet, m.ref.address): m for m in plan.cells.values() if m.ref.sheet in sheets}

    stale: dict[str, list[Original]] = {}
    for key, original in old.items():
        if key not in new and original.sheet in sheets:
            stale.setdefault(original.sheet, []).append(original)
    for name, originals in stale.items():
        _restore(sheets[name], originals, calls)

    record: dict[tuple[str, str], Original] = {}
    for name, marks in plan.cells_by_sheet().items():
        if name not in sheets:
            continue
        sheet = sheets[name]
        fresh = [m for m in marks if (name, m.ref.address) not in old]
        colors = _original_colors(sheet, [(m.ref.row, m.ref.col) for m in fresh], calls) if fresh else {}
        notes = _original_notes(sheet) if fresh else {}
        for m in marks:
            key = (name, m.ref.address)
            if key in old:
                record[key] = old[key]
            else:
                note = notes.get(m.ref.address)
                record[key] = Original(name, m.ref.address, colors[(m.ref.row, m.ref.col)],
                                       note.text if note is not None else None)

        by_color: dict[str, list[tuple[int, int]]] = {}
        for m in marks:
            if record[(name, m.ref.address)].fill != _hex(m.fill.bg):
                by_color.setdefault(_hex(m.fill.bg), []).append((m.ref.row, m.ref.col))
        for color, cells in by_color.items():
            _fill(sheet, color, cells, calls)
        for m in marks:
            key = (name, m.ref.address)
            before = record[key]
            original = before.note
            text = m.comment if original is None else original + SEPARATOR + m.comment
            if before.mark != text:
                calls["note"] += 1
                if key in old:  # czcheck's note of the last run is there: rewrite it
                    _set_note(sheet.range(m.ref.address), text)
                elif original is not None:  # the user's own note, found in the listing
                    notes[m.ref.address].text = text
                else:
                    rng = sheet.range(m.ref.address)
                    try:
                        rng.add_note(text)
                    except Exception:  # noqa: BLE001 - a note the listing did not show: keep it as the original
                        note = rng.note
                        if note is None:
                            raise
                        before = Original(name, m.ref.address, before.color, note.text)
                        text = before.note + SEPARATOR + m.comment
                        note.text = text
            record[key] = Original(name, m.ref.address, before.color, before.note, _hex(m.fill.bg), text)

    rec, created = _get_or_add(sheets, book, RECORD_SHEET)
    rec.range("A1").value = [[RECORD_HEAD]] + [[o.to_text()] for o in record.values()]
    if created:
        rec.visible = False

    results, created = _get_or_add(sheets, book, plan.sheet_name)
    results.range("A1").value = result_rows(plan, set(sheets))
    if created:  # clearing a sheet keeps its column widths
        for i, width in enumerate(RESULT_WIDTHS):
            results.range(f"{column_letter(i)}:{column_letter(i)}").column_width = width
    severity_col = RESULT_COLUMNS.index("严重程度")
    by_severity: dict[str, list[tuple[int, int]]] = {}
    for row in plan.rows:
        by_severity.setdefault(_hex(SEVERITY_STYLES[row.severity].fill.bg), []).append((row.sheet_row - 1, severity_col))
    for color, cells in by_severity.items():
        _fill(results, color, cells, calls)
    results.activate()
    return calls


def run(book: Any) -> str:
    """The ribbon button: validate ``book``, mark it, and say so in one Chinese sentence."""
    from validators.reading import ReadError

    app = book.app
    app.screen_updating = False
    try:
        sheets = list_sheets(book)
        try:
            findings = validate_book(book, sheets)
        except ReadError as exc:
            message = f"无法校验本工作簿：{exc}"
            app.alert(message, title="财政校验")
            return message
        plan = plan_marks(findings, RESULT_SHEET_NAME)
        apply_plan(book, plan, sheets)
    finally:
        app.screen_updating = True
    counts = plan.counts()
    parts = "，".join(f"{s.value} {counts.get(s, 0)} 项" for s in SEVERITY_STYLES)
    message = f"校验完成：共 {len(plan.rows)} 项（{parts}）。详见“{RESULT_SHEET_NAME}”工作表，单元格批注写明了每一项。"
    app.alert(message, title="财政校验")
    return message


__all__ = ["CHECK_SHEET", "RECORD_SHEET", "Original", "apply_plan", "read_grids", "read_record", "result_rows", "run",
           "unions", "validate_book"]
