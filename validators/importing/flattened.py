"""Seed text whose tables were flattened into space-separated lines (seed 003, 2019 部门决算): empty
cells dropped, 行次 numbers beside amounts, headers split over lines.

Which column a printed number belongs to is worked out, never guessed:

- 行次 numbers say which line of a 收支总表 an amount is on; a row that prints as many numbers as
  the table has amount columns is placed in order;
- otherwise every order-preserving placement of the row's numbers is tried and kept only if the
  table's own arithmetic holds (合计 = Σ columns, parent = Σ children per column, within the
  rounding envelope; amounts are never negative, so a column blank in a parent is blank in its
  children) and it agrees with facts another table prints (公开01 收入 lines for the 收入决算表 合计
  row; 支出决算表 ≥ 一般公共预算财政拨款支出决算表 per row and column; 政府性基金 年初/本年收入 from
  公开04);
- a number whose column is not unique is not put in any amount column: the row keeps its code and
  name and the numbers go, as printed, into an extra column “未能确定栏次：…”, so every relation
  through that row is 无法校验.  Each decision is written on the 导入说明 sheet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations, product
from pathlib import Path
from typing import Any, Callable

from .. import schemas
from ..amounts import envelope
from ..model import Column
from ..workbook_writer import TableFill, WorkbookFill, spec_columns, write_workbook
from .seedtext import NOTE, PART, clean

UNSURE = "未能确定栏次"
UNSURE_HEADER = "【待核】未能确定栏次（原表数字，栏次无法唯一确定，未填入金额栏）"
PENDING = "【待核】"  # in each amount cell of a row whose numbers could not be placed: unreadable, so 无法校验
_AMOUNT = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)\.\d{1,2}$")
_INT = re.compile(r"^\d+$")
_CODE = re.compile(r"^\d{3}(?:\d{2}){0,2}$")
_PAGE_NO = re.compile(r"^[—-]+\s*\d+\s*[—-]+$")
_META = re.compile(r"^(公开\d+表|部门[:：]|单位[:：])")
_DEPT = re.compile(r"部门[:：]\s*(\S+)")
_YEAR = re.compile(r"(\d{4})年度?部门决算")
_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）])")
_ITEM = re.compile(r"^\d{1,2}[.．、](?!\d)")
MAX_COMBOS = 200_000


def is_flattened(lines: list[str]) -> bool:
    """No tab-separated table rows at all: the tables were flattened into lines."""
    return not any("\t" in line for line in lines)


def _dec(token: str) -> Decimal:
    return Decimal(token.replace(",", ""))


def _fmt_printed(nums: list[str]) -> str:
    return f"{UNSURE}：{' '.join(nums)}"


# ---- splitting the text -----------------------------------------------------------------------


@dataclass
class Segment:
    kind: str
    title: str
    lines: list[str] = field(default_factory=list)
    note: str | None = None


def _split(lines: list[str], kinds: set[str]):
    segments: dict[str, Segment] = {}
    narrative: list[tuple[str, str]] = []
    department = year = None
    section, pending = "", False
    current: Segment | None = None
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            narrative.append((section, clean("".join(paragraph))))
            paragraph.clear()

    for raw in lines:
        stripped = raw.strip()
        if not stripped or _PAGE_NO.match(stripped):
            continue
        norm = schemas.norm(stripped)
        kind = schemas.match_title(stripped)
        if kind in kinds and kind not in segments:
            flush()
            current = segments[kind] = Segment(kind, stripped)
            continue
        if current is not None:
            if NOTE.match(norm):
                current.note = clean(stripped)
                current = None
                continue
            if _META.match(norm):
                m = _DEPT.search(stripped)
                if m and not department:
                    department = m.group(1)
                continue
            current.lines.append(stripped)
            continue
        if year is None:
            m = _YEAR.search(norm)
            if m:
                year = int(m.group(1))
        if PART.match(norm):
            flush()
            section, pending = norm, True
            continue
        if pending:
            section, pending = f"{section} {clean(stripped)}", False
            continue
        # lines wrapped at the page width belong to one paragraph: a new one starts at a numbered
        # heading or item, or after a line that ends a sentence
        text = clean(stripped)
        starts = _HEADING.match(text) or _ITEM.match(text)
        if starts or (paragraph and paragraph[-1].endswith(("。", "：", ":", "；"))):
            flush()
        paragraph.append(text if not paragraph else (" " if paragraph[-1][-1:].isascii() and text[:1].isascii() else "") + text)
        if _HEADING.match(text) and len(text) <= 26 and not text.endswith(("。", "，")):
            flush()  # a heading stands alone
    flush()
    return segments, narrative, department, year


def _body(seg: Segment) -> list[str]:
    """The lines after the 栏次 line (the header lines above it are dropped)."""
    for i, line in enumerate(seg.lines):
        if schemas.norm(line).startswith("栏次"):
            return seg.lines[i + 1:]
    return seg.lines


# ---- the solver --------------------------------------------------------------------------------


@dataclass
class SRow:
    id: Any
    printed: list[str]
    parent: Any = None
    candidates: list[tuple[int, ...]] = field(default_factory=list)

    def values(self, cand: tuple[int, ...]) -> dict[int, Decimal]:
        return {c: _dec(p) for c, p in zip(cand, self.printed)}


RowFilter = Callable[["SRow", dict[int, Decimal]], bool]


def _row_eq_ok(vals: dict[int, Decimal], eqs: list[tuple[tuple[int, ...], tuple[int, ...]]]) -> bool:
    for lhs, rhs in eqs:
        cols = [c for c in lhs + rhs if c in vals]
        if not cols:
            continue
        left = sum((vals.get(c, Decimal(0)) for c in lhs), Decimal(0))
        right = sum((vals.get(c, Decimal(0)) for c in rhs), Decimal(0))
        if abs(left - right) > envelope(max(len(cols), 2)):
            return False
    return True


def solve(rows: list[SRow], n_cols: int, eqs, row_filter: RowFilter | None = None) -> tuple[dict[Any, tuple[int, ...] | None], list[str]]:
    """Column placement of each row's printed numbers: a tuple of column indexes when unique, else None."""
    why: list[str] = []
    by_id = {r.id: r for r in rows}
    for r in rows:
        k = len(r.printed)
        if k == 0:
            r.candidates = [()]
        elif k > n_cols:
            r.candidates = []
        elif k == n_cols:
            r.candidates = [tuple(range(n_cols))]
        else:
            r.candidates = [c for c in combinations(range(n_cols), k) if _row_eq_ok(r.values(c), eqs)]
        if row_filter is not None and k:
            r.candidates = [c for c in r.candidates if row_filter(r, r.values(c))]
    children: dict[Any, list[SRow]] = {}
    for r in rows:
        if r.parent is not None and r.parent in by_id:
            children.setdefault(r.parent, []).append(r)

    def feasible(node: SRow) -> dict[tuple[int, ...], dict[Any, set]] | None:
        """candidate of node → the placements each subtree row takes in some valid completion.
        None when the subtree is too large to enumerate."""
        kids = children.get(node.id, [])
        if not kids:
            return {c: {node.id: {c}} for c in node.candidates}
        kid_tables = []
        for kid in kids:
            t = feasible(kid)
            if t is None:
                return None
            kid_tables.append(t)
        out: dict[tuple[int, ...], dict[Any, set]] = {}
        for cand in node.candidates:
            pvals = node.values(cand)
            options = [[kc for kc in t if set(kc) <= set(cand)] for t in kid_tables]
            size = 1
            for o in options:
                size *= max(len(o), 1)
            if size > MAX_COMBOS:
                return None
            tol = envelope(len(kids) + 1)
            acc: dict[Any, set] = {}
            ok = False
            for combo in product(*options):
                sums: dict[int, Decimal] = {}
                for kid, kc in zip(kids, combo):
                    for c, v in kid.values(kc).items():
                        sums[c] = sums.get(c, Decimal(0)) + v
                if all(abs(pvals.get(c, Decimal(0)) - sums.get(c, Decimal(0))) <= tol for c in set(pvals) | set(sums)):
                    ok = True
                    for t, kc in zip(kid_tables, combo):
                        for rid, s in t[kc].items():
                            acc.setdefault(rid, set()).update(s)
            if ok:
                acc[node.id] = {cand}
                out[cand] = acc
        return out

    result: dict[Any, tuple[int, ...] | None] = {}

    def row_level(tree_rows: list[SRow]) -> None:
        for r in tree_rows:
            result[r.id] = r.candidates[0] if len(r.candidates) == 1 else None

    def subtree(node: SRow) -> list[SRow]:
        out = [node]
        for kid in children.get(node.id, []):
            out += subtree(kid)
        return out

    for root in (r for r in rows if r.parent is None or r.parent not in by_id):
        members = subtree(root)
        table = feasible(root)
        if table is None:
            why.append(f"“{root.id}”以下的行组合过多，无法逐一验证，只按各行自身的合计关系确定")
            row_level(members)
            continue
        if not table:
            why.append(f"“{root.id}”以下各行的数字按任何栏次排列都不满足表内合计关系（原表可能有误），只按各行自身的合计关系确定")
            row_level(members)
            continue
        seen: dict[Any, set] = {}
        for acc in table.values():
            for rid, s in acc.items():
                seen.setdefault(rid, set()).update(s)
        for r in members:
            s = seen.get(r.id, set())
            result[r.id] = next(iter(s)) if len(s) == 1 else None
    return result, why


