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

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .model import CellRef, Disclosure, Row, RowKind, Table, Value, column_letter

CHECK_SHEET_NAME = "校验"
HEADER = ["序号", "核对关系", "规则", "应等于的数", "各部分之和", "差额", "尾差容限", "结果（通用公式）", "结果（Excel 加载项）"]
WIDTHS = [6, 46, 8, 14, 14, 12, 10, 16, 20]
FIRST_ROW = 4  # 1-based sheet row of the first relation (rows 1-3: heading, hint, column headers)
INTRO = ("本表用公式实时核对各公开表之间的关键关系，适用于 Excel、WPS 和 LibreOffice。"
         "“结果（通用公式）”：✓ 为一致；尾差 为四舍五入差额（每个数最多 0.005）；错误 为差额超出尾差范围；无法校验 为有单元格填了文字而不是数字。"
         "“结果（Excel 加载项）”一列需要安装 czcheck 的 Excel 加载项（仅 Windows 版 Excel），"
         "未安装时显示 #NAME?，不影响其他列。")
HEADING = "公开表勾稽关系核对"


@dataclass
class Relation:
    """total = Σ parts, as the engine's rule ``code`` checks it."""

    code: str
    label: str  # Chinese; never ends with 表
    total: Value
    parts: list[Value]

    @property
    def cells(self) -> list[CellRef]:
        return [self.total.ref] + [p.ref for p in self.parts]


# ---- which relations -------------------------------------------------------------------------

def _line(t: Table | None, key: str, side: str, col: str = "合计") -> Value | None:
    if t is None:
        return None
    row = t.line(key, side)
    return row.values.get(col) if row else None


def _ledger_columns(t: Table | None) -> list[str]:
    """合计, or 吉林's 编制预算 | 上年结转 columns (合计@编制预算, 合计@上年结转), each checked alone."""
    return [k for k in ("合计@编制预算", "合计@上年结转") if t is not None and t.has(k)] or ["合计"]


def _lines(t: Table, side: str, keys: tuple[str, ...]) -> list[Value]:
    return [v for k in keys if (v := _line(t, k, side)) is not None]


def _equal(code: str, label: str, a: Value | None, b: Value | None) -> Iterator[Relation]:
    if a is not None and b is not None:
        yield Relation(code, label, a, [b])


def _sum(code: str, label: str, total: Value | None, parts: list[Value | None]) -> Iterator[Relation]:
    present = [p for p in parts if p is not None]
    if total is not None and present:
        yield Relation(code, label, total, present)


def _row_identity(code: str, t: Table | None, keys: tuple[str, ...], what: str) -> Iterator[Relation]:
    if t is None or not t.has("合计"):
        return
    row = t.total_row()
    present = [k for k in keys if t.has(k)]
    if row is None or not present:
        return
    yield from _sum(code, f"{t.kind}合计行：合计＝{'＋'.join(present)}{what}", row.values.get("合计"),
                    [row.values.get(k) for k in present])


def _classes(code: str, t: Table | None) -> Iterator[Relation]:
    """合计 = Σ 类 (function classification), amount column 合计."""
    if t is None or not t.has("合计"):
        return
    total = t.total_row()
    classes = [r for r in t.data_rows() if r.code and len(r.code) == 3]
    if total is None or not classes:
        return
    yield from _sum(code, f"{t.kind}：合计＝各类之和", total.values.get("合计"), [r.values.get("合计") for r in classes])


def _sangong(t: Table | None) -> Iterator[Relation]:
    if t is None:
        return
    groups: list[str | None] = []
    for col in t.columns:
        if col.role and col.group not in groups:
            groups.append(col.group)
    for row in t.data_rows():
        for g in groups:
            def k(role: str) -> str:
                return f"{role}@{g}" if g else role
            name = g or ""
            yield from _sum("SG401", f"“三公”经费{name}：合计＝因公出国（境）＋公务用车＋公务接待",
                            row.values.get(k("合计")), [row.values.get(k(r)) for r in ("因公出国", "公务用车小计", "公务接待")])
            yield from _sum("SG402", f"“三公”经费{name}：公务用车＝购置费＋运行维护费",
                            row.values.get(k("公务用车小计")), [row.values.get(k(r)) for r in ("公务用车购置", "公务用车运行")])
        break  # the data row of the table (one per year group)


