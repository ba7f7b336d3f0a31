"""Rules on the consistent 部门预算 book of tests/builders.py: documentation, rounding, cells, cut tables.

Every rule's passing and failing books are cases (tests/cases/<CODE>.toml, run by tests/test_cases.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from builders import Book

from validators.engine import validate_file
from validators.model import Severity
from validators.rules import DOC_PARTS, all_rules


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_documentation_has_four_parts(rule):
    for part in DOC_PARTS:
        assert rule.doc_part(part), f"{rule.code} lacks {part}"


def test_rounding_difference_is_weicha_not_error(tmp_path):
    book = Book()
    book.bump("支出总表", "医疗保障管理事务", "合计", 0.01)
    report = validate_file(book.save(tmp_path / "r.xlsx"))
    bn203 = [f for f in report.findings if f.code == "BN203"]
    assert bn203 and all(f.severity is Severity.ROUNDING for f in bn203)
    assert bn203[0].difference == Decimal("0.01")


def test_finding_names_every_cell_of_the_relation(tmp_path):
    book = Book().bump("支出总表", "医疗保障管理事务", "合计")
    report = validate_file(book.save(tmp_path / "c.xlsx"))
    f = next(f for f in report.findings if f.code == "BN203" and f.severity is Severity.ERROR)
    assert f.cells[0].sheet == "支出总体情况表"
    assert len(f.related_cells) == 2  # 行政运行 and 一般行政管理事务
    assert f.expected == 500 and f.actual == 510 and f.difference == 10


def test_truncated_table_is_unverifiable_not_error(tmp_path):
    book = Book()
    rows = book.tables["支出总表"]
    del rows[-3:]  # lose the 229 class and its rows, as a PDF page loss would
    book.missing.add("支出总表")
    report = validate_file(book.save(tmp_path / "t.xlsx"))
    exp_findings = [f for f in report.findings if f.table == "支出总表" or (f.cells and f.cells[0].sheet == "支出总体情况表")]
    assert exp_findings
    assert not [f for f in exp_findings if f.severity is Severity.ERROR]
    assert any("缺失" in f.message for f in exp_findings)