# ---- tables with code rows ---------------------------------------------------------------------


@dataclass
class CodeRow:
    code: str | None  # None for the 合计 row
    name: str
    printed: list[str]


def _code_rows(seg: Segment, notes: list[str]) -> list[CodeRow]:
    rows: list[CodeRow] = []
    for line in _body(seg):
        tokens = line.split()
        amounts = [t for t in tokens if _AMOUNT.match(t)]
        words = [t for t in tokens if not _AMOUNT.match(t)]
        if words and schemas.norm(words[0]) in ("合计", "总计"):
            rows.append(CodeRow(None, "合计", amounts))
        elif words and _CODE.match(words[0]):
            rows.append(CodeRow(words[0], clean(" ".join(words[1:])), amounts))
        else:
            notes.append(f"{seg.title}：无法识别的行“{line}”未导入，请对照原文件核对。")
            continue
        if tokens[len(tokens) - len(amounts):] != amounts:
            notes.append(f"{seg.title}：行“{line}”中金额与文字交错，按原顺序处理。")
    return rows


def _parent_code(code: str, present: set[str]) -> str:
    for n in (5, 3):
        if len(code) > n and code[:n] in present:
            return code[:n]
    return "合计"


def _amount_cols(spec: schemas.TableSpec) -> list[Column]:
    return [c for c in spec_columns(spec) if c.role and c.role not in ("科目编码", "名称", "行次", "栏次") and c.key]


