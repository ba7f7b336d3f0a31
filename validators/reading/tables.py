"""Locate tables in a Grid by title and turn them into typed Tables.

A table starts at a cell whose text is a known title (schemas/tables.toml) and runs to the
next title or the end of the sheet.  Below the title: optional 部门/单位 lines, 1–4 header
rows, then data rows.  Header text is mapped to canonical roles (schemas/roles.toml).
"""

from __future__ import annotations

import re
from decimal import Decimal
from itertools import compress, count, repeat
from operator import is_, itemgetter
from typing import Any, Iterable

from .. import schemas
from ..amounts import normalize_text, try_amount
from ..model import CellRef, Column, Row, RowKey, RowKind, Table, Value
from .grid import Grid
from .units import declared_unit

NON_AMOUNT_ROLES = {
    "类", "款", "项", "科目编码", "名称", "部门经济分类名称", "政府经济分类名称", "项目名称",
    "项目类别", "单位名称", "部门类", "部门款", "政府类", "政府款", "行次", "栏次", "序号",
    "单位代码", "项目类型编码", "项目类型", "一级项目", "二级项目",
}
HEADER_WORDS = {"收入", "支出", "项目", "预算数", "决算数", "资金来源", "基本支出预算", "科目编码", "类", "款", "项",
                "小计", "购置费", "运行费", "运行维护费"}  # 三公 sub-headers under 公务用车购置及运行费
MISSING_MARKER = "数据缺失"
_YEAR_GROUP = re.compile(r"^\d{4}年")
_GROUP_HEADS = {"预算数", "决算数"}  # 三公 决算: 预算数 | 决算数 column groups
# 吉林 收入总表 / 项目支出表: the same funding sources under 当年 and 结转 headers
_GROUP_HEADS |= {"当年预算", "上年结转结余", "本年财政拨款", "财政拨款结转"}
# 三公 tables printed by relative year: 上年预算数 | 本年预算数 (rules order them: relations.sangong_years)
_GROUP_HEADS |= {f"{y}{n}" for y in ("上年", "本年") for n in ("预算数", "决算数", "执行数")}
_LEDGER_GROUPS = {"编制预算", "上年结转"}  # 吉林 预算表1/4: amount columns per side
_PROJECT_LEVELS = RowKey.LEVELS  # 项目支出表 row levels (吉林): row.key
_META = re.compile(r"^(部门(\(单位\))?|单位名称|编制单位|编制部门|预算单位|填报单位|部门名称|单位)[:：]|^金额单位|^单位[:：]")
_TOTAL_LABELS = {"合计", "总计"}


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def find_title_matches(grid: Grid, rows: Iterable[int] | None = None) -> list[tuple[int, int, schemas.TitleMatch, str]]:
    """(row, col, match, title text) for every title cell, in reading order (schemas/titles.py).
    ``rows``: the sheet rows holding a candidate (a text with 表 shorter than 80), when the caller's own
    pass over the sheet found them (``reading.sheet_rows``); else every row is looked at."""
    found = []
    memo = _title_memo()
    match = schemas.match_title_detail
    if rows is None:
        rows = _title_rows(grid)
    for r in rows:
        row = grid.rows[r]
        for c, v in enumerate(row):
            if isinstance(v, str) and len(v) < 80 and "表" in v:
                m = memo.get(v, memo)
                if m is memo:
                    m = memo[v] = match(v)
                if m:
                    found.append((r, c, m, v.strip()))
    return found


def _title_rows(grid: Grid) -> list[int]:
    """The rows holding a title candidate: a text with 表 shorter than 80 characters."""
    out = []
    for r, row in enumerate(grid.rows):
        for v in row:  # most rows hold no candidate at all: looked at cell by cell only when one does
            if v.__class__ is float or not v:  # an amount or a blank: the usual cells, first
                continue
            if isinstance(v, str) and "表" in v and len(v) < 80:
                out.append(r)
                break
    return out


_TITLES: list = [None, {}]  # [the alias index the answers hold for, cell text -> TitleMatch | None]


def _title_memo() -> dict[str, Any]:
    """Answers of match_title_detail by cell text, for as long as the alias index is the same object
    (format packs added or removed rebuild it); the same texts recur in every book and sheet."""
    index = schemas._alias_index()
    if _TITLES[0] is not index:
        _TITLES[:] = [index, {}]
    elif len(_TITLES[1]) > 65536:
        _TITLES[1].clear()
    return _TITLES[1]


_ANY_DIGIT = re.compile(r"\d")


def _is_amount_cell(v: Any) -> bool:
    if v is None or v == "":
        return False
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return True
    if v.__class__ is str:  # header and label texts recur: decided once per text
        found = _AMOUNT_TEXTS.get(v)
        if found is None:
            found = _keep(_AMOUNT_TEXTS, v, _is_amount_text(v))
        return found
    return _is_amount_text(v)


_AMOUNT_TEXTS: dict[str, bool] = {}


def _is_amount_text(v: Any) -> bool:
    if isinstance(v, str) and v not in _TEXTS and not _ANY_DIGIT.search(normalize_text(v)):
        return False  # no digit once normalised (a header text): parse_amount would refuse it
    amount, problem = _parsed(v)
    return amount is not None


def is_lanci_row(row: list[Any]) -> bool:
    """The 栏次 row under a 决算 header: "栏次" and column numbers 1, 2, 3 … (not data)."""
    # cheap test first (one plain loop: it runs on every row): most rows hold names or decimal amounts
    labelled, whole_numbers = False, True
    for v in row:
        if v is None or v == "":
            continue
        if isinstance(v, str):
            if "栏次" in v or ("栏" in v and "次" in v):  # “栏　次”: spaced as printed forms often are
                labelled = True
                break
            if whole_numbers and not v.strip().isdigit():
                whole_numbers = False
        elif whole_numbers and not (isinstance(v, int) or (isinstance(v, float) and v.is_integer())):
            whole_numbers = False
    if not labelled and not whole_numbers:
        return False
    return _lanci_texts(row)