def relations(d: Disclosure) -> list[Relation]:
    out: list[Relation] = []
    if d.kind == "决算":
        for kind in ("收支决算总表", "财政拨款收支决算总表"):
            t = d.table(kind)
            out += _equal("JS503", f"{kind}：支出总计＝收入总计", _line(t, "总计", "支出"), _line(t, "总计", "收入"))
        t = d.table("收支决算总表")
        if t is not None:
            out += _sum("JS501", "收支决算总表：收入总计＝本年收入合计＋使用非财政拨款结余＋年初结转和结余",
                        _line(t, "总计", "收入"), _lines(t, "收入", ("本年收入合计", "使用非财政拨款结余", "年初结转和结余")))
            out += _sum("JS504", "收支决算总表：本年收入合计＝各项收入之和", _line(t, "本年收入合计", "收入"),
                        _lines(t, "收入", ("一般公共预算", "政府性基金", "国有资本经营", "上级补助收入", "事业收入",
                                           "经营收入", "附属单位上缴收入", "其他收入")))
        out += _row_identity("JS514", d.table("支出决算表"),
                             ("基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出"), "")
        out += _classes("BN201", d.table("一般公共预算支出决算表"))
        out += _sangong(d.table("三公经费表"))
    else:
        for kind in ("收支总表", "财政拨款收支总表"):
            t = d.table(kind)
            for col in _ledger_columns(t):
                where = f"{kind}（{col.partition('@')[2]}）" if "@" in col else kind
                out += _equal("SZ102", f"{where}：支出总计＝收入总计", _line(t, "支出总计", "支出", col),
                              _line(t, "收入总计", "收入", col))
                out += _equal("SZ101", f"{where}：本年支出合计＝本年收入合计", _line(t, "本年支出合计", "支出", col),
                              _line(t, "本年收入合计", "收入", col))
        t = d.table("收支总表")
        if t is not None and t.line("财政拨款", "收入") is not None:
            for col in _ledger_columns(t):
                where = f"收支总表（{col.partition('@')[2]}）" if "@" in col else "收支总表"
                out += _sum("SZ104", f"{where}：财政拨款＝一般公共预算＋政府性基金＋国有资本经营", _line(t, "财政拨款", "收入", col),
                            [v for k in ("一般公共预算", "政府性基金", "国有资本经营") if (v := _line(t, k, "收入", col)) is not None])
        out += _row_identity("BN211", d.table("支出总表"), ("基本支出", "项目支出", "结转下年"), "")
        out += _classes("BN201", d.table("一般公共预算支出表"))
        out += _row_identity("BN211", d.table("一般公共预算支出表"), ("基本支出", "项目支出", "结转下年"), "")
        out += _sangong(d.table("三公经费表"))
    return out


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
    """How many of the cells hold non-empty text (not a number): the engine cannot use them."""
    return "+".join(f"SUMPRODUCT(ISTEXT({r})*(LEN({r})>0))" for r in refs)


def formulas(rel: Relation, row: int) -> list[object]:
    """The cells D..I of one relation row (1-based sheet row ``row``).

    Text in any of the cells (an unreadable amount) gives 无法校验, as the engine reports it
    (RD001) instead of checking the relation."""
    runs = _runs([p.ref for p in rel.parts])
    args = ",".join(runs)
    total = _sheet_ref(rel.total.ref)
    texts = _text_count([total] + runs)
    d, e, f, g = (f"{c}{row}" for c in "DEFG")
    return [
        f"={total}",
        f"=SUM({args})",
        f'=IF({texts}>0,"",ROUND(N({d})-{e},6))',
        f"=MAX(COUNT({args})+1,2)*0.005",
        f'=IF({texts}>0,"无法校验",IF(AND(COUNT({total})=0,COUNT({args})=0),"✓",'
        f'IF(ROUND(ABS({f}),6)=0,"✓",IF(ROUND(ABS({f})-{g},6)<=0,"尾差","错误"))))',
        f"=CZ_SUMCHECK({total},{_union_for_udf(args)})",
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
        values = [n, rel.label, rel.code] + formulas(rel, row)
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


__all__ = ["CHECK_SHEET_NAME", "Relation", "add_check_sheet", "check_sheet_is_inert", "formulas", "relations"]

_ = (Row, RowKind)  # re-exported model names used by callers building relations by hand
