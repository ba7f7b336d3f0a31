"""The byte-level sheet scan finds exactly the formula and error sentinels of the full XML pass.

Both passes run on the same worksheet bytes: every sheet of the shipped samples, and hand-written
cells covering the shapes the byte scan decides itself (cached, uncached, shared, string formulas,
escaped text, error cells) and those it must hand to the XML parser (character references).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from validators import package
from validators.amounts import FormulaError, UncachedFormula
from validators.reading import safety

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "workbooks" / "samples").glob("*.xlsx"))
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _both(zf: zipfile.ZipFile, part: str, name: str):
    fast = safety._scan_plain_sheet(package.member_bytes(zf, part), name)
    full = safety.scan_sheet(zf, part, name, shared=[])  # with shared strings: always the XML pass
    return fast, full


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_samples_fast_scan_matches_the_xml_pass(sample):
    zf = package.check_package(sample.read_bytes())
    parts = safety.classify_package(zf)
    sentinels = 0
    for name, part in parts.sheets.items():
        fast, full = _both(zf, part, name)
        assert fast is not None, name
        assert fast.overlays == full.overlays, name
        assert fast.height >= full.height and fast.width >= full.width
        sentinels += len(full.overlays)
    if sample.stem == "zibo-2024-budget":
        assert sentinels > 100  # its 校验 sheet's formulas carry no cached values


def _sheet(cells: str) -> zipfile.ZipFile:
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS}"><sheetData>'
           f'<row r="1">{cells}</row></sheetData></worksheet>')
    return _package(xml)


def _package(xml: str) -> zipfile.ZipFile:
    """A checked package holding ``xml`` as its one worksheet part, xl/worksheets/sheet1.xml."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", xml.encode("utf-8"))
    return package.check_package(buf.getvalue())


CASES = {
    "cached": '<c r="A1"><f>SUM(B1:B2)</f><v>3</v></c>',
    "uncached": '<c r="A1" s="2"><f>SUM(B1:B2)</f></c>',
    "empty v": '<c r="B1"><f>A1*2</f><v /></c><c r="C1"><f>A1</f><v></v></c>',
    "string formula, empty v": '<c r="A1" t="str"><f>"" &amp; B1</f><v></v></c>',
    "string formula, no v": '<c r="A1" t="str"><f>B1</f></c>',
    "shared": '<c r="A1"><f t="shared" ref="A1:C1" si="0">B1+1</f></c><c r="B1"><f t="shared" si="0"/></c>',
    "escaped": '<c r="A1"><f>IF(B1&gt;0,"&lt;是&gt;",&quot;否&quot;)</f></c>',
    "character reference": '<c r="A1"><f>B1&#38;"x"</f></c>',
    "error": '<c r="A1" t="e"><v>#DIV/0!</v></c><c r="B1" t="e"/><c r="C1" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
    "long": '<c r="A1"><f>' + "+".join(f"B{i}" for i in range(1, 200)) + "</f></c>",
    "long, escaped": '<c r="A1"><f>  ' + "&quot;&lt;" * 150 + "x&amp;" * 100 + "   </f></c>"
                     '<c r="B1"><f>' + "B1&gt;" * 33 + "  " + "&apos;" * 400 + "</f><v/></c>",
    "many cells, one escaped oddly": "".join(f'<c r="{c}1"><f>{c}2&lt;1</f></c>' for c in "ABCDEFG")
                                     + '<c r="H1"><f>H2&#60;1</f></c>',
}


@pytest.mark.parametrize("cells", CASES.values(), ids=list(CASES))
def test_cells_give_the_sentinels_of_the_xml_pass(cells):
    zf = _sheet(cells)
    fast, full = _both(zf, "xl/worksheets/sheet1.xml", "表")
    assert fast is not None
    assert fast.overlays == full.overlays


def test_the_sentinels_are_there():
    zf = _sheet(CASES["uncached"] .replace('r="A1"', 'r="D1"') + CASES["error"])
    fast, _ = _both(zf, "xl/worksheets/sheet1.xml", "表")
    assert fast.overlays[(0, 3)] == UncachedFormula("=SUM(B1:B2)")
    assert isinstance(fast.overlays[(0, 1)], FormulaError)
    assert set(fast.overlays) == {(0, 0), (0, 1), (0, 2), (0, 3)}


@pytest.mark.parametrize("cells", CASES.values(), ids=list(CASES))
def test_cached_formula_cells_of_the_one_pass_are_those_of_the_careful_regex(cells):
    from validators.reading import formulas

    data = package.member_bytes(_sheet(cells), "xl/worksheets/sheet1.xml")
    fast = formulas._simple_cached(data)
    assert fast is None or fast == formulas._cached_by_regex(data)


def test_cached_formula_cells_are_found():
    from validators.reading import formulas

    data = package.member_bytes(_sheet(CASES["cached"] + '<c r="B1"><f>A1</f><v>0</v></c>' + CASES["empty v"]
                                       .replace('"B1"', '"D1"').replace('"C1"', '"E1"')), "xl/worksheets/sheet1.xml")
    assert formulas._simple_cached(data) == formulas._cached_by_regex(data) == {"A1", "B1"}