def _lanci_texts(row: list[Any]) -> bool:
    """is_lanci_row past its cheap test: the row's texts, normalised, are 栏次 and column numbers."""
    texts = [schemas.norm(_text(v)) for v in row if v not in (None, "") and schemas.norm(_text(v))]
    if not texts:
        return False
    if "栏次" in texts:  # a header text beside it: a PDF's vertically merged header cell read into each row
        return all(t == "栏次" or t.isdigit() or (t != "合计" and _header_vocab(t)) for t in texts)
    if len(texts) < 3 or not all(t.isdigit() for t in texts):
        return False
    numbers = [int(t) for t in texts]
    return numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def _header_vocab(t: str) -> bool:
    found = _VOCAB.get(t)
    if found is None:
        n = schemas.norm(t)  # roles.toml is fixed once loaded: the answer is the text's
        found = _keep(_VOCAB, t, bool(n) and (n in HEADER_WORDS or bool(_YEAR_GROUP.match(n)) or schemas.role_for([n]) is not None))
    return found


_VOCAB: dict[str, bool] = {}


def _is_header_row(row: list[Any], first: bool) -> bool:
    for v in row:  # a number is an amount cell: not a header (the usual data row, decided at once)
        if v.__class__ is float:
            return False
    texts = [_text(v) for v in row if v not in (None, "")]
    if not texts or any(_is_amount_cell(v) for v in row):
        return False
    if first:
        return True
    return sum(1 for t in texts if _header_vocab(t)) >= 2


def _header_paths(grid: Grid, header_rows: list[int], width: int) -> list[list[str]]:
    """Per column: header texts top to bottom; a blank above a sub-header inherits from the left."""
    rows = [grid.rows[r] for r in header_rows if not is_lanci_row(grid.rows[r])]
    cells = [[_text(v).strip() for v in row[:width]] + [""] * (width - len(row)) for row in rows]
    h = len(cells)
    for i in range(h - 1):
        for c in range(width):
            if not cells[i][c] and any(cells[j][c] for j in range(i + 1, h)):
                left = c - 1
                while left >= 0 and not cells[i][left]:
                    left -= 1
                if left >= 0:
                    cells[i][c] = cells[i][left]
    return [[cells[i][c] for i in range(h) if cells[i][c]] for c in range(width)]


_COLUMNS: dict[tuple[str, tuple[tuple[str, ...], ...]], list[tuple[Any, ...]]] = {}  # the same headers recur


def _make_columns(paths: list[list[str]], layout: str) -> list[Column]:
    """The columns of these header paths: worked out once per distinct header (roles.toml is fixed once
    loaded); each call gets its own Column objects."""
    key = (layout, tuple(tuple(path) for path in paths))
    found = _COLUMNS.get(key)
    if found is None:
        found = _keep(_COLUMNS, key, [(c.index, c.header, c.role, c.group, c.side) for c in _columns_of(paths, layout)], 4096)
    return [Column(*fields) for fields in found]


def _columns_of(paths: list[list[str]], layout: str) -> list[Column]:
    columns = []
    for c, path in enumerate(paths):
        if not path:
            continue
        norm_path = [schemas.norm(p) for p in path]
        side = group = None
        if layout == "ledger" and norm_path[0] in ("收入", "支出"):
            side = norm_path[0]
        if (_YEAR_GROUP.match(norm_path[0]) or norm_path[0] in _GROUP_HEADS) and len(norm_path) > 1:
            group = norm_path[0]
        role = schemas.role_for(path)
        if layout == "ledger" and len(norm_path) > 1 and norm_path[-1] in _LEDGER_GROUPS:
            role, group = "合计", norm_path[-1]  # 吉林: 编制预算 | 上年结转 → 合计@编制预算, 合计@上年结转
        columns.append(Column(index=c, header="/".join(p.strip() for p in path), role=role, group=group, side=side))
    if layout == "economic":
        _split_economic_codes(columns)
    if layout == "blocks":
        _number_blocks(columns)
    return columns


def _number_blocks(columns: list[Column]) -> None:
    """Side-by-side (科目代码, 科目名称, 金额) blocks: each code column starts block 1, 2, 3 …"""
    block = 0
    for col in columns:
        if col.role == "科目编码":
            block += 1
        if block:
            col.side = str(block)


def _split_economic_codes(columns: list[Column]) -> None:
    """类/款 columns left of the 部门 name are 部门 codes, those after it are 政府 codes."""
    dept_name = next((c.index for c in columns if c.role == "部门经济分类名称"), None)
    seen_class = 0
    for col in columns:
        if col.role in ("类", "款"):
            if dept_name is not None:
                prefix = "部门" if col.index < dept_name else "政府"
            else:
                prefix = "部门" if seen_class == 0 or (seen_class == 1 and col.role == "款") else "政府"
            if col.role == "类":
                seen_class += 1
            col.role = prefix + col.role


_CODES: dict[int, dict[Any, str | None]] = {}  # width -> float or str cell -> _code_part: codes recur
_MISS = object()


def _code_part(v: Any, width: int) -> str | None:
    """A code cell as digits, zero-padded ("5" -> "05" for 款/项); None when blank or not a code."""
    if v == "" or v is None:
        return None
    cls = v.__class__
    if cls is float or cls is str:  # exact types: an int equal to the float would share its key, a bool too
        memo = _CODES.get(width)
        if memo is None:
            memo = _CODES[width] = {}
        found = memo.get(v, memo)
        if found is memo:
            found = _keep(memo, v, _code_text(v, width))
        return found
    return _code_text(v, width)


