"""The PDF door on the three real 上海市普陀区 PDFs (../shared/references): reading, validating,
importing and marking, and bad PDFs (image-only, encrypted, truncated) made here."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from collections import Counter
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pytest

from validators import cli
from validators.engine import validate_file
from validators.model import Severity
from validators.reading.pdf import NARRATIVE_SHEET, COVER_SHEET, is_pdf, read_pdf, read_pdf_disclosure
from validators.reading.pdf.locate import PdfRef

REFS = Path(__file__).resolve().parent.parent.parent / "shared" / "references"
FINAL = REFS / "shanghai-putuo-finance-bureau-2024-final-accounts.pdf"
BUDGET = REFS / "shanghai-putuo-govoffice-2025-department-budget.pdf"
UNIT = REFS / "shanghai-putuo-govoffice-2025-unit-budget.pdf"
ALL = [FINAL, BUDGET, UNIT]

pytestmark = pytest.mark.skipif(not FINAL.exists(), reason=f"reference PDFs not available at {REFS}")


@lru_cache(maxsize=None)
def report(path: Path):
    return validate_file(path)


@lru_cache(maxsize=None)
def imported(path: Path, out: Path) -> Path:
    book = out / (path.stem + ".xlsx")
    assert cli.main(["import", str(path), "-o", str(book), "--force"]) == 0
    return book


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pdf")


# ---- reading -------------------------------------------------------------------------------------


def test_final_accounts_reads_all_nine_tables_with_codes_and_totals():
    d = read_pdf_disclosure(FINAL)
    assert (d.kind, d.year, d.department, d.unit, d.profile) == ("决算", 2024, "上海市普陀区财政局", "万元", "final-accounts")
    assert len(list(d.all_tables())) == 9
    income = d.table("收入决算表")
    # 类/款/项 in three columns, continued on the next page, 合计 printed in the row of the 类/款/项 labels
    assert income.by_code()["2080505"].label == "机关事业单位基本养老保险缴费支出"  # wrapped name rejoined
    assert income.by_code()["2210203"].values["合计"].amount == Decimal("258.50")  # row on the next page
    assert income.total_row().values["合计"].amount == Decimal("2946.25")
    summary = d.table("收支决算总表")
    assert summary.line("总计", "支出").values["合计"].amount == Decimal("2995.39")  # lines on page 7
    basic = d.table("一般公共预算基本支出决算表")  # side-by-side blocks, 类 | 款 merged into one code
    by_code = {r.econ_dept: r for r in basic.data_rows() if r.econ_dept}
    assert by_code["30239"].values["合计"].amount == Decimal("48.49")
    assert by_code["30212"].label == "因公出国(境)费用"  # letter-spaced “因 公 出 国 （ 境 ） 费 / 用” closed up
    totals = {r.label: r.values["合计"].amount for r in basic.rows if r.label.endswith("经费合计")}
    assert totals == {"人员经费合计": Decimal("2152.26"), "公用经费合计": Decimal("184.65")}
    sangong = d.table("三公经费表")  # 预算数 | 决算数 printed under each item
    assert sangong.rows[0].values["合计@预算数"].amount == Decimal("0.95")
    assert sangong.rows[0].values["公务接待@决算数"].blank


def test_digits_printed_below_the_cjk_line_stay_in_their_sentence():
    d = read_pdf_disclosure(FINAL)
    texts = [p.text for p in d.narrative]
    assert any("收入支出总计2995.39万元。与2023年度相比，收入支出总计减少56.95万元，下降1.87%" in t for t in texts)
    assert any("年初预算为62.29万元，支出决算为60.99万元" in t for t in texts)  # digits 7.8 pt below
    assert not any(t.startswith("目录") for t in texts)
    assert "九、国有资本经营预算财政拨款收入支出决算表" in d.contents  # the 目录, kept for the 目录 check
    sections = {p.section for p in d.narrative}
    assert any("名词解释" in s for s in sections) and any("情况说明" in s for s in sections)


def test_notes_under_empty_tables_belong_to_their_table():
    d = read_pdf_disclosure(FINAL)
    assert "本表无数据" in (d.table("政府性基金收支决算表").note or "")


def test_budget_tables_in_yuan_and_the_sangong_table_in_wan_are_one_unit():
    d = read_pdf_disclosure(BUDGET)
    assert (d.kind, d.year, d.unit, d.profile) == ("预算", 2025, "元", "shanghai-budget")
    assert {t.kind for t in d.all_tables()} == {
        "收支总表", "收入总表", "支出总表", "财政拨款收支总表", "一般公共预算支出表", "政府性基金支出表",
        "国有资本经营支出表", "一般公共预算基本支出表", "三公经费表",
    }
    sangong = d.table("三公经费表")
    reception = sangong.rows[0].values["公务接待@2025年预算数"]
    assert (reception.raw, reception.amount, reception.half_ulp) == ("28.50", Decimal("285000.00"), Decimal("50.000"))
    assert sangong.unit == "万元"  # as printed; its amounts are read into the disclosure's 元 (above)
    spending = d.table("一般公共预算支出表")  # continued on page 15 under a repeated header
    assert spending.by_code()["2210203"].values["合计"].amount == Decimal("1867680.00")
    assert sum(1 for r in spending.rows if r.code == "201") == 1
    assert read_pdf_disclosure(UNIT).profile == "shanghai-unit-budget"


def test_the_blank_shanghai_template_reads_its_headers_and_cries_no_error():
    template = REFS / "shanghai-2024-final-accounts-template.pdf"
    d = read_pdf_disclosure(template)
    assert len(list(d.all_tables())) == 9
    for kind in ("收入决算表", "支出决算表", "政府性基金收支决算表"):  # one 功能分类科目编码 column; 合计 beside sub-headers
        keys = d.table(kind).keys()
        assert keys[:2] == ["科目编码", "名称"], (kind, keys)
    fund = d.table("政府性基金收支决算表")
    assert fund.keys()[2:] == ["年初结转和结余", "本年收入", "合计", "基本支出", "项目支出", "年末结转和结余"]
    assert fund.total_row() is not None
    errors = [f for f in validate_file(template).findings if f.severity is Severity.ERROR]
    # the template's own placeholders (上海市XX局, 20XX年) are what WB610–612 exist to find; nothing else is 错误
    assert errors and {f.code for f in errors} <= {"WB610", "WB611", "WB612"}, [(f.code, f.message) for f in errors]


def _pdftotext_amounts(path: Path, pages: set[int]) -> Counter:
    found: Counter = Counter()
    for page in sorted(pages):
        text = subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(path), "-"],
                              capture_output=True, check=True).stdout.decode("utf-8")
        for token in re.findall(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])|(?<![\d.,])\d+\.\d+(?![\d.])", text):
            found[Decimal(token.replace(",", ""))] += 1
    return found


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_import_writes_every_printed_amount_exactly_once(path, out_dir):
    from openpyxl import load_workbook

    read = read_pdf(path)
    table_pages = {w.page for (sheet, _r, _c), w in read.where.items() if sheet not in (NARRATIVE_SHEET, COVER_SHEET)}
    expected = _pdftotext_amounts(path, table_pages)
    wb = load_workbook(imported(path, out_dir), read_only=True)
    got: Counter = Counter()
    for ws in wb.worksheets:
        if ws.title in (NARRATIVE_SHEET, COVER_SHEET):
            continue
        for row in ws.iter_rows(values_only=True):
            for v in row:
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    got[Decimal(repr(v)).quantize(Decimal("0.01"))] += 1
    expected = Counter({k.quantize(Decimal("0.01")): n for k, n in expected.items()})
    assert sum(expected.values()) > 100
    assert got == expected


# ---- validating ----------------------------------------------------------------------------------


def test_final_accounts_real_mistakes_and_no_other_errors():
    errors = [f for f in report(FINAL).findings if f.severity is Severity.ERROR]
    assert sorted(f.code for f in errors) == ["WB601", "WB605"]
    total = next(f for f in errors if f.code == "WB601")  # 财政拨款收入支出总计 0.3 万元 (table: 2,961.68)
    assert "财政拨款收入支出总计0.3万元" in total.message and total.expected == Decimal("2961.68")
    share = next(f for f in errors if f.code == "WB605")  # 一般公共服务支出 2106.66 ÷ 2940.05 = 71.65%, not 71.73%
    assert share.actual == Decimal("71.73") and share.expected == Decimal("71.65")


@pytest.mark.parametrize("path", [BUDGET, UNIT], ids=lambda p: p.stem)
def test_budgets_have_no_errors(path):
    r = report(path)
    assert r.error is None
    assert [f for f in r.findings if f.severity is Severity.ERROR] == []
    # the narrative (万元) is compared with the 元 tables: 支出预算9,101.68万元 = 91,016,775.35 元
    assert not any(f.code == "WB601" and f.severity is not Severity.ROUNDING for f in r.findings)


def test_findings_name_page_and_row_label():
    total = next(f for f in report(FINAL).findings if f.code == "WB601" and f.severity is Severity.ERROR)
    assert isinstance(total.cells[0], PdfRef) and str(total.cells[0]).startswith("第21页 情况说明")
    related = str(total.related_cells[0])
    assert related.startswith("第13页 财政拨款收入支出决算总表“总计”行")


def test_imported_workbook_gives_the_same_findings(out_dir):
    for path in ALL:
        from_pdf = sorted((f.code, f.severity.value, f.message) for f in report(path).findings)
        from_book = sorted((f.code, f.severity.value, f.message) for f in validate_file(imported(path, out_dir)).findings)
        assert from_pdf == from_book, path.name
    book = validate_file(imported(FINAL, out_dir))
    total = next(f for f in book.findings if f.code == "WB601" and f.severity is Severity.ERROR)
    assert str(total.cells[0]).startswith("情况说明!B")  # a workbook cell once imported


# ---- the CLI -------------------------------------------------------------------------------------


def test_cli_validate_text_names_pages_and_exits_1_on_errors(capsys):
    assert cli.main(["validate", str(FINAL), "--no-rounding"]) == 1
    out = capsys.readouterr().out
    assert "[错误] WB601 第21页 情况说明" in out and "相关单元格：第13页" in out


def test_a_pdf_is_recognised_by_its_header_not_its_name(tmp_path):
    disguised = tmp_path / "budget.dat"
    shutil.copyfile(BUDGET, disguised)
    assert is_pdf(disguised) and not is_pdf(REFS / "README.md")
    r = validate_file(disguised)
    assert r.error is None and r.disclosure.profile == "shanghai-budget"


def test_folders_take_pdfs_beside_workbooks(tmp_path, capsys):
    shutil.copyfile(UNIT, tmp_path / "unit.pdf")
    shutil.copyfile(Path(__file__).resolve().parent.parent / "workbooks" / "samples" / "yantai-2024-budget.xlsx", tmp_path / "yt.xlsx")
    cli.main(["validate", str(tmp_path), "--format", "json", "-j", "1"])
    out = capsys.readouterr().out
    assert "unit.pdf" in out and "yt.xlsx" in out


def test_mark_writes_an_annotated_copy_and_leaves_the_pdf_alone(tmp_path):
    from pypdf import PdfReader

    src = tmp_path / "final.pdf"
    shutil.copyfile(FINAL, src)
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    assert cli.main(["validate", str(src), "--mark", "-j", "1"]) == 1
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before
    marked = PdfReader(str(tmp_path / "final.校验.pdf"))
    annots = [a.get_object() for a in marked.pages[20].get("/Annots", [])]
    kinds = Counter(str(a["/Subtype"]) for a in annots)
    assert kinds["/Highlight"] >= 2 and kinds["/Text"] >= 2
    note = next(str(a["/Contents"]) for a in annots if str(a["/Subtype"]) == "/Text" and "0.3万元" in str(a["/Contents"]))
    assert note.startswith("【错误】WB601")
    table_page = [a.get_object() for a in marked.pages[12].get("/Annots", [])]
    assert any(str(a["/Subtype"]) == "/Highlight" for a in table_page)  # the 总计 cell on page 13


def test_clear_on_a_pdf_says_it_does_not_apply(tmp_path, capsys):
    src = tmp_path / "b.pdf"
    shutil.copyfile(BUDGET, src)
    assert cli.main(["clear", str(src)]) == 0
    assert "PDF" in capsys.readouterr().out
    assert src.read_bytes() == BUDGET.read_bytes()


# ---- bad PDFs ------------------------------------------------------------------------------------


def _image_only_pdf(path: Path) -> None:
    """A one-page PDF whose only content is a (2×2 grey) image: what a scanner produces."""
    content = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 4 >>\nstream\n\x00\xff\xff\x00\nendstream",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))


def _encrypted_pdf(path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(str(UNIT)))
    writer.encrypt("secret", algorithm="RC4-128")  # RC4 needs no cryptography package
    with open(path, "wb") as fh:
        writer.write(fh)


def _truncated_pdf(path: Path) -> None:
    data = UNIT.read_bytes()
    path.write_bytes(data[: len(data) // 3])


@pytest.mark.parametrize("make, words", [
    (_image_only_pdf, "扫描件"),
    (_encrypted_pdf, "加密"),
    (_truncated_pdf, "损坏"),
], ids=["image-only", "encrypted", "truncated"])
def test_bad_pdfs_get_a_chinese_message_and_exit_2(tmp_path, capsys, make, words):
    bad = tmp_path / "bad.pdf"
    make(bad)
    assert cli.main(["validate", str(bad)]) == 2
    out = capsys.readouterr()
    assert words in out.out and "Traceback" not in out.out + out.err
    assert cli.main(["import", str(bad), "-o", str(tmp_path / "bad.xlsx")]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not (tmp_path / "bad.xlsx").exists()


# ---- line grouping (character dicts as pdfplumber gives them) -------------------------------------


def _chars(text: str, x: float, top: float, size: float, step: float | None = None) -> list[dict]:
    step = step or size
    return [{"text": ch, "x0": x + i * step, "x1": x + i * step + size * (0.5 if ch.isascii() else 1), "top": top,
             "bottom": top + size, "size": size, "upright": True} for i, ch in enumerate(text)]


def test_lines_keep_digits_printed_below_their_sentence_and_split_real_lines():
    from validators.reading.pdf.lines import group_lines

    chars = _chars("收入支出总计", 72, 183.1, 12) + _chars("2995.39", 144, 187.9, 12, step=6) + _chars("万元。", 186, 183.1, 12)
    chars += _chars("支出总计减少", 72, 197.0, 12) + _chars("56.95", 144, 201.9, 12, step=6)
    lines = group_lines(chars)
    assert [ln.text for ln in lines] == ["收入支出总计2995.39万元。", "支出总计减少56.95"]


def test_a_small_unit_line_under_a_large_title_is_its_own_line():
    from validators.reading.pdf.lines import group_lines
    from validators.reading.pdf.tables import caption

    lines = group_lines(_chars("收入支出决算总表", 200, 100, 18) + _chars("单位：万元", 480, 112, 10))
    assert [ln.text for ln in lines] == ["收入支出决算总表", "单位：万元"]
    cap = caption(lines)
    assert (cap.kind, cap.unit) == ("收支决算总表", "万元")
    same_line = caption(group_lines(_chars("支出决算表", 200, 100, 12) + _chars("单位：万元", 480, 100, 12)))
    assert (same_line.kind, same_line.title, same_line.unit) == ("支出决算表", "支出决算表", "万元")


def test_letter_spacing_closes_up():
    from validators.reading.pdf.lines import close_up

    assert close_up("因 公 出 国 （ 境 ） 费") == "因公出国（境）费"
    assert close_up("2024 年 1,234.56 万元") == "2024年1,234.56万元"


def test_running_headers_do_not_enter_the_narrative():
    from validators.reading.pdf import _without_running_lines
    from validators.reading.pdf.lines import Line

    lines = []
    for page in range(1, 5):
        lines.append((page, Line("上海市XX局2024年度部门决算", 72, 300, 40, 52, 10)))
        lines.append((page, Line(f"第{page}页的正文，收入支出总计2995.39万元。", 72, 500, 100, 112, 12)))
    kept = [ln.text for _, ln in _without_running_lines(lines)]
    assert kept == [f"第{p}页的正文，收入支出总计2995.39万元。" for p in range(1, 5)]


@pytest.mark.parametrize("texts, expected", [
    (["2024年延边朝鲜族自治州医疗保障局部门预算公开表"], ("", "2024", "部门预算")),  # a long name between year and 预算
    (["部门名称 延边朝鲜族自治州医疗保障局", "年度 2024", "公开类型 部门预算"], ("延边朝鲜族自治州医疗保障局", "2024", "部门预算")),
    (["单位名称：某某中心", "2025年度单位决算"], ("某某中心", "2025", "单位决算")),
])
def test_the_cover_page_gives_department_year_and_kind(texts, expected):
    from validators.reading.pdf import _cover_grid
    from validators.reading.pdf.lines import Line

    grid = _cover_grid([Line(t, 72, 400, 40 + 20 * i, 52 + 20 * i, 12) for i, t in enumerate(texts)], [])
    assert tuple(v for _k, v in grid.rows) == expected


# ---- a table printed by LibreOffice: one code column, no thousands separators, two pages -----------


def _print_to_pdf(books: list[Path], out: Path) -> list[Path]:
    """The books printed to PDF by LibreOffice (skips the test when it does not convert them)."""
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{out}/lo", "--convert-to", "pdf",
                    "--outdir", str(out), *map(str, books)], capture_output=True, timeout=300, check=False)
    pdfs = [out / f"{b.stem}.pdf" for b in books]
    if not all(p.exists() for p in pdfs):
        pytest.skip("LibreOffice did not convert the workbook")
    return pdfs


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_a_two_page_table_with_one_code_column_and_plain_amounts(tmp_path):
    import openpyxl
    from openpyxl.styles import Border, Side
    from openpyxl.worksheet.properties import PageSetupProperties

    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "一般公共预算财政拨款支出决算表"
    ws["E2"] = "单位：万元"
    items = [(f"2010{k}{i:02d}", f"事务{k}{i:02d}", Decimal(k * 100 + i) * Decimal("1.25"), Decimal(k * 100 + i))
             for k in range(1, 4) for i in range(1, 21)]
    rows = [["科目编码", "科目名称", "合计", "基本支出", "项目支出"]]
    rows.append(["", "合计", sum(a for *_, a, _b in items), sum(b for *_, b in items), sum(a - b for *_, a, b in items)])
    rows += [[code, name, a, b, a - b] for code, name, a, b in items]
    for r, row in enumerate(rows, 3):
        for c, v in enumerate(row, 1):
            cell = ws.cell(r, c, float(v) if isinstance(v, Decimal) else v)
            cell.border = box
            cell.number_format = "0.00"  # 9746.50: no thousands separators
    for col, width in zip("ABCDE", (14, 30, 16, 16, 16)):
        ws.column_dimensions[col].width = width
    ws.print_title_rows = "3:3"  # the header repeated on page 2
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    wb.save(tmp_path / "t.xlsx")
    [pdf] = _print_to_pdf([tmp_path / "t.xlsx"], tmp_path)
    d = read_pdf_disclosure(pdf)
    tables = d.tables["一般公共预算支出决算表"]
    assert len(tables) == 1 and len(list(d.all_tables())) == 1
    t = tables[0]
    assert {w.page for (s, _r, _c), w in d.cache["pdf_where"].items() if s != NARRATIVE_SHEET} == {1, 2}
    read = {r.code: (r.label, r.values["合计"].amount, r.values["基本支出"].amount) for r in t.data_rows()}
    assert read == {code: (name, a, b) for code, name, a, b in items}  # every row once, page 2 included
    assert t.total_row().values["合计"].amount == sum(a for *_, a, _b in items)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_a_title_printed_inside_the_ruled_table(tmp_path):
    import openpyxl
    from openpyxl.styles import Border, Side
    from openpyxl.worksheet.properties import PageSetupProperties

    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wb = openpyxl.Workbook()
    ws = wb.active
    rows = [["收入决算表", "", "", ""], ["单位：万元", "", "", ""], ["科目编码", "科目名称", "本年收入合计", "财政拨款收入"],
            ["", "合计", 1234.5, 1234.5], ["201", "一般公共服务支出", 1234.5, 1234.5], ["20101", "人大事务", 1234.5, 1234.5]]
    for r, row in enumerate(rows, 1):
        for c, v in enumerate(row, 1):
            cell = ws.cell(r, c, v if v != "" else None)
            cell.border = box
            cell.number_format = "#,##0.00"
    ws.merge_cells("A1:D1")
    ws.merge_cells("A2:D2")
    for col, width in zip("ABCD", (14, 30, 16, 16)):
        ws.column_dimensions[col].width = width
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    wb.save(tmp_path / "t.xlsx")
    [pdf] = _print_to_pdf([tmp_path / "t.xlsx"], tmp_path)
    d = read_pdf_disclosure(pdf)
    t = d.table("收入决算表")
    assert t is not None and t.unit == "万元"
    assert t.keys()[:4] == ["科目编码", "名称", "合计", "财政拨款小计"]
    assert [r.code for r in t.data_rows()] == ["201", "20101"]
    assert t.total_row().values["合计"].amount == Decimal("1234.50")


# ---- the shipped samples printed to PDF by LibreOffice: headers as a printer lays them out -----------

SAMPLES = Path(__file__).resolve().parent.parent / "workbooks" / "samples"


@pytest.fixture(scope="module")
def printed_samples(tmp_path_factory) -> dict[str, Path]:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) not installed")
    books = [SAMPLES / "weihai-2024-final-accounts.xlsx", SAMPLES / "yantai-2024-budget.xlsx", SAMPLES / "yanbian-2024-budget.xlsx"]
    return {p.stem: p for p in _print_to_pdf(books, tmp_path_factory.mktemp("printed"))}


def test_a_lanci_row_beside_a_merged_header_cell_is_not_data(printed_samples):
    """决算 tables print “栏次 1 2 3” under the header; in a PDF the vertically merged “科目代码” cell is read
    into that row too.  It is a header row, never a data row with amounts 1, 2, 3."""
    from validators.reading.tables import is_lanci_row

    assert is_lanci_row(["科目代码", "栏次", "1", "2", "3"]) and is_lanci_row(["项目", "栏次", "1", "2"])
    assert not is_lanci_row(["", "合计", "1", "2", "3"]) and not is_lanci_row(["栏次", "社会保障和就业支出", "1", "2"])
    report = validate_file(printed_samples["weihai-2024-final-accounts"])
    assert report.disclosure is not None and len(list(report.disclosure.all_tables())) >= 9
    assert not [f for f in report.findings if "栏次" in f.message]
    # the tables agree as in the workbook; the narrative's printed layout (text overflowing its rows) is not judged here
    assert not [f for f in report.findings if f.severity is Severity.ERROR and not f.code.startswith("W")]


def test_a_part_column_whose_header_was_not_understood_makes_the_gap_unverifiable(printed_samples):
    """LibreOffice wraps “政府性基金预算收入” inside its narrow header cell and the wrapped lines land in the
    merged “财政拨款收入” cell above: that column's header is not understood.  财政拨款小计 = 一般公共预算 +
    政府性基金 + 国有资本经营 then lacks two parts beside an unread column: 无法校验 naming the column, never 错误."""
    report = validate_file(printed_samples["yantai-2024-budget"])
    bn213 = [f for f in report.findings if f.code == "BN213"]
    assert bn213 and all(f.severity is Severity.UNVERIFIABLE for f in bn213)
    assert all("未能识别的栏目" in f.message and "政府性基金" in f.message for f in bn213)
    assert not [f for f in report.findings if f.severity is Severity.ERROR]


def _glyphs(text: str, x: float, top: float = 100.0, size: float = 5.0) -> list[dict]:
    """Characters as pdfplumber gives them: one full-width glyph after the other, no gap."""
    return [{"text": ch, "x0": x + i * size, "x1": x + (i + 1) * size, "top": top, "bottom": top + size, "size": size,
             "upright": True} for i, ch in enumerate(text)]


def test_text_printed_across_a_column_rule_belongs_to_the_cell_it_starts_in():
    """A spreadsheet prints a long cell text over the empty cells to its right, and over a neighbour's
    own text when that is not empty (the glyphs interleave).  Following each run of glyphs gives each
    cell its own text back; texts that merely sit in neighbouring cells stay where they are."""
    from validators.reading.pdf.tables import _texts_by_band

    xs = [0.0, 50.0, 100.0, 160.0]
    boxes = [(xs[i], 90.0, xs[i + 1], 110.0) for i in range(3)]
    band = [boxes]
    ys = [90.0, 110.0]
    over_empty = _glyphs("医疗服务与保障能力提升补助资金", 1.0)  # 75 pt long: crosses into cells 2 and 3
    texts = _texts_by_band(band, ys, xs, over_empty)
    assert texts == {boxes[0]: "医疗服务与保障能力提升补助资金"}
    # over a neighbour's text: the runs interleave from x = 100 on
    long_run = _glyphs("一二三四五六七八九十甲乙丙丁戊己庚辛壬癸", 52.0)  # cell 2 → into cell 3
    own = [dict(c, x0=c["x0"] - 1.5, x1=c["x1"] - 1.5) for c in _glyphs("延边朝鲜族", 101.5)]
    texts = _texts_by_band(band, ys, xs, long_run + own)
    assert texts == {boxes[1]: "一二三四五六七八九十甲乙丙丁戊己庚辛壬癸", boxes[2]: "延边朝鲜族"}
    # neighbouring texts with the cells' padding between them: as before
    apart = _glyphs("合计", 38.0) + _glyphs("基本支出", 51.0)
    assert _texts_by_band(band, ys, xs, apart) == {boxes[0]: "合计", boxes[1]: "基本支出"}


def test_a_project_name_printed_over_its_neighbours_keeps_the_project_hierarchy(printed_samples):
    """延边's 项目支出表 names a 一级项目 too long for its column: LibreOffice prints it on across the empty
    二级项目 cell, and the same name as a 二级项目 on over the 项目单位 text.  Read cell by cell, the first
    looked like a 二级项目 and BN206 cried wolf; read by runs of text, the hierarchy is the workbook's."""
    report = validate_file(printed_samples["yanbian-2024-budget"])
    assert not [f for f in report.findings if f.code == "BN206" and f.severity is Severity.ERROR]
    rows = {(str(r.key), r.label) for r in report.disclosure.table("项目支出表").rows}
    name = "医疗服务与保障能力提升补助资金(医疗保障服务能力提升部分)"
    assert {("一级项目", name), ("二级项目", name)} <= rows


