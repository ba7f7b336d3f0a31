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
    labels = [row[1] for row in check.rows[3:3 + len(rels)]]
    assert labels == [r.label for r in rels]
    formulas = [str(row[8]) for row in check.rows[3:3 + len(rels)]]
    assert all("CZ_SUMCHECK(" in f for f in formulas)


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
    """Disagreements between the native-formula results and the engine, one line each."""
    from validators.checksheet import CHECK_SHEET_NAME, FIRST_ROW, relations
    from validators.reading import read_grids, read_workbook
    from validators.rules import run_rules

    d = read_workbook(path)
    rels = relations(d)
    findings = run_rules(d)
    sheet = next(g for g in read_grids(recalculated) if g.name == CHECK_SHEET_NAME)
    problems = []
    for i, rel in enumerate(rels):
        row = sheet.rows[FIRST_ROW - 1 + i]
        result, diff = row[7], row[5]
        parts = {p.ref for p in rel.parts}
        mine = [f for f in findings if f.code == rel.code and rel.total.ref in f.all_cells and parts & set(f.all_cells)]
        severities = {f.severity.value for f in mine}
        if result == "✓":
            ok = not mine
        elif result == "尾差":
            ok = severities == {"尾差"}
        elif result == "错误":
            ok = bool(severities & {"错误", "无法校验"})
        elif result == "无法校验":  # text in a cell: the engine reports it (RD001) and skips the relation
            unreadable = {c for f in findings if f.code == "RD001" for c in f.all_cells}
            ok = not mine and bool(unreadable & set(rel.cells))
        else:
            ok = False
        if ok and mine and mine[0].difference is not None:
            ok = abs(Decimal(str(diff)) - mine[0].difference) < Decimal("0.000001")
        if not ok:
            problems.append(f"{rel.code} {rel.label}: formula {result!r} diff {diff!r}, engine {[f.to_dict() for f in mine]}")
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
    error = next(r for r in rels if r.code == "SZ102").total.ref
    rounding = next(r for r in rels if r.code == "SG401").total.ref
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
    assert problems == []
    assert {"✓", "尾差", "错误", "无法校验"} <= seen_results  # every outcome was exercised