def _row_equations(keys: list[str], kind: str, profile: schemas.Profile) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """The equations every row of a code table satisfies, from the format's declared relations: balances
    over columns (政府性基金: 年初 + 本年收入 = 本年支出 + 年末) and row sums (合计 = 基本支出 + 项目支出 …)
    among the columns the table prints; without any, 合计 = Σ the other columns."""
    pos = {k: i for i, k in enumerate(keys)}
    layout = schemas.table_kinds()[kind].layout
    balances: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    sums: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    for rel in profile.relations:
        tables = rel.arg("tables", "*")
        if tables == "*":
            if layout in rel.arg("exclude_layouts", []):
                continue
        elif kind not in ([tables] if isinstance(tables, str) else tables):
            continue
        if rel.kind == "balance" and rel.arg("left_columns"):
            left, right = rel.arg("left_columns"), rel.arg("right_columns")
            if all(c in pos for c in left + right):
                balances.append((tuple(pos[c] for c in left), tuple(pos[c] for c in right)))
        elif rel.kind == "row_sum" and not rel.arg("per_group") and not rel.arg("side"):
            total, wanted = rel.arg("total", "合计"), rel.arg("parts", [])
            if total not in pos or any(p in ("*", "@*") for p in wanted) or not all(r in pos for r in rel.arg("require", [])):
                continue
            parts = [p for p in wanted if p in pos]
            if parts and not (rel.arg("need_all", False) and len(parts) < len(wanted)):
                sums.append(((pos[total],), tuple(pos[p] for p in parts)))
    eqs = list(dict.fromkeys(balances + sums))
    return eqs or [((pos["合计"],), tuple(i for k, i in pos.items() if k != "合计"))]


