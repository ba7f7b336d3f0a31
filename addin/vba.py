"""Read the VBA source out of an xlsm/xlam's ``xl/vbaProject.bin`` (read only, no dependencies).

The add-in's VBA is never edited (that needs Excel); this reader exists so the build script and
the drift tests can check that every ribbon ``onAction`` names a Sub that exists, and which
``PROJECT_NAME`` / xlwings version the compiled-in VBA carries.

Two formats are involved: the Compound File Binary container ([MS-CFB]) and the VBA source
compression ([MS-OVBA] 2.4.1).  Only what is needed to read module sources is implemented.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END_OF_CHAIN = 0xFFFFFFFE
_FREE = 0xFFFFFFFF


class VbaFormatError(ValueError):
    """The bytes are not a readable vbaProject.bin."""


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    left: int
    right: int
    child: int
    start: int
    size: int


class _Compound:
    """A minimal [MS-CFB] reader: streams by path, e.g. ``("VBA", "dir")``."""

    def __init__(self, data: bytes):
        if data[:8] != _CFB_MAGIC:
            raise VbaFormatError("not a compound file")
        self.data = data
        self.sector_size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
        self.mini_size = 1 << struct.unpack_from("<H", data, 0x20)[0]
        first_dir, = struct.unpack_from("<I", data, 0x30)
        self.cutoff, first_minifat, n_minifat, first_difat, n_difat = struct.unpack_from("<IIIII", data, 0x38)
        fat_sectors = [s for s in struct.unpack_from("<109I", data, 0x4C) if s not in (_FREE, _END_OF_CHAIN)]
        difat, guard = first_difat, 0
        while difat not in (_FREE, _END_OF_CHAIN) and guard <= n_difat:
            values = struct.unpack_from(f"<{self.sector_size // 4}I", data, self._offset(difat))
            fat_sectors += [s for s in values[:-1] if s not in (_FREE, _END_OF_CHAIN)]
            difat, guard = values[-1], guard + 1
        self.fat: list[int] = []
        for s in fat_sectors:
            self.fat += struct.unpack_from(f"<{self.sector_size // 4}I", data, self._offset(s))
        dir_bytes = self._chain(first_dir)
        self.entries = [self._entry(dir_bytes[i:i + 128]) for i in range(0, len(dir_bytes) - 127, 128)]
        minifat = self._chain(first_minifat) if n_minifat else b""
        self.minifat = list(struct.unpack(f"<{len(minifat) // 4}I", minifat))
        root = self.entries[0]
        self.ministream = self._chain(root.start)[: root.size] if root.start != _END_OF_CHAIN else b""

    def _offset(self, sector: int) -> int:
        return (sector + 1) * self.sector_size

    def _chain(self, start: int) -> bytes:
        out, sector, seen = bytearray(), start, set()
        while sector not in (_END_OF_CHAIN, _FREE) and sector < len(self.fat) + 1:
            if sector in seen:
                raise VbaFormatError("sector chain loops")
            seen.add(sector)
            off = self._offset(sector)
            out += self.data[off:off + self.sector_size]
            sector = self.fat[sector] if sector < len(self.fat) else _END_OF_CHAIN
        return bytes(out)

    def _mini_chain(self, start: int, size: int) -> bytes:
        out, sector, seen = bytearray(), start, set()
        while sector not in (_END_OF_CHAIN, _FREE) and len(out) < size:
            if sector in seen or sector >= len(self.minifat):
                raise VbaFormatError("mini sector chain broken")
            seen.add(sector)
            off = sector * self.mini_size
            out += self.ministream[off:off + self.mini_size]
            sector = self.minifat[sector]
        return bytes(out[:size])

    @staticmethod
    def _entry(raw: bytes) -> _Entry:
        name_len, = struct.unpack_from("<H", raw, 64)
        name = raw[: max(name_len - 2, 0)].decode("utf-16-le", errors="replace")
        kind = raw[66]
        left, right, child = struct.unpack_from("<III", raw, 68)
        start, size = struct.unpack_from("<IQ", raw, 116)
        return _Entry(name, kind, left, right, child, start, size & 0xFFFFFFFF)

    def _children(self, index: int) -> dict[str, int]:
        found: dict[str, int] = {}
        stack = [self.entries[index].child]
        while stack:
            i = stack.pop()
            if i == _FREE or i >= len(self.entries):
                continue
            e = self.entries[i]
            found[e.name.upper()] = i
            stack += [e.left, e.right]
        return found

    def stream(self, *path: str) -> bytes:
        index = 0
        for part in path:
            children = self._children(index)
            if part.upper() not in children:
                raise KeyError("/".join(path))
            index = children[part.upper()]
        e = self.entries[index]
        if e.kind != 2:
            raise KeyError("/".join(path))
        if e.size < self.cutoff:
            return self._mini_chain(e.start, e.size)
        return self._chain(e.start)[: e.size]


def decompress(data: bytes) -> bytes:
    """[MS-OVBA] 2.4.1 CompressedContainer -> bytes."""
    if not data or data[0] != 1:
        raise VbaFormatError("not a compressed VBA container")
    out, pos = bytearray(), 1
    while pos + 2 <= len(data):
        header, = struct.unpack_from("<H", data, pos)
        chunk_end = min(pos + (header & 0x0FFF) + 3, len(data))
        pos += 2
        chunk_start = len(out)
        if not header & 0x8000:
            out += data[pos:pos + 4096]
            pos += 4096
            continue
        while pos < chunk_end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags >> bit & 1:
                    out.append(data[pos])
                    pos += 1
                    continue
                token, = struct.unpack_from("<H", data, pos)
                pos += 2
                bit_count = max((len(out) - chunk_start - 1).bit_length(), 4)
                offset = (token >> (16 - bit_count)) + 1
                length = (token & (0xFFFF >> bit_count)) + 3
                if offset > len(out) - chunk_start:
                    raise VbaFormatError("copy token points before the chunk")
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)


def _modules(dir_stream: bytes) -> list[tuple[str, str, int]]:
    """(module name, stream name, source offset) from the decompressed ``dir`` stream."""
    modules: list[tuple[str, str, int]] = []
    name = stream = None
    pos = 0
    while pos + 6 <= len(dir_stream):
        rec_id, size = struct.unpack_from("<HI", dir_stream, pos)
        pos += 6
        if rec_id == 0x0009:  # PROJECTVERSION: size says 4, but 6 bytes follow
            size = 6
        body = dir_stream[pos:pos + size]
        pos += size
        if rec_id == 0x0019:
            name = body.decode("latin-1")
        elif rec_id == 0x001A:
            stream = body.decode("latin-1")
        elif rec_id == 0x0031 and name is not None:
            modules.append((name, stream or name, struct.unpack("<I", body)[0]))
            name = stream = None
    return modules


def module_sources(vba_project: bytes) -> dict[str, str]:
    """Module name -> VBA source text, for every module in a vbaProject.bin."""
    cf = _Compound(vba_project)
    sources = {}
    for name, stream, offset in _modules(decompress(cf.stream("VBA", "dir"))):
        raw = cf.stream("VBA", stream)
        sources[name] = decompress(raw[offset:]).decode("cp1252", errors="replace")
    return sources


def public_procedures(source: str) -> set[str]:
    """Names of Subs and Functions declared in a module (``Private`` ones included)."""
    pattern = re.compile(r"^\s*(?:(?:Public|Private|Friend)\s+)?(?:Static\s+)?(?:Sub|Function)\s+(\w+)", re.M | re.I)
    return {m.group(1) for m in pattern.finditer(source)}


def string_constant(sources: dict[str, str], name: str) -> str | None:
    """The value of ``[Public] Const NAME As String = "..."`` in any module."""
    pattern = re.compile(rf'^\s*(?:Public\s+|Private\s+)?Const\s+{re.escape(name)}\s+As\s+String\s*=\s*"([^"]*)"', re.M | re.I)
    for source in sources.values():
        m = pattern.search(source)
        if m:
            return m.group(1)
    return None
