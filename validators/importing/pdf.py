"""``czcheck import FILE.pdf -o BOOK.xlsx``: the PDF's tables, narrative and cover as a workbook.

Each table becomes one sheet laid out as the PDF reader hands it to the table parser (title, unit line,
header rows, data rows), so validating the workbook gives the findings of the PDF, naming the cells of
the workbook instead of the pages.  Amounts are written as numbers (format #,##0.00), codes and labels as
text; nothing is computed or filled in.
"""

from __future__ import annotations

from pathlib import Path

from ..reading.grid import ReadError
from ..reading.pdf import COVER_SHEET, NARRATIVE_SHEET, read_pdf
from ..reading.pdf.tables import is_amount_text
from .seedtext import ImportError_


def import_pdf(source: str | Path, output: str | Path) -> tuple[Path, list[str]]:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    try:
        read = read_pdf(source)
    except ReadError as exc:
        raise ImportError_(str(exc)) from exc
    output = Path(output)
    wb = Workbook(write_only=True)
    tables = 0
    for grid in read.grids:
        ws = wb.create_sheet(grid.name[:31])
        is_table = grid.name not in (NARRATIVE_SHEET, COVER_SHEET)
        tables += is_table
        for r, row in enumerate(grid.rows):
            out = []
            for v in row:
                if is_table and r > 0 and isinstance(v, str) and is_amount_text(v):
                    cell = WriteOnlyCell(ws, value=float(v.replace(",", "")))
                    cell.number_format = "#,##0.00"
                elif r == 0 and v:
                    cell = WriteOnlyCell(ws, value=v)
                    cell.font = Font(bold=True)
                else:
                    cell = WriteOnlyCell(ws, value=v if v != "" else None)
                out.append(cell)
            ws.append(out)
    from io import BytesIO

    from .. import safewrite
    from ..package import is_valid_package

    buffer = BytesIO()
    wb.save(buffer)
    try:
        safewrite.write_output(output, buffer.getvalue(), force=True, verify=is_valid_package)
    except safewrite.WriteRefused as exc:
        raise ImportError_(str(exc)) from exc
    except OSError as exc:
        raise ImportError_(f"无法写入 {safewrite.shown(output)}：{exc.strerror or exc}") from exc
    paragraphs = next((len(g.rows) - 2 for g in read.grids if g.name == NARRATIVE_SHEET), 0)
    notes = [f"已从 PDF（共 {read.pages} 页）读取 {tables} 张表、{paragraphs} 段文字；金额按原样写入，未做任何推算"]
    return output, notes