Known = dict[str, dict[str, Decimal]]  # row code ("合计") → column key → amount (absent: blank)


def _code_table(seg: Segment, spec: schemas.TableSpec, notes: list[str], profile: schemas.Profile,
                row_filter_for=None) -> tuple[TableFill, Known]:
    cols = _amount_cols(spec)
    keys = [c.key for c in cols]
    code_rows = _code_rows(seg, notes)
    present = {r.code for r in code_rows if r.code}
    srows = []
    for i, r in enumerate(code_rows):
        rid = r.code or "合计"
        srows.append(SRow(rid, r.printed, parent=None if r.code is None else _parent_code(r.code, present)))
    row_filter = row_filter_for(keys) if row_filter_for else None
    placed, why = solve(srows, len(cols), _row_equations(keys, spec.kind, profile), row_filter)
    for w in why:
        notes.append(f"{spec.title}：{w}。")
    code_idx = next(c.index for c in spec_columns(spec) if c.role == "科目编码")
    name_idx = next(c.index for c in spec_columns(spec) if c.role == "名称")
    width = max(c.index for c in spec_columns(spec)) + 1
    out_rows: list[dict[int, Any]] = []
    known: Known = {}
    parked = []
    for r, s in zip(code_rows, srows):
        out: dict[int, Any] = {code_idx: r.code} if r.code else {}
        out[name_idx] = r.name
        cand = placed.get(s.id)
        if cand is None and r.printed:
            out[width] = _fmt_printed(r.printed)
            out.update({c.index: PENDING for c in cols})
            parked.append(f"{r.code or ''} {r.name}（{' '.join(r.printed)}）".strip())
        else:
            vals = s.values(cand or ())
            for c, v in vals.items():
                out[cols[c].index] = v
            known[s.id] = {keys[c]: v for c, v in vals.items()}
        out_rows.append(out)
    if parked:
        notes.append(f"{spec.title}：以下各行的数字无法唯一确定所在栏次，未填入金额栏，原样记在最右侧“{UNSURE}”列，金额栏标为“{PENDING}”（相关校验为无法校验）：{'；'.join(parked)}。")
    tf = TableFill(spec.kind, out_rows, note=seg.note, header=None, extra_headers=[UNSURE_HEADER] if parked else [])
    return tf, known


# ---- 收支总表 (行次) ------------------------------------------------------------------------------


@dataclass
class LedgerLine:
    side: str
    hangci: int
    label: str
    printed: list[str] = field(default_factory=list)
    seed_label: str = ""