def _code_text(v: Any, width: int) -> str | None:
    if isinstance(v, float):
        if not v.is_integer():
            return None
        v = int(v)
    t = str(v) if v.__class__ is int else schemas.norm(v)  # an int's digits are already normal
    if not t.isdigit():
        return None
    if isinstance(v, int) and len(t) < width:
        t = t.zfill(width)
    return t


def parse_table(grid: Grid, kind: str, title: str, r0: int, c0: int, r_end: int) -> Table:
    layout = schemas.table_kinds()[kind].layout
    width = max(map(len, grid.rows[max(r0, 0):r_end]), default=0)  # r0 -1: a table named by its sheet starts at the top
    name = grid.name
    table = Table(kind=kind, title=title, sheet=name, title_ref=CellRef(name, r0, c0), columns=[], rows=[])
    head = _known_head(grid, kind, title, r0, c0, r_end, width) if r0 >= 0 else None
    if head is None:
        r = _read_head(grid, table, layout, title, r0, c0, r_end, width)
        plan = _row_plan(table.columns, layout)
        if r0 >= 0:
            _keep_head(grid, table, kind, title, r0, c0, r_end, width, r, plan)
    else:  # the same title, lines and headers as a table read before: its answers, at this table's place
        n, unit, unit_at, columns, ambiguous, plan = head
        r = r0 + n
        if unit is not None:
            table.unit = unit
            table.unit_ref = CellRef(name, r0 + unit_at[0], unit_at[1])
        table.columns = [Column(*fields) for fields in columns]
        if ambiguous is not None:
            table.cache["ambiguous_columns"] = [(key, list(headers), [CellRef(name, r0 + dr, c) for c in at])
                                                for key, headers, dr, at in ambiguous]
    _read_rows(grid, table, layout, r, r_end, plan)
    if layout == "blocks":  # block by block, so each class is followed by its items
        table.rows.sort(key=lambda row: (row.side or "", row.kind is RowKind.TOTAL, row.index))
    return table


def _read_head(grid: Grid, table: Table, layout: str, title: str, r0: int, c0: int, r_end: int, width: int) -> int:
    """The table's unit, its 部门/单位 lines and header rows, and its columns; the row its data starts at."""
    # the unit: in the title itself (“（单位：万元）”) or another cell of the title row
    matched = schemas.match_title_detail(title)
    if matched is not None and matched.unit:
        table.unit, table.unit_ref = matched.unit, CellRef(grid.name, r0, c0)
    elif 0 <= r0 < grid.height:
        _unit_from_cells(grid, table, r0, [c for c in range(len(grid.rows[r0])) if c != c0])
    r = r0 + 1
    # meta lines: 部门（单位）：…  单位：万元
    while r < r_end:
        texts = [_text(v) for v in grid.rows[r] if v not in (None, "")]
        if not texts:
            r += 1
            continue
        if all(_META.match(schemas.norm(t)) or declared_unit(t) for t in texts):
            _unit_from_cells(grid, table, r, range(len(grid.rows[r])))
            r += 1
            continue
        break
    header_rows = []
    while r < r_end and len(header_rows) < 5 and (
        _is_header_row(grid.rows[r], first=not header_rows) or (header_rows and is_lanci_row(grid.rows[r]))
    ):
        header_rows.append(r)
        r += 1
    for hr in header_rows:  # a note inside the header: “金额单位：万元”
        _unit_from_cells(grid, table, hr, range(len(grid.rows[hr])))
    table.columns = _make_columns(_header_paths(grid, header_rows, width), layout)
    if layout != "ledger":  # a ledger's two halves repeat their columns by design (read by position)
        _set_apart_ambiguous(table, CellRef(grid.name, header_rows[-1] if header_rows else r0, 0))
    return r


# Heads read before (``_read_head``): tables of one format print the same title, lines and headers, in a
# book's twenty departments as in a folder of books.  What a head gives depends only on the sheet rows
# from the title to the first row that is not a line or header (that row too: it ended the head), the
# table's width and where its title cell and region end; an answer is reused only when those rows hold
# equal cells of the same types (``==`` alone would take 1 for 1.0 or a formula error for its text).
# [the alias index the answers hold for, (kind, title, c0, width) -> [(rows, types, bounded, answer)]]
_HEADS: list = [None, {}]
_HEADS_PER_KEY = 4


def _head_memo() -> dict:
    index = schemas._alias_index()  # titles (and their units) are matched against it
    if _HEADS[0] is not index:
        _HEADS[:] = [index, {}]
    elif len(_HEADS[1]) > 4096:
        _HEADS[1].clear()
    return _HEADS[1]


def _types(rows: list[list[Any]]) -> list[tuple[type, ...]]:
    return [tuple(map(type, row)) for row in rows]


def _known_head(grid: Grid, kind: str, title: str, r0: int, c0: int, r_end: int, width: int) -> tuple | None:
    entries = _head_memo().get((kind, title, c0, width))
    if not entries:
        return None
    for rows, types, bounded, answer in entries:
        n = len(rows)
        if (r0 + n != r_end) if bounded else (r0 + n > r_end):
            continue  # the head ended at the region's end: it must end there again (else: before it)
        now = grid.rows[r0:r0 + n]
        if now == rows and _types(now) == types:
            return answer
    return None


