"""Seed 003 (烟台 2019 部门决算): tables flattened into space-separated lines.  Every printed amount
of the tables arrives in an amount cell or is visibly parked as 未能确定栏次, nothing is invented;
a number whose column is not unique is never placed."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

import pytest
from conftest import SAMPLES, seed

from validators import schemas
from validators.engine import validate_file
from validators.importing import import_seed
from validators.importing.flattened import PENDING, UNSURE
from validators.model import Severity
from validators.reading import read_grids

SAMPLE = "yantai-2019-final-accounts.xlsx"
_NUM = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")


def _tables_part(text: str) -> str:
    start = text.index("2019 年度部门决算表")
    return text[start:text.index("第 三 部 分", start)]


def _seed_amounts(text: str) -> Counter:
    """Amounts printed in the tables: numbers with decimals, and every number of a line made of
    numbers only that has one with decimals (the 三公 line prints 0 for 公务用车购置费)."""
    found: Counter = Counter()
    for line in _tables_part(text).splitlines():
        tokens = line.split()
        all_numbers = bool(tokens) and all(_NUM.match(t) for t in tokens) and any("." in t for t in tokens)
        for t in tokens:
            if _NUM.match(t) and ("." in t or all_numbers):
                found[Decimal(t.replace(",", "")).quantize(Decimal("0.01"))] += 1
    return found


def _book_amounts(path) -> tuple[Counter, Counter]:
    """(amounts in cells, amounts parked in 未能确定栏次 cells) over the table sheets."""
    titles = {s.title[:31] for s in schemas.profiles()["final-accounts-2019"].tables}
    placed: Counter = Counter()
    parked: Counter = Counter()
    for grid in read_grids(path):
        if grid.name not in titles:
            continue
        for row in grid.rows:
            for v in row:
                if isinstance(v, float):
                    placed[Decimal(repr(v)).quantize(Decimal("0.01"))] += 1
                elif isinstance(v, str):
                    for numbers in re.findall(UNSURE + r"：([\d.,\s]+)", v):
                        for t in numbers.split():
                            parked[Decimal(t.replace(",", "")).quantize(Decimal("0.01"))] += 1
    return placed, parked


def test_every_printed_amount_arrives_once_and_none_is_invented(tmp_path):
    source = seed("003")
    out, notes = import_seed(source, tmp_path / "out.xlsx")
    printed = _seed_amounts(source.read_text(encoding="utf-8"))
    placed, parked = _book_amounts(out)
    assert sum(printed.values()) > 250
    assert placed + parked == printed
    assert not parked  # seed 003: every number's column is fixed by 行次, order and arithmetic
    assert not [n for n in notes if "请核对" in n or "未导入" in n]


def test_shipped_sample_equals_a_fresh_import(tmp_path):
    from validators.checksheet import add_check_sheet

    out, _ = import_seed(seed("003"), tmp_path / "fresh.xlsx")
    add_check_sheet(out)  # as workbooks/build_templates.py does
    fresh = {g.name: g.rows for g in read_grids(out)}
    shipped = {g.name: g.rows for g in read_grids(SAMPLES / SAMPLE)}
    assert fresh == shipped


def test_known_placements(tmp_path):
    """Spot checks of numbers whose column only arithmetic or another table decides."""
    out, _ = import_seed(seed("003"), tmp_path / "out.xlsx")
    d = validate_file(out).disclosure
    assert d.profile == "final-accounts-2019" and d.year == 2019 and d.department == "烟台市医疗保障局"
    inc = d.table("收入决算表")
    row = next(r for r in inc.rows if r.code == "2101501")
    assert row.values["其他收入"].amount == Decimal("9.96")  # not 上级补助/事业/经营/附属
    exp = d.table("支出决算表")
    assert next(r for r in exp.rows if r.code == "201").values["基本支出"].amount == Decimal("2.30")
    assert next(r for r in exp.rows if r.code == "21001").values["项目支出"].amount == Decimal("20.00")
    fund = d.table("政府性基金收支决算表")
    total = fund.total_row()
    assert total.values["年初结转和结余"].amount == Decimal("5.52") and total.values["本年收入"].blank
    assert total.values["项目支出"].amount == Decimal("5.52") and total.values["基本支出"].blank


def test_ambiguous_numbers_are_parked_not_guessed(tmp_path):
    """Without 公开05 nothing says which of 基本/项目/上缴上级/经营/对附属 a 支出决算表 number is in:
    those rows keep their printed numbers in 未能确定栏次, their amount cells say 【待核】, the
    relations through them are 无法校验 (never 错误), and still no number is lost or invented."""
    text = seed("003").read_text(encoding="utf-8")
    start = text.index("一般公共预算财政拨款支出决算表\n公开 05表")
    end = text.index("一般公共预算财政拨款基本支出决算表")
    cut = text[:start] + text[end:]
    src = tmp_path / "003_cut.txt"
    src.write_text(cut, encoding="utf-8")
    out, notes = import_seed(src, tmp_path / "cut.xlsx")
    placed, parked = _book_amounts(out)
    assert placed + parked == _seed_amounts(cut)
    assert parked
    assert any("支出决算表" in n and UNSURE in n for n in notes)
    report = validate_file(out)
    exp = report.disclosure.table("支出决算表")
    pending = [v for r in exp.rows for v in r.values.values() if v.raw == PENDING]
    assert pending and all(v.problem for v in pending)
    # fully printed or arithmetically fixed rows are still placed; nothing in 支出决算表 is 错误
    errors = [f for f in report.findings if f.severity is Severity.ERROR and any(c.sheet == "支出决算表" for c in f.all_cells)]
    assert errors == []


@pytest.mark.parametrize("prefix", ["000", "002", "004"])
def test_tab_separated_seeds_do_not_take_the_flattened_path(prefix, tmp_path):
    from validators.importing.flattened import is_flattened

    assert not is_flattened(seed(prefix).read_text(encoding="utf-8").splitlines())
