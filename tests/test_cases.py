"""Rule cases as data (tests/cases/<CODE>.toml): edits of a shipped sample and the findings they must add.

One runner for every format; see tests/cases/README.md for the file format."""

from __future__ import annotations

import re
import shutil
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from validators.engine import validate_file
from validators.rules import get_rule

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "tests" / "cases").glob("*.toml"))
_BASE_FINDINGS: dict[str, set] = {}


def _cases():
    for path in CASES:
        for case in tomllib.loads(path.read_text(encoding="utf-8"))["case"]:
            yield pytest.param(path.stem, case, id=f"{path.stem}:{case['name']}")


def _key(f) -> tuple[str, str, str]:
    return f.code, f.severity.value, str(f.cells[0]) if f.cells else ""


def _findings(path: Path) -> set:
    report = validate_file(path)
    assert report.error is None, report.error
    return {_key(f) for f in report.findings}


def _edit(src: Path, dst: Path, edits: list[dict]) -> None:
    from openpyxl import load_workbook

    shutil.copy(src, dst)
    wb = load_workbook(dst)
    for e in edits:
        sheet, _, address = e["cell"].rpartition("!")
        cell = wb[sheet][address]
        if "add" in e:
            value = Decimal(str(cell.value or 0)) + Decimal(str(e["add"]))
            cell.value = float(value)
        else:
            cell.value = e["set"]
    wb.save(dst)


@pytest.mark.parametrize("code, case", list(_cases()))
def test_case(code, case, tmp_path):
    assert get_rule(code) is not None, f"tests/cases/{code}.toml names no rule"
    base = ROOT / "workbooks" / "samples" / f"{case['base']}.xlsx"
    if case["base"] not in _BASE_FINDINGS:
        _BASE_FINDINGS[case["base"]] = _findings(base)
    edited = tmp_path / f"{re.sub(r'[^0-9A-Za-z]+', '_', code)}.xlsx"
    _edit(base, edited, case["edits"])
    new = _findings(edited) - _BASE_FINDINGS[case["base"]]
    for want in case.get("expect", []):
        canonical = get_rule(want["code"]).code
        assert (canonical, want["severity"], want["cell"]) in new, sorted(new)
    quiet = {get_rule(c).code for c in case.get("quiet", [])}
    assert not {k for k in new if k[0] in quiet}, sorted(new)
    if not case.get("expect"):
        allowed = {get_rule(c).code for c in case.get("allow", [])}
        assert not {k for k in new if k[0] not in allowed}, sorted(new)
