"""The 校验 sheet of templates and samples: the reader ignores it, and its native formulas,
recalculated by headless LibreOffice, agree with the engine's findings for the same relations.

The LibreOffice tests are skipped (not failed) when soffice is not installed
(apt-get install -y libreoffice-calc-nogui)."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import SAMPLES, TEMPLATES

WORKBOOKS = sorted(SAMPLES.glob("*.xlsx")) + sorted(TEMPLATES.glob("*.xlsx"))
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.name)
def test_check_sheet_exists_and_is_invisible_to_the_reader(path):
    from validators.checksheet import CHECK_SHEET_NAME, check_sheet_is_inert, relations
    from validators.reading import disclosure_from_grids, read_grids, read_workbook
    from validators.rules import run_rules

    grids = read_grids(path)
    check = next(g for g in grids if g.name == CHECK_SHEET_NAME)
    assert check_sheet_is_inert(check.rows) == []
    with_sheet = run_rules(disclosure_from_grids(grids, str(path)))
    without = run_rules(disclosure_from_grids([g for g in grids if g.name != CHECK_SHEET_NAME], str(path)))
    assert [f.to_dict() for f in with_sheet] == [f.to_dict() for f in without]
    d = read_workbook(path)
    assert all(t.sheet != CHECK_SHEET_NAME for t in d.all_tables())
    rels = relations(d)
    assert len(rels) >= 5
    assert [row[2] for row in check.rows[3:3 + len(rels)]] == [r.code for r in rels]  # one row per relation, in order
    assert len(check.rows) == 3 + len(rels) or not any(check.rows[3 + len(rels)])
    formulas = [str(row[8]) for row, r in zip(check.rows[3:3 + len(rels)], rels) if len(r.left) == 1]
    assert formulas and all("CZ_SUMCHECK(" in f for f in formulas)
    # validation recognises the sheet as czcheck's own and does not read it at all
    assert CHECK_SHEET_NAME not in {g.name for g in read_grids(path, skip_check_sheet=True)}
    assert [g.name for g in read_grids(path, skip_check_sheet=True)] == [g.name for g in grids if g.name != CHECK_SHEET_NAME]


def _edited(src: Path, dest: Path, edit) -> Path:
    from openpyxl import load_workbook

    wb = load_workbook(src)
    edit(wb["校验"])
    wb.save(dest)
    return dest


@pytest.mark.parametrize("edit", [
    lambda ws: ws.cell(row=5, column=4, value=123.45),  # a number typed over a formula
    lambda ws: ws.cell(row=2, column=11, value="收入支出决算总表"),  # a cell beyond the sheet's nine columns
    lambda ws: ws.cell(row=1, column=1, value="公开表勾稽关系核对（本单位自编）"),  # another heading
    lambda ws: ws.cell(row=3, column=4, value="本年数"),  # another column header
    lambda ws: ws.cell(row=ws.max_row + 5, column=5, value=1000),  # a figure below the relations
], ids=["value-over-formula", "cell-beyond", "heading", "header", "figure-below"])
def test_a_check_sheet_someone_changed_is_read_like_any_other(edit, tmp_path):
    """Only the sheet exactly as czcheck lays it out is left unread: fail closed, anything else is read."""
    from validators.reading import read_grids
    from validators.reading import safety

    book = _edited(SAMPLES / "weihai-2024-final-accounts.xlsx", tmp_path / "edited.xlsx", edit)
    assert "校验" in {g.name for g in read_grids(book, skip_check_sheet=True)}
    untouched = _edited(SAMPLES / "weihai-2024-final-accounts.xlsx", tmp_path / "saved.xlsx", lambda ws: None)
    assert "校验" not in {g.name for g in read_grids(untouched, skip_check_sheet=True)}  # a save alone changes nothing
    zf = safety.check_package(book.read_bytes())
    parts = safety.classify_package(zf)
    assert not safety.own_check_sheet(zf, parts.sheets["校验"], "校验", parts.shared_strings)


def test_a_table_pasted_into_the_check_sheet_is_still_checked(tmp_path):
    """A table someone put below the relations is found (the sheet is no longer czcheck's own)."""
    from openpyxl import load_workbook

    from validators.reading import read_workbook

    src = SAMPLES / "zibo-2024-budget.xlsx"
    wb = load_workbook(src)
    table = wb["一般公共预算“三公”经费支出情况表"]
    check = wb["校验"]
    top = check.max_row + 3
    for r, row in enumerate(table.iter_rows(values_only=True)):
        for c, v in enumerate(row):
            if v is not None:
                check.cell(row=top + r, column=c + 1, value=v)
    del wb[table.title]
    wb.save(tmp_path / "pasted.xlsx")
    before = {t.kind for t in read_workbook(src).all_tables() if "三公" in t.title}
    after = [t for t in read_workbook(tmp_path / "pasted.xlsx").all_tables() if t.kind in before]
    assert before and after and all(t.sheet == "校验" for t in after)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.xlsx")), ids=lambda p: p.name)
def test_check_sheet_covers_every_relation_the_engine_checks(path):
    """Every sum/equality behind a finding of a declared relation has its row (nothing hand-picked)."""
    from validators.checksheet import cells_of, relations
    from validators.reading import read_workbook
    from validators.rules import get_rule, run_rules

    d = read_workbook(path)
    rows = {(r.code, frozenset(cells_of(r))) for r in relations(d)}
    for f in run_rules(d):
        if get_rule(f.code).declared and f.difference is not None:
            assert (f.code, frozenset(f.all_cells)) in rows, f.to_dict()


def _recalculate(src: Path, out_dir: Path) -> Path:
    profile = out_dir / "profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_XCU, encoding="utf-8")
    conv = out_dir / "recalc"
    conv.mkdir(exist_ok=True)
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(conv), str(src)],
        check=True, capture_output=True, timeout=120,
    )
    return conv / src.name


