"""Defences for hostile workbooks, applied before any third-party parser sees the bytes.

A workbook arrives as bytes held in memory (so what is checked is exactly what is read).  Before
python-calamine opens it:

* the zip package goes through validators/package.py (sizes, ratios, CRCs, DTD/entity refusal),
  the same guarded layer marking and ``clear`` use;
* each worksheet is scanned with defusedxml, streaming: its real extent (the dense rectangle a
  reader would allocate), rows with content, formulas without cached values and error cells.

Everything we parse ourselves is parsed with defusedxml.  Messages are Chinese (ReadError).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from io import BytesIO
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as _defused_fromstring, iterparse
from xml.etree.ElementTree import ParseError

from ..amounts import FormulaError, UncachedFormula
from ..checklayout import CHECK_SHEET_NAME, FIRST_ROW, HEADER, HEADING
from ..package import (  # noqa: F401 - the zip guards live in the shared package layer
    LIMITS, MIB, Deadline, Limits, UnsafeWorkbook, check_package, member_bytes, rels_path as _package_rels_path,
    resolve as _package_resolve,
)

NS_REL_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STRICT_REL_DOC = "http://purl.oclc.org/ooxml/officeDocument/relationships"

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384


# ---- package parts: workbook, relationships ---------------------------------------------------


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _iter_xml(zf: zipfile.ZipFile, name: str, events: tuple[str, ...] = ("end",)) -> Iterator[tuple[str, Any]]:
    """Stream a member through defusedxml: no DTD, no entities, no external references."""
    try:
        fh = BytesIO(member_bytes(zf, name))
        yield from iterparse(fh, events=events, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise UnsafeWorkbook(f"工作簿内部文件 {name[:60]} 含有 DTD/实体声明，已拒绝读取") from exc
    except ParseError as exc:
        raise UnsafeWorkbook(f"工作簿内部文件 {name[:60]} 不是有效的 XML（第 {exc.position[0]} 行），文件已损坏") from exc


def _member_names(zf: zipfile.ZipFile) -> dict[str, str]:
    return {info.filename.lower(): info.filename for info in zf.infolist()}


def _resolve(base_dir: str, target: str) -> str:
    return _package_resolve(posixpath.join(base_dir, "_"), target)


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type suffix, resolved part name) for ``part``."""
    base_dir = posixpath.dirname(part)
    rels_name = _package_rels_path(part)
    names = _member_names(zf)
    if rels_name.lower() not in names:
        return {}
    out = {}
    for _, elem in _iter_xml(zf, names[rels_name.lower()]):
        if _local(elem.tag) == "Relationship" and elem.get("TargetMode") != "External":
            target = elem.get("Target") or ""
            out[elem.get("Id") or ""] = ((elem.get("Type") or "").rsplit("/", 1)[-1], _resolve(base_dir, target))
    return out


@dataclass
class PackageParts:
    """Where a workbook package keeps its parts: the workbook, each sheet, shared strings, …"""

    workbook: str
    sheets: dict[str, str]  # sheet name -> worksheet part name
    shared_strings: str | None


def classify_package(zf: zipfile.ZipFile) -> PackageParts:
    """Find the workbook part; refuse what is a zip but not an Excel .xlsx/.xlsm.  Worked out once per
    checked package (the read and the formula notes ask for it)."""
    memo = getattr(zf, "czcheck_memo", None)
    if memo is not None and "parts" in memo:
        return memo["parts"]
    parts = _classify_package(zf)
    if memo is not None:
        memo["parts"] = parts
    return parts


