"""The OOXML package in memory: parts as bytes, relationships, content types, zip in and out.

Parts we never touch are written back with the same bytes, the same zip metadata and in the
same order; new parts go at the end.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import xmltext
from .. import package
from ..package import rels_path, resolve  # noqa: F401 - re-exported for the marking modules
from .errors import MarkingError

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"

RT_OFFICE_DOCUMENT = f"{REL_NS}/officeDocument"
RT_WORKSHEET = f"{REL_NS}/worksheet"
RT_STYLES = f"{REL_NS}/styles"
RT_COMMENTS = f"{REL_NS}/comments"
RT_VML = f"{REL_NS}/vmlDrawing"
RT_CUSTOM_XML = f"{REL_NS}/customXml"
RT_CUSTOM_XML_PROPS = f"{REL_NS}/customXmlProps"
RT_THREADED_COMMENTS = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"

CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_CUSTOM_XML_PROPS = "application/vnd.openxmlformats-officedocument.customXmlProperties+xml"

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

XLS_MESSAGE = (
    "不支持旧版 Excel 97-2003 工作簿（.xls）或加密的工作簿：请在 Excel 或 WPS 中打开，"
    "选择“文件 → 另存为”，保存类型选“Excel 工作簿（*.xlsx）”（含宏的选 .xlsm），并去掉打开密码后，再运行校验标注。"
)


@dataclass
class Relationship:
    id: str
    type: str
    target: str
    external: bool


def relative(source_part: str, target_part: str) -> str:
    return posixpath.relpath(target_part, posixpath.dirname(source_part) or ".")


@dataclass
class Package:
    """All parts of one workbook package, editable as text."""

    parts: dict[str, bytes]
    infos: dict[str, zipfile.ZipInfo]
    order: list[str]
    comment: bytes = b""
    new_order: list[str] = field(default_factory=list)

    # -- in and out -------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path) -> "Package":
        """Read and check ``path`` through the shared guarded layer (validators/package.py): the same
        size, ratio, CRC and DTD limits as validate."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".xls":
            raise MarkingError(XLS_MESSAGE)
        if suffix in {".xlsb", ".ods", ".et", ".csv"}:
            raise MarkingError(f"不支持 {suffix} 文件的标注：请另存为 Excel 工作簿（.xlsx）后再运行。")
        try:
            data = package.read_file(path)
        except package.UnsafeWorkbook as exc:
            raise MarkingError(str(exc)) from exc
        return cls.from_bytes(data, suffix)

    @classmethod
    def from_bytes(cls, data: bytes, suffix: str = ".xlsx") -> "Package":
        if data[:8] == OLE2_SIGNATURE:
            raise MarkingError(XLS_MESSAGE)
        if suffix in {".xlsb", ".ods", ".et", ".csv"}:
            raise MarkingError(f"不支持 {suffix} 文件的标注：请另存为 Excel 工作簿（.xlsx）后再运行。")
        if not data.startswith(b"PK"):
            raise MarkingError("文件不是有效的 Excel 工作簿（.xlsx/.xlsm），无法标注。")
        try:
            zf = package.open_package(data)
        except package.UnsafeWorkbook as exc:
            raise MarkingError(f"文件不安全或已损坏，无法标注：{exc}。") from exc
        parts: dict[str, bytes] = {}
        infos: dict[str, zipfile.ZipInfo] = {}
        order: list[str] = []
        with zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                if info.filename in parts:
                    raise MarkingError(f"工作簿压缩包中有重复的部件 {info.filename}，无法安全标注。")
                parts[info.filename] = zf.read(info)
                infos[info.filename] = info
                order.append(info.filename)
            comment = zf.comment
        pkg = cls(parts, infos, order, comment)
        if "[Content_Types].xml" not in parts:
            raise MarkingError("文件缺少 [Content_Types].xml，不是有效的 Excel 工作簿。")
        return pkg

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in self.order:
                if name not in self.parts:
                    continue
                info = self.infos.get(name)
                if info is None:
                    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o600 << 16
                zf.writestr(info, self.parts[name])
            zf.comment = self.comment
        return buffer.getvalue()

    def save(self, path: Path) -> None:
        """Write the package to ``path`` safely (exclusive temp, verified, renamed: validators/safewrite.py)."""
        from .. import safewrite

        try:
            safewrite.write_atomic(Path(path), self.to_bytes(), verify=package.is_valid_package)
        except safewrite.WriteRefused as exc:
            raise MarkingError(str(exc)) from exc

    # -- parts ------------------------------------------------------------------------------
    def text(self, name: str) -> str:
        data = self.parts[name]
        if data.startswith(b"\xef\xbb\xbf"):
            raise MarkingError(f"部件 {name} 带有 BOM，无法安全标注。")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MarkingError(f"部件 {name} 不是 UTF-8 编码，无法安全标注。") from exc

    def set_text(self, name: str, text: str) -> None:
        if name not in self.parts and name not in self.order:
            self.order.append(name)
        self.parts[name] = text.encode("utf-8")

    def delete(self, name: str) -> None:
        self.parts.pop(name, None)

    def has(self, name: str) -> bool:
        return name in self.parts

    def free_name(self, pattern: str, start: int = 1) -> str:
        """First unused part name from a pattern with one ``{}`` for the number."""
        n = start
        lowered = {p.lower() for p in self.parts}
        while pattern.format(n).lower() in lowered:
            n += 1
        return pattern.format(n)

    # -- relationships ----------------------------------------------------------------------
    def relationships(self, part: str) -> list[Relationship]:
        name = rels_path(part) if part else "_rels/.rels"
        if name not in self.parts:
            return []
        text = self.text(name)
        xmltext.parse(text, name)
        rels = []
        for start, end in xmltext.children(text, _rel_tag(text)):
            a = xmltext.attrs(text[start:xmltext.tag_close(text, start) + 1])
            rels.append(Relationship(a.get("Id", ""), a.get("Type", ""), a.get("Target", ""),
                                     a.get("TargetMode") == "External"))
        return rels

    def targets(self, part: str, rel_type: str) -> list[str]:
        return [resolve(part, r.target) for r in self.relationships(part) if r.type == rel_type and not r.external]

    def add_relationship(self, part: str, rel_type: str, target_part: str) -> tuple[str, str, bool]:
        """Add a relationship; returns (id, exact element text, rels part created)."""
        name = rels_path(part)
        created = name not in self.parts
        if created:
            self.set_text(name, f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                                f'<Relationships xmlns="{PKG_REL_NS}"></Relationships>')
        text = self.text(name)
        used = set(re.findall(r"""\sId\s*=\s*["']([^"']+)["']""", text))
        n = 1
        while f"rIdCz{n}" in used:
            n += 1
        rel_id = f"rIdCz{n}"
        tag = _rel_tag(text)
        element = f'<{tag} Id="{rel_id}" Type="{rel_type}" Target="{xmltext.escape_attr(relative(part, target_part))}"/>'
        text = xmltext.append_child(text, tag.replace("Relationship", "Relationships"), element)
        self.set_text(name, text)
        return rel_id, element, created

    # -- content types ----------------------------------------------------------------------
    def content_type_default(self, extension: str) -> str | None:
        text = self.text("[Content_Types].xml")
        prefix = xmltext.root_prefix(text)
        for start, end in xmltext.children(text, f"{prefix}Default"):
            a = xmltext.attrs(text[start:end])
            if a.get("Extension", "").lower() == extension.lower():
                return a.get("ContentType")
        return None

    def add_content_type(self, element_kind: str, key: str, content_type: str) -> str:
        """Append a Default or Override; returns the exact element text added."""
        text = self.text("[Content_Types].xml")
        prefix = xmltext.root_prefix(text)
        attr = "Extension" if element_kind == "Default" else "PartName"
        element = f'<{prefix}{element_kind} {attr}="{xmltext.escape_attr(key)}" ContentType="{content_type}"/>'
        self.set_text("[Content_Types].xml", xmltext.insert_before_close(text, f"{prefix}Types", element))
        return element


def _rel_tag(text: str) -> str:
    return xmltext.root_prefix(text) + "Relationship"
