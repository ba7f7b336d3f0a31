"""The workbook part: where it is, its sheets, and adding/removing the 校验结果 sheet entry."""

from __future__ import annotations

from dataclasses import dataclass

from . import xmltext
from .errors import MarkingError
from .opc import MAIN_NS, REL_NS, RT_OFFICE_DOCUMENT, RT_STYLES, RT_WORKSHEET, STRICT_MAIN_NS, Package, resolve


@dataclass
class SheetEntry:
    name: str
    sheet_id: int
    rel_id: str
    part: str | None  # worksheet part; None for chartsheets, dialog sheets and the like


def workbook_part(pkg: Package) -> str:
    targets = pkg.targets("", RT_OFFICE_DOCUMENT)
    if not targets:
        if any(r.type.endswith("/officeDocument") for r in pkg.relationships("")):
            raise MarkingError("这是严格 Open XML（Strict）格式的工作簿，暂不支持标注：请在 Excel 中另存为普通的 Excel 工作簿（.xlsx）。")
        raise MarkingError("文件中找不到工作簿主体（officeDocument 关系），不是有效的 Excel 工作簿。")
    part = targets[0]
    if not pkg.has(part):
        raise MarkingError(f"工作簿主体 {part} 缺失，文件已损坏。")
    text = pkg.text(part)
    if STRICT_MAIN_NS in text[:2000]:
        raise MarkingError("这是严格 Open XML（Strict）格式的工作簿，暂不支持标注：请在 Excel 中另存为普通的 Excel 工作簿（.xlsx）。")
    if MAIN_NS not in text[:2000]:
        raise MarkingError(f"工作簿主体 {part} 不是 Excel 工作簿格式。")
    return part


def sheets(pkg: Package, wb_part: str) -> list[SheetEntry]:
    text = pkg.text(wb_part)
    xmltext.parse(text, wb_part)
    p = xmltext.root_prefix(text)
    rels = {r.id: r for r in pkg.relationships(wb_part)}
    out = []
    span = xmltext.element_span(text, p + "sheets")
    if span is None:
        raise MarkingError("工作簿没有工作表列表。")
    block = text[span[0]:span[1]]
    for s, _e in xmltext.children(block, p + "sheet"):
        a = xmltext.attrs(block[s:xmltext.tag_close(block, s) + 1])
        rel_id = next((v for k, v in a.items() if k.endswith(":id")), "")
        rel = rels.get(rel_id)
        part = resolve(wb_part, rel.target) if rel and rel.type == RT_WORKSHEET and not rel.external else None
        out.append(SheetEntry(a.get("name", ""), int(a.get("sheetId", "0") or 0), rel_id, part))
    return out


def styles_part(pkg: Package, wb_part: str) -> str:
    targets = pkg.targets(wb_part, RT_STYLES)
    if not targets or not pkg.has(targets[0]):
        raise MarkingError("工作簿没有样式表（styles.xml），无法安全地添加填充色。")
    return targets[0]


def unique_sheet_name(wanted: str, existing: list[str]) -> str:
    taken = {n.lower() for n in existing}
    if wanted.lower() not in taken:
        return wanted
    n = 2
    while f"{wanted}{n}".lower() in taken:
        n += 1
    return f"{wanted}{n}"


def add_sheet_entry(pkg: Package, wb_part: str, name: str, rel_id: str, entries: list[SheetEntry]) -> str:
    """Append <sheet …/> to <sheets>; returns the exact element."""
    text = pkg.text(wb_part)
    p = xmltext.root_prefix(text)
    r_prefix = xmltext.ns_prefix(text, REL_NS)
    sheet_id = max((e.sheet_id for e in entries), default=0) + 1
    rel_attr = f'{r_prefix}:id="{rel_id}"' if r_prefix else f'xmlns:r="{REL_NS}" r:id="{rel_id}"'
    element = f'<{p}sheet name="{xmltext.escape_attr(name)}" sheetId="{sheet_id}" {rel_attr}/>'
    pkg.set_text(wb_part, xmltext.append_child(text, p + "sheets", element))
    return element


def remove_sheet_entry(pkg: Package, wb_part: str, element: str, name: str) -> None:
    text = pkg.text(wb_part)
    text, exact = xmltext.remove_once(text, element)
    if not exact:
        p = xmltext.root_prefix(text)
        span = xmltext.element_span(text, p + "sheets")
        if span is not None:
            block = xmltext.remove_elements_where(text[span[0]:span[1]], p + "sheet", "name", {name})
            text = text[:span[0]] + block + text[span[1]:]
    pkg.set_text(wb_part, text)