def _classify_package(zf: zipfile.ZipFile) -> PackageParts:
    names = _member_names(zf)
    if "mimetype" in names:
        mime = member_bytes(zf, names["mimetype"])[:100]
        if b"opendocument.spreadsheet" in mime:
            raise UnsafeWorkbook(
                "这是 OpenDocument 表格（.ods，WPS/LibreOffice 格式），czcheck 只能读取 .xlsx/.xlsm。"
                "请在 WPS 或 LibreOffice 中“另存为”Excel 工作簿（*.xlsx）再校验"
            )
        raise UnsafeWorkbook("这是 OpenDocument 文件，不是 Excel 工作簿。请另存为 .xlsx 再校验")
    if "[content_types].xml" not in names:
        raise UnsafeWorkbook("这是一个 zip 压缩包，不是 Excel 工作簿（.xlsx）。如果是压缩的工作簿，请先解压")
    workbook = None
    for _, (typ, target) in _rels(zf, "").items():
        if typ == "officeDocument":
            workbook = target
    if workbook is None or workbook.lower() not in names:
        if "word/document.xml" in names:
            raise UnsafeWorkbook("这是 Word 文档（.docx），不是 Excel 工作簿")
        if "ppt/presentation.xml" in names:
            raise UnsafeWorkbook("这是 PowerPoint 演示文稿，不是 Excel 工作簿")
        raise UnsafeWorkbook("工作簿结构不完整（找不到工作簿主体部分），文件已损坏或不是 Excel 工作簿")
    if workbook.lower().endswith(".bin"):
        raise UnsafeWorkbook("这是 Excel 二进制工作簿（.xlsb），czcheck 只能读取 .xlsx/.xlsm。请另存为 Excel 工作簿（*.xlsx）再校验")
    workbook = names[workbook.lower()]
    rels = _rels(zf, workbook)
    sheets: dict[str, str] = {}
    for _, elem in _iter_xml(zf, workbook):
        if _local(elem.tag) == "sheet":
            rid = elem.get(f"{{{NS_REL_DOC}}}id") or elem.get(f"{{{_STRICT_REL_DOC}}}id")
            typ, target = rels.get(rid or "", ("", ""))
            if typ == "worksheet" and target.lower() in names:
                sheets[elem.get("name") or ""] = names[target.lower()]
    sst = next((t for typ, t in rels.values() if typ == "sharedStrings" and t.lower() in names), None)
    return PackageParts(workbook, sheets, names[sst.lower()] if sst else None)


# ---- worksheets -------------------------------------------------------------------------------

_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def parse_ref(ref: str) -> tuple[int, int] | None:
    """'B12' -> (11, 1), 0-based; None when malformed."""
    m = _REF.match(ref)
    if not m:
        return None
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


@dataclass
class SheetScan:
    """What a streaming pass over one worksheet found."""

    height: int = 0  # 1 + last row with a value (0 when empty)
    width: int = 0  # 1 + last column with a value
    content_rows: int = 0
    overlays: dict[tuple[int, int], Any] = field(default_factory=dict)  # sentinels for formula cells
    cells: dict[int, dict[int, Any]] | None = None  # values, only when asked (sparse read)
    hidden_rows: set[int] = field(default_factory=set)  # 0-based rows marked hidden="1"
    formulas: bool = True  # the sheet may hold formula cells (False: the byte scan found no <f> at all)

    @property
    def dense_cells(self) -> int:
        return self.height * self.width


def scan_sheet(
    zf: zipfile.ZipFile,
    part: str,
    sheet: str,
    limits: Limits = LIMITS,
    deadline: Deadline | None = None,
    shared: list[str] | None = None,
) -> SheetScan:
    """One streaming pass.  With ``shared`` (the shared strings), also collects every value."""
    if shared is None:
        fast = _scan_plain_sheet(member_bytes(zf, part), sheet, limits)
        if fast is not None:
            return fast
    deadline = deadline or Deadline(limits.max_seconds)
    out = SheetScan(cells={} if shared is not None else None)
    row_idx = -1
    col_idx = -1
    row_has_value = False
    sheet_data = None
    n = 0
    for event, elem in _iter_xml(zf, part, events=("start", "end")):
        tag = _local(elem.tag)
        if event == "start":
            if tag == "sheetData":
                sheet_data = elem
            elif tag == "row":
                r = elem.get("r")
                row_idx = int(r) - 1 if r and r.isdigit() else row_idx + 1
                col_idx = -1
                row_has_value = False
                if not 0 <= row_idx < EXCEL_MAX_ROWS:
                    raise UnsafeWorkbook(f"工作表“{sheet}”的行号超出 Excel 范围，文件已损坏或被篡改")
                if elem.get("hidden") in ("1", "true"):
                    out.hidden_rows.add(row_idx)
            continue
        if tag == "c":
            n += 1
            if n % 4096 == 0:
                deadline.check()
            pos = parse_ref(elem.get("r") or "")
            if pos is None:
                pos = (max(row_idx, 0), col_idx + 1)
            r, c = pos
            col_idx = c
            if not (0 <= r < EXCEL_MAX_ROWS and 0 <= c < EXCEL_MAX_COLS):
                raise UnsafeWorkbook(f"工作表“{sheet}”的单元格地址超出 Excel 范围，文件已损坏或被篡改")
            value = _cell_value(elem, sheet, shared, out, r, c)
            if value is not None:
                row_has_value = True
                out.height = max(out.height, r + 1)
                out.width = max(out.width, c + 1)
                if out.cells is not None:
                    out.cells.setdefault(r, {})[c] = value
            elem.clear()
        elif tag == "row":
            if row_has_value:
                out.content_rows += 1
                if out.content_rows > limits.max_content_rows:
                    raise UnsafeWorkbook(
                        f"工作表“{sheet}”有超过 {limits.max_content_rows:,} 行数据，超出 czcheck 的读取上限"
                        "（部门预算、决算公开表通常只有几十到几千行）。请删除与公开表无关的数据后再校验"
                    )
            if sheet_data is not None:
                sheet_data.clear()
    return out