def _keep_head(grid: Grid, table: Table, kind: str, title: str, r0: int, c0: int, r_end: int, width: int, r: int,
               plan: tuple) -> None:
    """Remember what ``_read_head`` made of the rows ``r0`` … ``r`` (the first data row, when in the region),
    with the columns' ``_row_plan``."""
    bounded = r >= r_end
    rows = [list(row) for row in grid.rows[r0:r_end if bounded else r + 1]]
    unit_at = None
    if table.unit is not None:
        if table.unit_ref is None or table.unit_ref.sheet != grid.name:
            return
        unit_at = (table.unit_ref.row - r0, table.unit_ref.col)
    ambiguous = None
    if "ambiguous_columns" in table.cache:
        ambiguous = []
        for key, headers, refs in table.cache["ambiguous_columns"]:
            if len({ref.row for ref in refs}) > 1:
                return
            ambiguous.append((key, tuple(headers), refs[0].row - r0 if refs else 0, tuple(ref.col for ref in refs)))
    columns = tuple((c.index, c.header, c.role, c.group, c.side) for c in table.columns)
    entries = _head_memo().setdefault((kind, title, c0, width), [])
    if len(entries) >= _HEADS_PER_KEY:
        del entries[0]
    entries.append((rows, _types(rows), bounded, (r - r0, table.unit, unit_at, columns, ambiguous, plan)))


def _set_apart_ambiguous(table: Table, header: CellRef) -> None:
    """Amount columns that come out with the same key on the same side cannot be told apart: most
    often a group header that was not understood (本年财政拨款 | 财政拨款结转 over two “一般公共预算”
    columns, a PDF whose merged header cell was read above one column only).  Reading them would let
    one silently stand for the other, so none of them is read: each loses its role (relations then
    treat it as an unread column) and ``table.cache["ambiguous_columns"]`` lists them for RD004."""
    seen: dict[tuple[str, str | None], list[Column]] = {}
    for c in table.columns:
        if c.key and c.role not in NON_AMOUNT_ROLES:
            seen.setdefault((c.key, c.side), []).append(c)
    ambiguous = [cols for cols in seen.values() if len(cols) > 1]
    for cols in ambiguous:
        table.cache.setdefault("ambiguous_columns", []).append(
            (cols[0].key, [c.header for c in cols], [CellRef(header.sheet, header.row, c.index) for c in cols]))
        for c in cols:
            c.role = None


def _unit_from_cells(grid: Grid, table: Table, r: int, cols) -> None:
    """Take the first unit declared in these cells of row ``r`` (“单位：元”) unless one is known."""
    if table.unit is not None:
        return
    for c in cols:
        unit = declared_unit(grid.cell(r, c))
        if unit:
            table.unit, table.unit_ref = unit, CellRef(grid.name, r, c)
            return


def _amount_columns(table: Table, cols: list[Column]) -> list[tuple[str, int]]:
    """(key, index) of the amount columns among ``cols``, worked out once per table."""
    cache_key = ("amount_cols", tuple(c.index for c in cols))
    found = table.cache.get(cache_key)
    if found is None:
        found = table.cache[cache_key] = [(c.key, c.index) for c in cols if c.key and c.role not in NON_AMOUNT_ROLES]
    return found


_INFINITIES = (float("inf"), float("-inf"))
# parses of the cell values met before: a float's Decimal, a text's (amount, problem).  Amounts recur
# (the same figures in several tables, 合计 beside its only part), Decimals and texts are immutable, and
# parsing is pure.  Keys are exact floats and exact strs (FormulaError and UncachedFormula are str
# subclasses: never cached), a float zero never (0.0 == -0.0, and their Decimals print differently).
_FLOATS: dict[float, Decimal] = {}
_TEXTS: dict[str, tuple[Decimal | None, str | None]] = {}
_MEMO_MAX = 16384  # entries per memo of this module: each is emptied when it grows past this


def _keep(memo: dict, key: Any, value: Any, bound: int = _MEMO_MAX) -> Any:
    """Store a parse in one of this module's memos (emptied first when grown past ``bound``); the value.
    Called on a miss only: a hit stays one dict lookup in the caller."""
    if len(memo) > bound:
        memo.clear()
    memo[key] = value
    return value


def _parsed(raw: Any) -> tuple[Decimal | None, str | None]:
    """try_amount, with the cells a reader mostly meets (a float, nothing, a text seen before) decided
    inline or from the memos."""
    cls = raw.__class__
    if cls is float:
        amount = _FLOATS.get(raw)
        if amount is not None:
            return amount, None
        if raw == raw and raw not in _INFINITIES:
            amount = Decimal(repr(raw))  # what parse_amount does for a finite float
            if raw:
                _keep(_FLOATS, raw, amount)
            return amount, None
    elif raw is None:
        return None, None
    elif cls is str:
        found = _TEXTS.get(raw)
        if found is None:
            found = _keep(_TEXTS, raw, try_amount(raw))
        return found
    return try_amount(raw)


def _parse_row(grid: Grid, r: int, amount_cols: list[tuple[str, int]]) -> dict[int, tuple[Any, Decimal | None, str | None]]:
    """Column index -> (raw, amount, problem) of the amount cells of row ``r``: each parsed once."""
    row = grid.rows[r]
    n = len(row)
    out = {}
    for _, index in amount_cols:
        raw = row[index] if 0 <= index < n else None
        if raw == "":
            raw = None
        out[index] = (raw, *_parsed(raw))
    return out


def _row_values(row: list[Any], sheet: str, r: int, amount_cols: list[tuple[str, int]]) -> tuple[dict[str, Value], bool]:
    """A row's Values (amount key -> Value) and whether one holds an amount, in one pass (one side: every
    layout but ledger).
    Column indexes are never negative (``_make_columns``)."""
    n = len(row)
    values = {}
    has = False
    floats = _FLOATS
    at = Value.at
    for key, index in amount_cols:
        raw = row[index] if index < n else None
        if raw.__class__ is float:  # a number: the row has an amount (_is_amount_cell), even nan or inf
            has = True
            amount = floats.get(raw)
            if amount is None:
                amount, problem = _parsed(raw)
                values[key] = at(amount, raw, (sheet, r, index), problem)
            else:
                values[key] = at(amount, raw, (sheet, r, index))  # _parsed, inline for a float met before
        elif raw is None or raw == "":
            values[key] = at(None, None, (sheet, r, index))
        else:
            amount, problem = _parsed(raw)
            if not has and (amount is not None or (isinstance(raw, (int, float)) and not isinstance(raw, bool))):
                has = True
            values[key] = at(amount, raw, (sheet, r, index), problem)
    return values, has


