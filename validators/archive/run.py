"""The cross-document pass of a run: reports in, cross-document findings added, the archive updated."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..model import Disclosure, Report
from . import crossdoc
from .db import AddResult, Archive, ArchiveError

PDF_NOT_YET = "暂不支持直接读取 PDF 作为对照文件，请先用 czcheck import 转换为工作簿"


@dataclass
class CrossResult:
    notes: list[str] = field(default_factory=list)  # counterparts missing, identity remarks: once per run
    added: list[tuple[str, AddResult]] = field(default_factory=list)  # (source, result)
    problems: list[str] = field(default_factory=list)  # Chinese: files that could not be used


def read_full(source: str | Path) -> Disclosure:
    """The full disclosure of a file (the batch keeps only a slim one); raises ReadError (Chinese)."""
    from ..reading import ReadError, read_workbook

    if Path(source).suffix.lower() == ".pdf":
        try:  # the PDF door (validators/reading/pdf), where this build has it
            from ..reading.pdf import read_pdf_disclosure
        except ImportError:
            raise ReadError(PDF_NOT_YET) from None
        return read_pdf_disclosure(source)
    return read_workbook(source)


def cross_check(reports: list[Report], *, archive: Archive | None = None, with_paths: Iterable[str | Path] = (),
                add: bool = False, mapping=None) -> CrossResult:
    """Add the cross-document findings to ``reports`` (in place); store them in ``archive`` when ``add``."""
    from ..reading import ReadError
    from ..rules import sort_findings

    result = CrossResult()
    pool = crossdoc.Pool(archive, mapping)
    in_run = {_resolved(r.source) for r in reports}
    for path in with_paths:
        if _resolved(path) in in_run:
            continue  # a file of the run given again with --with: checked once, as a file of the run
        try:
            pool.add(read_full(path))
        except (ReadError, OSError) as exc:
            result.problems.append(f"对照文件 {path}：{exc}")
    docs: list[tuple[Report, crossdoc.Doc]] = []
    for report in reports:
        if report.error:
            continue
        d = report.disclosure
        if d is None or not d.tables:
            try:
                d = read_full(report.source)
            except (ReadError, OSError) as exc:
                result.problems.append(f"{report.source}：{exc}")
                continue
            report.disclosure = d
        added = None
        if archive is not None and add:
            try:
                added = archive.add(report)
                result.added.append((report.source, added))
                d.cache["archive_id"] = added.document.id
            except ArchiveError as exc:
                result.problems.append(str(exc))
        doc = pool.add(d)
        if added is not None:
            doc.archive_id = added.document.id
            if not doc.key.startswith("（未关联）"):  # an ambiguous name stays unlinked in this run
                doc.key = added.document.dept_key or doc.key
        docs.append((report, doc))
    found, notes = crossdoc.run([doc for _, doc in docs], pool)
    for i, (report, doc) in enumerate(docs):
        settled = _settled_by_counterparts(report, doc.disclosure)
        if found[i] or settled:
            _locate_on_pdf(found[i], doc.disclosure)
            report.findings = sort_findings([f for f in report.findings if not _in(f, settled)] + found[i])
            doc.disclosure.cache[CHANGED] = True
            if archive is not None and add and doc.archive_id is not None:
                archive.replace_findings(doc.archive_id, report.findings)
    if archive is not None and add:  # the reverse direction: the archived document keeps what was said about it
        backwards: dict[int, tuple[str, list]] = {}
        for x, doc, finding in pool.said_backwards:
            if x.archive_id is not None:
                backwards.setdefault((x.archive_id, doc.disclosure.source), []).append(finding)
        for (doc_id, counterpart), findings in backwards.items():
            try:
                archive.merge_findings(doc_id, findings, counterpart)
            except ArchiveError as exc:
                result.problems.append(str(exc))
    result.notes = notes.lines
    return result


def _resolved(path) -> str:
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError):
        return str(path)


CHANGED = "crossdoc_changed_findings"  # the marked copy must be marked again


def _settled_by_counterparts(report: Report, d: Disclosure) -> list:
    """WB609 (“无法与表格数字对应”) findings on another year's figure that a counterpart document settled."""
    quoted = d.cache.get(crossdoc.CHECKED_QUOTES) or set()
    if not quoted:
        return []
    out = []
    for f in report.findings:
        if f.code != "WB609" or len(f.cells) != 1:
            continue
        cell = f.cells[0]
        if any(_same_cell(cell, ref) and f"“{text}”" in f.message for ref, text in quoted):
            out.append(f)
    return out


def _same_cell(a, b) -> bool:
    return (a.sheet, a.row, a.col) == (b.sheet, b.row, b.col)  # a PDF's cells are PdfRefs of the same grid cell


def _in(f, found: list) -> bool:
    return any(f is g for g in found)


def _locate_on_pdf(findings, d: Disclosure) -> None:
    """Findings on a PDF name pages (the PDF door's own placement), where this build has the PDF door."""
    where = d.cache.get("pdf_where")
    if not where:
        return
    try:
        from ..reading.pdf.locate import locate
    except ImportError:
        return
    locate(findings, where)
