"""Every rule has a passing and a failing workbook: the consistent base built by tests/builders.py
passes every rule; one targeted mutation per rule makes that rule report at its default severity."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Callable

import pytest
from builders import Book

from validators.engine import validate_file
from validators.model import Severity
from validators.rules import DOC_PARTS, all_rules, get_rule

# rule code -> (how to break the base book, tables to drop from the workbook)
BREAKS: dict[str, tuple[Callable[[Book], Book], tuple[str, ...]]] = {
    "SZ101": (lambda b: b.bump("收支总表", "本年收入合计", "合计@收入"), ()),
    "SZ102": (lambda b: b.bump("收支总表", "支出总计", "合计@支出"), ()),
    "SZ103": (lambda b: b.bump("收支总表", "三、事业收入（不含教育收费）", "合计@收入"), ()),
    "SZ104": (lambda b: b.bump("收支总表", "一般公共预算拨款收入", "合计@收入"), ()),
    "SZ105": (lambda b: b.bump("收支总表", "上年结转", "合计@收入"), ()),
    "SZ106": (lambda b: b.bump("收支总表", "八、卫生健康支出", "合计@支出"), ()),
    "SZ107": (lambda b: b.bump("收支总表", "结转下年", "合计@支出"), ()),
    "SZ108": (lambda b: b.bump("财政拨款收支总表", "八、卫生健康支出", "一般公共预算@支出", -10), ()),
    "SZ109": (lambda b: b.bump("财政拨款收支总表", "上年结转", "合计@收入"), ()),
    "BJ311": (lambda b: b.bump("一般公共预算基本支出表", "机关事业单位基本养老保险缴费", "基本支出", 10), ()),
    "BN201": (lambda b: b.bump("支出总表", "合计", "合计"), ()),
    "BN202": (lambda b: b.bump("支出总表", "卫生健康支出", "合计"), ()),
    "BN203": (lambda b: b.bump("支出总表", "医疗保障管理事务", "合计"), ()),
    "BN204": (lambda b: b.bump("一般公共预算基本支出表", "合计", "基本支出"), ()),
    "BN205": (lambda b: b.bump("一般公共预算基本支出表", "工资福利支出", "基本支出"), ()),
    "BN206": (lambda b: b.bump("项目支出表", "医疗保障工作经费", "合计"), ()),
    "BN211": (lambda b: b.bump("支出总表", "行政运行", "基本支出"), ()),
    "BN212": (lambda b: b.bump("一般公共预算支出表", "行政运行", "人员支出"), ()),
    "BN213": (lambda b: b.bump("收入总表", "行政运行", "一般公共预算"), ()),
    "BN214": (lambda b: b.bump("收入总表", "行政运行", "事业收入"), ()),
    "BJ301": (lambda b: b.bump("收入总表", "合计", "一般公共预算"), ()),
    "BJ302": (lambda b: b.bump("收支总表", "八、卫生健康支出", "合计@支出"), ()),
    "BJ303": (lambda b: b.bump("支出总表", "一般行政管理事务", "合计"), ()),
    "BJ304": (lambda b: b.bump("财政拨款收支总表", "一、一般公共预算拨款收入", "合计@收入"), ()),
    "BJ305": (lambda b: b.bump("一般公共预算支出表", "卫生健康支出", "合计"), ()),
    "BJ306": (lambda b: b.bump("一般公共预算支出表", "一般行政管理事务", "合计"), ()),
    "BJ307": (lambda b: b.bump("一般公共预算基本支出表", "合计", "人员支出"), ()),
    "BJ308": (lambda b: b.bump("基本支出表", "合计", "合计"), ()),
    "BJ309": (lambda b: b.bump("基本支出表", "基本工资", "一般公共预算"), ()),
    "BJ310": (lambda b: b.bump("项目支出表", "合计", "合计"), ()),
    "SG401": (lambda b: _sangong(b, "合计@2025年预算数"), ()),
    "SG402": (lambda b: _sangong(b, "公务用车小计@2024年预算数"), ()),
    "WB601": (lambda b: b.say("一般公共预算收入600.00万元", "一般公共预算收入610.00万元"), ()),
    "WB602": (lambda b: b.say("机关运行经费安排50.00万元", "机关运行经费安排50.00元"), ()),
    "WB603": (lambda b: b.add_paragraph("培训经费预算3.00万元。").add_paragraph("培训经费预算4.00万元。"), ()),
    "WB604": (lambda b: b.say("政府采购服务预算15.00万元", "政府采购服务预算25.00万元"), ()),
    "WB605": (lambda b: b.say("占58.82%", "占57.82%"), ()),
    "WB606": (lambda b: b.say("共15.00万元，与上年基本持平", "共15.00万元，比上年增加2.00万元"), ()),
    "WB608": (lambda b: b.add_paragraph("年初预算数为10.00万元，支出决算数为8.00万元，完成年初预算的90.00%。决算数大于年初预算数。"), ()),
    "WB609": (lambda b: b.add_paragraph("收入预算比上年增加12.00万元。"), ()),
    "SG403": (lambda b: _sangong(b, "公务接待@2025年预算数", 1, keep_sums=True), ()),
    "SG404": (lambda b: _sangong(b, "公务用车运行@2025年预算数", 1, keep_sums=True), ()),
    "SG405": (lambda b: _sangong(b, "因公出国@2025年预算数", 1, keep_sums=True), ()),
    "SG406": (lambda b: _sangong(b, "公务用车购置@2025年预算数", 1, keep_sums=True), ()),
    "JY701": (lambda b: b.say("机关运行经费安排50.00万元", "机关运行经费安排60.00万元"), ()),
    "JY702": (lambda b: b.say("机关运行经费安排50.00万元。", "机关运行经费安排50.00万元，比上年增加10.00万元，增长20.00%。"), ()),
    "JY703": (lambda b: b.say("2025年本部门机关运行经费安排50.00万元。", "机关运行经费指行政单位用于购买货物和服务的各项资金。"), ()),
    "WB607": (lambda b: b.say("2025年政府采购预算20.00万元，", "2025年政府采购预算20.00万元，比上年增加5.00万元，增长25.00%，"), ()),
    "WZ801": (lambda b: _empty(b, "国有资本经营支出表"), ()),
    "WZ802": (lambda b: _drop_rows(b, "支出总表", ("行政运行", "一般行政管理事务")), ()),
    "WZ803": (lambda b: _drop_rows(b, "基本支出表", ("基本工资", "机关事业单位基本养老保险缴费")), ()),
    "WZ804": (lambda b: b.add_paragraph("XX部门按规定公开。"), ()),
    "WZ805": (lambda b: setattr(b, "unit", "元") or b, ()),
    "WZ806": (lambda b: b.row("支出总表", "行政运行").pop("项") and b, ()),
    "WZ807": (lambda b: b, ("@hide", "政府采购表")),
    "WZ808": (lambda b: b, ("@duplicate", "政府采购表")),
    "RD001": (lambda b: _text(b, "支出总表", "行政运行", "合计", "一百"), ()),
    "RD002": (lambda b: b, ("项目支出表",)),
    "RD003": (lambda b: _missing(b, "支出总表"), ()),
}


def _sangong(b: Book, key: str, delta: float = 10, keep_sums: bool = False) -> Book:
    """Change one 三公 figure; with keep_sums, also its 小计 and 合计 so the table stays consistent."""
    row = b.tables["三公经费表"][0]
    row[key] = (row.get(key) or 0) + delta
    if keep_sums:
        year = key.split("@")[1]
        if key.startswith(("公务用车购置@", "公务用车运行@")):
            row[f"公务用车小计@{year}"] += delta
        row[f"合计@{year}"] += delta
    return b


def _empty(b: Book, kind: str) -> Book:
    b.tables[kind] = []
    return b


def _drop_rows(b: Book, kind: str, labels: tuple[str, ...]) -> Book:
    b.tables[kind] = [r for r in b.tables[kind] if not ({r.get("名称"), r.get("部门经济分类名称")} & set(labels))]
    return b


def _text(b: Book, kind: str, label: str, key: str, text: str) -> Book:
    b.row(kind, label)[key] = text
    return b


def _missing(b: Book, kind: str) -> Book:
    b.missing.add(kind)
    return b


@pytest.fixture(scope="module")
def base_path(tmp_path_factory) -> Path:
    return Book().save(tmp_path_factory.mktemp("base") / "base.xlsx")


@pytest.fixture(scope="module")
def base_report(base_path):
    return validate_file(base_path)


def test_every_rule_has_a_break():
    covered = set(BREAKS)
    try:
        from test_rules_final import FINAL_BREAKS  # the 决算/Jilin formats' rules
    except ImportError:
        FINAL_BREAKS = {}
    from test_rules_jilin import JILIN_BREAKS  # the 吉林 预算表1–9 rules (JL9xx)
    from test_published import PUBLISHED_BREAKS  # the published-text rules (WB610–614, WZ810–813)

    from validators.rules import get_rule

    codes = covered | set(FINAL_BREAKS) | set(JILIN_BREAKS) | set(PUBLISHED_BREAKS)  # old codes (JS501) stand for the code that checks them now
    assert {r.code for r in all_rules()} == {get_rule(c).code for c in codes}


def test_base_workbook_passes_every_rule(base_report):
    assert base_report.error is None
    assert base_report.findings == [], [f.message for f in base_report.findings]


@pytest.mark.parametrize("code", sorted(BREAKS))
def test_rule_fails_on_its_broken_workbook(code, tmp_path):
    rule = get_rule(code)
    breaker, drop = BREAKS[code]
    path = breaker(Book()).save(tmp_path / f"{code}.xlsx", drop=drop)
    report = validate_file(path)
    assert report.error is None
    mine = [f for f in report.findings if f.code == code]
    assert mine, f"{code} did not fire; got {[f.code for f in report.findings]}"
    assert all(f.severity is rule.severity for f in mine)
    for f in mine:
        assert f.message and f.rule_name == rule.name
        if f.severity is Severity.ERROR:
            assert f.cells, "an error names the cells involved"
            if f.expected is not None:
                assert f.difference is not None and f.difference != 0


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
