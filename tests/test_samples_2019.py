"""The 2019-format 部门决算 sample (seed 003 烟台市医疗保障局, tables flattened in the seed): no 错误 on
table relations that hold, and a change of 1.00 in any single placed amount cell is reported as 错误
naming that cell."""

from __future__ import annotations

import pytest
from mutation import amount_cells, cells_missed

from validators.engine import validate_file
from validators.model import Severity
from validators.rules import get_rule

FAMILIES = {"决算", "表内", "三公", "读取", "收支总表", "表间"}

SAMPLES = {
    "yantai-2019-final-accounts.xlsx": {
        "profile": "final-accounts-2019",
        "tables": 8,
        "errors": set(),  # the tables reconcile (±0.01 尾差); the department's mistakes are in the narrative
        "unreadable": 0,
        # every placed amount takes part in a relation a +1.00 change breaks
        "unchecked": set(),
    },
}


def _path(sample_paths, name):
    return next(p for p in sample_paths if p.name == name)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_reports_only_real_mistakes(name, sample_paths):
    spec = SAMPLES[name]
    report = validate_file(_path(sample_paths, name))
    assert report.error is None
    d = report.disclosure
    assert d.profile == spec["profile"] and d.year == 2019
    assert len(d.tables) == spec["tables"]
    findings = [f for f in report.findings if get_rule(f.code) and get_rule(f.code).family in FAMILIES]
    assert {(f.code, str(f.cells[0])) for f in findings if f.severity is Severity.ERROR} == spec["errors"]
    assert len([f for f in findings if f.code == "RD001"]) == spec["unreadable"]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_amount_cell_takes_part_in_a_relation(name, sample_paths):
    path = _path(sample_paths, name)
    assert len(amount_cells(path)) > 250
    missed = cells_missed(path)
    assert set(missed) <= SAMPLES[name]["unchecked"], sorted(set(missed) - SAMPLES[name]["unchecked"])


def test_narrative_mistakes_of_the_2019_sample_are_reported(sample_paths):
    """The department's own narrative mistakes (found by hand, see the module docstring): shares of
    类 支出 that do not follow from the amounts (forced to add up to 100%), and two 绩效 totals that
    are neither equal nor the sum of the projects' 自评表."""
    report = validate_file(_path(sample_paths, "yantai-2019-final-accounts.xlsx"))
    errors = {(f.code, str(f.cells[0]), f.expected, f.actual) for f in report.findings if f.severity is Severity.ERROR}
    from decimal import Decimal

    assert errors == {
        ("WB605", "情况说明!C40", Decimal("0.17"), Decimal("0.16")),   # 一般公共服务 2.31 ÷ 1,386.51
        ("WB605", "情况说明!C41", Decimal("13.22"), Decimal("13.23")),  # 社会保障和就业 183.36 ÷ 1,386.51
        # the 绩效 part states two totals for its three projects; their 自评表 say 5515 + 1807.5 + 350
        ("WB601", "情况说明!C86", Decimal("7672.5"), Decimal("7752.50")),
        ("WB601", "情况说明!C87", Decimal("7672.5"), Decimal("7782.50")),
    }
    rounding = {str(f.cells[0]) for f in report.findings if f.code == "WB601" and f.severity is Severity.ROUNDING}
    assert "情况说明!C40" in rounding  # 一般公共服务 2.31 万元 against 2.30 in 公开05