def _row_cells(row: list[Any], sheet: str, r: int, amount_cols: list[tuple[str, int]], key_index: dict[str, int],
               odd: bool) -> dict[str, Value]:
    """The Values of a reader's Row (``Row.lazy``): ``_row_values`` of the sheet row."""
    return _row_values(row, sheet, r, amount_cols)[0]


_ZERO = Decimal(0)


class AmountNumbers:
    """The amounts of ``rows`` by column, as the rules' exact fast pass reads them (``rules.relations._Amounts``):
    ``column(key)`` is, per row, 100 × the ``number`` of its Value of ``key`` (0 where the row has none), read
    from the sheet's cells for a reader's Row whose Values are not built (``Row.lazy``), else from its Values.

    In hundredths, so that the usual cell (a float printed to the cent) is an exact int without a Decimal:
    ``round(x * 100)`` when that divided by 100 gives ``x`` back, which for |x| < 1e11 means the float's
    shortest decimal (``Decimal(repr(x))``, what the Values hold) has at most two decimals and equals it.
    Any other amount is its Decimal scaled exactly (``scaleb(2)``; NaN, equal to nothing, when too long).
    Sums and comparisons of these are those of the Values' numbers × 100, exactly.  A cell that cannot be
    read (a Value with a ``problem``) gives 0, and a check with one says nothing anyway (judge leaves it to
    RD001)."""

    def __init__(self, rows: list[Row], memo: dict | None = None) -> None:
        """``memo``: float cell -> its hundredths, shared by the tables of one run (the same figures recur)."""
        self.rows = rows
        self._memo = memo if memo is not None else {None: 0, "": 0}
        lazy = [row.__dict__.get("_cells") for row in rows]
        # one read of one table: every row a reader's Row sharing the table's column map; the rows whose
        # Values are built (they may have been changed since) are read from their Values
        self._cells = None
        key_index = next((c[4] for c in lazy if c is not None), None)
        if key_index is not None and all(c is None or c[4] is key_index for c in lazy):
            # a Row made otherwise (a 数据缺失 marker) is read from its Values, as a built one
            blank = [None] * (max(key_index.values(), default=0) + 1)
            self._cells = [blank if c is None else c[0] for c in lazy]
            self._key_index = key_index
            self._shortest = min(map(len, self._cells))
            self._built = [i for i, row in enumerate(rows) if "values" in row.__dict__ or lazy[i] is None]
        self._lazy = lazy

    def column(self, key: str) -> list[Any]:
        cells = self._cells
        if cells is None:
            return [_hundredths_of(row, lazy, key) for row, lazy in zip(self.rows, self._lazy)]
        index = self._key_index.get(key)
        if index is None:
            return [0] * len(cells)
        if index < self._shortest:
            raws = list(map(itemgetter(index), cells))
        else:
            raws = [c[index] if index < len(c) else None for c in cells]
        if raws.count("") == len(raws):  # an empty column (``count`` tests identity first: fast for "")
            numbers = [0] * len(raws)
            for i in self._built:
                v = self.rows[i].values.get(key)
                numbers[i] = 0 if v is None else _scaled(v.number)
            return numbers
        memo = self._memo
        numbers = list(map(memo.get, raws))  # a float met before (an int or bool equal to it: the same
        # number, or an unreadable cell), and a blank
        for i in compress(count(), map(is_, numbers, repeat(None))):  # the cells not met before
            x = raws[i]
            if x.__class__ is float:  # _hundredths, inline for the usual cell
                if -1e11 < x < 1e11 and (c := round(x * 100)) / 100 == x:
                    numbers[i] = memo[x] = c
                else:
                    numbers[i] = memo[x] = _hundredths(x)
            else:
                numbers[i] = _hundredths(x)
        rows = self.rows
        for i in self._built:
            v = rows[i].values.get(key)
            numbers[i] = 0 if v is None else _scaled(v.number)
        return numbers


_NAN = Decimal("NaN")  # compares equal to nothing, and sums to NaN


def _scaled(amount: Decimal) -> Any:
    """100 × ``amount`` exactly (an int when it is whole); NaN past ±1e13 or six decimals of a hundredth, so
    that every sum of up to a million of them is exact in Decimal's 28 digits as in the Values' own sums."""
    if amount.is_finite() and amount.as_tuple().exponent >= -8 and -_LIMIT < amount < _LIMIT:
        scaled = amount.scaleb(2)
        return int(scaled) if scaled == scaled.to_integral_value() else scaled
    return _NAN


_LIMIT = Decimal("1e13")


def _hundredths(raw: Any) -> Any:
    """100 × a cell's number (its amount; 0 when blank or unreadable), exactly."""
    cls = raw.__class__
    if cls is float and -1e11 < raw < 1e11:
        c = round(raw * 100)
        if c / 100 == raw:
            return c
    if raw is None or raw == "":
        return 0
    amount = _parsed(raw)[0]
    return 0 if amount is None else _scaled(amount)


def _hundredths_of(row: Row, lazy: Any, key: str) -> Any:
    if lazy is None or "values" in row.__dict__:
        v = row.values.get(key)
        return 0 if v is None else _scaled(v.number)
    cells, key_index = lazy[0], lazy[4]
    index = key_index.get(key)
    if index is None or index >= len(cells):
        return 0
    return _hundredths(cells[index])


def amount_numbers(rows: list[Row], key: str) -> list[Any]:
    """``AmountNumbers(rows).column(key)``."""
    return AmountNumbers(rows).column(key)


def _unbuilt(row: Row) -> Any:
    """The cells of a reader's Row whose Values are not built yet (``Row.lazy``), else None."""
    d = row.__dict__
    return None if "values" in d else d.get("_cells")


