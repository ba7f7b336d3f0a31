"""Document pairs for the cross-document tests, written by editing copies of the shipped samples.

Every edit is explicit (cell, new value) so a test can name each planted mismatch by its cell.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl

from validators.archive.facts import facts
from validators.model import CellRef
from validators.reading import read_workbook

from conftest import SAMPLES

YANTAI = SAMPLES / "yantai-2024-budget.xlsx"
WEIHAI = SAMPLES / "weihai-2024-final-accounts.xlsx"


def amount_cells(path: Path) -> dict[tuple[str, str, str], CellRef]:
    """(table, row key, column key) -> cell, for every amount the reader finds."""
    return {(f.table, f.row, f.column): f.ref for f in facts(read_workbook(path)) if f.amount is not None}


def cell_of(path: Path, table: str, row: str, column: str) -> CellRef:
    return amount_cells(path)[(table, row, column)]


def edit(source: Path, dest: Path, *, years: tuple[tuple[str, str], ...] = (), department: tuple[str, str] | None = None,
         values: dict[CellRef, float] | None = None, texts: dict[CellRef, str] | None = None, level: str | None = None) -> Path:
    """A copy of ``source`` with string replacements (years first, then the department name), then cell edits."""
    wb = openpyxl.load_workbook(source)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and not c.value.startswith("="):
                    text = c.value
                    for old, new in years:
                        text = text.replace(old, new)
                    if department:
                        text = text.replace(department[0], department[1])
                    if level == "单位":
                        text = text.replace("部门预算", "单位预算").replace("部门决算", "单位决算")
                    c.value = text
                elif isinstance(c.value, int) and years and ws.title == "封面":
                    for old, new in years:
                        if str(c.value) == old:
                            c.value = int(new)
                            break
    for ref, value in (values or {}).items():
        wb[ref.sheet].cell(ref.row + 1, ref.col + 1).value = value
    for ref, text in (texts or {}).items():
        wb[ref.sheet].cell(ref.row + 1, ref.col + 1).value = text
    if "校验" in wb.sheetnames:  # its formulas would have no cached results in an openpyxl-written copy
        del wb["校验"]
    dest.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dest)
    return dest


def split_units(source: Path, dest_a: Path, dest_b: Path, unit_a: str, unit_b: str, department: str,
                share: Decimal = Decimal("0.6")) -> None:
    """Two 单位 copies whose amounts add up to the department's exactly: a = round(v × share), b = v − a."""
    cells = amount_cells(source)
    amounts = {f.ref: f.amount for f in facts(read_workbook(source)) if f.amount is not None}
    part_a = {ref: (v * share).quantize(Decimal("0.01"), ROUND_HALF_UP) for ref, v in amounts.items()}
    assert set(part_a) == set(cells.values())
    edit(source, dest_a, department=(department, unit_a), level="单位", values={r: float(v) for r, v in part_a.items()})
    edit(source, dest_b, department=(department, unit_b), level="单位",
         values={r: float(amounts[r] - part_a[r]) for r in part_a})
