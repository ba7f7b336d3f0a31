"""Findings on a PDF name the page and the row label, not a grid cell.

The rules see Grid cells (CellRef(sheet=table, row, col)); after the rules ran, every CellRef of a
finding is replaced by a PdfRef: the same cell (so ``address`` still names the cell of the imported
workbook) plus its page, its box on the page (for ``--mark``) and its row label and column header.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ...model import CellRef, Finding

Box = tuple[float, float, float, float]


@dataclass(frozen=True, order=True)
class PdfRef(CellRef):
    page: int = 0
    box: Box = field(default=(0.0, 0.0, 0.0, 0.0), compare=False)
    label: str = field(default="", compare=False)
    column: str = field(default="", compare=False)

    def __str__(self) -> str:
        where = f"第{self.page}页" if self.page else "PDF"
        if self.sheet == "情况说明":
            return f"{where} 情况说明“{self.label}…”段" if self.label else f"{where} 情况说明"
        text = f"{where} {self.sheet}"
        if self.label:
            text += f"“{self.label}”行"
        if self.column:
            text += f"“{self.column}”列"
        return text


def locate(findings: list[Finding], where: dict[tuple[str, int, int], Any]) -> list[Finding]:
    """The findings with every cell they name placed on the PDF's pages (cells not on a page stay)."""
    cache: dict[CellRef, CellRef] = {}

    def place(ref: CellRef) -> CellRef:
        if ref in cache:
            return cache[ref]
        w = where.get((ref.sheet, ref.row, ref.col))
        if w is None and ref.row == 0:  # a table's title cell: the table's first page
            w = next((v for (s, r, c), v in sorted(where.items(), key=lambda kv: kv[0][1:]) if s == ref.sheet), None)
            if w is not None:
                w = replace(w, label="", column="")
        out = ref if w is None else PdfRef(ref.sheet, ref.row, ref.col, w.page, w.box, w.label, w.column)
        cache[ref] = out
        return out

    for f in findings:
        f.cells = [place(c) for c in f.cells]
        f.related_cells = [place(c) for c in f.related_cells]
        if f.cells and isinstance(f.cells[0], PdfRef):
            f.evidence.setdefault("页码", f.cells[0].page)
    return findings