def odd_rows(rows: list[Row]) -> list[Row]:
    """The rows that may hold a Value that is unreadable (``problem``) or negative: every row whose Values
    are built, and a reader's Row (``Row.lazy``) only when the reader saw a cell that may give one
    (``_scan_row``: a negative or not finite float, or anything but a blank or a float in an amount
    column).  Its Values are then built; the others stay unbuilt."""
    out = []
    for row in rows:  # _unbuilt, inline (a call per row was most of the cost)
        d = row.__dict__
        if "values" in d:
            out.append(row)
            continue
        lazy = d.get("_cells")
        if lazy is None or lazy[5]:
            out.append(row)
    return out


_INF = float("inf")


def any_amount(rows: list[Row]) -> bool:
    """Whether a Value of these rows has an amount (``v.amount is not None``), reading the cells of a
    reader's Row whose Values are not built (``Row.lazy``)."""
    return _any_read(rows, problems=False)


def any_value(rows: list[Row]) -> bool:
    """Whether a Value of these rows is not blank (has an amount or a problem), read as ``any_amount`` reads."""
    return _any_read(rows, problems=True)


def _any_read(rows: list[Row], problems: bool) -> bool:
    for row in rows:
        lazy = _unbuilt(row)
        if lazy is None:
            if problems:
                if any(not v.blank for v in row.values.values()):
                    return True
            elif any(v.amount is not None for v in row.values.values()):
                return True
            continue
        cells, key_index = lazy[0], lazy[4]
        n = len(cells)
        for index in key_index.values():  # the cells the Values are of (a key printed twice: the last)
            raw = cells[index] if index < n else None
            if raw.__class__ is float:  # an amount, or (not finite) a problem
                if problems or (raw == raw and raw != _INF and raw != -_INF):
                    return True
            elif raw is not None and raw != "":
                amount, problem = _parsed(raw)
                if amount is not None or (problems and problem is not None):
                    return True
    return False


def _row_has_amount(row: list[Any], indexes: list[int]) -> bool:
    """``_row_values``'s second answer without building Values: a number in an amount column (even one
    that is not finite), or a text that reads as an amount."""
    n = len(row)
    for index in indexes:
        if index >= n:
            continue
        raw = row[index]
        if raw.__class__ is float:
            return True
        if raw is None or raw == "":
            continue
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return True
        if _parsed(raw)[0] is not None:
            return True
    return False


def _has_amount(parsed: dict[int, tuple[Any, Decimal | None, str | None]]) -> bool:
    """_is_amount_cell of any parsed cell: a number (even one that is not finite) or amount text."""
    for raw, amount, _ in parsed.values():
        if amount is not None or (isinstance(raw, (int, float)) and not isinstance(raw, bool)):
            return True
    return False


def _scan_row(row: list[Any], amounts: frozenset[int] = frozenset()) -> tuple[tuple[str, int] | None, bool, bool] | None:
    """One pass over a sheet row: None when it is blank; else (``_first_text``, whether it passes
    ``is_lanci_row``'s cheap test: a "栏次" text, or nothing but whole numbers, and whether a cell may give
    an unreadable or negative Value: a float that is negative or not finite, or in one of the columns
    ``amounts`` anything but a blank or a float)."""
    first = None
    labelled, whole_numbers, blank, odd = False, True, True, False
    for c, v in enumerate(row):
        if v.__class__ is float:  # the usual amount cell, first
            blank = False
            if not 0.0 <= v < _INF:
                odd = True
            if whole_numbers and not v.is_integer():
                whole_numbers = False
            continue
        if v is None or v == "":
            continue
        blank = False
        if c in amounts:
            odd = True
        if isinstance(v, str):
            if not labelled and "栏次" in v:
                labelled = True
            t = v.strip()
            if not t:
                whole_numbers = False
            else:
                if first is None:
                    first = (t, c)
                if whole_numbers and not t.isdigit():
                    whole_numbers = False
        elif whole_numbers and not (isinstance(v, int) or (isinstance(v, float) and v.is_integer())):
            whole_numbers = False
    if blank:
        return None
    return first, labelled or whole_numbers, odd


def _is_note(text: str) -> bool:
    """A 注：/ 说明： line (``^[(（]?(注|说明)[:：]``)."""
    return text.startswith(_NOTE_STARTS, 1 if text[:1] in ("(", "（") else 0)  # no copy of a long text


_NOTE_STARTS = ("注:", "注：", "说明:", "说明：")
_NOTE_OPENERS = ("注", "说明", "(", "（")  # what a text _is_note is true of opens with (a cheap test first)


_LEDGER: dict[str, tuple[str | None, str | None]] = {}  # label text -> schemas.ledger_key (pure; labels recur)


def _ledger_key(text: str) -> tuple[str | None, str | None]:
    found = _LEDGER.get(text)
    if found is None:
        found = _keep(_LEDGER, text, schemas.ledger_key(text))
    return found


_FUND_KEYS = ("一般公共预算", "政府性基金", "国有资本经营")
_OPENING = "年初结转和结余"
_BLOCK_TOTAL = re.compile(r"^(人员经费|公用经费)合计$")