def _agreement(path: Path, recalculated: Path) -> list[str]:
    """Disagreements between the native-formula results and the engine's verdicts, one line each.

    Exact: ✓ where the relation holds, and otherwise the very severity the engine gives it (尾差, 错误,
    提示, 无法校验); the difference too."""
    from validators.checksheet import CHECK_SHEET_NAME, FIRST_ROW, relations
    from validators.reading import read_grids, read_workbook

    rels = relations(read_workbook(path))
    sheet = next(g for g in read_grids(recalculated) if g.name == CHECK_SHEET_NAME)
    problems = []
    for i, rel in enumerate(rels):
        row = sheet.rows[FIRST_ROW - 1 + i]
        result, diff = row[7], row[5]
        expected = rel.severity.value if rel.severity else "✓"
        ok = result == expected
        if ok and rel.severity is not None and result != "无法校验":
            engine_diff = sum((v.number for v in rel.left), Decimal(0)) - sum((v.number for v in rel.right), Decimal(0))
            ok = abs(Decimal(str(diff)) - engine_diff) < Decimal("0.000001")
        if not ok:
            problems.append(f"{rel.code} {rel.label}: formula {result!r} diff {diff!r}, engine {expected}")
    return problems


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed: apt-get install -y libreoffice-calc-nogui")
def test_native_formulas_agree_with_the_engine_in_libreoffice(tmp_path):
    from openpyxl import load_workbook

    from validators.checksheet import relations
    from validators.reading import read_workbook

    # the shipped samples, and a copy of one with an error and a rounding difference put in
    broken = tmp_path / "broken.xlsx"
    shutil.copy(SAMPLES / "yantai-2024-budget.xlsx", broken)
    rels = relations(read_workbook(broken))
    error = next(r for r in rels if r.code == "SZ102").left[0].ref
    rounding = next(r for r in rels if r.code == "SG401").left[0].ref
    wb = load_workbook(broken)
    for ref, delta in ((error, 100), (rounding, 0.01)):
        cell = wb[ref.sheet].cell(row=ref.row + 1, column=ref.col + 1)
        cell.value = float(cell.value or 0) + delta
    wb.save(broken)

    cases = sorted(SAMPLES.glob("*.xlsx")) + [broken]
    problems = []
    seen_results = set()
    for path in cases:
        out = _recalculate(path, tmp_path / path.stem)
        problems += [f"{path.name}: {p}" for p in _agreement(path, out)]
        from validators.checksheet import CHECK_SHEET_NAME
        from validators.reading import read_grids

        sheet = next(g for g in read_grids(out) if g.name == CHECK_SHEET_NAME)
        seen_results |= {row[7] for row in sheet.rows[3:] if row and len(row) > 7}
        # saved by a spreadsheet program (shared strings, cached results): still recognised as czcheck's own
        assert CHECK_SHEET_NAME not in {g.name for g in read_grids(out, skip_check_sheet=True)}
    assert problems == []
    assert {"✓", "尾差", "错误", "无法校验"} <= seen_results  # every outcome was exercised


