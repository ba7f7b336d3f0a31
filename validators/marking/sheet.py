"""Patch a worksheet part as text: cell style indices (``s=``) and the ``legacyDrawing`` link.

Only the start tags of marked cells change.  A marked cell that does not exist in the XML (a
blank cell never written) is inserted as an empty styled cell and removed again by ``clear``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from . import xmltext
from .errors import MarkingError
from .opc import REL_NS

_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")
_S_ATTR = re.compile(r"""\ss\s*=\s*(["'])(\d*)\1""")
_R_ATTR = re.compile(r"""\sr\s*=\s*(["'])([^"']*)\1""")

# Elements that must come after legacyDrawing in CT_Worksheet, in schema order.
_AFTER_LEGACY_DRAWING = ("legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
                         "webPublishItems", "tableParts", "extLst")


def col_letters(col0: int) -> str:
    letters, n = "", col0 + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def split_ref(ref: str) -> tuple[int, int]:
    """'E5' -> (row 5 (1-based), col 4 (0-based))."""
    m = _CELL_REF.match(ref.replace("$", "").upper())
    if m is None:
        raise MarkingError(f"无法识别的单元格地址 {ref}。")
    return int(m.group(2)), col_index(m.group(1))


@dataclass
class CellChange:
    ref: str  # "E5"
    original: str | None  # the original value of s="…", None when the attribute was absent
    marked: int  # the style index we set
    inserted: bool = False  # the cell element did not exist

    def to_json(self) -> list[object]:
        return [self.ref, self.original, self.marked, self.inserted]

    @classmethod
    def from_json(cls, data: list[object]) -> "CellChange":
        ref, original, marked, inserted = data
        return cls(str(ref), None if original is None else str(original), int(str(marked)), bool(inserted))


@dataclass
class RowChange:
    row: int
    inserted: bool  # the row element did not exist
    self_closing_head: str | None  # original "<row …/>" when we opened a self-closing row

    def to_json(self) -> list[object]:
        return [self.row, self.inserted, self.self_closing_head]

    @classmethod
    def from_json(cls, data: list[object]) -> "RowChange":
        row, inserted, head = data
        return cls(int(str(row)), bool(inserted), None if head is None else str(head))


def _sheet_data(text: str, p: str, part: str) -> tuple[int, int, int]:
    """(content start, content end, element end) of sheetData; opens a self-closing one."""
    span = xmltext.element_span(text, p + "sheetData")
    if span is None:
        raise MarkingError(f"工作表 {part} 没有 sheetData，无法标注。")
    start, end = span
    head_end = xmltext.tag_close(text, start) + 1
    if text[head_end - 2] == "/":
        return head_end, head_end, end  # caller handles the self-closing case
    return head_end, end - len(f"</{p}sheetData>"), end


def _check_plain(text: str, part: str) -> None:
    if "<![CDATA[" in text or "<!--" in text:
        raise MarkingError(f"工作表 {part} 含有 CDATA 或 XML 注释，无法安全地按原样修改，已拒绝标注。")


def _default_style(row_head: str | None, col0: int, col_styles: list[tuple[int, int, str]]) -> str | None:
    if row_head is not None:
        a = xmltext.attrs(row_head)
        if a.get("customFormat") in ("1", "true") and a.get("s"):
            return a["s"]
    for lo, hi, style in col_styles:
        if lo <= col0 + 1 <= hi:
            return style
    return None


def _col_styles(text: str, p: str) -> list[tuple[int, int, str]]:
    span = xmltext.element_span(text, p + "cols")
    if span is None:
        return []
    block = text[span[0]:span[1]]
    out = []
    for s, e in xmltext.children(block, p + "col"):
        a = xmltext.attrs(block[s:xmltext.tag_close(block, s) + 1])
        if a.get("style") and a.get("min") and a.get("max"):
            out.append((int(a["min"]), int(a["max"]), a["style"]))
    return out


def mark_cells(text: str, part: str, targets: dict[tuple[int, int], Callable[[int], int]]
               ) -> tuple[str, list[CellChange], list[RowChange]]:
    """Set the style of every target cell (row 1-based, col 0-based) to ``targets[cell](original)``."""
    _check_plain(text, part)
    p = xmltext.root_prefix(text)
    content_start, content_end, _ = _sheet_data(text, p, part)
    by_row: dict[int, list[int]] = {}
    for row, col in sorted(targets):
        by_row.setdefault(row, []).append(col)
    col_styles = _col_styles(text, p)
    edits: list[tuple[int, int, str]] = []
    cells: list[CellChange] = []
    rows: list[RowChange] = []
    body = text[content_start:content_end]
    if content_start == content_end and text[content_start - 2] == "/":
        raise MarkingError(f"工作表 {part} 的 sheetData 为空，标注的单元格不存在。")
    row_spans = xmltext.children(body, p + "row")
    found_rows: dict[int, tuple[int, int]] = {}
    row_numbers: list[int] = []
    for s, e in row_spans:
        head = body[s:xmltext.tag_close(body, s) + 1]
        m = _R_ATTR.search(head)
        if m is None:
            raise MarkingError(f"工作表 {part} 的行没有行号（r 属性），无法安全标注。")
        number = int(m.group(2))
        row_numbers.append(number)
        if number in by_row:
            found_rows[number] = (s, e)
    for number, cols in by_row.items():
        if number in found_rows:
            s, e = found_rows[number]
            _mark_row(body, s, e, number, cols, p, part, targets, col_styles, edits, cells, rows)
        else:
            pos = len(body)
            for (s, _e), n in zip(row_spans, row_numbers):
                if n > number:
                    pos = s
                    break
            new_cells = []
            for col in cols:
                ref = f"{col_letters(col)}{number}"
                original = _default_style(None, col, col_styles)
                marked = targets[(number, col)](int(original or 0))
                new_cells.append(f'<{p}c r="{ref}" s="{marked}"/>')
                cells.append(CellChange(ref, original, marked, inserted=True))
            edits.append((pos, pos, f'<{p}row r="{number}">' + "".join(new_cells) + f"</{p}row>"))
            rows.append(RowChange(number, True, None))
    edits.sort(key=lambda e: (e[0], e[1]))
    out, pos = [], 0
    for s, e, replacement in edits:
        out.append(body[pos:s])
        out.append(replacement)
        pos = e
    out.append(body[pos:])
    return text[:content_start] + "".join(out) + text[content_end:], cells, rows


def _mark_row(body: str, s: int, e: int, number: int, cols: list[int], p: str, part: str,
              targets: dict[tuple[int, int], Callable[[int], int]], col_styles: list[tuple[int, int, str]],
              edits: list[tuple[int, int, str]], cells: list[CellChange], rows: list[RowChange]) -> None:
    head_end = xmltext.tag_close(body, s) + 1
    head = body[s:head_end]
    self_closing = head.endswith("/>")
    content = "" if self_closing else body[head_end:e - len(f"</{p}row>")]
    present: dict[int, tuple[int, int]] = {}
    order: list[tuple[int, int]] = []
    for cs, ce in xmltext.children(content, p + "c"):
        chead = content[cs:xmltext.tag_close(content, cs) + 1]
        m = _R_ATTR.search(chead)
        if m is None:
            raise MarkingError(f"工作表 {part} 第 {number} 行的单元格没有地址（r 属性），无法安全标注。")
        col = split_ref(m.group(2))[1]
        present[col] = (cs, ce)
        order.append((col, cs))
    inserts: dict[int, list[str]] = {}
    for col in cols:
        ref = f"{col_letters(col)}{number}"
        if col in present:
            cs, _ce = present[col]
            head_stop = xmltext.tag_close(content, cs)
            chead = content[cs:head_stop]
            if chead.endswith("/"):
                chead = chead[:-1]
            m = _S_ATTR.search(chead)
            original = m.group(2) if m else None
            marked = targets[(number, col)](int(original or 0))
            if m:
                new_head = chead[:m.start()] + f' s="{marked}"' + chead[m.end():]
            else:
                r = _R_ATTR.search(chead)
                assert r is not None
                new_head = chead[:r.end()] + f' s="{marked}"' + chead[r.end():]
            edits.append((head_end + cs, head_end + cs + len(chead), new_head))
            cells.append(CellChange(ref, original, marked))
        else:
            original = _default_style(head, col, col_styles)
            marked = targets[(number, col)](int(original or 0))
            at = len(content)
            for ocol, ostart in order:
                if ocol > col:
                    at = ostart
                    break
            inserts.setdefault(at, []).append(f'<{p}c r="{ref}" s="{marked}"/>')
            cells.append(CellChange(ref, original, marked, inserted=True))
    if self_closing:
        new_cells = "".join(x for at in sorted(inserts) for x in inserts[at])
        edits.append((s, e, head[:-2] + ">" + new_cells + f"</{p}row>"))
        rows.append(RowChange(number, False, head))
        return
    for at, pieces in inserts.items():
        edits.append((head_end + at, head_end + at, "".join(pieces)))


def restore_cells(text: str, part: str, cells: list[CellChange], rows: list[RowChange]) -> tuple[str, int]:
    """Undo ``mark_cells`` where the cell still carries our style.  Returns (text, cells left alone)."""
    p = xmltext.root_prefix(text)
    content_start, content_end, _ = _sheet_data(text, p, part)
    body = text[content_start:content_end]
    wanted: dict[str, CellChange] = {c.ref: c for c in cells}
    row_changes = {r.row: r for r in rows}
    rows_needed = {split_ref(c.ref)[0] for c in cells}
    edits: list[tuple[int, int, str]] = []
    skipped = 0
    for s, e in xmltext.children(body, p + "row"):
        head_end = xmltext.tag_close(body, s) + 1
        head = body[s:head_end]
        m = _R_ATTR.search(head)
        if m is None or int(m.group(2)) not in rows_needed or head.endswith("/>"):
            continue
        number = int(m.group(2))
        content_end_row = e - len(f"</{p}row>")
        content = body[head_end:content_end_row]
        removed_all = True
        row_edits: list[tuple[int, int, str]] = []
        for cs, ce in xmltext.children(content, p + "c"):
            chead = content[cs:xmltext.tag_close(content, cs) + 1]
            r = _R_ATTR.search(chead)
            change = wanted.get(r.group(2)) if r else None
            if change is None:
                removed_all = False
                continue
            sm = _S_ATTR.search(chead)
            if sm is None or sm.group(2) != str(change.marked):
                skipped += 1
                removed_all = False
                continue
            cell_text = content[cs:ce]
            if change.inserted and cell_text in (f'<{p}c r="{change.ref}" s="{change.marked}"/>',):
                row_edits.append((cs, ce, ""))
                continue
            removed_all = False
            if change.original is None:
                new_head = chead[:sm.start()] + chead[sm.end():]
            else:
                new_head = chead[:sm.start()] + f' s="{change.original}"' + chead[sm.end():]
            row_edits.append((cs, cs + len(chead), new_head))
        rc = row_changes.get(number)
        if (rc is not None and removed_all and row_edits and all(x[2] == "" for x in row_edits)
                and _only_cells(content, row_edits)):
            if rc.inserted:
                edits.append((s, e, ""))
                continue
            if rc.self_closing_head is not None:
                edits.append((s, e, rc.self_closing_head))
                continue
        for cs, ce, new in row_edits:
            edits.append((head_end + cs, head_end + ce, new))
    edits.sort()
    out, pos = [], 0
    for s, e, new in edits:
        out.append(body[pos:s])
        out.append(new)
        pos = e
    out.append(body[pos:])
    return text[:content_start] + "".join(out) + text[content_end:], skipped


def _only_cells(content: str, removals: list[tuple[int, int, str]]) -> bool:
    """True when removing ``removals`` leaves the row content empty."""
    left, pos = [], 0
    for s, e, _ in sorted(removals):
        left.append(content[pos:s])
        pos = e
    left.append(content[pos:])
    return "".join(left).strip() == ""


def add_legacy_drawing(text: str, rel_id: str) -> tuple[str, str]:
    """Insert <legacyDrawing r:id=…/> at its schema position; returns (text, exact element)."""
    p = xmltext.root_prefix(text)
    r_prefix = xmltext.ns_prefix(text, REL_NS)
    if r_prefix:
        element = f'<{p}legacyDrawing {r_prefix}:id="{rel_id}"/>'
    else:
        element = f'<{p}legacyDrawing xmlns:r="{REL_NS}" r:id="{rel_id}"/>'
    at = text.rfind(f"</{p}worksheet>")
    if at < 0:
        raise MarkingError("工作表 XML 缺少结束标记。")
    for name in _AFTER_LEGACY_DRAWING:
        m = re.search(rf"<{re.escape(p + name)}(?=[\s/>])", text)
        if m is not None and m.start() < at:
            at = m.start()
            break
    return text[:at] + element + text[at:], element


def legacy_drawing_rel(text: str) -> str | None:
    """The r:id of an existing legacyDrawing element, if any."""
    p = xmltext.root_prefix(text)
    span = xmltext.element_span(text, p + "legacyDrawing")
    if span is None:
        return None
    for name, value in xmltext.attrs(text[span[0]:span[1]]).items():
        if name.endswith(":id"):
            return value
    return None
