"""The one guarded door to an OOXML package, for reading AND writing (marking, clear, backups).

Whatever czcheck opens as a workbook package goes through here first, so validate, ``--mark``,
``--in-place`` and ``clear`` enforce the same limits:

* the file on disk is bounded (``Limits.max_file_bytes``) and read once into memory, so what is
  checked is exactly what is used;
* the zip package is checked member by member: count, declared sizes, compression ratio, methods,
  encryption flags, duplicate names and shared data offsets (overlapping-member bombs);
* every member is inflated once, streaming, bounded by its *declared* size; CRC and the end of the
  deflate stream are verified;
* XML members are searched for DTDs and entity declarations, which Excel never writes.

OPC navigation shared by reading/ and marking/ (part names, relationship parts) lives here too.
Messages are Chinese (UnsafeWorkbook).
"""

from __future__ import annotations

import os
import posixpath
import re
import struct
import time
import zipfile
import zlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

MIB = 1 << 20

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
# every marker holds "<!" (ASCII) or "<\0!" (UTF-16 either way): two literal searches (fast in re)
# rule the markers out before the six exact searches
_LT_BANG, _LT_NUL_BANG = re.compile(b"<!"), re.compile(b"<\x00!")


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
    kept: dict[str, bytes] = {}
    budget = KEEP_TOTAL_BYTES
    for info in infos:
        deadline.check()
        inflated = _inflate_and_check(data, info, deadline)
        if inflated is not None and len(inflated) <= budget:
            kept[info.filename] = inflated
            budget -= len(inflated)
    zf.czcheck_inflated = kept  # type: ignore[attr-defined]  # member_bytes() serves these without a second inflate
    zf.czcheck_memo = {}  # type: ignore[attr-defined]  # what readers work out from these bytes once (the parts)
    _remember(data, limits, zf)
    return zf


# Members up to this size are inflated in one bounded call and kept, so that the guards, the sheet
# scan and the formula notes read the same bytes without inflating them again.
KEEP_MEMBER_BYTES = 32 * MIB
KEEP_TOTAL_BYTES = 256 * MIB

_LAST: list = []  # [(data, limits, zf)]: the package checked last in this process


def _remember(data: bytes, limits: Limits, zf: zipfile.ZipFile) -> None:
    _LAST[:] = [(data, limits, zf)]


def _recall(data: bytes, limits: Limits) -> zipfile.ZipFile | None:
    """The package checked last, when ``data`` is byte-identical and the limits are the same (the
    formula notes reopen the file just read: the same bytes need not be checked twice)."""
    if _LAST:
        last, last_limits, zf = _LAST[0]
        if last_limits == limits and len(last) == len(data) and last == data:
            fresh = zipfile.ZipFile(BytesIO(data))  # a new handle: a caller may have closed the first
            fresh.czcheck_inflated = zf.czcheck_inflated  # type: ignore[attr-defined]
            fresh.czcheck_memo = zf.czcheck_memo  # type: ignore[attr-defined]
            return fresh
    return None


def member_bytes(zf: zipfile.ZipFile, name: str) -> bytes:
    """A member's inflated bytes: the copy check_package kept, else inflated now."""
    kept = getattr(zf, "czcheck_inflated", None)
    if kept is not None and name in kept:
        return kept[name]
    return zf.read(name)


def _data_offset(data: bytes, info: zipfile.ZipInfo) -> int:
    start = info.header_offset
    head = data[start : start + 30]
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        raise UnsafeWorkbook("工作簿文件已损坏（内部文件头缺失），可能下载或复制不完整")
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    return start + 30 + name_len + extra_len


def _inflate_and_check(data: bytes, info: zipfile.ZipInfo, deadline: Deadline) -> bytes | None:
    """Inflate one member, never producing more than its declared size; verify CRC and end.
    Returns the inflated bytes of members up to KEEP_MEMBER_BYTES (inflated in one bounded call),
    None for larger ones (inflated streaming, in bounded chunks, and not kept)."""
    name = info.filename
    offset = _data_offset(data, info)
    raw = memoryview(data)[offset : offset + info.compress_size]
    if len(raw) < info.compress_size:
        raise UnsafeWorkbook(f"工作簿文件不完整（内部文件 {name[:60]} 被截断），可能下载或复制不完整")
    declared = info.file_size
    scan = name.lower().endswith(_XMLISH)
    if declared <= KEEP_MEMBER_BYTES:
        return _inflate_small(raw, info, scan)
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
    return None


