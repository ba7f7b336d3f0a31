"""公开文本 rules (validators/rules/published.py): quiet on every clean document we hold (the five
sample workbooks and the three 普陀 reference PDFs), and each fires when a real paragraph, table or
目录 is edited the way a careless publisher would."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from builders import Book

from validators.engine import validate_file
from validators.model import CellRef, Disclosure, Paragraph, Severity
from validators.reading import read_workbook
from validators.rules import all_rules, get_rule, run_rules

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "workbooks" / "samples"
REFERENCES = ROOT.parent / "shared" / "references"
FINAL_PDF = "shanghai-putuo-finance-bureau-2024-final-accounts.pdf"
REFERENCE_PDFS = [
    (FINAL_PDF, "决算", 2024),
    ("shanghai-putuo-govoffice-2025-department-budget.pdf", "预算", 2025),
    ("shanghai-putuo-govoffice-2025-unit-budget.pdf", "预算", 2025),
]
MINE = sorted(r.code for r in all_rules() if r.family == "公开文本")


# ---- paragraphs from the reference PDFs (a stand-in for the PDF reader: pdftotext -layout) ----------

_HEAD = re.compile(r"^(第[一二三四五六七八九十]+部分|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.．、])")
_PART = re.compile(r"^第[一二三四五六七八九十]+部分")


def pdf_disclosure(name: str, kind: str, year: int) -> Disclosure:
    """The narrative of a reference PDF as paragraphs with page numbers (CellRef sheet “第N页”, row =
    line), its 目录 in ``contents``; pages that print a 单位： line hold tables and are left out."""
    if shutil.which("pdftotext") is None or not (REFERENCES / name).exists():
        pytest.skip("pdftotext or the reference PDFs are not available")
    text = subprocess.run(["pdftotext", "-layout", str(REFERENCES / name), "-"], capture_output=True, text=True, check=True).stdout
    d = Disclosure(source=name, kind=kind, year=year)
    section, in_contents = "", False
    for page_no, page in enumerate(text.split("\f"), 1):
        if re.search(r"单位[:：]\s*(万元|元)", page):
            continue
        buf: list[str] = []
        start = 0

        def flush() -> None:
            if buf:
                d.narrative.append(Paragraph("".join(buf), CellRef(f"第{page_no}页", start, 0), section))
                buf.clear()

        for i, line in enumerate(page.splitlines()):
            s = line.strip()
            if re.fullmatch(r"目\s*录", s):
                flush()
                in_contents, section = True, "目录"
                continue
            if not s:
                flush()
                continue
            if in_contents:
                if "…" in s or _HEAD.match(s):
                    d.contents.append(s)
                    d.narrative.append(Paragraph(s, CellRef(f"第{page_no}页", i, 0), "目录"))
                    continue
                in_contents, section = False, ""
            if _HEAD.match(s) or len(line) - len(line.lstrip(" ")) >= 2:
                flush()
                if _PART.match(s):
                    section = s
            if not buf:
                start = i
            buf.append(s)
        flush()
    return d


@pytest.fixture(scope="module")
def final_pdf() -> Disclosure:
    return pdf_disclosure(FINAL_PDF, "决算", 2024)


def edited(d: Disclosure, old: str, new: str) -> Disclosure:
    """A copy of ``d`` with ``old`` replaced by ``new`` in the one paragraph that contains it."""
    out = copy.deepcopy(d)
    out.cache.clear()
    out.clear_views()
    hits = [p for p in out.narrative if old in p.text]
    assert len(hits) == 1, f"{old!r} is in {len(hits)} paragraphs"
    hits[0].text = hits[0].text.replace(old, new)
    return out


def mine(d: Disclosure, code: str | None = None):
    d.clear_views()  # derived views (statements, headings) are computed once per disclosure
    return [f for f in run_rules(d, select=[code] if code else MINE) if f.code in MINE]


def edit_sample(tmp_path: Path, sample: str, old: str, new: str) -> tuple[Path, CellRef]:
    """Copy of a sample workbook with ``old`` replaced by ``new`` in the 情况说明 cell holding it."""
    d = read_workbook(SAMPLES / sample)
    hits = [p for p in d.narrative if old in p.text]
    assert len(hits) == 1, f"{old!r} is in {len(hits)} paragraphs"
    ref = hits[0].ref
    wb = openpyxl.load_workbook(SAMPLES / sample)
    cell = wb[ref.sheet].cell(ref.row + 1, ref.col + 1)
    cell.value = cell.value.replace(old, new)
    path = tmp_path / sample
    wb.save(path)
    return path, ref


# ---- one break of the base book per rule (the shape of tests/test_rules.py BREAKS) ------------------

def _zero_grand_total(b: Book) -> Book:
    b.row("收支总表", "收入总计")["合计@收入"] = 0
    b.row("收支总表", "支出总计")["合计@支出"] = 0
    return b


def _blank_sangong(b: Book) -> Book:
    b.tables["三公经费表"] = [{k: None for k in b.tables["三公经费表"][0]}]
    return b


def _part(title: str, text: str):
    def add(b: Book) -> Book:
        b.narrative.append((title, text))
        return b
    return add


PAIR = "一般公共预算财政拨款支出年初预算为10.00万元，支出决算为9.50万元。"
PUBLISHED_BREAKS = {
    "WB610": (lambda b: b.add_paragraph("截至2022年12月31日，本部门共有车辆2辆。"), ()),
    "WB611": (lambda b: b.add_paragraph("2025年收支预算比上年增加（减少）12.00万元。"), ()),
    "WB612": (_part("第三部分 XX局2025年部门预算情况和重要事项说明", "本部门2025年没有新增资产。"), ()),
    "WB613": (lambda b: b.add_paragraph(PAIR + "决算数与预算数持平。"), ()),
    "WB614": (lambda b: b.add_paragraph(PAIR), ()),
    "WZ810": (_zero_grand_total, ()),
    "WZ811": (_part("目录", "十二、政府采购预算情况表 ……………… 18"), ("政府采购表",)),
    "WZ812": (_blank_sangong, ()),
    "WZ813": (lambda b: b.add_paragraph("2025年本年收入合计680.00万元，收入支出总计600.00万元。"), ()),
}


@pytest.mark.parametrize("code", sorted(PUBLISHED_BREAKS))
def test_rule_fails_on_its_broken_book(code, tmp_path):
    breaker, drop = PUBLISHED_BREAKS[code]
    report = validate_file(breaker(Book()).save(tmp_path / f"{code}.xlsx", drop=drop))
    assert report.error is None
    found = [f for f in report.findings if f.code == code]
    assert found, f"{code} did not fire; got {[f.code for f in report.findings]}"
    assert all(f.severity is get_rule(code).severity for f in found)


def test_every_published_rule_has_a_break():
    assert sorted(PUBLISHED_BREAKS) == MINE


# ---- clean documents --------------------------------------------------------------------------

def test_the_family_is_registered():
    assert MINE == ["WB610", "WB611", "WB612", "WB613", "WB614", "WZ810", "WZ811", "WZ812", "WZ813"]


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.xlsx")))
def test_quiet_on_the_sample_workbooks(sample):
    report = validate_file(SAMPLES / sample)
    assert report.error is None
    assert [f.message for f in report.findings if f.code in MINE] == []


# the real mistakes of the 普陀财政局 2024 决算 that these rules can see, verified by hand: page 21 says
# “财政拨款收入支出总计0.3万元” beside “一般公共预算财政拨款支出2940.05万元” (the 总计 cannot be smaller)
REAL_MISTAKES = {FINAL_PDF: [("WZ813", "财政拨款收入支出总计0.3万元")]}


@pytest.mark.parametrize("name,kind,year", REFERENCE_PDFS)
def test_quiet_on_the_reference_pdfs_but_for_their_real_mistakes(name, kind, year):
    d = pdf_disclosure(name, kind, year)
    assert len(d.narrative) > 100 and d.contents  # the paragraphs and the 目录 were read
    found = mine(d)
    expected = REAL_MISTAKES.get(name, [])
    assert [f.code for f in found] == [code for code, _ in expected]
    for f, (_, words) in zip(found, expected):
        assert words in f.message and f.severity is Severity.ERROR and f.cells[0].sheet == "第21页"


def test_reference_pdfs_hold_what_the_rules_must_not_cry_wolf_on(final_pdf):
    text = "\n".join(p.text for p in final_pdf.narrative)
    for phrase in ("与2023年度相比", "截至2024年12月31日", "决算数与预算数基本持平", "决算数小于预算数的主要原因"):
        assert phrase in text
    yantai = "\n".join(p.text for p in read_workbook(SAMPLES / "yantai-2024-budget.xlsx").narrative)
    assert "收支预算增加（减少）的主要原因" in yantai  # a heading covering both directions: not a leftover
    yanbian = "\n".join(p.text for p in read_workbook(SAMPLES / "yanbian-2024-budget.xlsx").narrative)
    assert "截止 2023 年 10 月 31 日" in yanbian  # a 2024 budget counts vehicles as compiled in 2023


def test_the_blank_template_is_reported_as_unedited():
    d = pdf_disclosure("shanghai-2024-final-accounts-template.pdf", "决算", 2024)
    found = mine(d)
    phrases = {re.search(r"模板用语“(.+?)”", f.message).group(1) for f in found if f.code == "WB611"}
    assert {"增加（减少）", "增长（下降）", "大于（小于）", "（如持平作持平表述）"} <= phrases
    assert all(f.severity is Severity.ERROR for f in found)
    # headings and the 目录 read as paragraphs are WZ804's (提示); read into Disclosure.contents only, WB612's
    assert any(f.code == "WZ804" and f.cells[0].sheet == "第1页" for f in run_rules(d))
    d.narrative = [p for p in d.narrative if p.section != "目录"]
    assert any(f.code == "WB612" and "目录" in f.message and "XX" in f.message for f in mine(d, "WB612"))


# ---- WB610 years --------------------------------------------------------------------------------

def test_wb610_an_as_of_date_of_the_previous_year_in_a_final_account(tmp_path):
    path, ref = edit_sample(tmp_path, "weihai-2024-final-accounts.xlsx", "截至2024年12月31日", "截至2023年12月31日")
    found = [f for f in validate_file(path).findings if f.code == "WB610"]
    assert [(f.severity, f.cells) for f in found] == [(Severity.ERROR, [ref])]
    assert "截至2023年12月31日" in found[0].message


def test_wb610_a_heading_with_another_year(final_pdf):
    d = edited(final_pdf, "十一、其他重要事项的情况说明", "十一、其他重要事项的情况说明（2023年度）")
    found = mine(d, "WB610")
    assert len(found) == 1 and "2023" in found[0].message and found[0].severity is Severity.ERROR


@pytest.mark.parametrize("text", [
    "（一）与2023年度相比",
    "一、根据《关于做好2025年部门决算公开的通知》〔2024〕3号",
    "二、沪财预【2017】89号",
    "三、支出决算2023.50万元",
    "截至2025年6月30日，已完成整改的问题0个。",
    "截至2024年末，本部门共有车辆0辆。",
])
def test_wb610_quiet_on_comparisons_document_numbers_amounts_and_later_dates(final_pdf, text):
    d = copy.deepcopy(final_pdf)
    d.narrative.append(Paragraph(text, CellRef("第30页", 0, 0), ""))
    assert mine(d, "WB610") == []


def test_wb610_a_budget_counts_as_compiled_but_not_two_years_back():
    d = pdf_disclosure("shanghai-putuo-govoffice-2025-department-budget.pdf", "预算", 2025)
    d.narrative.append(Paragraph("截至2024年10月31日，本部门共有车辆1辆。", CellRef("第30页", 0, 0), ""))
    assert mine(d, "WB610") == []
    d.narrative.append(Paragraph("截至2023年12月31日，本部门共有车辆1辆。", CellRef("第30页", 1, 0), ""))
    assert [f.cells for f in mine(d, "WB610")] == [[CellRef("第30页", 1, 0)]]
    d.narrative.append(Paragraph("四、2024年部门预算执行情况", CellRef("第30页", 2, 0), ""))  # reports on the year before
    assert len(mine(d, "WB610")) == 1
    d.narrative.append(Paragraph("五、2024年部门预算编制说明", CellRef("第30页", 3, 0), ""))
    assert {f.cells[0] for f in mine(d, "WB610")} == {CellRef("第30页", 1, 0), CellRef("第30页", 3, 0)}


def test_wb610_unknown_year_is_unverifiable(final_pdf):
    d = copy.deepcopy(final_pdf)
    d.year = None
    assert [f.severity for f in mine(d, "WB610")] == [Severity.UNVERIFIABLE]


# ---- WB611 / WB612 template text --------------------------------------------------------------------

def test_wb611_a_choice_phrase_left_before_a_number(final_pdf):
    d = edited(final_pdf, "收入支出总计减少56.95万元，下降1.87%", "收入支出总计增加（减少）56.95万元，增长（下降）1.87%")
    found = mine(d, "WB611")
    assert len(found) == 2 and {f.severity for f in found} == {Severity.ERROR}
    d = edited(final_pdf, "决算数小于预算数的主要原因：因产业政策", "决算数大于（小于）预算数的主要原因：因产业政策")
    assert len(mine(d, "WB611")) == 1
    d = edited(final_pdf, "比2023年度增加2.55万元", "比2023年度（增加/减少）2.55万元")
    assert len(mine(d, "WB611")) == 1


def test_wb612_placeholder_in_a_part_title(tmp_path):
    b = Book()
    b.narrative.append(("第三部分 XX局2025年部门预算情况和重要事项说明", "本部门2025年没有新增资产。"))
    found = [f for f in validate_file(b.save(tmp_path / "wb612.xlsx")).findings if f.code == "WB612"]
    assert len(found) == 1 and "XX" in found[0].message and found[0].severity is Severity.ERROR


@pytest.mark.parametrize("placeholder", ["截至__年12月31日", "截至202X年12月31日", "截至2024年X月X日"])
def test_wb612_date_placeholders_in_the_narrative(final_pdf, placeholder):
    d = edited(final_pdf, "截至2024年12月31日", placeholder)
    found = mine(d, "WB612")
    assert len(found) == 1 and found[0].cells[0].sheet == "第24页"


# ---- WB613 / WB614 决算 against 预算 ---------------------------------------------------------------

ITEM2 = "年初预算为 10.00 万元，支出决算为10.00万元。决算数与预算数基本持平。"


def test_wb613_level_stated_for_a_pair_that_differs(final_pdf):
    d = edited(final_pdf, ITEM2, "年初预算为 10.00 万元，支出决算为9.50万元。决算数与预算数基本持平。")
    found = mine(d, "WB613")
    assert [f.severity for f in found] == [Severity.WARNING]  # 基本持平: needs an explanation
    assert found[0].difference == pytest.approx(-0.5)
    d = edited(final_pdf, ITEM2, "年初预算为 10.00 万元，支出决算为9.50万元。决算数与预算数持平。")
    assert [f.severity for f in mine(d, "WB613")] == [Severity.ERROR]
    d = edited(final_pdf, ITEM2, "年初预算为 10.00 万元，支出决算为10.004万元。决算数与预算数持平。")
    assert mine(d, "WB613") == []  # inside the rounding envelope of the printed pair


REASON3 = "决算数小于预算数的主要原因：因产业政策扶持资金管理系统项目进度，调减相关经费。"


def test_wb614_a_difference_without_a_reason(final_pdf):
    d = edited(final_pdf, REASON3, "")
    found = mine(d, "WB614")
    assert len(found) == 1 and found[0].severity is Severity.WARNING and "135.25" in found[0].message
    d = edited(final_pdf, REASON3, "决算数小于预算数的主要原因：XXXXXXXX。")
    assert ["原因为空" in f.message for f in mine(d, "WB614")] == [True]


def test_wb614_reason_on_the_next_row_counts():
    d = read_workbook(SAMPLES / "weihai-2024-final-accounts.xlsx")
    cut = [i for i, p in enumerate(d.narrative) if p.text.rstrip().endswith("决算数大")]
    assert cut and d.narrative[cut[0] + 1].text.startswith("于年初预算数,主要原因是")
    assert mine(d, "WB614") == []


# ---- WZ810 zero 收支总计 --------------------------------------------------------------------------

def test_wz810_grand_total_of_zero_beside_tables_with_amounts(tmp_path):
    b = Book()
    for label, key in (("收入总计", "合计@收入"), ("支出总计", "合计@支出")):
        row = b.row("收支总表", label)
        row[key] = 0
    report = validate_file(b.save(tmp_path / "wz810.xlsx"))
    found = [f for f in report.findings if f.code == "WZ810"]
    assert len(found) == 1 and found[0].table == "收支总表" and len(found[0].cells) == 2
    assert found[0].severity is Severity.ERROR


def test_wz810_a_zero_total_stated_beside_tables_with_amounts(tmp_path):
    b = Book().add_paragraph("2025年本部门收入支出总计0万元。")
    found = [f for f in validate_file(b.save(tmp_path / "wz810n.xlsx")).findings if f.code == "WZ810"]
    assert len(found) == 1 and "收入支出总计0万元" in found[0].message


def test_wz810_quiet_on_the_base_book(tmp_path):
    report = validate_file(Book().save(tmp_path / "base.xlsx"))
    assert [f for f in report.findings if f.code in MINE] == []


# ---- WZ813 a stated 收支总计 below its parts --------------------------------------------------------

def test_wz813_the_real_total_of_putuo_and_its_corrections(final_pdf):
    assert [f.code for f in mine(final_pdf, "WZ813")] == ["WZ813"]
    assert mine(edited(final_pdf, "财政拨款收入支出总计0.3万元", "财政拨款收入支出总计2989.19万元"), "WZ813") == []
    d = edited(edited(final_pdf, "财政拨款收入支出总计0.3万元", "财政拨款收入支出总计2989.19万元"),
               "收入支出总计2995.39万元", "收入支出总计2905.39万元")
    found = mine(d, "WZ813")
    assert len(found) == 1 and "2989.19" in found[0].message  # below the 财政拨款 total it contains
    d = edited(edited(final_pdf, "财政拨款收入支出总计0.3万元", "财政拨款收入支出总计2.19万元"),
               "收入支出总计2995.39万元", "收入支出总计2905.39万元")
    found = mine(d, "WZ813")  # both totals now fall short: 2905.39 of 本年收入合计 2946.25, 2.19 of 2940.05
    assert len(found) == 2 and "2905.39" in found[0].message + found[1].message and "2.19" in found[0].message + found[1].message


# ---- WZ811 目录 --------------------------------------------------------------------------------

def test_wz811_contents_against_the_tables(final_pdf):
    d = read_workbook(SAMPLES / "weihai-2024-final-accounts.xlsx")  # the same nine 决算 tables
    d.contents = list(final_pdf.contents)
    assert mine(d, "WZ811") == []
    d.tables.pop("三公经费表")
    found = mine(d, "WZ811")
    assert [(f.severity, f.table) for f in found] == [(Severity.ERROR, "三公经费表")]
    assert "七、财政拨款“三公”经费支出决算表" in found[0].message
    d.contents.append("十、部门项目绩效目标表 ………… 30")
    assert Severity.UNVERIFIABLE in [f.severity for f in mine(d, "WZ811")]


SEED_SAMPLES = {"000": "yantai-2024-budget", "002": "weihai-2024-final-accounts", "004": "zibo-2024-budget"}


@pytest.mark.parametrize("seed", sorted(SEED_SAMPLES))
def test_wz811_quiet_on_the_seeds_contents_against_their_samples(seed):
    found = sorted((ROOT.parent / "shared" / "seeds").glob(f"{seed}_*.txt"))
    if not found:
        pytest.skip("seeds not available")
    lines = [line.strip() for line in found[0].read_text(encoding="utf-8").splitlines()]
    start = next(i for i, line in enumerate(lines) if re.fullmatch(r"目\s*录", line))
    contents: list[str] = []
    for line in filter(None, lines[start + 1:start + 80]):
        if line.startswith("第一部分") and any(re.match(r"^第[二三四]部分", c) for c in contents):
            break
        contents.append(line.lstrip("- "))
    d = read_workbook(SAMPLES / f"{SEED_SAMPLES[seed]}.xlsx")
    d.contents = contents
    assert sum(c.endswith("表") for c in contents) >= 9
    assert mine(d, "WZ811") == []


def test_wz811_contents_from_a_section_named_mulu():
    d = read_workbook(SAMPLES / "weihai-2024-final-accounts.xlsx")
    d.tables.pop("政府性基金收支决算表")
    d.narrative.insert(0, Paragraph("一、收入支出决算总表\n七、政府性基金预算财政拨款收入支出决算表 …… 12", CellRef("目录", 1, 0), "目录"))
    found = mine(d, "WZ811")
    assert [f.cells for f in found] == [[CellRef("目录", 1, 0)]]


# ---- WZ812 blank table, figures stated ---------------------------------------------------------

def test_wz812_blank_sangong_table_while_the_narrative_states_its_figures(tmp_path):
    b = Book()
    b.tables["三公经费表"] = [{k: None for k in b.tables["三公经费表"][0]}]
    found = [f for f in validate_file(b.save(tmp_path / "wz812.xlsx")).findings if f.code == "WZ812"]
    assert len(found) == 1 and found[0].table == "三公经费表" and "15.00" in found[0].message
    assert found[0].severity is Severity.ERROR


def test_wz812_quiet_on_another_years_figure(tmp_path):
    b = _blank_sangong(Book())
    b.say("2025年通过一般公共预算财政拨款安排的“三公”经费预算共15.00万元", "2025年不安排“三公”经费预算，2024年“三公”经费预算15.00万元")
    b.narrative = [(s, t) for s, t in b.narrative if not re.match(r"^[123]\. ", t)]  # the items of the 三公 paragraph
    found = [f for f in validate_file(b.save(tmp_path / "wz812q.xlsx")).findings if f.code == "WZ812"]
    assert found == []


def test_wz812_basic_expenditure_of_other_funds_is_not_the_general_budget_tables(tmp_path):
    b = Book()
    b.tables["一般公共预算基本支出表"] = [{k: None for k in row} for row in b.tables["一般公共预算基本支出表"]]
    assert any("基本支出400.00万元" in t for _, t in b.narrative)  # 基本支出 of all funds: not this table's
    report = validate_file(b.save(tmp_path / "wz812b.xlsx"))
    assert [f for f in report.findings if f.code == "WZ812"] == []
    b.add_paragraph("2025年一般公共预算基本支出400.00万元。")
    report = validate_file(b.save(tmp_path / "wz812c.xlsx"))
    assert [f.table for f in report.findings if f.code == "WZ812"] == ["一般公共预算基本支出表"]


def test_every_published_rule_has_a_test_here():
    here = Path(__file__).read_text(encoding="utf-8")
    for code in MINE:
        assert f"def test_{code.lower()}_" in here, code
        assert get_rule(code).doc_part("错误示例")
