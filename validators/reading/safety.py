"""Defences for hostile workbooks, applied before any third-party parser sees the bytes.

A workbook arrives as bytes held in memory (so what is checked is exactly what is read).  Before
python-calamine opens it:

* the zip package is checked member by member: count, declared sizes, compression ratio, methods,
  encryption flags, duplicate names and shared data offsets (overlapping-member bombs);
* every member is inflated once, streaming, with the output bounded by its *declared* size, so a
  header that lies about the size (a zip bomb in disguise) is caught after at most that many bytes;
  the CRC and the end of the deflate stream are verified;
* XML members are searched for DTDs and entity declarations, which Excel never writes
  (entity-expansion "billion laughs" and external entities are refused outright);
* each worksheet is scanned with defusedxml, streaming: its real extent (the dense rectangle a
  reader would allocate), rows with content, formulas without cached values and error cells.

Everything we parse ourselves is parsed with defusedxml.  Messages are Chinese (ReadError).
"""

from __future__ import annotations

import posixpath
import re
import struct
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, Iterator

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from xml.etree.ElementTree import ParseError

from ..amounts import FormulaError, UncachedFormula

MIB = 1 << 20

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_STRICT_REL_DOC = "http://purl.oclc.org/ooxml/officeDocument/relationships"

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384


class UnsafeWorkbook(Exception):
    """Refused: the message is Chinese and says what is wrong and what to do."""


@dataclass(frozen=True)
class Limits:
    """Resource limits.  Real 部门预算/决算 workbooks are far below every one of them."""

    max_file_bytes: int = 100 * MIB  # the file on disk
    max_members: int = 5_000
    max_member_bytes: int = 256 * MIB  # one member, inflated
    max_total_bytes: int = 1024 * MIB  # all members, inflated
    max_ratio: int = 200  # inflated / compressed, for members above ratio_floor
    ratio_floor: int = 4 * MIB
    max_content_rows: int = 200_000  # rows with at least one value, per sheet
    max_dense_cells: int = 2_000_000  # rows x columns a dense reader would allocate, per sheet
    max_seconds: float = 120.0  # whole read


LIMITS = Limits()


class Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise UnsafeWorkbook(
                f"读取超时：工作簿内容过多或结构异常，超过 {self.seconds:g} 秒仍未读完，已停止读取。"
                "请删除多余的工作表和空行后另存再校验"
            )


# ---- the zip package --------------------------------------------------------------------------

_XMLISH = (".xml", ".rels", ".vml")
_DTD_MARKERS = tuple(
    m.encode(enc) for m in ("<!DOCTYPE", "<!ENTITY") for enc in ("ascii", "utf-16-le", "utf-16-be")
)
_MARKER_TAIL = max(len(m) for m in _DTD_MARKERS)


def _mb(n: int) -> str:
    return f"{n / MIB:,.0f} MB"


def check_package(data: bytes, limits: Limits = LIMITS, deadline: Deadline | None = None) -> zipfile.ZipFile:
    """Validate the zip package in ``data``; return it opened.  Raises UnsafeWorkbook."""
    deadline = deadline or Deadline(limits.max_seconds)
    try:
        zf = zipfile.ZipFile(BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, struct.error) as exc:
        raise UnsafeWorkbook("工作簿文件已损坏（zip 包结构无法读取），可能下载或复制不完整") from exc
    if len(infos) > limits.max_members:
        raise UnsafeWorkbook(f"工作簿包含 {len(infos):,} 个内部文件，超过上限 {limits.max_members:,}，结构异常，已拒绝读取")
    names: set[str] = set()
    offsets: set[int] = set()
    total = 0
    for info in infos:
        name = info.filename
        key = name.lower()
        if key in names:
            raise UnsafeWorkbook(f"工作簿内部文件重名（{name[:60]}），结构异常，可能被篡改，已拒绝读取")
        names.add(key)
        if info.header_offset in offsets:
            raise UnsafeWorkbook("工作簿内部文件相互重叠（常见于“zip 炸弹”），已拒绝读取")
        offsets.add(info.header_offset)
        if info.flag_bits & 0x1:
            raise UnsafeWorkbook("工作簿内部文件被加密，无法读取。请取消密码保护后另存为 .xlsx 再校验")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnsafeWorkbook(
                f"工作簿使用了 Excel 不会使用的压缩方式（方法 {info.compress_type}），已拒绝读取。请用 Excel 或 WPS 另存为 .xlsx"
            )
        if info.file_size > limits.max_member_bytes:
            raise UnsafeWorkbook(
                f"工作簿内部文件 {name[:60]} 解压后达 {_mb(info.file_size)}，超过上限 {_mb(limits.max_member_bytes)}"
                "（可能是“zip 炸弹”），已拒绝读取"
            )
        total += info.file_size
        if total > limits.max_total_bytes:
            raise UnsafeWorkbook(
                f"工作簿解压后总大小超过上限 {_mb(limits.max_total_bytes)}（可能是“zip 炸弹”），已拒绝读取"
            )
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise UnsafeWorkbook(
                f"工作簿内部文件 {name[:60]} 压缩比异常（{info.file_size // max(info.compress_size, 1):,} 倍，"
                "可能是“zip 炸弹”），已拒绝读取"
            )
    for info in infos:
        deadline.check()
        _inflate_and_check(data, info, deadline)
    return zf