def _inflate_small(raw: memoryview, info: zipfile.ZipInfo, scan: bool) -> bytes:
    """The streaming checks of _inflate_and_check, in one call bounded by the declared size + 1."""
    name, declared = info.filename, info.file_size
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != declared:
            raise UnsafeWorkbook(f"工作簿文件已损坏（内部文件 {name[:60]} 大小不一致）")
        out = bytes(raw)
        eof = True
    else:
        inflater = zlib.decompressobj(-15)
        try:
            out = inflater.decompress(raw, declared + 1)
            if len(out) <= declared and inflater.eof:
                out += inflater.flush()
        except zlib.error as exc:
            raise UnsafeWorkbook(f"工作簿文件已损坏（内部文件 {name[:60]} 无法解压），可能下载或复制不完整") from exc
        eof = inflater.eof
    if len(out) > declared:
        raise UnsafeWorkbook(
            f"工作簿内部文件 {name[:60]} 的实际大小超过其声明大小（文件被篡改，可能是“zip 炸弹”），已拒绝读取"
        )
    if scan and b"!" in out and (_LT_BANG.search(out) or _LT_NUL_BANG.search(out)) and any(m in out for m in _DTD_MARKERS):
        raise UnsafeWorkbook(
            f"工作簿内部文件 {name[:60]} 含有 DTD/实体声明（Excel 不会生成这种内容，可能是恶意构造的文件），已拒绝读取"
        )
    if not eof:
        raise UnsafeWorkbook(f"工作簿文件已损坏（内部文件 {name[:60]} 不完整），可能下载或复制不完整")
    if len(out) != declared or zlib.crc32(out) != info.CRC:
        raise UnsafeWorkbook(f"工作簿文件已损坏（内部文件 {name[:60]} 校验和不符），可能下载或复制不完整")
    return out


# ---- whole files --------------------------------------------------------------------------------


def read_file(path: str | Path, limits: Limits = LIMITS) -> bytes:
    """The bytes of a package file, bounded by ``limits.max_file_bytes``.  Raises UnsafeWorkbook / OSError."""
    path = Path(path)
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limits.max_file_bytes:
            raise UnsafeWorkbook(
                f"文件过大（{size / MIB:,.0f} MB），超过 czcheck 的上限 {limits.max_file_bytes / MIB:,.0f} MB，已拒绝处理"
            )
        data = fh.read(limits.max_file_bytes + 1)
    if len(data) > limits.max_file_bytes:
        raise UnsafeWorkbook("文件在读取过程中变大，超过上限，已停止")
    return data


def open_package(data: bytes, limits: Limits = LIMITS) -> zipfile.ZipFile:
    """``data`` checked (check_package) and opened; the one entry point for marking and backups.
    Bytes identical to the package checked last are not checked again."""
    return _recall(data, limits) or check_package(data, limits)


def is_valid_package(data: bytes, limits: Limits = LIMITS) -> str | None:
    """None when ``data`` is a sound package (opens, every CRC good, within limits); else why not (Chinese)."""
    if not data:
        return "文件为空（0 字节）"
    try:
        zf = check_package(data, limits)
    except UnsafeWorkbook as exc:
        return str(exc)
    names = {i.filename for i in zf.infolist()}
    if "[Content_Types].xml" not in names:
        return "缺少 [Content_Types].xml，不是有效的工作簿"
    return None


# ---- OPC navigation -----------------------------------------------------------------------------


def rels_path(part: str) -> str:
    """The relationships part of ``part`` ('' = the package itself)."""
    if not part:
        return "_rels/.rels"
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(source_part: str, target: str) -> str:
    """Part name (no leading slash) of a relationship target relative to ``source_part``."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))