def _ledger_lines(seg: Segment, spec: schemas.TableSpec, notes: list[str]) -> tuple[dict[int, LedgerLine], list[str]]:
    """行次 → the line with the numbers printed after that 行次 and the label printed before it."""
    tcols = spec_columns(spec)
    label_col = {c.side: c.index for c in tcols if c.role == "名称"}
    hc_col = {c.side: c.index for c in tcols if c.role == "行次"}
    lines: dict[int, LedgerLine] = {}
    for line in spec.lines:
        for side in ("收入", "支出"):
            hc = line[hc_col[side]]
            if hc:
                lines[int(hc)] = LedgerLine(side, int(hc), line[label_col[side]])
    sides = {s: sorted(h for h, l in lines.items() if l.side == s) for s in ("收入", "支出")}
    last = {"收入": 0, "支出": 0}
    current: LedgerLine | None = None
    text: list[str] = []
    stray: list[str] = []
    for token in " ".join(_body(seg)).split():
        if _INT.match(token):
            n = int(token)
            side = next((s for s in sides if n in sides[s] and n > last[s]), None)
            if side is not None:
                current = lines[n]
                current.seed_label = clean(" ".join(text))
                text = []
                last[side] = n
                continue
        if _AMOUNT.match(token) or _INT.match(token):
            if current is None:
                stray.append(token)
            else:
                current.printed.append(token)
            continue
        text.append(token)
    for ln in lines.values():
        if schemas.norm(ln.seed_label) != schemas.norm(ln.label):
            notes.append(f"{spec.title}：行次 {ln.hangci} 的项目原文为“{ln.seed_label}”，模板为“{ln.label}”，请核对。")
    return lines, stray


def _ledger_table(seg: Segment, spec: schemas.TableSpec, notes: list[str]) -> tuple[TableFill, dict[str, dict[str, Decimal]]]:
    tcols = spec_columns(spec)
    lines, stray = _ledger_lines(seg, spec, notes)
    width = max(c.index for c in tcols) + 1
    known: dict[str, dict[str, Decimal]] = {}  # "side:key" → column key → amount
    placement: dict[int, dict[int, Decimal]] = {}
    parked: list[str] = []
    for side in ("收入", "支出"):
        cols = [c for c in tcols if c.side == side and c.role not in ("名称", "行次") and c.key]
        keys = [c.key for c in cols]
        side_lines = [ln for ln in lines.values() if ln.side == side]
        line_key = {ln.hangci: schemas.ledger_key(ln.label)[0] for ln in side_lines}
        by_key = {k: h for h, k in line_key.items() if k}
        srows = []
        for ln in side_lines:
            key = line_key[ln.hangci]
            parent = None
            if key and key.startswith("类"):
                parent = by_key.get("本年支出合计")
            elif key in ("本年支出合计", "结余分配", "年末结转和结余"):
                parent = by_key.get("总计")
            srows.append(SRow(ln.hangci, ln.printed, parent=parent))
        eqs = [((0,), tuple(range(1, len(keys))))] if len(keys) > 1 else []
        placed, why = solve(srows, len(keys), eqs)
        for w in why:
            notes.append(f"{spec.title}（{side}）：{w}。")
        for ln, s in zip(side_lines, srows):
            cand = placed.get(s.id)
            if cand is None and ln.printed:
                parked.append(f"行次 {ln.hangci} {ln.label}（{' '.join(ln.printed)}）")
                placement[ln.hangci] = {}
                continue
            vals = s.values(cand or ())
            placement[ln.hangci] = {cols[c].index: v for c, v in vals.items()}
            if line_key[ln.hangci]:
                known[f"{side}:{_full_key(line_key, ln.hangci)}"] = {keys[c]: v for c, v in vals.items()}
    rows: list[dict[int, Any]] = []
    for line in spec.lines:
        out: dict[int, Any] = {c: v for c, v in enumerate(line) if v}
        for side in ("收入", "支出"):
            hc_col = next(c.index for c in tcols if c.side == side and c.role == "行次")
            if line[hc_col]:
                hc = int(line[hc_col])
                out.update(placement.get(hc, {}))
                if lines[hc].printed and not placement.get(hc) and any(p.startswith(f"行次 {hc} ") for p in parked):
                    prev = out.get(width, "")
                    out[width] = (prev + "；" if prev else "") + f"行次 {hc} " + _fmt_printed(lines[hc].printed)
                    out.update({c.index: PENDING for c in tcols if c.side == side and c.role not in ("名称", "行次") and c.key})
        rows.append(out)
    if parked:
        notes.append(f"{spec.title}：以下各行的数字无法唯一确定所在栏次，未填入金额栏，原样记在最右侧“{UNSURE}”列，金额栏标为“{PENDING}”（相关校验为无法校验）：{'；'.join(parked)}。")
    if stray:
        notes.append(f"{spec.title}：数字 {' '.join(stray)} 出现在第一个行次之前，无法确定所在行，未导入。")
    tf = TableFill(spec.kind, rows, note=seg.note, extra_headers=[UNSURE_HEADER] if parked else [])
    return tf, known