def _data_offset(data: bytes, info: zipfile.ZipInfo) -> int:
    start = info.header_offset
    head = data[start : start + 30]
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        raise UnsafeWorkbook("工作簿文件已损坏（内部文件头缺失），可能下载或复制不完整")
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    return start + 30 + name_len + extra_len


def _inflate_and_check(data: bytes, info: zipfile.ZipInfo, deadline: Deadline) -> None:
    """Inflate one member, never producing more than its declared size; verify CRC and end."""
    name = info.filename
    offset = _data_offset(data, info)
    raw = memoryview(data)[offset : offset + info.compress_size]
    if len(raw) < info.compress_size:
        raise UnsafeWorkbook(f"工作簿文件不完整（内部文件 {name[:60]} 被截断），可能下载或复制不完整")
    declared = info.file_size
    scan = name.lower().endswith(_XMLISH)
    crc = 0
    produced = 0
    tail = b""

    def consume(chunk: bytes) -> None:
        nonlocal crc, produced, tail
        produced += len(chunk)
        if produced > declared:
            raise UnsafeWorkbook(
                f"工作簿内部文件 {name[:60]} 的实际大小超过其声明大小（文件被篡改，可能是“zip 炸弹”），已拒绝读取"
            )
        crc = zlib.crc32(chunk, crc)
        if scan:
            window = tail + chunk
            if any(m in window for m in _DTD_MARKERS):
                raise UnsafeWorkbook(
                    f"工作簿内部文件 {name[:60]} 含有 DTD/实体声明（Excel 不会生成这种内容，可能是恶意构造的文件），已拒绝读取"
                )
            tail = window[-_MARKER_TAIL:]

    step = 1 << 20
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != declared:
            raise UnsafeWorkbook(f"工作簿文件已损坏（内部文件 {name[:60]} 大小不一致）")
        for i in range(0, len(raw), step):
            consume(bytes(raw[i : i + step]))
    else:
        inflater = zlib.decompressobj(-15)
        try:
            for i in range(0, len(raw), 64 * 1024):
                pending = bytes(raw[i : i + 64 * 1024])
                while pending and not inflater.eof:
                    # ask for at most what may still legitimately come, plus one byte to detect a lie
                    chunk = inflater.decompress(pending, max(1, min(step, declared - produced + 1)))
                    consume(chunk)
                    if not chunk and len(inflater.unconsumed_tail) == len(pending):
                        raise UnsafeWorkbook(f"工作簿文件已损坏（内部文件 {name[:60]} 无法解压）")
                    pending = inflater.unconsumed_tail
                    deadline.check()
                if inflater.eof:
                    break
            consume(inflater.flush())
        except zlib.error as exc:
            raise UnsafeWorkbook(f"工作簿文件已损坏（内部文件 {name[:60]} 无法解压），可能下载或复制不完整") from exc
        if not inflater.eof:
            raise UnsafeWorkbook(f"工作簿文件已损坏（内部文件 {name[:60]} 不完整），可能下载或复制不完整")
    if produced != declared or crc != info.CRC:
        raise UnsafeWorkbook(f"工作簿文件已损坏（内部文件 {name[:60]} 校验和不符），可能下载或复制不完整")