@pytest.mark.parametrize("sample", ["zibo-2024-budget", "yanbian-2024-budget"])
def test_tables_printed_over_pages_with_their_header_repeated_read_as_the_workbook(tmp_path, sample):
    """A budget sample printed by LibreOffice with tall rows: most tables then run over two or three pages, each
    page repeating the header (zibo: 类/款/项 under 科目编码, 小计/人员支出/日常公用支出 under 基本支出; yanbian: a
    ledger whose first lines on a page have no amount).  Every table reads the workbook's rows and amounts,
    nothing of a repeated header becomes a row and no line is taken for one, and the 情况说明 printed in a grid
    after the last table does not continue it; the table findings are the workbook's."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) not installed")
    import openpyxl

    wb = openpyxl.load_workbook(SAMPLES / f"{sample}.xlsx")
    for name in ("校验", "导入说明"):
        del wb[name]
    for ws in wb.worksheets:
        if ws.title not in ("情况说明", "封面"):
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
            for r in range(1, ws.max_row + 1):
                ws.row_dimensions[r].height = 40
    book = tmp_path / f"{sample}-tall.xlsx"
    wb.save(book)
    [pdf] = _print_to_pdf([book], tmp_path)
    printed, original = validate_file(pdf), validate_file(book)
    assert printed.error is None
    pages = {kind: {w.page for (s, _r, _c), w in printed.disclosure.cache["pdf_where"].items() if s == t[0].sheet}
             for kind, t in printed.disclosure.tables.items()}
    assert sum(len(p) > 1 for p in pages.values()) >= 5  # tables that run over pages

    def rows(report, kind):
        return [(r.label, r.code, {k: v.amount for k, v in r.values.items() if v.amount is not None})
                for r in report.disclosure.tables[kind][0].rows if r.kind.name != "HEADER"]

    assert printed.disclosure.tables.keys() == original.disclosure.tables.keys()
    for kind in original.disclosure.tables:
        assert rows(printed, kind) == rows(original, kind), kind

    def table_findings(report):
        return sorted((f.code, f.severity.value) for f in report.findings if not f.code.startswith("WB"))

    assert table_findings(printed) == table_findings(original)