def _read_block_row(grid: Grid, table: Table, r: int) -> None:
    """One sheet row of a side-by-side blocks table → one Row per block with a code or a name;
    "人员经费合计" / "公用经费合计" cells → TOTAL rows keyed by that name (amount: next amount cell
    to the right, as the printed footer spans blocks)."""
    cols = table.columns
    for col in cols:
        v = grid.cell(r, col.index)
        label = schemas.norm(_text(v))
        m = _BLOCK_TOTAL.match(label)
        if not m:
            continue
        amount_col = next((c for c in cols if c.index > col.index and c.role not in NON_AMOUNT_ROLES and c.key
                           and _is_amount_cell(grid.cell(r, c.index))), None)
        if amount_col is None:
            amount_col = next((c for c in cols if c.index > col.index and c.role not in NON_AMOUNT_ROLES and c.key), None)
        values = {}
        if amount_col is not None:
            raw = grid.cell(r, amount_col.index)
            amount, problem = _parsed(raw)
            values["合计"] = Value.at(amount, raw, (grid.name, r, amount_col.index), problem)
        table.rows.append(Row(index=r, kind=RowKind.TOTAL, label=label, label_ref=CellRef(grid.name, r, col.index),
                              values=values, side=col.side, key=RowKey(label, RowKey.TOTAL)))
    blocks = sorted({c.side for c in cols if c.side})
    for block in blocks:
        bcols = [c for c in cols if c.side == block]
        code_col = next((c for c in bcols if c.role == "科目编码"), None)
        name_col = next((c for c in bcols if c.role == "名称"), None)
        label = schemas.norm(_text(grid.cell(r, name_col.index))) if name_col else ""
        if _BLOCK_TOTAL.match(label):
            continue
        code = _code_part(grid.cell(r, code_col.index), 3) if code_col else None
        values = {}
        for c in bcols:
            if c.key and c.role not in NON_AMOUNT_ROLES:
                raw = grid.cell(r, c.index)
                amount, problem = _parsed(raw)
                values["合计"] = Value.at(amount, raw, (grid.name, r, c.index), problem)
        if not code and not label and all(v.blank for v in values.values()):
            continue
        row = Row(index=r, kind=RowKind.DATA, label=label, values=values, side=block,
                  label_ref=CellRef(grid.name, r, name_col.index) if name_col else None)
        if code and len(code) in (3, 5):
            row.econ_dept = code
        table.rows.append(row)


def _code_in(row: list[Any], n: int, index: int | None, memo: dict, width: int) -> str | None:
    """``_code_part`` of the row's cell at ``index`` (None without that column), its memo asked first: the
    usual code cell ("208", "01", "") was met before."""
    if index is None or index >= n:
        return None
    v = row[index]
    found = memo.get(v, _MISS) if v.__class__ is str else _MISS
    return _code_part(v, width) if found is _MISS else found


def _row_plan(columns: list[Column], layout: str) -> tuple:
    """What ``_read_rows`` needs of a table's columns, worked out once per head (``_keep_head`` keeps it):
    the amount columns (all, and per side of a ledger), the code, name and unit columns by role, and the
    ``Table.cache`` entries ``_amount_columns`` makes.  Read only: tables with the same head share it."""
    by_role = {c.role: c.index for c in columns if c.role}
    cache: dict[tuple, list[tuple[str, int]]] = {}

    def amount(cols: list[Column]) -> list[tuple[str, int]]:  # _amount_columns, into ``cache``
        key = ("amount_cols", tuple(c.index for c in cols))
        found = cache.get(key)
        if found is None:
            found = cache[key] = [(c.key, c.index) for c in cols if c.key and c.role not in NON_AMOUNT_ROLES]
        return found

    amount_cols = amount(columns)
    amount_indexes = [index for _, index in amount_cols]
    key_index = dict(amount_cols)  # key -> the column a row's Value of that key comes from (the last)
    sides = {side: [c for c in columns if c.side == side] for side in ("收入", "支出")} if layout == "ledger" else {}
    side_amount_cols = {side: amount(side_cols) for side, side_cols in sides.items()}
    side_key_index = {side: dict(side_cols) for side, side_cols in side_amount_cols.items()}
    name_role = {"function": "名称", "economic": "部门经济分类名称", "project": "项目名称"}.get(layout)
    name_index = by_role.get(name_role) if name_role else None
    if name_index is None and layout == "economic":
        name_index = by_role.get("名称")  # one 科目编码 column + 支出经济分类科目名称 (吉林)
    # per side of a ledger: (side, its 名称 column)
    ledger_sides = [(side, next((c.index for c in side_cols if c.role == "名称"), None)) for side, side_cols in sides.items()]
    return (tuple(cache.items()), amount_cols, amount_indexes, key_index, frozenset(amount_indexes), side_amount_cols,
            side_key_index, ledger_sides, name_index, by_role)