def test_attributes_in_another_order_give_the_same_bounds():
    """r= after other attributes (allowed, rare): the general patterns decide; bounds as the XML pass."""
    cells = '<c s="1" r="C1"><v>1</v></c><c t="n" r="AB1"><v>2</v></c>'
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{NS}"><sheetData>'
           f'<row spans="1:28" r="1">{cells}</row><row r="7"><c r="B7"><v>3</v></c></row></sheetData></worksheet>')
    fast, full = _both(_package(xml), "xl/worksheets/sheet1.xml", "表")
    assert fast is not None
    assert (fast.height, fast.width) == (full.height, full.width) == (7, 28)


def test_page_breaks_keep_the_byte_scan():
    """<rowBreaks> (manual page breaks, common in books printed from Excel) is no row: the byte scan
    still decides the sheet, with the bounds and sentinels of the XML pass."""
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{NS}"><sheetData>'
           f'<row r="1">{CASES["uncached"]}</row><row r="9"><c r="C9"><v>3</v></c></row></sheetData>'
           '<rowBreaks count="1" manualBreakCount="1"><brk id="5" max="16383" man="1"/></rowBreaks></worksheet>')
    fast, full = _both(_package(xml), "xl/worksheets/sheet1.xml", "表")
    assert fast is not None
    assert fast.overlays == full.overlays and (0, 0) in fast.overlays
    assert (fast.height, fast.width) == (full.height, full.width) == (9, 3)


@pytest.mark.parametrize("dimension, cell, width", [
    ("A1:C9", "C1", 3), ("A1:C9", "A1", 3), ("A1:C9", "D1", 4), ("A1:Z9", "AA1", 27), ("A1:AB9", "AB1", 28),
    ("A1:AB9", "AC1", 29), ("A1:AB9", "BA1", 53), ("A1:AZ9", "BA1", 53), ("A1:ZZ9", "AAA1", 703), ("B2:B2", "XFD1", 16384),
])
def test_a_dimension_bounds_the_width_only_when_no_cell_lies_beyond_it(dimension, cell, width):
    """The scan takes the width from <dimension> when one search finds no cell right of it: an upper
    bound (the dense-read limit is all it serves); a cell beyond it gives the width of the XML pass."""
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{NS}"><dimension ref="{dimension}"/>'
           f'<sheetData><row r="1"><c r="{cell}"><v>1</v></c></row></sheetData></worksheet>')
    fast, full = _both(_package(xml), "xl/worksheets/sheet1.xml", "表")
    assert fast is not None and fast.width == width >= full.width


@pytest.mark.parametrize("xml", [
    f'<x:worksheet xmlns:x="{NS}"><x:sheetData><x:row r="1"><x:c r="A1"><x:f>B1*2</x:f></x:c></x:row></x:sheetData></x:worksheet>',
    f'<worksheet xmlns="{NS}" xmlns:x="{NS}"><sheetData><row r="1"><x:c r="A1"><f>B1*2</f></x:c></row></sheetData></worksheet>',
    f"<worksheet xmlns='{NS}'><sheetData><row r='1'><c r='A1'><f>B1*2</f></c></row></sheetData></worksheet>",
    f'<worksheet xmlns="{NS}"><sheetData><row r="1"><c r="A1" t = "str"><f>B1*2</f></c></row></sheetData></worksheet>',
], ids=["prefixed", "prefixed-cell", "single-quoted", "spaced-attribute"])
def test_sheets_written_otherwise_go_to_the_xml_pass(xml):
    """Namespace prefixes, single-quoted or spaced attributes: the byte scan declines (None) and the
    XML pass finds the formula without a cached value."""
    zf = _package(xml)
    assert safety._scan_plain_sheet(package.member_bytes(zf, "xl/worksheets/sheet1.xml"), "表") is None
    full = safety.scan_sheet(zf, "xl/worksheets/sheet1.xml", "表")
    assert full.overlays == {(0, 0): UncachedFormula("=B1*2")}


def test_the_scan_says_which_sheets_hold_no_formula():
    """A sheet whose bytes hold no formula tag is marked so (Grid.formulas); a finding on it then needs
    no look for cached formula values (engine._note_cached_formulas)."""
    from validators.reading import NO_FORMULAS, read_workbook
    from validators.reading.grid import read_grids

    assert safety._scan_plain_sheet(package.member_bytes(_sheet(CASES["cached"]), "xl/worksheets/sheet1.xml")).formulas
    plain = _sheet('<c r="A1"><v>1</v></c><c r="B1" t="inlineStr"><is><t>合计</t></is></c>')
    assert safety._scan_plain_sheet(package.member_bytes(plain, "xl/worksheets/sheet1.xml")).formulas is False
    sample = SAMPLES[-1]
    flags = {g.name: g.formulas for g in read_grids(sample)}
    assert flags["校验"] is True and sum(not f for f in flags.values()) >= 5
    assert read_workbook(sample).cache[NO_FORMULAS] == {n for n, f in flags.items() if not f}