def _full_key(line_key: dict[int, str | None], hangci: int) -> str:
    """年初结转和结余 sub-lines (一般公共预算 / 政府性基金 under 年初财政拨款结转和结余) get a prefix."""
    key = line_key[hangci]
    prev = line_key.get(hangci - 1) or ""
    prev2 = line_key.get(hangci - 2) or ""
    if key in ("一般公共预算", "政府性基金", "国有资本经营") and ("年初结转和结余" in (prev, prev2) or prev.startswith("年初结转和结余:")):
        return f"年初结转和结余:{key}"
    return key or ""


# ---- blocks (公开06) and flat (三公) -------------------------------------------------------------


def _blocks_table(seg: Segment, spec: schemas.TableSpec, notes: list[str]) -> TableFill:
    tcols = spec_columns(spec)
    amount_of_code_col = {c.index: c.index + 2 for c in tcols if c.role == "科目编码"}
    where: dict[str, tuple[int, int]] = {}
    totals: dict[str, tuple[int, int]] = {}
    for r, line in enumerate(spec.lines):
        for c, v in enumerate(line):
            if c in amount_of_code_col and v:
                where[v] = (r, amount_of_code_col[c])
            elif v in ("人员经费合计", "公用经费合计"):
                totals[v] = (r, c + 1)
    rows = [{c: v for c, v in enumerate(line) if v} for line in spec.lines]
    body = [ln for ln in _body(seg) if not re.search(r"[\u4e00-\u9fff]", ln) or re.search(r"\d", ln)]
    tokens = " ".join(body).split()
    current: tuple[int, int] | None = None
    taken: set[tuple[int, int]] = set()
    problems: list[str] = []
    seen_codes: set[str] = set()
    for token in tokens:
        if _CODE.match(token) and token in where and token not in seen_codes:
            current = where[token]
            seen_codes.add(token)
            continue
        norm = schemas.norm(token)
        if norm in totals:
            current = totals[norm]
            continue
        if _AMOUNT.match(token):
            if current is None or current in taken:
                problems.append(token)
                continue
            rows[current[0]][current[1]] = _dec(token)
            taken.add(current)
    missing = sorted(set(where) - seen_codes, key=lambda c: where[c])
    if missing:
        notes.append(f"{spec.title}：原文中没有找到科目 {'、'.join(missing)}，模板中这些行保留为空。")
    width = max(c.index for c in tcols) + 1
    extra = []
    if problems:
        rows.append({width: _fmt_printed(problems)})
        extra = [UNSURE_HEADER]
        notes.append(f"{spec.title}：数字 {' '.join(problems)} 无法确定所属科目，未填入金额栏，记在表尾“{UNSURE}”列。")
    return TableFill(spec.kind, rows, note=seg.note, extra_headers=extra)


def _flat_table(seg: Segment, spec: schemas.TableSpec, notes: list[str]) -> TableFill:
    cols = _amount_cols(spec)
    body = _body(seg)
    # the 栏次 row of 三公 prints the column numbers alone ("1 2 3 … 12"): the amounts follow it
    for i, line in enumerate(body):
        if line.split() == [str(n) for n in range(1, len(cols) + 1)]:
            body = body[i + 1:]
            break
    tokens = [t for t in " ".join(body).split() if _AMOUNT.match(t) or _INT.match(t)]
    width = max(c.index for c in spec_columns(spec)) + 1
    if len(tokens) == len(cols):
        return TableFill(spec.kind, [{c.index: _dec(t) for c, t in zip(cols, tokens)}], note=seg.note)
    notes.append(f"{spec.title}：原表印有 {len(tokens)} 个数字而表格有 {len(cols)} 栏，无法唯一确定栏次，未填入金额栏，记在“{UNSURE}”列。")
    row: dict[int, Any] = {c.index: PENDING for c in cols}
    row[width] = _fmt_printed(tokens)
    return TableFill(spec.kind, [row], note=seg.note, extra_headers=[UNSURE_HEADER])