_ROW_NUMBER = re.compile(rb"<row\b[^>]*?\br=\"(\d+)\"")
_CELL_COLUMN = re.compile(rb"<c\b[^>]*?\br=\"([A-Z]{1,3})\d+\"")
# the same with r= first, as every spreadsheet program writes it: a third cheaper; the general ones
# decide when the counts differ
_CELL_COLUMN_FIRST = re.compile(rb'<c r="([A-Z]{1,3})\d+"')
_PREFIXED_CELL = re.compile(rb"<\w+:c[\s>]")
_COLON_F, _COLON_FC, _QUOTED, _SPACED_T = (re.compile(x) for x in (rb":f", rb":[cf]", rb"='", rb"t ="))
_ROW_TAG, _FORMULA_TAG = re.compile(rb"<row(?![A-Za-z])"), re.compile(rb"<f[ \t\r\n>/]")
# row numbers written r= first, b"" for a row tag written otherwise (<rowBreaks> is no row); a cell tag
# _CELL_COLUMN_FIRST would not match
_ROW_TAGS = re.compile(rb'<row(?: r="(\d+)"|(?![A-Za-z]))')
_ODD_CELL_TAG = re.compile(rb'<c(?:>| (?!r="[A-Z]{1,3}\d+"))')
_FORMULA_TAGS = (b"<f>", b"<f ", b"<f/", b"<f\t", b"<f\n", b"<f\r")


_DIMENSION = re.compile(rb'<dimension ref="[A-Z]{1,3}[0-9]{1,7}:([A-Z]{1,3})[0-9]{1,7}"')


@lru_cache(maxsize=256)  # dimensions are few; a crafted book may hold many
def _cells_beyond(last: bytes) -> re.Pattern:
    """One search for a cell tag _CELL_COLUMN_FIRST would not match, or one right of column ``last``
    (the sheet's <dimension>): when it finds nothing, ``last`` bounds the width without listing every
    cell's column."""
    text = last.decode()
    beyond = [rf"[A-Z]{{{len(text) + 1},3}}"] if len(text) < 3 else []  # more letters
    for i, ch in enumerate(text):  # as many letters, greater at position i
        if ch != "Z":
            beyond.append(text[:i] + f"[{chr(ord(ch) + 1)}-Z]" + "[A-Z]" * (len(text) - i - 1))
    right = rb'| r="(?:%s)[0-9]' % "|".join(beyond).encode() if beyond else b""
    return re.compile(rb'<c(?:>| (?!r="[A-Z]{1,3}\d+")%s)' % right)


