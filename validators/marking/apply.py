"""Apply a MarkPlan to a workbook package, and take the marks off again.

``mark_workbook`` and ``clear_marks`` read the source package, patch the few parts marking
needs as text, copy every other part byte for byte, and write ``dest``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from . import comments as cm
from . import record as rec
from . import sheet as sh
from . import styles as st
from . import threaded as th
from . import workbook as wb
from . import xmltext
from .errors import MarkingError
from .opc import (CT_COMMENTS, CT_VML, CT_WORKSHEET, RT_COMMENTS, RT_THREADED_COMMENTS, RT_VML, RT_WORKSHEET,
                  Package, rels_path, resolve)
from .plan import SEVERITY_STYLES, CellMark, MarkPlan, plan_marks
from .results import ResultStyles, result_sheet_xml
from ..model import Finding, Severity


@dataclass
class ClearStats:
    had_marks: bool = False
    cells_restored: int = 0
    cells_left: int = 0  # changed by the user after marking: left as they are
    comments_left: int = 0
    styles_exact: bool = True
    notes: list[str] = field(default_factory=list)


# -- marking ------------------------------------------------------------------------------------
def mark_workbook(source: Path, findings: Iterable[Finding], dest: Path) -> Path:
    """Write ``dest``: ``source`` with every finding marked.  ``source`` is only read, unless
    ``dest`` is the same file (in-place: the caller makes the backup).  Old czcheck marks are
    cleared first, so marking again replaces them."""
    source, dest = Path(source), Path(dest)
    pkg = Package.open(source)
    _mark(pkg, findings)
    pkg.save(dest)
    return dest


def mark_data(data: bytes, findings: Iterable[Finding], suffix: str = ".xlsx") -> bytes:
    """The marked package, from and to bytes (the file-level safety is in marking/files.py)."""
    pkg = Package.from_bytes(data, suffix)
    _mark(pkg, findings)
    return pkg.to_bytes()


def _mark(pkg: Package, findings: Iterable[Finding]) -> None:
    wb_part = wb.workbook_part(pkg)
    clear_package(pkg, wb_part)
    mark_package(pkg, wb_part, plan_marks(findings, wb.unique_sheet_name(
        "校验结果", [e.name for e in wb.sheets(pkg, wb_part)])))


def mark_package(pkg: Package, wb_part: str, plan: MarkPlan) -> None:
    entries = wb.sheets(pkg, wb_part)
    worksheets = {e.name: e.part for e in entries if e.part and pkg.has(e.part)}
    styles_part = wb.styles_part(pkg, wb_part)
    styles = st.StylePatcher(pkg.text(styles_part), styles_part)
    record: dict[str, Any] = {"version": 1, "tool": "czcheck", "styles_part": styles_part,
                              "content_types": [], "sheets": {}, "workbook_part": wb_part}
    touched: set[str] = {styles_part}
    for sheet_name, marks in plan.cells_by_sheet().items():
        part = worksheets.get(sheet_name)
        if part is None:
            continue
        record["sheets"][sheet_name] = _mark_sheet(pkg, part, marks, styles, record, touched)
    _add_result_sheet(pkg, wb_part, plan, styles, set(worksheets), record, touched)
    pkg.set_text(styles_part, styles.render())
    record["styles"] = styles.record()
    touched.add("[Content_Types].xml")
    rec.write_record(pkg, wb_part, record)
    for part in sorted(touched):
        if pkg.has(part) and not part.endswith(".vml"):
            xmltext.parse(pkg.parts[part], part)  # never write a part we broke


def _style_for(styles: st.StylePatcher, mark: CellMark) -> Callable[[int], int]:
    return lambda original: styles.marked_xf(original, mark.fill)


def _mark_sheet(pkg: Package, part: str, marks: list[CellMark], styles: st.StylePatcher,
                record: dict[str, Any], touched: set[str]) -> dict[str, Any]:
    text = pkg.text(part)
    xmltext.parse(text, part)
    targets = {(m.ref.row + 1, m.ref.col): _style_for(styles, m) for m in marks}
    text, cells, rows = sh.mark_cells(text, part, targets)
    info: dict[str, Any] = {"part": part, "cells": [c.to_json() for c in cells], "rows": [r.to_json() for r in rows],
                            "rels_created": not pkg.has(rels_path(part)), "rels": []}
    threaded: dict[str, str] = {}  # cell ref -> threaded comments part
    for target in pkg.targets(part, RT_THREADED_COMMENTS):
        if pkg.has(target):
            ttext = pkg.text(target)
            xmltext.parse(ttext, target)
            threaded.update({ref: target for ref in th.thread_roots(ttext)})
    entries = {m.ref.address: m.comment for m in marks if m.ref.address.upper() not in threaded}
    on_threads = {m.ref.address: m.comment for m in marks if m.ref.address.upper() in threaded}
    info["threaded"] = _reply_on_threads(pkg, on_threads, threaded, record, touched)
    comment_targets = [t for t in pkg.targets(part, RT_COMMENTS) if pkg.has(t)]
    if comment_targets:
        cpart = comment_targets[0]
        ctext, crecord, new_refs = cm.patch_comments(pkg.text(cpart), cpart, entries, threaded)
        pkg.set_text(cpart, ctext)
    else:
        cpart = pkg.free_name("xl/comments{}.xml")
        pkg.set_text(cpart, cm.new_comments_part(entries))
        crecord = cm.CommentsRecord(cpart, created=True, added=list(entries))
        new_refs = set(entries)
        rel_id, element, _ = pkg.add_relationship(part, RT_COMMENTS, cpart)
        info["rels"].append([rel_id, element])
        record["content_types"].append(pkg.add_content_type("Override", "/" + cpart, CT_COMMENTS))
    touched.add(cpart)
    info["comments"] = crecord.to_json()
    shapes = {ref: entries[ref] for ref in entries if ref in new_refs}
    vml_rel = sh.legacy_drawing_rel(text)
    vml_part = None
    if vml_rel is not None:
        rel = next((r for r in pkg.relationships(part) if r.id == vml_rel), None)
        vml_part = resolve(part, rel.target) if rel is not None else None
    if vml_part is not None and pkg.has(vml_part):
        vtext, shapetype, added = cm.append_shapes(pkg.text(vml_part), vml_part, shapes)
        pkg.set_text(vml_part, vtext)
        info["vml"] = {"part": vml_part, "created": False, "shapetype": shapetype, "shapes": added}
    elif vml_rel is not None:
        raise MarkingError(f"工作表 {part} 的批注绘图缺失，无法安全标注。")
    else:
        used = [b for name in pkg.parts if name.endswith(".vml") for b in cm.vml_blocks(pkg.text(name))]
        vml_part = pkg.free_name("xl/drawings/vmlDrawing{}.vml")
        pkg.set_text(vml_part, cm.new_vml(max(used, default=0) + 1, shapes))
        rel_id, element, _ = pkg.add_relationship(part, RT_VML, vml_part)
        info["rels"].append([rel_id, element])
        text, legacy = sh.add_legacy_drawing(text, rel_id)
        info["vml"] = {"part": vml_part, "created": True, "legacy_drawing": legacy}
        if pkg.content_type_default("vml") is None:
            record["content_types"].append(pkg.add_content_type("Default", "vml", CT_VML))
    pkg.set_text(part, text)
    touched.update({part, rels_path(part)})
    return info


def _reply_on_threads(pkg: Package, notes: dict[str, str], threaded: dict[str, str], record: dict[str, Any],
                      touched: set[str]) -> list[list[Any]]:
    """czcheck's note on a cell with an Excel 365 thread: a reply at the end of the thread (threaded.py)."""
    if not notes:
        return []
    person = record.get("person")
    if person is None:
        ppart = th.persons_part(pkg, record["workbook_part"])
        if ppart is None:  # a thread without a person list: leave the thread alone, the fill and 校验结果 remain
            record["threads_left"] = sorted(set(record.get("threads_left", [])) | set(notes))
            return []
        person = record["person"] = {"part": ppart, "element": th.ensure_person(pkg, ppart)}
        touched.add(ppart)
    out: list[list[Any]] = []
    by_part: dict[str, dict[str, str]] = {}
    for ref, note in notes.items():
        by_part.setdefault(threaded[ref.upper()], {})[ref] = note
    for tpart, part_notes in by_part.items():
        out.append([tpart, th.add_replies(pkg, tpart, part_notes)])
        touched.add(tpart)
    return out


