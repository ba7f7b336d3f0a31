"""The 吉林 sample (延边朝鲜族自治州医疗保障局 2024 部门预算, imported from seed 001): no 错误 on relations
that hold, the seed's real mistakes reported on their cells, the ±0.01 differences 尾差, the 项 codes
lost in conversion 无法校验 (never invented), and +1.00 in any single amount cell reported as 错误
naming that cell."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLES, seed
from mutation import amount_cells, cells_missed

from validators.engine import validate_file
from validators.importing import import_seed
from validators.model import Severity

SAMPLE = SAMPLES / "yanbian-2024-budget.xlsx"
S1, S2, S3, S4 = "收支总表(预算表1)", "收入总表(预算表2)", "支出总表(预算表3)", "财政拨款收支总表(预算表4)"
S5, S9 = "本年一般公共预算支出表(预算表5)", "项目支出表(预算表9)"

# real mistakes in the seed's 情况说明: (rule, paragraph cell)
ERRORS = {
    ("WB602", "情况说明!C220"),  # “当年预算 1,053.43 元”: 元 where 万元 is meant
    ("WB602", "情况说明!C228"),  # “2024 年一般公共预算拨款 1,144.52 元”
    ("WB605", "情况说明!C231"),  # “住房保障（类）支出 49.64 万元，占 4.33%”: 49.64 ÷ 1,144.52 = 4.34%
    ("WB601", "情况说明!C235"),  # “公用经费 79.96 万元” vs 预算表6 公用经费 79.86
    # 项目支出绩效目标表 headed “项目资金（万元）” over amounts in 元 (5.00 万元 printed 50000.00): one each
    ("WB602", "情况说明!C71"), ("WB602", "情况说明!C85"), ("WB602", "情况说明!C101"),
    ("WB602", "情况说明!C121"), ("WB602", "情况说明!C149"),
}
# ±0.01 in the tables, verified by hand: (rule, first cell, related cells that must be named)
ROUNDING = {
    ("JL901", f"{S1}!G14", (f"{S4}!G15",)),  # 卫生健康支出 上年结转 55.76 vs 55.75
    ("SZ106", f"{S1}!G35", (f"{S1}!G12", f"{S1}!G14")),  # 上年结转 35.34 + 55.76 = 91.10 vs 91.09
    ("BN202", f"{S5}!F6", ()),  # 208 人员经费 271.33 vs 271.34
    ("JL903", f"{S2}!N6", (f"{S2}!N7", f"{S2}!N8")),  # 上年结转结余 53.28 + 37.82 = 91.10 vs 91.09
    ("JL903", f"{S2}!D8", (f"{S2}!E8", f"{S2}!N8")),  # 670.10 + 37.82 = 707.92 vs 707.91
    ("JL904", f"{S9}!H5", (f"{S9}!I5", f"{S9}!L5")),  # 项目支出 合计 507.67 vs 416.57 + 91.09
}
LOST_CODES = 11  # 预算表5 rows whose 项 codes were lost in conversion (JL906 无法校验)


@pytest.fixture(scope="module")
def report():
    return validate_file(SAMPLE)


def test_sample_reads_as_jilin(report):
    assert report.error is None
    d = report.disclosure
    assert d.profile == "jilin-budget" and d.year == 2024 and d.department == "延边朝鲜族自治州医疗保障局"
    assert len(d.tables) == 10


def test_only_the_real_mistakes_are_errors(report):
    errors = {(f.code, str(f.cells[0])) for f in report.findings if f.severity is Severity.ERROR}
    assert errors == ERRORS


def test_rounding_differences_are_rounding_with_their_cells(report):
    for code, cell, related in ROUNDING:
        found = [f for f in report.findings if f.code == code and str(f.cells[0]) == cell]
        assert found, (code, cell)
        assert found[0].severity is Severity.ROUNDING
        names = {str(c) for c in found[0].all_cells}
        assert set(related) <= names, (code, cell, names)


def test_lost_codes_are_unverifiable_not_invented(report):
    lost = [f for f in report.findings if f.code == "JL906"]
    assert len(lost) == LOST_CODES and all(f.severity is Severity.UNVERIFIABLE for f in lost)
    t = report.disclosure.table("一般公共预算支出表")
    uncoded = [r for r in t.data_rows() if r.code is None]
    assert sum(1 for r in uncoded if any(not v.blank for v in r.values.values())) == LOST_CODES  # + 信息化建设, blank
    # the 款 above them still adds up by position: 20801 = 279.30 + 4.01 (尾差 0.01)
    assert any(f.code == "BN203" and str(f.cells[0]) == f"{S5}!D7" and f.severity is Severity.ROUNDING for f in report.findings)


def test_every_amount_cell_takes_part_in_a_relation():
    """+1.00 on each non-blank amount cell, one at a time, is reported as 错误 naming that cell.
    No cell is exempt: every printed amount of the sample takes part in a checked relation."""
    assert len(amount_cells(SAMPLE)) > 300
    assert cells_missed(SAMPLE) == []


def test_import_is_reproducible_and_says_what_it_did(tmp_path: Path):
    out, notes = import_seed(seed("001"), tmp_path / "yanbian.xlsx")
    text = "\n".join(notes)
    assert "竖排" in text and "上年结转结余" in text and "重复打印" in text and "接回" in text
    fresh = validate_file(out)
    assert {(f.code, str(f.cells[0])) for f in fresh.findings if f.severity is Severity.ERROR} == ERRORS