def _check_sheet_bytes(path: Path) -> bytes:
    from validators import package
    from validators.reading import safety

    zf = package.check_package(path.read_bytes())
    return package.member_bytes(zf, safety.classify_package(zf).sheets["校验"])


def test_the_one_search_refuses_exactly_the_cells_the_cell_by_cell_test_refuses():
    """own_check_sheet looks for a cell out of the layout with one search over the bytes; the
    cell-by-cell loop is the reference.  Both on every shipped check sheet and on edits of one that
    each test a clause: the shape of the start tag, the columns, row 0, a formula in D–I from row 4
    (leading zeros and self-closing styled cells included), and random cells with their formula removed."""
    import random
    import re

    from validators.reading import safety

    data = _check_sheet_bytes(SAMPLES / "weihai-2024-final-accounts.xlsx")
    edits = [
        (b'<c r="D5"', b'<c r="K5"'), (b'<c r="D5"', b'<c r="AA5"'), (b'<c r="A5"', b'<c r="A0"'),
        (b'<c r="A5"', b'<c r="A005"'), (b'<c r="D5"', b'<c r="D005"'), (b'<c r="D5"', b'<c s="1" r="D5"'),
        (b'<c r="D5"', b'<c  r="D5"'), (b'<c r="A5"', b'<c>'), (b'<c r="D5"', b'<c r="d5"'),
        (b'<c r="A5"', b'<c r="A12345678"'), (b"<row r=\"5\"", b'<row r="5"><c r="K5" s="3"/><c r="J2" s="1" />'),
        (b"<row r=\"5\"", b'<row r="5"><c r="D0" s="1"/><c r="E7"><v>1</v></c>'), (b"<row r=\"5\"", b'<row r="5"><c r="E9" s="2"></c>'),
        (b"<row r=\"5\"", b'<row r="5"><c r="C9"><v>1</v></c><c r="D3" t="s"><v>2</v></c>'),
        (b"<row r=\"5\"", b'<row r="5"><c r="F4"><f>1</f></c><c r="G10"><f/></c><c r="H12"><f\t>A1</f></c>'),
    ]
    variants = [data] + [_check_sheet_bytes(p) for p in WORKBOOKS[1:]]
    for old, new in edits:
        assert old in data, old
        variants.append(data.replace(old, new, 1))
    rng = random.Random(7)
    formulas = [m.span() for m in re.finditer(rb"<f>[^<]*</f>", data)]
    for _ in range(40):
        start, end = rng.choice(formulas)
        variants.append(data[:start] + data[end:])
    outcomes = set()
    for v in variants:
        slow = safety._cells_in_layout(v)
        assert safety._cells_in_layout_fast(v) == slow
        outcomes.add(slow)
    assert outcomes == {True, False}
