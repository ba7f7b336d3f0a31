"""The 校验结果 sheet: one row per finding, a hyperlink to its first cell, amounts as numbers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from . import xmltext
from .opc import MAIN_NS, REL_NS
from .plan import RESULT_COLUMNS, RESULT_HEADER_ROWS, RESULT_WIDTHS, SEVERITY_ORDER, MarkPlan
from .sheet import col_letters
from ..model import Severity


@dataclass
class ResultStyles:
    """Cell format indices (cellXfs) for the sheet, appended by the style patcher."""

    summary: int
    header: int
    text: int
    wrap: int
    link: int
    number: int
    severity: dict[Severity, int]


def sheet_location(sheet: str, address: str) -> str:
    return "'" + sheet.replace("'", "''") + "'!" + address


def _inline(ref: str, style: int, text: str) -> str:
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{xmltext.escape_text(text)}</t></is></c>'


WRAPPED = ("说明", "相关单元格")


def _display_width(text: str) -> int:
    """Column-width units a text needs: CJK and full-width characters count double."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _row_height(values: list[object]) -> float:
    """Points for a row whose wrapped columns hold ``values`` (Excel does not auto-fit on open)."""
    lines = 1
    for value, width, column in zip(values, RESULT_WIDTHS, RESULT_COLUMNS):
        if isinstance(value, str) and value and column in WRAPPED:
            lines = max(lines, -(-_display_width(value) // max(width - 2, 1)))
    return min(409.0, 15.0 * lines + 3)


def result_sheet_xml(plan: MarkPlan, styles: ResultStyles, linkable: set[str]) -> str:
    """The worksheet XML.  ``linkable``: sheet names that exist as worksheets (links go only there)."""
    last_col = col_letters(len(RESULT_COLUMNS) - 1)
    last_row = RESULT_HEADER_ROWS + len(plan.rows)
    rows = [f'<row r="1" ht="48" customHeight="1">{_inline("A1", styles.summary, plan.summary())}</row>']
    header = "".join(_inline(f"{col_letters(i)}2", styles.header, name) for i, name in enumerate(RESULT_COLUMNS))
    rows.append(f'<row r="2">{header}</row>')
    links = []
    for row in plan.rows:
        cells = []
        for i, value in enumerate(row.values()):
            ref = f"{col_letters(i)}{row.sheet_row}"
            column = RESULT_COLUMNS[i]
            if column == "严重程度":
                cells.append(_inline(ref, styles.severity[row.severity], str(value)))
            elif column == "位置":
                located = row.target is not None and row.target.sheet in linkable
                text = str(value) if located or row.target is None else f"{value}（工作簿中没有该工作表）"
                cells.append(_inline(ref, styles.link if located else styles.text, text))
                if located and row.target is not None:
                    loc = sheet_location(row.target.sheet, row.target.address)
                    links.append(f'<hyperlink ref="{ref}" location="{xmltext.escape_attr(loc)}" '
                                 f'display="{xmltext.escape_attr(str(row.target))}"/>')
            elif isinstance(value, Decimal):
                cells.append(f'<c r="{ref}" s="{styles.number}"><v>{format(value, "f")}</v></c>')
            elif isinstance(value, int):
                cells.append(f'<c r="{ref}" s="{styles.text}"><v>{value}</v></c>')
            elif value is None or value == "":
                continue
            else:
                style = styles.wrap if column in WRAPPED else styles.text
                cells.append(_inline(ref, style, str(value)))
        height = _row_height(row.values())
        rows.append(f'<row r="{row.sheet_row}" ht="{height}" customHeight="1">{"".join(cells)}</row>')
    cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>' for i, w in enumerate(RESULT_WIDTHS))
    hyperlinks = f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheetPr><tabColor rgb="FFC00000"/>'
        '<pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<dimension ref="A1:{last_col}{max(last_row, 2)}"/>'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="2" topLeftCell="A3" activePane="bottomLeft" '
        'state="frozen"/><selection pane="bottomLeft" activeCell="D3" sqref="D3"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>{"".join(rows)}</sheetData>'
        f'<mergeCells count="1"><mergeCell ref="A1:{last_col}1"/></mergeCells>{hyperlinks}'
        '<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
        f'<headerFooter><oddFooter>{xmltext.escape_text("&C第 &P 页，共 &N 页")}</oddFooter></headerFooter></worksheet>'
    )


__all__ = ["ResultStyles", "result_sheet_xml", "sheet_location", "SEVERITY_ORDER"]
