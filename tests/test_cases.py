"""Rule cases as data (tests/cases/<CODE>.toml): edits of a base book and the findings they must add.

One runner for every format; see tests/cases/README.md for the file format.  A base is a shipped sample
(its own findings are subtracted) or a consistent book built by tests/builders*.py ("book:<format id>",
which passes every rule it is checked for: test_built_books_pass)."""

from __future__ import annotations

import re
import shutil
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from builders import Book
from builders_final import FinalBook
from builders_jilin import JilinBook

from validators.engine import validate_file
from validators.model import Severity
from validators.rules import all_rules, get_rule

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "tests" / "cases").glob("*.toml"))
BOOKS = {"shandong-budget": Book, "final-accounts": FinalBook, "jilin-budget": JilinBook}
# the rule families a built book is clean for (the 决算 and 吉林 books carry no narrative to speak of)
CLEAN_FOR = {
    "shandong-budget": None,  # every rule
    "final-accounts": {"决算", "表内", "三公", "读取", "收支总表", "表间"},
    "jilin-budget": {"表内", "表间", "收支总表", "三公", "读取", "JL"},  # "JL": the 吉林 codes whatever their family
}
_BASES: dict[str, tuple[Path, set]] = {}


def _cases():
    for path in CASES:
        for case in tomllib.loads(path.read_text(encoding="utf-8"))["case"]:
            yield pytest.param(path.stem, case, id=f"{path.stem}:{case['name']}")


def _key(f) -> tuple[str, str, str]:
    return f.code, f.severity.value, str(f.cells[0]) if f.cells else ""


@pytest.fixture(scope="session")
def bases(tmp_path_factory):
    """base name -> (workbook, its findings' keys), built or validated once per session."""
    def get(name: str) -> tuple[Path, set]:
        if name not in _BASES:
            if name.startswith("book:"):
                path = BOOKS[name[5:]]().save(tmp_path_factory.mktemp("bases") / f"{name[5:]}.xlsx")
            elif name.startswith("template:"):  # a shipped template (no amounts): the case fills what it needs
                path = ROOT / "workbooks" / "templates" / f"{name[9:]}-template.xlsx"
            else:
                path = ROOT / "workbooks" / "samples" / f"{name}.xlsx"
            report = validate_file(path)
            assert report.error is None, report.error
            _BASES[name] = (path, {_key(f) for f in report.findings})
        return _BASES[name]
    return get


def _edit(src: Path, dst: Path, edits: list[dict]) -> None:
    """Apply a case's edits: {cell, add | set | clear} on a cell, {sheet, delete_sheet | hide_sheet |
    copy_sheet | delete_rows = [1-based rows]} on a sheet."""
    from openpyxl import load_workbook

    shutil.copy(src, dst)
    wb = load_workbook(dst)
    for e in edits:
        if "cell" in e:
            sheet, _, address = e["cell"].rpartition("!")
            cell = wb[sheet][address]
            if "add" in e:
                value = Decimal(str(cell.value or 0)) + Decimal(str(e["add"]))
                cell.value = float(value)
            elif e.get("clear"):
                cell.value = None
            else:
                cell.value = e["set"]
            continue
        ws = wb[e["sheet"]]
        if e.get("delete_sheet"):
            del wb[e["sheet"]]
        elif e.get("hide_sheet"):
            ws.sheet_state = "hidden"
        elif e.get("copy_sheet"):
            wb.copy_worksheet(ws)
        elif "delete_rows" in e:
            for row in sorted(e["delete_rows"], reverse=True):
                ws.delete_rows(row)
        else:
            raise ValueError(f"unknown edit {e}")
    wb.save(dst)


@pytest.mark.parametrize("code, case", list(_cases()))
def test_case(code, case, tmp_path, bases):
    assert get_rule(code) is not None, f"tests/cases/{code}.toml names no rule"
    base, base_findings = bases(case["base"])
    edited = tmp_path / f"{re.sub(r'[^0-9A-Za-z]+', '_', code)}.xlsx"
    _edit(base, edited, case["edits"])
    report = validate_file(edited)
    assert report.error is None, report.error
    new_findings = [f for f in report.findings if _key(f) not in base_findings]
    new = {_key(f) for f in new_findings}
    want = {(get_rule(w["code"]).code, w["severity"], w["cell"]) for w in case.get("expect", [])}
    codes = {w[0] for w in want}
    # exactly the expected rows of the expected codes (code, severity and first cell of every finding)
    assert {k for k in new if k[0] in codes} == want, sorted(new)
    for f in new_findings:
        if f.code in codes:
            rule = get_rule(f.code)
            assert f.message and f.rule_name == rule.name
            if f.severity is Severity.ERROR:
                assert f.cells, "an error names the cells involved"
                if f.expected is not None:
                    assert f.difference is not None and f.difference != 0
    quiet = {get_rule(c).code for c in case.get("quiet", [])}
    assert not {k for k in new if k[0] in quiet}, sorted(new)
    if not want:
        allowed = {get_rule(c).code for c in case.get("allow", [])}
        assert not {k for k in new if k[0] not in allowed}, sorted(new)


@pytest.mark.parametrize("format_id", sorted(BOOKS))
def test_built_books_pass(format_id, bases):
    """The consistent books the cases edit carry no finding (of the families they are built for)."""
    path, _ = bases(f"book:{format_id}")
    report = validate_file(path)
    assert report.disclosure.format.id == format_id
    families = CLEAN_FOR[format_id]
    found = [f for f in report.findings if families is None or get_rule(f.code).family in families or f.code[:2] in families]
    assert found == [], [f.message for f in found]


def test_every_rule_has_a_case():
    """Every rule (by its current code; old codes name it) has a failing case, here or among the
    published-text breaks (tests/test_published.py)."""
    from test_published import PUBLISHED_BREAKS

    covered = set()
    for path in CASES:
        for case in tomllib.loads(path.read_text(encoding="utf-8"))["case"]:
            covered |= {get_rule(w["code"]).code for w in case.get("expect", [])}
    assert {r.code for r in all_rules()} == covered | {get_rule(c).code for c in PUBLISHED_BREAKS}