def _scan_plain_sheet(data: bytes, sheet: str = "", limits: Limits = LIMITS) -> SheetScan | None:
    """Byte-level scan of a sheet without namespace prefixes or oddly written cells (what our
    templates and most workbooks are): bounds from byte searches; the few cells holding a formula
    or an error are cut out and parsed one by one, giving the sentinels the full pass would.  The
    counts are upper bounds (rows and cells with styles but no value count too), so the limits stay
    conservative.  None means: use the full streaming pass."""
    # (a regex finds a literal of two or more bytes faster than bytes ``in`` / count; a one-byte ``in`` is memchr)
    if ((_COLON_FC.search(data) and (_COLON_F.search(data) or _PREFIXED_CELL.search(data)))
            or (b"'" in data and _QUOTED.search(data)) or _SPACED_T.search(data)):  # (one byte: ``in`` is memchr)
        return None  # prefixed elements or single-quoted attributes: the full pass reads them
    # every <row> and <c> tag with r= first (one pass each), else the general patterns, counted
    rows = _ROW_TAGS.findall(data)  # a row tag without r= first gives b""
    if b"" in rows:
        rows = _ROW_NUMBER.findall(data)
        if len(rows) != len(_ROW_TAG.findall(data)):
            return None  # rows without r= (allowed by the format): let the full pass number them
    if len(rows) > limits.max_content_rows:
        return None  # perhaps over the row limit: the full pass counts the rows that have values, exactly
    height = max(map(int, rows), default=0)
    claimed = _DIMENSION.search(data, 0, 4096)  # the last column a program wrote into <dimension>
    beyond = _cells_beyond(claimed.group(1)) if claimed else _ODD_CELL_TAG
    if beyond.search(data) is None:  # no odd cell tag and (with a dimension) no cell right of it
        columns = {claimed.group(1)} if claimed else set(_CELL_COLUMN_FIRST.findall(data))
    elif _ODD_CELL_TAG.search(data) is None:  # a cell beyond the dimension: list the columns
        columns = set(_CELL_COLUMN_FIRST.findall(data))
    else:
        cell_columns = _CELL_COLUMN.findall(data)
        if len(cell_columns) != data.count(b"<c ") + data.count(b"<c>"):  # every cell start tag
            return None  # cells without r= (or written oddly): the full pass handles them
        columns = set(cell_columns)
    width = 0
    for letters in columns:
        n = 0
        for ch in letters:
            n = n * 26 + ch - 64
        width = max(width, n)
    out = SheetScan(height=height, width=width, content_rows=len(rows))
    if height > EXCEL_MAX_ROWS or width > EXCEL_MAX_COLS:
        return None
    done = _simple_formula_cells(data, out)
    starts = _special_cells(data, formulas=done is None or done.left)
    if starts is None:
        return None
    for start, mark in starts:
        if done and start in done:
            continue
        close = data.find(b">", start)
        if close < 0:
            return None
        if data[close - 1:close] == b"/":  # <c .../>: an error flag without a value
            end = close + 1
        else:
            end = data.find(b"</c>", close)
            if end < 0:
                return None
            end += 4
        if not start < mark < end:
            return None  # the mark is not inside this cell: the full pass decides
        v = data.find(b"<v>", close, end)
        if v > 0 and data[v + 3:v + 4] not in (b"<", b"") and data.find(b't="e"', start, close) < 0:
            continue  # a formula with its cached value: no sentinel (what _cell_value would decide)
        bare = _BARE_FORMULA.fullmatch(data, close + 1, end - 4) if end - 4 > close else None
        if bare is not None and data.find(b't="e"', start, close) < 0:
            # <f>text</f> or <f .../>, no <v> or an empty one: a formula without a cached value,
            # except a string formula with an empty <v> (its result is the empty string)
            if bare.group(2) is not None and data.find(b't="str"', start, close) >= 0:
                continue
            pos = parse_ref(data[start:close].split(b' r="', 1)[-1].split(b'"', 1)[0].decode("ascii", "replace"))
            text = _xml_text(bare.group(1) or b"")
            if pos is not None and text is not None:
                out.overlays[pos] = UncachedFormula("=" + text.strip()[:200] if text.strip() else "=（共享公式）")
                continue
        try:
            elem = _fromstring(data[start:end])
        except (DefusedXmlException, ParseError):
            return None  # let the full pass say what is wrong
        pos = parse_ref(elem.get("r") or "")
        if pos is None:
            return None
        _cell_value(elem, sheet, None, out, *pos)
    if _HIDDEN.search(data):  # rare: only then look at each hidden row's number
        for tag in _HIDDEN_ROW.findall(data):
            m = _ROW_NUMBER.match(tag)
            if m:
                out.hidden_rows.add(int(m.group(1)) - 1)
    return out


_BARE_FORMULA = re.compile(rb"<f(?:[ \t\r\n][^>]*)?(?:/>|>([^<]*)</f>)(<v ?/>|<v></v>)?")