def _read_rows(grid: Grid, table: Table, layout: str, r_start: int, r_end: int, plan: tuple | None = None) -> None:
    if plan is None:
        plan = _row_plan(table.columns, layout)
    (cache, amount_cols, amount_indexes, key_index, amount_set, side_amount_cols, side_key_index, ledger_sides,
     name_index, by_role) = plan
    table.cache.update(cache)
    cur_class = cur_kuan = cur_dept_class = cur_gov_class = None
    last_key: dict[str, str] = {}
    sheet = grid.name
    norm = schemas.norm
    lazy_row, data_kind = Row.lazy, RowKind.DATA
    codes3, codes2 = _CODES.setdefault(3, {}), _CODES.setdefault(2, {})
    codes3[""] = codes2[""] = None  # as _code_part answers a blank (kept in its memos for _code_in)
    i_class, i_kuan, i_item, i_single, i_unit, i_dc, i_dk, i_gc, i_gk = map(
        by_role.get, ("类", "款", "项", "科目编码", "单位代码", "部门类", "部门款", "政府类", "政府款"))
    for r in range(r_start, r_end):
        row = grid.rows[r]
        scanned = _scan_row(row, amount_set)
        if scanned is None:
            continue  # blank
        ft, maybe_lanci, odd = scanned
        if maybe_lanci and _lanci_texts(row):
            continue
        if ft and MISSING_MARKER in ft[0]:
            table.missing_rows.append(CellRef(sheet, r, ft[1]))
            table.rows.append(Row(index=r, kind=RowKind.MARKER, label=norm(ft[0]), label_ref=CellRef(sheet, r, ft[1])))
            continue
        parsed = None  # a ledger row's amount cells parsed (_parse_row), when a test below needs them
        # a note line: a 注：/ 说明： text and no amount (the row's Values are built when first read, Row.lazy:
        # whether it has an amount is asked of its cells, and only here and for a project table's first row)
        if ft and ft[0].startswith(_NOTE_OPENERS) and _is_note(ft[0]) and not (
                _has_amount(parsed := _parse_row(grid, r, amount_cols)) if layout == "ledger"
                else _row_has_amount(row, amount_indexes)):
            table.note = ft[0]
            continue

        if layout == "blocks":
            _read_block_row(grid, table, r)
            continue

        n = len(row)  # the row's cells by index below: what grid.cell gives ("" and beyond the row: None)
        if layout == "ledger":
            row_keys: dict[str, str | None] = {}
            for side, side_name in ledger_sides:
                label_raw = (row[side_name] if side_name < n else None) if side_name is not None else None
                if label_raw == "":
                    label_raw = None
                label_text = _text(label_raw)
                if not label_text.strip():
                    if parsed is None:
                        parsed = _parse_row(grid, r, amount_cols)
                    if all(parsed[i][1] is None and parsed[i][2] is None for i in side_key_index[side].values()):
                        continue  # no label and every Value blank (no amount, no problem)
                key, code = _ledger_key(label_text)
                if key is None and not label_text.strip() and side == "支出" and row_keys.get("收入") == "总计":
                    key = "总计"  # one 总计 line printed across both sides (label only on the left)
                if key in _FUND_KEYS and last_key.get(side, "").startswith(_OPENING):
                    key = f"{_OPENING}:{key}"  # 年初财政拨款结转和结余 → 一般公共预算财政拨款 …
                elif key in _FUND_KEYS and last_key.get(side, "").startswith("上年结转"):
                    key = f"上年结转:{key}"  # 吉林: 二、上年结转 → 一般公共预算拨款 …
                if key:
                    last_key[side] = key
                row_keys[side] = key
                item = lazy_row(r, data_kind, norm(label_raw), (sheet, r, side_name) if side_name is not None else None,
                                _row_cells, (row, sheet, r, side_amount_cols[side], side_key_index[side], odd))
                item.side = side
                if key:
                    item.key = RowKey(key, RowKey.LINE)
                if code is not None:
                    item.code = code
                table.rows.append(item)
            continue

        if name_index is not None:
            label = norm(row[name_index]) if name_index < n else ""
            label_ref = (sheet, r, name_index)  # the CellRef is built when first read (Row.lazy)
        else:
            label, label_ref = "", None
        item = lazy_row(r, data_kind, label, label_ref, _row_cells, (row, sheet, r, amount_cols, key_index, odd))

        if layout == "function":
            single = None
            lei = _code_in(row, n, i_class, codes3, 3)
            kuan = _code_in(row, n, i_kuan, codes2, 2)
            xiang = _code_in(row, n, i_item, codes2, 2)
            if i_single is not None and i_single < n:
                single = _code_part(row[i_single], 3)
            code = None
            if single and len(single) in (3, 5, 7):
                code = single
            elif lei:
                code = lei + (kuan or "") + ((xiang or "") if kuan else "")
            elif kuan and cur_class:
                code = cur_class + kuan + (xiang or "")
            elif xiang and cur_kuan:
                code = cur_kuan + xiang
            if code and len(code) in (3, 5, 7):
                item.code = code
                cur_class = code[:3]
                cur_kuan = code[:5] if len(code) >= 5 else None
            if i_unit is not None:  # 收入总表 by unit (吉林): 部门 502, 单位 502001
                unit = _code_part(row[i_unit], 3) if i_unit < n else None
                item.key = RowKey(f"单位:{unit}", RowKey.UNIT) if unit else None
        elif layout == "economic":
            dc = _code_in(row, n, i_dc, codes3, 3)
            dk = _code_in(row, n, i_dk, codes2, 2)
            gc = _code_in(row, n, i_gc, codes3, 3)
            gk = _code_in(row, n, i_gk, codes2, 2)
            if i_single is not None and not (dc or dk):  # one column: 301 / 30101 (吉林 预算表6)
                single = _code_part(row[i_single], 3) if i_single < n else None
                if single and len(single) in (3, 5):
                    dc, dk = single[:3], single[3:] or None
            dc = dc or (cur_dept_class if dk else None)
            gc = gc or (cur_gov_class if gk else None)
            if dc:
                item.econ_dept = dc + (dk or "")
                cur_dept_class = dc
            if gc:
                item.econ_gov = gc + (gk or "")
                cur_gov_class = gc
            if not label and ft:
                item.label, item.label_ref = norm(ft[0]), CellRef(sheet, r, ft[1])

        if layout == "project" and not item.label:
            for level in reversed(_PROJECT_LEVELS):  # 二级 / 一级 project or 类型 row (吉林 预算表9)
                col = by_role.get(level)
                text = schemas.norm(grid.cell(r, col)) if col is not None else ""
                if text:
                    item.label, item.label_ref = text, CellRef(grid.name, r, col)
                    if text not in _TOTAL_LABELS:
                        item.key = RowKey(level, RowKey.LEVEL)
                    break
        is_total = item.label in _TOTAL_LABELS or (not item.label and ft and schemas.norm(ft[0]) in _TOTAL_LABELS)
        has_code = item.code or item.econ_dept or item.econ_gov
        if not has_code and (is_total or (layout == "project" and not item.label and not table.rows
                                          and _row_has_amount(row, amount_indexes))):
            item.kind = RowKind.TOTAL
        table.rows.append(item)


# public names for the header helpers the importers and the template writer share
header_paths = _header_paths
is_header_row = _is_header_row
make_columns = _make_columns