# ---- cross-table facts -------------------------------------------------------------------------

def _ledger_amount(ledger: dict[str, dict[str, Decimal]], side: str, key: str) -> Decimal | None:
    entry = ledger.get(f"{side}:{key}")
    if entry is None:
        return None
    return entry.get("合计", Decimal(0))


def _declared_total_lines(profile: schemas.Profile, kind: str) -> tuple[str | None, dict[str, list[tuple[str, str]]]]:
    """The ledger whose lines a code table's 合计 row restates, as the format declares it: ``sum`` relations
    (收入决算表 合计 row's 财政拨款小计 = 公开01 一般公共预算 + 政府性基金 + 国有资本经营 …) and ``equal`` /
    ``agree`` ones (政府性基金收支决算表 合计 row's 本年收入 = 公开04 政府性基金).  Returns (ledger kind,
    column key → [(side, line key)])."""
    ledger, columns = None, {}
    for rel in profile.relations:
        if rel.kind == "sum":
            total, parts = rel.arg("total"), rel.arg("parts", [])
        elif rel.kind in ("equal", "agree"):
            a, b = rel.arg("a"), rel.arg("b")
            total, parts = (a, [b]) if isinstance(a, dict) and a.get("table") == kind else (b, [a])
        else:
            continue
        if not isinstance(total, dict) or total.get("table") != kind or total.get("row") != "total":
            continue
        tables = {p.get("table") for p in parts if isinstance(p, dict)}
        if len(tables) != 1 or not all("line" in p and p.get("column", "合计") == "合计" for p in parts):
            continue
        table = tables.pop()
        if schemas.table_kinds()[table].layout != "ledger" or (ledger is not None and table != ledger):
            continue
        ledger = table
        columns[total.get("column", "合计")] = [tuple(p["line"].split(":", 1)) for p in parts]
    return ledger, columns


def _total_row_filter(ledger: dict[str, dict[str, Decimal]], columns: dict[str, list[tuple[str, str]]]):
    """The code table's 合计 row equals the ledger lines the format declares it restates (column by column)."""
    def make(keys: list[str]):
        def ok(row: SRow, vals: dict[int, Decimal]) -> bool:
            if row.id != "合计" or not ledger:
                return True
            for i, key in enumerate(keys):
                parts = [p for side, k in columns.get(key, ()) if (p := _ledger_amount(ledger, side, k)) is not None]
                if not parts:
                    continue
                want = sum(parts, Decimal(0))
                if abs(vals.get(i, Decimal(0)) - want) > envelope(len(parts) + 1):
                    return False
            return True
        return ok
    return make


def _at_least_filter(lower: list[Known]):
    """支出决算表 ≥ 一般公共预算财政拨款支出决算表 (+ 政府性基金) for each row and column."""
    def make(keys: list[str]):
        def ok(row: SRow, vals: dict[int, Decimal]) -> bool:
            for i, key in enumerate(keys):
                floor = sum((k.get(row.id, {}).get(key, Decimal(0)) for k in lower), Decimal(0))
                if vals.get(i, Decimal(0)) < floor - envelope(len(lower) + 1):
                    return False
            return True
        return ok
    return make


def _room_filter(total: Known | None, general: Known | None):
    """政府性基金 table: each row's expenditure columns at most 支出决算表 minus 一般公共预算财政拨款支出决算表."""
    def make(keys: list[str]):
        def ok(row: SRow, vals: dict[int, Decimal]) -> bool:
            pos = {k: i for i, k in enumerate(keys)}
            if total is not None and general is not None:
                for key in ("合计", "基本支出", "项目支出"):
                    t = total.get(row.id)
                    if t is None:
                        continue
                    room = t.get(key, Decimal(0)) - general.get(row.id, {}).get(key, Decimal(0))
                    if vals.get(pos[key], Decimal(0)) > room + envelope(3):
                        return False
            return True
        return ok
    return make


