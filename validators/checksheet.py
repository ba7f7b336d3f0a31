"""The 校验 sheet of the template workbooks: one row per key reconciliation, with a native-formula
result (SUM/SUMIF/ABS/ROUND/IF: Excel, WPS and LibreOffice all calculate it) and a CZ_ column
that asks the Excel add-in's worksheet functions the same question.

The cells are located by reading the freshly written workbook with czcheck's own reader
(titles and header roles, never fixed positions).  ``relations`` is shared with the tests, which
recalculate the workbook in LibreOffice and compare the native results with the engine's
findings for the same relations.

Nothing in the sheet may look like a table title to the reader (a text ending in 表), like a
cover key (部门名称, 年度 …) or like a narrative title; ``check_sheet_is_inert`` verifies it.
"""

from __future__ import annotations

from pathlib import Path

from .amounts import DASHES
from .checklayout import CHECK_SHEET_NAME, FIRST_ROW, HEADER, HEADING  # noqa: F401 - the layout, shared with the reader
from .model import CellRef, Disclosure, column_letter
from .rules.relations import Check

WIDTHS = [6, 46, 8, 14, 14, 12, 10, 16, 20]
INTRO = ("本表用公式实时核对各公开表之间的关键关系，适用于 Excel、WPS 和 LibreOffice。"
         "每一行是 czcheck 校验本工作簿时核对的一处勾稽关系（与命令行、加载项的结论一致）。"
         "“结果（通用公式）”：✓ 为一致；尾差 为四舍五入差额（每个数最多 0.005）；错误（或 提示）为差额超出尾差范围；"
         "无法校验 为有单元格填了文字而不是数字，或表格有行缺失、缺少的行可以解释差额。"
         "“结果（Excel 加载项）”一列需要安装 czcheck 的 Excel 加载项（仅 Windows 版 Excel），"
         "未安装时显示 #NAME?，不影响其他列。")


# ---- which relations: every sum/equality the engine checks on this workbook ----------------------

Relation = Check  # one row of the sheet is one evaluated relation (validators.rules.relations.Check)


def relations(d: Disclosure) -> list[Check]:
    """Every relation the engine evaluates on ``d`` (rules run with a recorder), once each, in order."""
    from .rules import run_rules
    from .rules.relations import Recorder

    recorder = Recorder()
    run_rules(d, recorder=recorder)
    seen: set[tuple] = set()
    out: list[Check] = []
    for c in recorder.checks:
        key = (c.code, tuple(v.ref for v in c.left), tuple(v.ref for v in c.right))
        if key not in seen and all(v.raw is not None or v.blank for v in (*c.left, *c.right)):
            seen.add(key)
            out.append(c)
    return out


def cells_of(check: Check) -> list[CellRef]:
    return [v.ref for v in (*check.left, *check.right)]


# ---- formulas --------------------------------------------------------------------------------

def _sheet_ref(ref: CellRef) -> str:
    return "'" + ref.sheet.replace("'", "''") + "'!" + ref.address


def _runs(parts: list[CellRef]) -> list[str]:
    """Same-sheet vertical or horizontal runs of cells collapse into ranges."""
    runs: list[tuple[CellRef, CellRef]] = []
    for ref in parts:
        if runs:
            first, last = runs[-1]
            same = ref.sheet == last.sheet
            if same and ref.col == last.col == first.col and ref.row == last.row + 1:
                runs[-1] = (first, ref)
                continue
            if same and ref.row == last.row == first.row and ref.col == last.col + 1:
                runs[-1] = (first, ref)
                continue
        runs.append((ref, ref))
    return [_sheet_ref(a) if a == b else _sheet_ref(a) + ":" + b.address for a, b in runs]


def _text_count(refs: list[str]) -> str:
    """How many of the cells hold text the engine cannot read as an amount (dashes read as blank)."""
    dashes = "".join(f'*({{r}}<>"{d}")' for d in sorted(DASHES))
    return "+".join(f"SUMPRODUCT(ISTEXT({r})*(LEN({r})>0){dashes.format(r=r)})" for r in refs)


