"""Marking loses nothing: mark, re-mark and clear a rich workbook and every sample, comparing the
package parts.  Real files throughout; the findings of the samples come from validate_file.

After ``clear`` every part is byte-identical to the original and no part is added or missing.
The only differences are zip-level serialisation details, not part content:
ALLOWED_ZIP_DIFFERENCES.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

from validators.engine import validate_file
from validators.marking import MarkingError, clear_marks, mark_workbook, plan_marks
from validators.model import CellRef, Finding, Severity

ALLOWED_ZIP_DIFFERENCES = (
    "compressed bytes and CRC-independent deflate output of rewritten entries",
    "zip local/central header layout (the entries keep their names, order, timestamps and attributes)",
)
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
MARKING_PART = re.compile(r"^(xl/comments\d+\.xml|xl/drawings/vmlDrawing\d+\.vml|customXml/.*|"
                          r"xl/worksheets/_rels/sheet\d+\.xml\.rels|xl/worksheets/sheet\d+\.xml)$")


# -- the rich workbook ------------------------------------------------------------------------------
def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _patch_zip(path: Path, edit: dict[str, bytes | None], extra: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path) as zf:
        parts = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            if info.filename in edit:
                new = edit[info.filename]
                if new is None:
                    continue
                data = new
            zf.writestr(info, data)
        for name, data in extra.items():
            zf.writestr(name, data)


def build_rich_workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    ws["A1"] = "收支表（单位：万元）"
    ws.merge_cells("A1:D1")
    ws["A1"].font = Font(bold=True, size=14)
    for i, (label, amount) in enumerate([("工资", 100), ("办公", 200.5), ("差旅", 300.25)], start=2):
        ws.cell(i, 1, label)
        ws.cell(i, 2, amount).number_format = "#,##0.00"
        ws.cell(i, 3, "是")
    ws["A5"] = "合计"
    ws["B5"] = "=SUM(B2:B4)"
    ws["B5"].number_format = "#,##0.00"
    ws["B6"] = "=B5/1000"
    ws["B6"].number_format = "0.0%"
    ws["B3"].fill = PatternFill("solid", fgColor="FFFFFF00")
    ws["B2"].comment = Comment("原有批注：请核对工资", "张三")
    ws["C7"] = "备注"
    ws["C7"].comment = Comment("不会被标注的批注", "李四")
    dv = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add("C2:C10")
    ws.conditional_formatting.add("B2:B4", CellIsRule(operator="greaterThan", formula=["250"], fill=PatternFill("solid", fgColor="FFFFC000")))
    wb.defined_names["合计区域"] = DefinedName("合计区域", attr_text="'数据'!$B$2:$B$4")
    ws.defined_names["本表合计"] = DefinedName("本表合计", attr_text="'数据'!$B$5")
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.print_area = "A1:D10"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=2, max_row=4))
    ws.add_chart(chart, "F2")
    hidden = wb.create_sheet("隐藏")
    hidden["A1"] = 42
    hidden.sheet_state = "hidden"
    other = wb.create_sheet("说明")
    other["A1"] = "情况说明：本年支出合计 600.75 万元。"
    other.row_dimensions[3].height = 30  # a row without cells
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
        drawing = zf.read("xl/drawings/drawing1.xml").decode()
        drels = zf.read("xl/drawings/_rels/drawing1.xml.rels").decode()
        types = zf.read("[Content_Types].xml").decode()
    # cached values for the formulas (openpyxl cannot write them)
    sheet = sheet.replace("<f>SUM(B2:B4)</f><v />", "<f>SUM(B2:B4)</f><v>600.75</v>")
    sheet = sheet.replace("<f>B5/1000</f><v />", "<f>B5/1000</f><v>0.60075</v>")
    assert "<v>600.75</v>" in sheet and "<v>0.60075</v>" in sheet
    # an image in the same drawing as the chart
    pic = ('<oneCellAnchor><from><col>1</col><colOff>0</colOff><row>10</row><rowOff>0</rowOff></from>'
           '<ext cx="381000" cy="381000"/><pic><nvPicPr><cNvPr id="2" name="Picture 2"/><cNvPicPr/></nvPicPr>'
           '<blipFill><a:blip r:embed="rIdImg1"/><a:stretch><a:fillRect/></a:stretch></blipFill>'
           '<spPr><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></spPr></pic><clientData/></oneCellAnchor>')
    drawing = drawing.replace("</wsDr>", pic + "</wsDr>")
    drels = drels.replace("</Relationships>", '<Relationship Id="rIdImg1" Type="http://schemas.openxmlformats.org/'
                          'officeDocument/2006/relationships/image" Target="/xl/media/image1.png"/></Relationships>')
    types = types.replace("</Types>", '<Default Extension="png" ContentType="image/png"/></Types>')
    _patch_zip(path, {"xl/worksheets/sheet1.xml": sheet.encode(), "xl/drawings/drawing1.xml": drawing.encode(),
                      "xl/drawings/_rels/drawing1.xml.rels": drels.encode(), "[Content_Types].xml": types.encode()},
               {"xl/media/image1.png": _png()})
    return path


def rich_findings() -> list[Finding]:
    d = "数据"
    return [
        Finding("T101", Severity.ERROR, "合计数与各项之和不一致", [CellRef(d, 4, 1)], Decimal("600.75"),
                Decimal("600.70"), Decimal("0.05"), related_cells=[CellRef(d, 1, 1), CellRef(d, 2, 1), CellRef(d, 3, 1)]),
        Finding("T102", Severity.WARNING, "办公费增幅较大，请说明", [CellRef(d, 2, 1)]),
        Finding("T103", Severity.UNVERIFIABLE, "标题中的单位无法识别", [CellRef(d, 0, 0)]),
        Finding("T104", Severity.ROUNDING, "比例尾差", [CellRef(d, 5, 1)], Decimal("0.6"), Decimal("0.60075"), Decimal("0.00075")),
        Finding("T105", Severity.ERROR, "空白单元格应填写金额", [CellRef(d, 1, 5), CellRef(d, 19, 4)]),
        Finding("T106", Severity.WARNING, "文表不一致", [CellRef("说明", 0, 0)], related_cells=[CellRef("说明", 2, 1)]),
        Finding("T107", Severity.UNVERIFIABLE, "隐藏表中的数", [CellRef("隐藏", 0, 0)]),
        Finding("T108", Severity.ERROR, "缺少的工作表", [CellRef("不存在的表", 0, 0)]),
    ]


# -- comparison helpers -----------------------------------------------------------------------------
def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def assert_same_package(a: Path, b: Path) -> None:
    pa, pb = parts(a), parts(b)
    assert sorted(pa) == sorted(pb)
    different = [n for n in pa if pa[n] != pb[n]]
    assert different == [], f"parts differ: {different}"
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        assert [i.filename for i in za.infolist()] == [i.filename for i in zb.infolist()]
        assert [i.date_time for i in za.infolist()] == [i.date_time for i in zb.infolist()]


def _sheet_tree(data: bytes, drop_cells: set[str]) -> bytes:
    root = ET.fromstring(data)
    for el in root.iter():
        if el.tag == NS + "c":
            el.attrib.pop("s", None)
    sheet_data = root.find(NS + "sheetData")
    assert sheet_data is not None
    for row in list(sheet_data):
        for cell in list(row):
            if cell.get("r") in drop_cells:
                assert len(cell) == 0, "an inserted cell must stay empty"
                row.remove(cell)
        if row.get("r") in drop_cells:
            sheet_data.remove(row)
    for el in root.findall(NS + "legacyDrawing"):
        root.remove(el)
    return ET.canonicalize(ET.tostring(root, encoding="unicode")).encode()


def sheet_cells(data: bytes) -> dict[str, str | None]:
    root = ET.fromstring(data)
    return {c.get("r"): c.get("s") for c in root.iter(NS + "c")}


def assert_marked_faithfully(original: Path, marked: Path, plan_cells: dict[str, set[str]]) -> None:
    """``plan_cells``: part name -> addresses marked in that sheet part."""
    po, pm = parts(original), parts(marked)
    assert set(po) <= set(pm), f"parts lost: {set(po) - set(pm)}"
    for name in set(pm) - set(po):
        assert MARKING_PART.match(name), f"unexpected new part {name}"
    allowed_changes = {"xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"}
    allowed_changes |= set(plan_cells) | {re.sub(r"worksheets/", "worksheets/_rels/", p) + ".rels" for p in plan_cells}
    # existing comment parts and note drawings (named differently by different writers)
    allowed_changes |= {n for n in po if re.search(r"(/comments?\d*\.xml|\.vml)$", n)}
    for name in po:
        if name not in allowed_changes:
            assert po[name] == pm[name], f"{name} changed"
    # sheets: everything but the style index of marked cells (and empty inserted cells) is identical
    for part, marked_refs in plan_cells.items():
        before = sheet_cells(po[part])
        inserted = {r for r in marked_refs if r not in before}
        inserted_rows = {re.sub(r"[A-Z]+", "", r) for r in inserted}
        existing_rows = {r.get("r") for r in ET.fromstring(po[part]).iter(NS + "row")}
        drop = inserted | {r for r in inserted_rows if r not in existing_rows}
        assert _sheet_tree(po[part], set()) == _sheet_tree(pm[part], drop), part
        after = sheet_cells(pm[part])
        for ref, style in before.items():
            if ref not in marked_refs:
                assert after[ref] == style, f"{part}!{ref} style changed"
    # workbook: defined names identical, one sheet appended, everything else identical
    wo, wm = ET.fromstring(po["xl/workbook.xml"]), ET.fromstring(pm["xl/workbook.xml"])
    so, sm = wo.find(NS + "sheets"), wm.find(NS + "sheets")
    assert [ET.tostring(s) for s in so] == [ET.tostring(s) for s in sm][:-1]
    wo.remove(so)
    wm.remove(sm)
    assert ET.canonicalize(ET.tostring(wo)) == ET.canonicalize(ET.tostring(wm))
    # styles: the existing entries are untouched, only appended to
    for section, child in (("fonts", "font"), ("fills", "fill"), ("cellXfs", "xf"), ("borders", "border"),
                           ("numFmts", "numFmt"), ("dxfs", "dxf"), ("cellStyleXfs", "xf")):
        eo = ET.fromstring(po["xl/styles.xml"]).find(NS + section)
        em = ET.fromstring(pm["xl/styles.xml"]).find(NS + section)
        if eo is None:
            continue
        assert [ET.tostring(x) for x in eo] == [ET.tostring(x) for x in em][:len(eo)], section


def assert_same_contents(original: Path, marked: Path) -> None:
    """Values, formulas, merged ranges, names, validations, conditional formats, views, print setup."""
    a = openpyxl.load_workbook(original)
    b = openpyxl.load_workbook(marked)
    assert b.sheetnames[:-1] == a.sheetnames and b.sheetnames[-1].startswith("校验结果")
    assert {n: d.attr_text for n, d in a.defined_names.items()} == {n: d.attr_text for n, d in b.defined_names.items()}
    for ws in a.worksheets:
        wm = b[ws.title]
        # inserted empty cells (findings on blank cells) may extend the used range: compare the original range
        assert [[c.value for c in r] for r in ws.iter_rows()] == [
            [c.value for c in r][:ws.max_column] for r in wm.iter_rows()][:ws.max_row]
        assert all(c.value is None for r in wm.iter_rows(min_row=ws.max_row + 1) for c in r)
        assert [[c.number_format for c in r] for r in ws.iter_rows()] == [
            [c.number_format for c in r][:ws.max_column] for r in wm.iter_rows()][:ws.max_row]
        assert sorted(map(str, ws.merged_cells.ranges)) == sorted(map(str, wm.merged_cells.ranges))
        assert [(v.sqref, v.formula1) for v in ws.data_validations.dataValidation] == [
            (v.sqref, v.formula1) for v in wm.data_validations.dataValidation]
        assert [str(r.sqref) for r in ws.conditional_formatting] == [str(r.sqref) for r in wm.conditional_formatting]
        assert ws.freeze_panes == wm.freeze_panes and ws.sheet_state == wm.sheet_state
        assert ws.print_title_rows == wm.print_title_rows and ws.print_area == wm.print_area
        assert ws.page_setup.orientation == wm.page_setup.orientation
        assert {n: d.attr_text for n, d in ws.defined_names.items()} == {n: d.attr_text for n, d in wm.defined_names.items()}
    ca, cb = CalamineWorkbook.from_path(str(original)), CalamineWorkbook.from_path(str(marked))
    for name in ca.sheet_names:
        assert ca.get_sheet_by_name(name).to_python() == cb.get_sheet_by_name(name).to_python()


def assert_marks_visible(marked: Path, findings: list[Finding]) -> None:
    wb = openpyxl.load_workbook(marked)
    results = wb[wb.sheetnames[-1]]
    links = {c.hyperlink.location for row in results.iter_rows() for c in row if c.hyperlink is not None}
    for f in findings:
        for ref in f.all_cells:
            if ref.sheet not in wb.sheetnames:
                continue
            cell = wb[ref.sheet][ref.address]
            assert cell.fill.patternType is not None, f"{ref} has no fill"
            assert cell.comment is not None and f.code in cell.comment.text, f"{ref} has no comment for {f.code}"
        if f.all_cells and f.all_cells[0].sheet in wb.sheetnames:
            first = f.all_cells[0]
            assert "'" + first.sheet.replace("'", "''") + "'!" + first.address in links
    assert results.max_row == 2 + len(findings)


def marked_parts_by_sheet(path: Path, findings: list[Finding]) -> dict[str, set[str]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    names = wb.sheetnames
    wb.close()
    out: dict[str, set[str]] = {}
    for f in findings:
        for ref in f.all_cells:
            if ref.sheet in names:
                out.setdefault(f"xl/worksheets/sheet{names.index(ref.sheet) + 1}.xml", set()).add(ref.address)
    return out


# -- the tests -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_rich_workbook(tmp_path_factory.mktemp("rich") / "rich.xlsx")


def test_rich_workbook_mark_keeps_everything(rich: Path, tmp_path: Path) -> None:
    before = rich.read_bytes()
    findings = rich_findings()
    marked = mark_workbook(rich, findings, tmp_path / "rich.校验.xlsx")
    assert rich.read_bytes() == before, "the source must not change"
    assert_marked_faithfully(rich, marked, marked_parts_by_sheet(rich, findings))
    assert_same_contents(rich, marked)
    assert_marks_visible(marked, findings)
    pm, po = parts(marked), parts(rich)
    for name in ("xl/media/image1.png", "xl/charts/chart1.xml", "xl/drawings/drawing1.xml"):
        assert pm[name] == po[name]
    wb = openpyxl.load_workbook(marked)
    ws = wb["数据"]
    assert ws["B2"].comment.text.startswith("原有批注：请核对工资")  # kept, ours appended
    assert ws["C7"].comment.text == "不会被标注的批注"
    assert ws["B5"].number_format == "#,##0.00" and ws["B6"].number_format == "0.0%"
    assert ws["A1"].font.b and ws["A1"].font.sz == 14
    assert ws["B2"].fill.patternType == "lightUp" and ws["B3"].fill.patternType == "lightUp"
    assert ws["B6"].fill.patternType == "solid"
    results = wb[wb.sheetnames[-1]]
    missing = [r for r in results.iter_rows(min_row=3, values_only=True) if r[2] == "T108"]
    assert "工作簿中没有该工作表" in missing[0][3]
    assert [r[1] for r in results.iter_rows(min_row=3, values_only=True)] == [
        "【错误】"] * 3 + ["【无法校验】"] * 2 + ["【提示】"] * 2 + ["【尾差】"]


def test_rich_workbook_clear_restores_package(rich: Path, tmp_path: Path) -> None:
    marked = mark_workbook(rich, rich_findings(), tmp_path / "m.xlsx")
    cleared = clear_marks(marked, tmp_path / "c.xlsx")
    assert_same_package(rich, cleared)
    wb = openpyxl.load_workbook(cleared)
    assert wb["数据"]["B3"].fill.fgColor.rgb == "FFFFFF00"
    assert wb["数据"]["B2"].comment.text == "原有批注：请核对工资"


def test_rich_workbook_remark_replaces_marks(rich: Path, tmp_path: Path) -> None:
    once = mark_workbook(rich, rich_findings(), tmp_path / "once.xlsx")
    twice = mark_workbook(once, rich_findings(), tmp_path / "twice.xlsx")
    assert_same_package(once, twice)
    fewer = mark_workbook(once, rich_findings()[:1], tmp_path / "fewer.xlsx")
    wb = openpyxl.load_workbook(fewer)
    assert wb["说明"]["A1"].comment is None and wb["数据"]["A1"].fill.patternType is None
    assert wb.sheetnames.count("校验结果") == 1 and len(wb.sheetnames) == 4
    assert_same_package(rich, clear_marks(fewer, tmp_path / "fewer-clear.xlsx"))


def test_in_place_marking(rich: Path, tmp_path: Path) -> None:
    target = tmp_path / "inplace.xlsx"
    target.write_bytes(rich.read_bytes())
    assert mark_workbook(target, rich_findings(), target) == target
    assert "customXml/item1.xml" in parts(target)
    clear_marks(target, target)
    assert_same_package(rich, target)


def test_clear_without_marks_changes_nothing(rich: Path, tmp_path: Path) -> None:
    assert_same_package(rich, clear_marks(rich, tmp_path / "plain.xlsx"))


def test_marking_no_findings_adds_only_result_sheet(rich: Path, tmp_path: Path) -> None:
    marked = mark_workbook(rich, [], tmp_path / "none.xlsx")
    wb = openpyxl.load_workbook(marked)
    assert wb.sheetnames[-1] == "校验结果"
    assert_same_package(rich, clear_marks(marked, tmp_path / "none-clear.xlsx"))


def test_xlsm_keeps_vba_project(rich: Path, tmp_path: Path) -> None:
    xlsm = tmp_path / "macro.xlsm"
    xlsm.write_bytes(rich.read_bytes())
    vba = bytes(range(256)) * 64
    types = parts(xlsm)["[Content_Types].xml"].decode().replace(
        "spreadsheetml.sheet.main+xml", "..ms-excel.sheet.macroEnabled.main+xml".replace("..", "application/vnd.")).replace(
        "application/vnd.openxmlformats-officedocument.application/vnd.", "application/vnd.")
    types = types.replace("</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    rels = parts(xlsm)["xl/_rels/workbook.xml.rels"].decode().replace("</Relationships>", (
        '<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
        'Target="vbaProject.bin"/></Relationships>'))
    _patch_zip(xlsm, {"[Content_Types].xml": types.encode(), "xl/_rels/workbook.xml.rels": rels.encode()},
               {"xl/vbaProject.bin": vba})
    marked = mark_workbook(xlsm, rich_findings(), tmp_path / "macro.校验.xlsm")
    assert parts(marked)["xl/vbaProject.bin"] == vba
    assert "macroEnabled" in parts(marked)["[Content_Types].xml"].decode()
    openpyxl.load_workbook(marked, keep_vba=True)
    assert_same_package(xlsm, clear_marks(marked, tmp_path / "macro-clear.xlsm"))


@pytest.mark.parametrize("name", ["old.xls", "disguised.xlsx"])
def test_legacy_xls_is_refused_with_conversion_advice(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    with pytest.raises(MarkingError, match="另存为") as info:
        mark_workbook(path, [], tmp_path / "out.xlsx")
    assert ".xlsx" in str(info.value)
    assert not (tmp_path / "out.xlsx").exists()


def test_unsafe_xml_is_refused(rich: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(rich.read_bytes())
    wbxml = parts(bad)["xl/workbook.xml"].decode()
    wbxml = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>' + wbxml.split("?>", 1)[-1]
    _patch_zip(bad, {"xl/workbook.xml": wbxml.encode()}, {})
    with pytest.raises(MarkingError, match="不安全"):
        mark_workbook(bad, rich_findings(), tmp_path / "out.xlsx")


def test_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "text.xlsx"
    path.write_text("not a zip")
    with pytest.raises(MarkingError):
        mark_workbook(path, [], tmp_path / "out.xlsx")


@pytest.fixture(scope="module")
def sample_reports(sample_paths: list[Path]) -> list[tuple[Path, list[Finding]]]:
    return [(p, validate_file(p).findings) for p in sample_paths]


def test_samples_mark_remark_clear(sample_reports: list[tuple[Path, list[Finding]]], tmp_path: Path) -> None:
    for path, findings in sample_reports:
        assert findings, f"{path.name}: expected real findings"
        marked = mark_workbook(path, findings, tmp_path / f"{path.stem}.校验.xlsx")
        assert_marked_faithfully(path, marked, marked_parts_by_sheet(path, findings))
        assert_same_contents(path, marked)
        assert_marks_visible(marked, findings)
        # validating the marked copy finds the same things, and marking it again replaces the marks
        again = validate_file(marked).findings
        assert [f.to_dict() for f in again] == [f.to_dict() for f in findings]
        remarked = mark_workbook(marked, again, tmp_path / f"{path.stem}.again.xlsx")
        assert_same_package(marked, remarked)
        assert_same_package(path, clear_marks(remarked, tmp_path / f"{path.stem}.clear.xlsx"))


def test_plan_and_package_agree_on_cells(sample_reports: list[tuple[Path, list[Finding]]], tmp_path: Path) -> None:
    path, findings = sample_reports[0]
    plan = plan_marks(findings)
    marked = mark_workbook(path, findings, tmp_path / "m.xlsx")
    wb = openpyxl.load_workbook(marked)
    for ref, mark in plan.cells.items():
        cell = wb[ref.sheet][ref.address]
        assert cell.fill.patternType == mark.fill.pattern
        assert cell.comment.text == mark.comment


def test_has_marks(rich: Path, tmp_path: Path) -> None:
    from validators.marking import has_marks

    assert not has_marks(rich)
    assert has_marks(mark_workbook(rich, rich_findings(), tmp_path / "m.xlsx"))


def test_clear_leaves_cells_the_user_restyled(rich: Path, tmp_path: Path) -> None:
    marked = mark_workbook(rich, rich_findings(), tmp_path / "m.xlsx")
    sheet = parts(marked)["xl/worksheets/sheet1.xml"].decode()
    m = re.search(r'<c r="B4" s="(\d+)"', sheet)
    assert m is not None
    _patch_zip(marked, {"xl/worksheets/sheet1.xml": sheet.replace(m.group(0), '<c r="B4" s="0"').encode()}, {})
    cleared = clear_marks(marked, tmp_path / "c.xlsx")
    after = sheet_cells(parts(cleared)["xl/worksheets/sheet1.xml"])
    before = sheet_cells(parts(rich)["xl/worksheets/sheet1.xml"])
    assert after["B4"] == "0"  # the user's choice stays
    assert {k: v for k, v in after.items() if k != "B4"} == {k: v for k, v in before.items() if k != "B4"}
    assert "customXml/item1.xml" not in parts(cleared)