def _xml_text(raw: bytes) -> str | None:
    """Character data as an XML parser returns it; None when it holds what a parser must decide
    (character references, other entities, carriage returns, bad UTF-8)."""
    if b"\r" in raw:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "&" in text:
        counts = [text.count(escape) for escape, _ in _ESCAPES]
        if text.count("&") != sum(counts):
            return None
        for (escape, char), n in zip(_ESCAPES, counts):
            if n:
                text = text.replace(escape, char)
    return text


_ODD_AMPERSAND = re.compile(rb"&(?!(?:lt|gt|quot|apos|amp);)")
_ESCAPES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&"))  # &amp; last


_SIMPLE_FORMULA_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]{1,7})"((?: [a-z]{1,4}="[^"<>]*")*)>'
    rb"<f(?:[ \t\r\n][^>]*)?(?:/>|>([^<]*)</f>)(?:(<v ?/>|<v></v>)|<v>([^<]*)</v>)?</c>"
)


class _Decided(set):
    left = False  # some formula cell was left to the per-cell parse


def _simple_formula_cells(data: bytes, out: SheetScan) -> _Decided | None:
    """One regex pass over the formula cells of the usual shape (<c r=.. s=.. t=..><f>..</f><v>..</v></c>),
    deciding their sentinels as _cell_value would.  Returns the start offsets it decided; cells it
    leaves (errors, character references) go to the per-cell parse.  None when some formula cell
    has another shape: then every formula cell goes to the per-cell path."""
    marks = len(_FORMULA_TAG.findall(data))
    done = _Decided()
    if not marks:
        out.formulas = False
        return done
    bulk = _bulk_formula_cells(data, marks)
    if bulk is not None:  # every formula cell decided at once; no error cell among them
        out.overlays.update(bulk)
        return done
    found: dict[tuple[int, int], Any] = {}
    matched = 0
    for m in _SIMPLE_FORMULA_CELL.finditer(data):
        matched += 1
        letters, digits, attrs, text, empty_v, cached = m.groups()
        if b't="e"' in attrs:
            done.left = True
            continue
        if cached or (empty_v is not None and b't="str"' in attrs):
            done.add(m.start())  # a cached value, or a string formula whose result is empty: no sentinel
            continue
        decoded = _xml_text(text or b"")
        col = 0
        for ch in letters:
            col = col * 26 + ch - 64
        pos = (int(digits) - 1, col - 1)
        if decoded is None or pos[0] < 0:
            done.left = True
            continue
        decoded = decoded.strip()
        found[pos] = UncachedFormula("=" + decoded[:200] if decoded else "=（共享公式）")
        done.add(m.start())
    if matched != marks:
        return None
    out.overlays.update(found)
    return done


def _bulk_formula_cells(data: bytes, marks: int) -> dict[tuple[int, int], Any] | None:
    """The sentinels of _simple_formula_cells for a sheet whose formula cells all have the usual
    shape and none is an error cell (a 校验 sheet: thousands of formulas a program wrote without
    cached values), decoding all formula texts in one go.  None: some cell needs the careful path."""
    cells = _SIMPLE_FORMULA_CELL.findall(data)
    if len(cells) != marks:
        return None
    pending = []
    for letters, digits, attrs, text, empty_v, cached in cells:
        if cached:
            continue  # a cached value: no sentinel
        if attrs:
            if b't="e"' in attrs:
                return None
            if empty_v and b't="str"' in attrs:
                continue  # a string formula whose result is the empty string
        pending.append((letters, digits, text))
    if not pending:
        return {}
    if b"\r" in data or _ODD_AMPERSAND.search(data):
        return None  # what only a parser decides (character references, other entities, CR): careful path
    found: dict[tuple[int, int], Any] = {}
    columns: dict[bytes, int] = {}
    for letters, digits, raw in pending:
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            return None
        if "&" in text:
            # the sentinel keeps 200 characters; each escape among the first ones shortens the text by
            # at most 5, so 200 + 5 × (escapes in the first 1,200) escaped characters hold them
            text = text[:200 + 5 * text.count("&", 0, 1200)]
            for escape, char in _ESCAPES:
                text = text.replace(escape, char)
        col = columns.get(letters)
        if col is None:
            col = 0
            for ch in letters:
                col = col * 26 + ch - 64
            columns[letters] = col
        row = int(digits) - 1
        if row < 0:
            return None
        found[(row, col - 1)] = UncachedFormula("=" + text[:200] if text else "=（共享公式）")
    return found


