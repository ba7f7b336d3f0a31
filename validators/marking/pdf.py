"""``--mark`` on a PDF: an annotated copy ``<stem>.校验.pdf``; the source PDF is only read.

Every cell a finding names gets a highlight over its box, coloured by the worst severity on it (the
workbook fills' colours); the primary cell of each finding gets a note with the rule code, the message
and 应为/实际/差额; findings that name no place on a page go into one note on page 1.  pypdf (BSD-3)
writes the annotations: it copies the document unchanged and only appends annotation objects.
"""

from __future__ import annotations

from pathlib import Path

from ..amounts import fmt
from ..model import Finding, Severity
from .plan import SEVERITY_STYLES


class PdfMarkingError(Exception):
    pass


def _rgb(argb: str) -> str:
    return argb[-6:].lower()


def _note(f: Finding) -> str:
    style = SEVERITY_STYLES[f.severity]
    parts = [f"{style.marker}{f.code} {f.message}"]
    nums = []
    if f.expected is not None:
        nums.append(f"应为 {fmt(f.expected)}")
    if f.actual is not None:
        nums.append(f"实际 {fmt(f.actual)}")
    if f.difference is not None:
        nums.append(f"差额 {fmt(f.difference)}")
    if nums:
        parts.append("，".join(nums))
    return "\n".join(parts)


def mark_pdf(source: str | Path, findings: list[Finding], dest: str | Path, *, force: bool = False) -> Path:
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import Highlight, Text
    from pypdf.generic import ArrayObject, FloatObject

    from ..reading.pdf.locate import PdfRef

    source, dest = Path(source), Path(dest)
    if source.resolve() == dest.resolve():
        raise PdfMarkingError("标注副本不能覆盖原 PDF")
    try:
        reader = PdfReader(str(source))
        writer = PdfWriter(clone_from=reader)
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types for damaged files
        raise PdfMarkingError(f"无法读取 PDF 以生成标注副本（{type(exc).__name__}）") from exc
    worst: dict[tuple[int, tuple[float, ...]], Severity] = {}
    notes: dict[tuple[int, tuple[float, ...]], list[str]] = {}
    unplaced: list[str] = []
    for f in findings:
        placed = [c for c in f.all_cells if isinstance(c, PdfRef) and c.page]
        if not placed:
            unplaced.append(_note(f))
            continue
        for c in placed:
            key = (c.page, tuple(c.box))
            if key not in worst or f.severity.rank < worst[key].rank:
                worst[key] = f.severity
        first = placed[0]
        notes.setdefault((first.page, tuple(first.box)), []).append(_note(f))
    n_pages = len(writer.pages)
    for (page, box), severity in sorted(worst.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        if not 1 <= page <= n_pages:
            continue
        x0, y0, x1, y1 = _pdf_rect(writer.pages[page - 1], box)
        quad = ArrayObject([FloatObject(v) for v in (x0, y1, x1, y1, x0, y0, x1, y0)])
        colour = _rgb(SEVERITY_STYLES[severity].fill.bg if severity is not Severity.ROUNDING else SEVERITY_STYLES[severity].fill.fg)
        writer.add_annotation(page - 1, Highlight(rect=(x0, y0, x1, y1), quad_points=quad, highlight_color=colour, printing=True))
    for (page, box), texts in sorted(notes.items()):
        if not 1 <= page <= n_pages:
            continue
        x0, y0, x1, y1 = _pdf_rect(writer.pages[page - 1], box)
        writer.add_annotation(page - 1, Text(rect=(x1, y1 - 14, x1 + 14, y1), text="\n\n".join(texts), open=False))
    if unplaced and n_pages:
        top = float(writer.pages[0].mediabox.top)
        left = float(writer.pages[0].mediabox.left)
        writer.add_annotation(0, Text(rect=(left + 10, top - 30, left + 24, top - 16),
                                      text="czcheck 校验结果（不对应具体位置的问题）：\n\n" + "\n\n".join(unplaced), open=False))
    from io import BytesIO

    from .. import safewrite

    buffer = BytesIO()
    writer.write(buffer)
    dest.parent.mkdir(parents=True, exist_ok=True)
    safewrite.preflight(dest, force=force, output=True)
    with safewrite.dest_lock(dest):  # exclusive temp, fsync, verified, renamed: as every czcheck write
        safewrite.write_atomic(dest, buffer.getvalue(), like=source, verify=_verify_pdf)
    return dest


def _verify_pdf(data: bytes) -> str | None:
    """None when the written bytes open as a PDF with pages, else a Chinese reason."""
    from io import BytesIO

    from pypdf import PdfReader

    try:
        return None if data.startswith(b"%PDF-") and len(PdfReader(BytesIO(data)).pages) else "写出的 PDF 没有页面"
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types
        return f"写出的 PDF 无法打开（{type(exc).__name__}）"


def _pdf_rect(page, box: tuple[float, ...]) -> tuple[float, float, float, float]:
    """pdfplumber's (x0, top, x1, bottom) from the page's top-left → PDF user space (bottom-left origin)."""
    mb = page.mediabox
    left, top = float(mb.left), float(mb.top)
    x0, t, x1, b = box
    return left + x0, top - b, left + x1, top - t