def _result_styles(styles: st.StylePatcher) -> ResultStyles:
    bold = styles.font(bold=True)
    link = styles.font(underline=True, colour="FF0563C1")
    grey = styles.fill(SEVERITY_STYLES[Severity.ROUNDING].fill.__class__("solid", "FFD9D9D9", "FFD9D9D9"))
    return ResultStyles(
        summary=styles.xf(font=bold, wrap=True),
        header=styles.xf(font=bold, fill=grey, wrap=True),
        text=styles.xf(),
        wrap=styles.xf(wrap=True),
        link=styles.xf(font=link),
        number=styles.xf(num_fmt=4),
        severity={s: styles.xf(font=bold, fill=styles.fill(style.fill)) for s, style in SEVERITY_STYLES.items()},
    )


def _add_result_sheet(pkg: Package, wb_part: str, plan: MarkPlan, styles: st.StylePatcher, linkable: set[str],
                      record: dict[str, Any], touched: set[str]) -> None:
    part = pkg.free_name("xl/worksheets/sheet{}.xml")
    pkg.set_text(part, result_sheet_xml(plan, _result_styles(styles), linkable))
    rel_id, rel_element, _ = pkg.add_relationship(wb_part, RT_WORKSHEET, part)
    record["content_types"].append(pkg.add_content_type("Override", "/" + part, CT_WORKSHEET))
    element = wb.add_sheet_entry(pkg, wb_part, plan.sheet_name, rel_id, wb.sheets(pkg, wb_part))
    record["result_sheet"] = {"name": plan.sheet_name, "part": part, "rel": rel_element, "rel_id": rel_id,
                              "element": element}
    touched.update({part, wb_part, rels_path(wb_part)})