def _special_cells(data: bytes, formulas: bool = True) -> list[tuple[int, int]] | None:
    """Start offsets of the cells holding a formula (<f) or an error (t="e"); None when a mark is
    found outside a cell start tag as expected (then the full pass decides)."""
    starts: dict[int, int] = {}  # cell start -> offset of a mark inside it
    marks = [tag for tag in _FORMULA_TAGS if tag in data] if formulas else []
    for tag in marks:
        at = data.find(tag)
        while at >= 0:
            start = data.rfind(b"<c ", 0, at)
            if start < 0:
                return None
            starts.setdefault(start, at)
            at = data.find(tag, at + 2)
    at = data.find(b't="e"')
    while at >= 0:
        start = data.rfind(b"<", 0, at)
        if data[start:start + 3] != b"<c ":
            return None
        starts.setdefault(start, at)
        at = data.find(b't="e"', at + 5)
    return sorted(starts.items())


def _fromstring(text: bytes) -> Any:
    return _defused_fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)


_HIDDEN_ROW = re.compile(rb"<row\b[^>]*?\bhidden=\"(?:1|true)\"[^>]*>")
_HIDDEN = re.compile(rb'hidden="')  # (a regex finds a literal in bytes faster than ``in`` does)


def _child(elem: Any, name: str) -> Any:
    for child in elem:
        if _local(child.tag) == name:
            return child
    return None


def _inline_text(elem: Any) -> str:
    """Text of <is> / <si>: every <t>, except phonetic runs (<rPh>)."""
    parts = []

    def walk(e: Any) -> None:
        for child in e:
            tag = _local(child.tag)
            if tag == "rPh":
                continue
            if tag == "t":
                parts.append(child.text or "")
            else:
                walk(child)

    walk(elem)
    return "".join(parts)


def _cell_value(elem: Any, sheet: str, shared: list[str] | None, out: SheetScan, r: int, c: int) -> Any:
    """The cell's value (None when it has none).  Records sentinels for formula cells."""
    t = elem.get("t") or "n"
    f = _child(elem, "f")
    v = _child(elem, "v")
    v_text = v.text if v is not None else None
    if t == "e":
        error = FormulaError((v_text or "#VALUE!").strip()[:20])
        out.overlays[(r, c)] = error
        return error
    if f is not None and not v_text and not (t == "str" and v is not None):
        formula = UncachedFormula("=" + (f.text or "").strip()[:200] if (f.text or "").strip() else "=（共享公式）")
        out.overlays[(r, c)] = formula
        return formula
    if t == "inlineStr":
        is_ = _child(elem, "is")
        text = _inline_text(is_) if is_ is not None else ""
        return text or None
    if v_text is None or v_text == "":
        return None
    if shared is None:
        return v_text  # only presence matters in a plain scan
    if t == "s":
        try:
            return shared[int(v_text)] or None
        except (ValueError, IndexError) as exc:
            raise UnsafeWorkbook(f"工作表“{sheet}”引用了不存在的共享字符串，文件已损坏") from exc
    if t == "b":
        return v_text.strip() in ("1", "true")
    if t in ("str", "d"):
        return v_text
    try:
        number = float(v_text)
    except ValueError:
        return v_text
    return number


def read_shared_strings(zf: zipfile.ZipFile, part: str | None, deadline: Deadline) -> list[str]:
    if part is None:
        return []
    out: list[str] = []
    for _, elem in _iter_xml(zf, part):
        if _local(elem.tag) == "si":
            out.append(_inline_text(elem))
            elem.clear()
            if len(out) % 4096 == 0:
                deadline.check()
    return out




# ---- czcheck's own 校验 sheet ------------------------------------------------------------------