def _both(makes: list):
    """Filters that must all hold."""
    def make(keys: list[str]):
        oks = [m(keys) for m in makes]
        return lambda row, vals: all(ok(row, vals) for ok in oks)
    return make


# ---- the whole import --------------------------------------------------------------------------


def import_flattened(source: Path, lines: list[str], profile: schemas.Profile, output: str | Path) -> tuple[Path, list[str]]:
    kinds = {t.kind for t in profile.tables}
    segments, narrative, department, year = _split(lines, kinds)
    notes = [
        f"来源：{source.name}；格式：{profile.name}。",
        "原文的表格在转换时被压平为以空格分隔的行（空单元格被省略，行次与金额相邻，表头跨行）。"
        "每个数字的栏次按行次、栏目顺序、表内合计关系（合计 = 各栏之和、上级科目 = 下级科目之和，金额不为负）"
        "以及其他表印出的同一数字确定；不能唯一确定的数字不填入金额栏，原样记在“未能确定栏次”列。",
    ]
    fill = WorkbookFill(department=department, year=year, source=source.name, narrative=narrative)
    spec_by_kind = {s.kind: s for s in profile.tables}
    ledgers: dict[str, dict[str, dict[str, Decimal]]] = {}
    knowns: dict[str, Known] = {}

    def seg_for(kind: str) -> Segment | None:
        seg = segments.get(kind)
        if seg is None and kind in spec_by_kind:
            notes.append(f"{spec_by_kind[kind].title}：原文中没有找到这张表，模板中保留空表。")
        return seg

    order = ["收支决算总表", "财政拨款收支决算总表", "一般公共预算支出决算表", "收入决算表", "支出决算表", "政府性基金收支决算表"]
    order += [s.kind for s in profile.tables if s.kind not in order]
    for kind in order:
        spec = spec_by_kind.get(kind)
        if spec is None:
            continue
        seg = seg_for(kind)
        if seg is None:
            continue
        layout = schemas.table_kinds()[kind].layout
        if layout == "ledger":
            fill.tables[kind], ledgers[kind] = _ledger_table(seg, spec, notes)
        elif layout == "blocks":
            fill.tables[kind] = _blocks_table(seg, spec, notes)
        elif layout == "flat":
            fill.tables[kind] = _flat_table(seg, spec, notes)
        else:
            filters = []
            ledger_kind, columns = _declared_total_lines(profile, kind)
            if columns and ledger_kind in ledgers:
                filters.append(_total_row_filter(ledgers[ledger_kind], columns))
                which = "各栏" if len(columns) > 2 else "的" + "、".join(columns)
                sides = "、".join(dict.fromkeys(side for lines in columns.values() for side, _ in lines))
                notes.append(f"{spec.title}：合计行{which}依据{spec_by_kind[ledger_kind].title}的{sides}各行确定。")
            if kind == "支出决算表" and "一般公共预算支出决算表" in knowns:
                filters.append(_at_least_filter([knowns["一般公共预算支出决算表"]]))
                notes.append(f"{spec.title}：各行的基本支出、项目支出不小于一般公共预算财政拨款支出决算表同一科目的数（财政拨款支出是全部支出的一部分），据此确定栏次。")
            elif kind == "政府性基金收支决算表":
                filters.append(_room_filter(knowns.get("支出决算表"), knowns.get("一般公共预算支出决算表")))
                notes.append(f"{spec.title}：各行支出不超过支出决算表减一般公共预算财政拨款支出决算表的数。")
            filt = _both(filters) if len(filters) > 1 else (filters[0] if filters else None)
            fill.tables[kind], knowns[kind] = _code_table(seg, spec, notes, profile, filt)
    fill.import_notes = notes
    return write_workbook(profile, output, fill), notes