# ---- package parts: workbook, relationships ---------------------------------------------------


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _iter_xml(zf: zipfile.ZipFile, name: str, events: tuple[str, ...] = ("end",)) -> Iterator[tuple[str, Any]]:
    """Stream a member through defusedxml: no DTD, no entities, no external references."""
    try:
        with zf.open(name) as fh:
            yield from iterparse(fh, events=events, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise UnsafeWorkbook(f"工作簿内部文件 {name[:60]} 含有 DTD/实体声明，已拒绝读取") from exc
    except ParseError as exc:
        raise UnsafeWorkbook(f"工作簿内部文件 {name[:60]} 不是有效的 XML（第 {exc.position[0]} 行），文件已损坏") from exc


def _member_names(zf: zipfile.ZipFile) -> dict[str, str]:
    return {info.filename.lower(): info.filename for info in zf.infolist()}


def _resolve(base_dir: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(base_dir, target))


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type suffix, resolved part name) for ``part``."""
    base_dir, base = posixpath.split(part)
    rels_name = posixpath.join(base_dir, "_rels", base + ".rels")
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
    workbook: str
    sheets: dict[str, str]  # sheet name -> worksheet part name
    shared_strings: str | None


def classify_package(zf: zipfile.ZipFile) -> PackageParts:
    """Find the workbook part; refuse what is a zip but not an Excel .xlsx/.xlsm."""
    names = _member_names(zf)
    if "mimetype" in names:
        mime = zf.read(names["mimetype"])[:100]
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
        fast = _scan_plain_sheet(zf.read(part))
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
_NEEDS_FULL_SCAN = re.compile(rb"<f[\s>/]|:f[\s>/]|t=\"e\"|<\w+:c[\s>]")


def _scan_plain_sheet(data: bytes) -> SheetScan | None:
    """Byte-level scan of a sheet without formulas, error cells or namespace prefixes (what our
    templates and most filled workbooks are): bounds only, no sentinels needed.  The counts are upper
    bounds (rows and cells with styles but no value count too), so the limits stay conservative.
    None means: use the full streaming pass."""
    if _NEEDS_FULL_SCAN.search(data):
        return None
    rows = _ROW_NUMBER.findall(data)
    if b"<row" in data and len(rows) != data.count(b"<row"):
        return None  # rows without r= (allowed by the format): let the full pass number them
    height = max((int(r) for r in rows), default=0)
    cell_columns = _CELL_COLUMN.findall(data)
    if data.count(b"<c ") + data.count(b"<c>") != len(cell_columns):
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
    if b'hidden="' in data:  # rare: only then look at each hidden row's number
        for tag in _HIDDEN_ROW.findall(data):
            m = _ROW_NUMBER.match(tag)
            if m:
                out.hidden_rows.add(int(m.group(1)) - 1)
    return out


_HIDDEN_ROW = re.compile(rb"<row\b[^>]*?\bhidden=\"(?:1|true)\"[^>]*>")


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


class SparseRows:
    """Rows of a sheet whose used range is huge but mostly empty (a stray cell in row 1,048,576).

    Behaves like the list of rows a dense reader returns (len, index, slice, iterate) while
    holding only the rows that have values; empty rows are one shared empty list.
    """

    _EMPTY: list[Any] = []

    def __init__(self, cells: dict[int, dict[int, Any]], height: int):
        self._rows = {r: self._pack(cols) for r, cols in cells.items()}
        self._height = height

    @staticmethod
    def _pack(cols: dict[int, Any]) -> list[Any]:
        row: list[Any] = [""] * (max(cols) + 1)
        for c, v in cols.items():
            row[c] = v
        return row

    def __len__(self) -> int:
        return self._height

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self._rows.get(r, self._EMPTY) for r in range(*index.indices(self._height))]
        if index < 0:
            index += self._height
        if not 0 <= index < self._height:
            raise IndexError("row index out of range")
        return self._rows.get(index, self._EMPTY)

    def __iter__(self) -> Iterator[list[Any]]:
        for r in range(self._height):
            yield self._rows.get(r, self._EMPTY)