_SIGNATURE_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"([^>]*)>(<f[ \t\r\n/>])?')
_SHEET_DATA = re.compile(rb"<sheetData\s*>")
_VALUED = rb'"(?:[^>]*[^>/])?>'  # the rest of a start tag that is not self-closing (<c r=".." s=".."/> holds nothing)
# one search for any cell own_check_sheet must refuse (the cell-by-cell test is _cells_in_layout):
_NOT_IN_LAYOUT = re.compile(
    rb'<c(?:>| (?!r="[A-Z]{1,3}[0-9]{1,7}"[^>]*>)'  # a cell start tag in another shape
    rb'| r="(?:(?:[%s-Z]|[A-Z]{2,3})[0-9]{1,7}' % chr(ord("A") + len(HEADER)).encode() + _VALUED  # right of the layout
    + rb'|[A-Z]{1,3}0{1,7}' + _VALUED  # row 0
    + rb'|[D-%s](?:0*[%d-9]|0*[1-9][0-9]+)' % (chr(ord("A") + len(HEADER) - 1).encode(), FIRST_ROW)
    + _VALUED + rb"(?!<f[ \t\r\n/>])))"  # a value where the relation rows have their formulas
) if 1 <= FIRST_ROW <= 9 and 4 <= len(HEADER) <= 26 else None


def own_check_sheet(zf: zipfile.ZipFile, part: str, sheet: str, shared_strings: str | None,
                    deadline: Deadline | None = None) -> bool:
    """True when the worksheet is the 校验 sheet czcheck writes into its templates (checksheet.py):
    named 校验, its heading in A1, its column headers in row 3, and below them nothing but the
    relation rows (a number, a label and a rule code in A–C, formulas in D–I).  Such a sheet is
    inert to the reader by construction (tests/test_checksheet.py), so validation need not read its
    thousands of formulas.  Anything else (a cell elsewhere, a value typed over a formula, another
    heading) is not recognised, and the sheet is read like every other."""
    if sheet != CHECK_SHEET_NAME:
        return False
    data = member_bytes(zf, part)
    if not (_cells_in_layout_fast(data) if _NOT_IN_LAYOUT is not None else _cells_in_layout(data)):
        return False
    start = _SHEET_DATA.search(data)
    first = re.search(rb'<row r="%d"[ >/]' % FIRST_ROW, data)  # the rows above it: heading, hint, headers
    end = first.start() if first else data.find(b"</sheetData>")
    if start is None or end < start.end():
        return False
    try:
        head = _fromstring(b"<sheetData>" + data[start.end():end] + b"</sheetData>")
    except (DefusedXmlException, ParseError):
        return False
    shared: list[str] | None = None
    scan = SheetScan()
    found: dict[tuple[int, int], Any] = {}
    for elem in head.iter():
        if _local(elem.tag) != "c":
            continue
        pos = parse_ref(elem.get("r") or "")
        if pos is None:
            return False
        if elem.get("t") == "s" and shared is None:
            shared = read_shared_strings(zf, shared_strings, deadline or Deadline(LIMITS.max_seconds))
        value = _cell_value(elem, sheet, shared if shared is not None else [], scan, *pos)
        if value is not None:
            found[pos] = value.strip() if isinstance(value, str) else value
    expected = {(0, 0): HEADING, **{(FIRST_ROW - 2, c): text for c, text in enumerate(HEADER)}}
    intro = found.pop((1, 0), None)
    return isinstance(intro, str) and found == expected


def _cells_in_layout_fast(data: bytes) -> bool:
    """_cells_in_layout in one search over the bytes (tests/test_checksheet.py holds the two equal)."""
    return b'<c r="' in data and _NOT_IN_LAYOUT.search(data) is None


def _cells_in_layout(data: bytes) -> bool:
    """own_check_sheet's cell test, cell by cell: every cell in the shape checksheet.py writes, none
    holding anything right of column I or in row 0, a formula in every valued cell of D–I from the
    first relation row on."""
    cells = _SIGNATURE_CELL.findall(data)
    if not cells or len(cells) != data.count(b"<c ") + data.count(b"<c>"):
        return False  # a cell written in another shape: not what checksheet.py or a spreadsheet program saves
    last_col = len(HEADER)
    for letters, digits, attrs, formula in cells:
        if attrs[-1:] == b"/":
            continue  # a styled cell without a value (<c r=".." s=".."/>)
        col = 0
        for ch in letters:
            col = col * 26 + ch - 64
        row = int(digits)
        if col > last_col or row < 1:
            return False
        if row >= FIRST_ROW and col >= 4 and not formula:
            return False  # a value where the sheet has its formulas
    return True
