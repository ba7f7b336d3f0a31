"""The samples in the 决算 and 吉林 formats (imported from seeds 002 and 001): no 错误 on relations that
hold, the seeds' real mistakes reported on their cells, conversion losses 无法校验, and a change of 1.00
in any single amount cell reported as 错误 naming that cell (except the cells listed, which take part in
no checkable relation, with the reason)."""

from __future__ import annotations

import pytest
from mutation import amount_cells, cells_missed

from validators.engine import validate_file
from validators.model import Severity
from validators.rules import get_rule

FAMILIES = {"决算", "表内", "三公", "读取", "收支总表", "表间"}

SAMPLES = {
    "weihai-2024-final-accounts.xlsx": {
        "profile": "final-accounts",
        "tables": 9,
        # real mistakes in the seed: (rule code, first cell)
        "errors": set(),
        # conversion losses written as 【缺失】/【残缺】 or cut "0. (" cells: RD001 无法校验
        "unreadable": 14,
        # cells in no checkable relation, and why:
        "unchecked": {
            # 302 商品和服务支出's items: 30201 办公费 was lost in conversion (【缺失】), so 302 = Σ款 cannot be checked
            *(f"一般公共预算财政拨款基本支出决算明细表!F{r}" for r in range(6, 33)),
            # 三公 预算数: 合计 printed as “2” (cut), so 合计 = 出国 + 公务用车 + 接待 cannot be checked
            "财政拨款“三公”经费支出决算表!B7", "财政拨款“三公”经费支出决算表!F7",
        },
    },
}


def _path(sample_paths, name):
    return next(p for p in sample_paths if p.name == name)


def _mine(findings):
    return [f for f in findings if get_rule(f.code) and get_rule(f.code).family in FAMILIES]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_reports_only_real_mistakes(name, sample_paths):
    spec = SAMPLES[name]
    report = validate_file(_path(sample_paths, name))
    assert report.error is None
    d = report.disclosure
    assert d.profile == spec["profile"] and d.year == 2024
    assert len(d.tables) == spec["tables"]
    findings = _mine(report.findings)
    errors = {(f.code, str(f.cells[0])) for f in findings if f.severity is Severity.ERROR}
    assert errors == spec["errors"]
    unreadable = [f for f in findings if f.severity is Severity.UNVERIFIABLE and f.code == "RD001"]
    assert len(unreadable) == spec["unreadable"]
    assert all(f.severity in (Severity.ROUNDING, Severity.UNVERIFIABLE, Severity.WARNING) or (f.code, str(f.cells[0])) in spec["errors"] for f in findings)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_amount_cell_takes_part_in_a_relation(name, sample_paths):
    """+1.00 on each non-blank amount cell, one at a time, is reported as 错误 naming that cell."""
    path = _path(sample_paths, name)
    assert len(amount_cells(path)) > 100
    missed = cells_missed(path)
    assert set(missed) <= SAMPLES[name]["unchecked"], sorted(set(missed) - SAMPLES[name]["unchecked"])