def formulas(check: Check, row: int) -> list[object]:
    """The cells D..I of one relation row (1-based sheet row ``row``): the engine's policy as a formula.

    Σleft against Σright; the envelope is half a printed unit per total-side cell and per non-blank part
    (at least two); beyond it, 无法校验 where a cut table can explain the gap, else the rule's severity.
    Text in any of the cells (an unreadable amount) gives 无法校验, as the engine reports it (RD001)
    instead of checking the relation."""
    left, right = _runs([v.ref for v in check.left]), _runs([v.ref for v in check.right])
    texts = _text_count(left + right)
    d, e, f, g = (f"{c}{row}" for c in "DEFG")
    halves = {v.half_ulp for v in (*check.left, *check.right)}
    if len(halves) == 1:
        envelope = f"=MAX({len(check.left)}+COUNT({','.join(right)}),2)*{format(halves.pop(), 'f')}"
    else:  # mixed printed units: the envelope of the values as read
        envelope = float(check.envelope)
    failing = f'"{check.failing.value}"'
    if check.exceeds is not None:  # at_most: the parts exceeding the total is graded apart from falling short
        short = '"✓"' if check.short_ok else failing
        failing = f'IF({f}<0,"{check.exceeds.value}",{short})'
    if check.incomplete:
        failing = '"无法校验"' if check.explain == "any" else f'IF({f}>0,"无法校验",{failing})'
    udf = f"=CZ_SUMCHECK({left[0]},{_union_for_udf(','.join(right))})" if len(check.left) == 1 else ""
    return [
        f"=SUM({','.join(left)})",
        f"=SUM({','.join(right)})",
        f'=IF({texts}>0,"",ROUND({d}-{e},6))',
        envelope,
        f'=IF({texts}>0,"无法校验",IF(ROUND(ABS({f}),6)=0,"✓",IF(ROUND(ABS({f})-{g},6)<=0,"尾差",{failing})))',
        udf,
    ]


def _union_for_udf(args: str) -> str:
    # one range argument when the parts are one run; several runs go in as a union "(a,b,c)"
    return args if "," not in args else f"({args})"


# ---- the sheet -------------------------------------------------------------------------------

def add_check_sheet(path: str | Path) -> int:
    """Append (or replace) the 校验 sheet of a czcheck-generated workbook.  Returns the number of relations.

    For czcheck's own freshly generated templates and samples only (openpyxl rewrites the file).
    """
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    from .reading import read_workbook

    path = Path(path)
    disclosure = read_workbook(path)
    rels = relations(disclosure)
    wb = load_workbook(path)
    if CHECK_SHEET_NAME in wb.sheetnames:
        del wb[CHECK_SHEET_NAME]
    ws = wb.create_sheet(CHECK_SHEET_NAME)
    ws["A1"] = HEADING
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = INTRO
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(HEADER))
    ws.row_dimensions[2].height = 48
    head_fill = PatternFill("solid", fgColor="FFD9E1F2")
    for i, name in enumerate(HEADER, start=1):
        cell = ws.cell(row=FIRST_ROW - 1, column=i, value=name)
        cell.font = Font(bold=True)
        cell.fill = head_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for n, rel in enumerate(rels, start=1):
        row = FIRST_ROW - 1 + n
        values = [n, _label(rel), rel.code] + formulas(rel, row)
        for i, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=i, value=value)
            if i in (4, 5, 6, 7):
                cell.number_format = "#,##0.00"
            if i == 2:
                cell.alignment = Alignment(wrap_text=True, vertical="center")
    for i, width in enumerate(WIDTHS):
        ws.column_dimensions[column_letter(i)].width = width
    ws.freeze_panes = f"A{FIRST_ROW}"
    wb.save(path)
    return len(rels)


def _label(check: Check) -> str:
    return check.label if not check.label.endswith("表") else check.label + "（核对）"


def check_sheet_is_inert(rows: list[list[object]]) -> list[str]:
    """Texts in a grid the reader would take for a title, cover key or narrative heading (should be none)."""
    from . import schemas
    from .reading import NARRATIVE_TITLES, _COVER_KEYS

    bad = []
    for row in rows:
        for v in row:
            if not isinstance(v, str) or not v.strip() or v.startswith("="):
                continue
            n = schemas.norm(v)
            if schemas.match_title(v) or n in NARRATIVE_TITLES or n.rstrip(":：") in _COVER_KEYS:
                bad.append(v)
    return bad


__all__ = ["CHECK_SHEET_NAME", "Relation", "add_check_sheet", "cells_of", "check_sheet_is_inert", "formulas", "relations"]