# -- clearing -----------------------------------------------------------------------------------
def clear_marks(source: Path, dest: Path) -> Path:
    """Write ``dest``: ``source`` without any czcheck mark, original fills and comments restored.
    A workbook without marks is copied unchanged."""
    source, dest = Path(source), Path(dest)
    pkg = Package.open(source)
    clear_package(pkg, wb.workbook_part(pkg))
    pkg.save(dest)
    return dest


def clear_data(data: bytes, suffix: str = ".xlsx") -> tuple[bytes | None, ClearStats]:
    """(the package without czcheck marks, stats); None when it carries no marks."""
    pkg = Package.from_bytes(data, suffix)
    stats = clear_package(pkg, wb.workbook_part(pkg))
    return (pkg.to_bytes() if stats.had_marks else None), stats


def has_marks(path: Path) -> bool:
    """True when the workbook carries czcheck marks (a record part written by mark_workbook)."""
    pkg = Package.open(Path(path))
    return rec.find_record(pkg, wb.workbook_part(pkg)) is not None


def clear_package(pkg: Package, wb_part: str) -> ClearStats:
    stats = ClearStats()
    found = rec.find_record(pkg, wb_part)
    if found is None:
        return stats
    record, item = found
    stats.had_marks = True
    rec.remove_record(pkg, wb_part, item, record.get("record", {}))
    result = record.get("result_sheet")
    if result:
        wb.remove_sheet_entry(pkg, wb_part, result["element"], result["name"])
        rec.remove_relationship(pkg, wb_part, result["rel"], result["rel_id"], result["part"])
        pkg.delete(result["part"])
    current = {e.name: e.part for e in wb.sheets(pkg, wb_part)}
    for name, info in record.get("sheets", {}).items():
        part = current.get(name) or info["part"]
        if part is None or not pkg.has(part):
            stats.notes.append(f"工作表“{name}”已不存在，跳过。")
            continue
        _clear_sheet(pkg, part, info, stats)
        for tpart, replies in info.get("threaded", []):
            stats.comments_left += th.remove_exact(pkg, tpart, replies)
    person = record.get("person")
    if person and person.get("element") and pkg.has(person["part"]):
        text, _ = xmltext.remove_once(pkg.text(person["part"]), person["element"])
        pkg.set_text(person["part"], text)
    styles_part = record.get("styles_part")
    if styles_part and pkg.has(styles_part) and record.get("styles"):
        text, stats.styles_exact = st.remove_added(pkg.text(styles_part), styles_part, record["styles"])
        pkg.set_text(styles_part, text)
    for element in reversed(record.get("content_types", [])):
        text = pkg.text("[Content_Types].xml")
        text, exact = xmltext.remove_once(text, element)
        if not exact:
            part_name = xmltext.attrs(element).get("PartName")
            if part_name and not pkg.has(part_name.lstrip("/")):
                text = xmltext.remove_elements_where(text, xmltext.root_prefix(text) + "Override", "PartName", {part_name})
        pkg.set_text("[Content_Types].xml", text)
    return stats


def _clear_sheet(pkg: Package, part: str, info: dict[str, Any], stats: ClearStats) -> None:
    text = pkg.text(part)
    xmltext.parse(text, part)
    cells = [sh.CellChange.from_json(c) for c in info.get("cells", [])]
    rows = [sh.RowChange.from_json(r) for r in info.get("rows", [])]
    text, skipped = sh.restore_cells(text, part, cells, rows)
    stats.cells_restored += len(cells) - skipped
    stats.cells_left += skipped
    crecord = cm.CommentsRecord.from_json(info["comments"])
    removed: set[str] = set()
    if pkg.has(crecord.part):
        ctext, removed, left = cm.unpatch_comments(pkg.text(crecord.part), crecord.part, crecord)
        stats.comments_left += left
        if crecord.created and not cm.has_comments(ctext):
            pkg.delete(crecord.part)
        else:
            pkg.set_text(crecord.part, ctext)
    vml = info.get("vml", {})
    vml_part = vml.get("part")
    if vml.get("created"):
        text, _ = xmltext.remove_once(text, vml.get("legacy_drawing", ""))
        if vml_part:
            pkg.delete(vml_part)
    elif vml_part and pkg.has(vml_part):
        pkg.set_text(vml_part, cm.remove_shapes(pkg.text(vml_part), vml.get("shapetype"), vml.get("shapes", ""), removed))
    for rel_id, element in reversed(info.get("rels", [])):
        rec.remove_relationship(pkg, part, element, rel_id)
    rels = rels_path(part)
    if info.get("rels_created") and pkg.has(rels) and not pkg.relationships(part):
        pkg.delete(rels)
    pkg.set_text(part, text)
