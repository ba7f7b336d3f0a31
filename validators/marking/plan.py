"""What to mark, independent of how: per cell the worst severity, its fill and one comment; the
rows of the 校验结果 sheet.  Pure data, no file access: the package writer (mark.py) and the
xlwings add-in apply the same plan.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable

from ..amounts import amount_parts
from ..model import SEVERITY_ORDER, CellRef, Finding, Severity

RESULT_SHEET_NAME = "校验结果"
COMMENT_AUTHOR = "czcheck"
COMMENT_LIMIT = 30000  # Excel allows 32,767 characters in a comment
RESULT_HEADER_ROWS = 2  # row 1: summary and how to go back, row 2: column headers
RESULT_COLUMNS = ["序号", "严重程度", "规则", "位置", "说明", "应为", "实际", "差额", "相关单元格"]
RESULT_WIDTHS = [6, 12, 8, 34, 64, 13, 13, 11, 40]
BACK_HINT = "点击“位置”列的链接跳到单元格；在单元格处按 F5（定位）再按回车可回到这里。单元格批注写明了对应的校验结果行号。"


@dataclass(frozen=True)
class FillSpec:
    """A cell fill as Excel understands it: pattern type, pattern colour, background colour (ARGB)."""

    pattern: str  # OOXML patternType: "solid", "lightUp", "lightGrid", "lightHorizontal" ...
    fg: str  # pattern (or solid) colour, ARGB hex
    bg: str  # background colour under the pattern, ARGB hex


@dataclass(frozen=True)
class SeverityStyle:
    severity: Severity
    fill: FillSpec
    marker: str  # written before every finding in the comment, e.g. "【错误】"
    pattern_name: str  # Chinese name of the pattern, for the legend


# Hue, lightness and pattern all differ, so the four are told apart without colour vision;
# the comment marker says it in words.
SEVERITY_STYLES: dict[Severity, SeverityStyle] = {
    Severity.ERROR: SeverityStyle(Severity.ERROR, FillSpec("lightUp", "FFC00000", "FFFFC7CE"), "【错误】", "红底斜线"),
    Severity.UNVERIFIABLE: SeverityStyle(
        Severity.UNVERIFIABLE, FillSpec("lightGrid", "FF7030A0", "FFE4DFEC"), "【无法校验】", "紫底网格"),
    Severity.WARNING: SeverityStyle(
        Severity.WARNING, FillSpec("lightHorizontal", "FFBF8F00", "FFFFEB9C"), "【提示】", "黄底横线"),
    Severity.ROUNDING: SeverityStyle(Severity.ROUNDING, FillSpec("solid", "FFE2EFDA", "FFE2EFDA"), "【尾差】", "浅绿纯色"),
}


@dataclass
class ResultRow:
    """One finding as a row of the 校验结果 sheet."""

    number: int  # 1-based finding number
    sheet_row: int  # 1-based row in the 校验结果 sheet
    finding: Finding
    target: CellRef | None  # where the 位置 hyperlink goes (the first cell of the finding)
    cells: list[CellRef]  # every cell marked for this finding

    @property
    def severity(self) -> Severity:
        return self.finding.severity

    def values(self) -> list[str | Decimal | int | None]:
        """Cell values in RESULT_COLUMNS order (Decimal for amounts, None for blank)."""
        f = self.finding
        related = [c for c in self.cells if c != self.target]
        return [
            self.number,
            SEVERITY_STYLES[f.severity].marker,
            f.code,
            str(self.target) if self.target else "（未指明单元格）",
            f.message,
            f.expected,
            f.actual,
            f.difference,
            "、".join(str(c) for c in related),
        ]


@dataclass
class CellMark:
    """Everything one marked cell gets."""

    ref: CellRef
    severity: Severity  # the worst severity among its findings
    rows: list[ResultRow] = field(default_factory=list)
    comment: str = ""

    @property
    def style(self) -> SeverityStyle:
        return SEVERITY_STYLES[self.severity]

    @property
    def fill(self) -> FillSpec:
        return self.style.fill


@dataclass
class MarkPlan:
    cells: dict[CellRef, CellMark]
    rows: list[ResultRow]
    sheet_name: str = RESULT_SHEET_NAME

    def cells_by_sheet(self) -> dict[str, list[CellMark]]:
        out: dict[str, list[CellMark]] = {}
        for mark in self.cells.values():
            out.setdefault(mark.ref.sheet, []).append(mark)
        for marks in out.values():
            marks.sort(key=lambda m: (m.ref.row, m.ref.col))
        return out

    def counts(self) -> Counter[Severity]:
        return Counter(r.severity for r in self.rows)

    def summary(self) -> str:
        counts = self.counts()
        parts = "，".join(f"{s.value} {counts.get(s, 0)} 项" for s in SEVERITY_ORDER)
        legend = "；".join(f"{SEVERITY_STYLES[s].marker}{SEVERITY_STYLES[s].pattern_name}" for s in SEVERITY_ORDER)
        return f"czcheck 校验结果：共 {len(self.rows)} 项（{parts}）。填充：{legend}。{BACK_HINT}"


def finding_lines(row: ResultRow, ref: CellRef, sheet_name: str = RESULT_SHEET_NAME) -> list[str]:
    """The comment block of one finding as seen from one of its cells."""
    f = row.finding
    role = "" if ref in f.cells or not f.cells else "（相关单元格）"
    lines = [f"{SEVERITY_STYLES[f.severity].marker}{f.code}{role} {f.message}"]
    amounts = amount_parts(f.expected, f.actual, f.difference, bool(f.evidence.get("actual_blank")))
    if amounts:
        lines.append("；".join(amounts))
    lines.append(f"见“{sheet_name}”第 {row.sheet_row} 行（第 {row.number} 项）")
    return lines


def comment_text(rows: list[ResultRow], ref: CellRef, sheet_name: str = RESULT_SHEET_NAME) -> str:
    head = f"czcheck 校验：{len(rows)} 项" if len(rows) > 1 else "czcheck 校验"
    blocks: list[str] = [head]
    used = len(head)
    for i, row in enumerate(rows):
        block = "\n".join(finding_lines(row, ref, sheet_name))
        if used + len(block) + 2 > COMMENT_LIMIT:
            blocks.append(f"……另有 {len(rows) - i} 项，见“{sheet_name}”。")
            break
        blocks.append(block)
        used += len(block) + 2
    return "\n\n".join(blocks)


def plan_marks(findings: Iterable[Finding], sheet_name: str = RESULT_SHEET_NAME) -> MarkPlan:
    """Plan the marks for a list of findings: most serious first, then in the order given."""
    ordered = sorted(findings, key=lambda f: f.severity.rank)
    rows: list[ResultRow] = []
    cells: dict[CellRef, CellMark] = {}
    for number, finding in enumerate(ordered, start=1):
        marked = finding.all_cells
        row = ResultRow(number, RESULT_HEADER_ROWS + number, finding, marked[0] if marked else None, marked)
        rows.append(row)
        for ref in marked:
            mark = cells.get(ref)
            if mark is None:
                cells[ref] = CellMark(ref, finding.severity, [row])
            else:
                mark.rows.append(row)
                if finding.severity.rank < mark.severity.rank:
                    mark.severity = finding.severity
    for mark in cells.values():
        mark.comment = comment_text(mark.rows, mark.ref, sheet_name)
    return MarkPlan(cells, rows, sheet_name)
