"""The package and sheet defences of validators/reading/safety.py, one limit at a time."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import pytest

from hostile.corpus import Member, _repeated_rows_stream, build_base, member, members_of, sheet_part, write_zip
from validators.engine import INTERNAL_ERROR, validate_file
from validators.reading import ReadError, read_grids
from validators.reading import safety
from validators.reading.grid import SparseRows
from validators.reading.safety import Limits


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return build_base(tmp_path_factory.mktemp("safety") / "base.xlsx")


def _refused(path: Path, text: str, limits: Limits | None = None) -> str:
    with pytest.raises(ReadError) as info:
        read_grids(path, limits=limits)
    assert text in str(info.value), str(info.value)
    return str(info.value)


def _rewrite(base: Path, out: Path, change) -> Path:
    members = members_of(base)
    change(members)
    write_zip(out, members)
    return out


def test_row_limit_on_a_realistic_dense_sheet(base, tmp_path):
    """1,048,576 rows of values, with the ratio check relaxed: the content-row limit stops the scan."""
    stream, crc, size = _repeated_rows_stream(1_048_576)
    part = sheet_part(base, "项目支出预算情况表")
    out = _rewrite(base, tmp_path / "dense.xlsx", lambda ms: [
        ms.__setitem__(i, Member(part, stream, crc, size)) for i, m in enumerate(ms) if m.name == part
    ])
    _refused(out, "200,000 行数据", Limits(max_ratio=10**9))


def test_member_count_total_size_and_ratio_limits(base):
    _refused(base, "内部文件", Limits(max_members=5))
    _refused(base, "总大小超过上限", Limits(max_total_bytes=1000))
    _refused(base, "解压后达", Limits(max_member_bytes=1000))
    _refused(base, "压缩比异常", Limits(max_ratio=1, ratio_floor=100))


def test_file_size_limit_and_deadline(base):
    _refused(base, "文件过大", Limits(max_file_bytes=1000))
    _refused(base, "读取超时", Limits(max_seconds=0))


def test_duplicate_and_overlapping_members(base, tmp_path):
    out = _rewrite(base, tmp_path / "dup.xlsx", lambda ms: ms.append(member(ms[-1].name, b"<x/>")))
    _refused(out, "重名")

    data = bytearray(base.read_bytes())
    # point the second central-directory entry at the first member's local header
    cd = data.find(b"PK\x01\x02")
    second = data.find(b"PK\x01\x02", cd + 4)
    data[second + 42 : second + 46] = data[cd + 42 : cd + 46]
    out = tmp_path / "overlap.xlsx"
    out.write_bytes(bytes(data))
    _refused(out, "重叠")


def test_encrypted_member_and_unknown_method(base, tmp_path):
    data = bytearray(base.read_bytes())
    cd = data.find(b"PK\x01\x02")
    data[cd + 8] |= 0x1  # general purpose flag: encrypted
    out = tmp_path / "enc-member.xlsx"
    out.write_bytes(bytes(data))
    _refused(out, "加密")

    data = bytearray(base.read_bytes())
    data[cd + 10 : cd + 12] = (12).to_bytes(2, "little")  # bzip2
    out = tmp_path / "bzip2.xlsx"
    out.write_bytes(bytes(data))
    _refused(out, "压缩方式")


def test_stored_member_with_wrong_crc(base, tmp_path):
    def change(ms):
        for i, m in enumerate(ms):
            if m.name.endswith("workbook.xml"):
                raw = zlib.decompress(m.payload, -15)
                ms[i] = Member(m.name, raw, m.crc ^ 1, len(raw), method=0)

    _refused(_rewrite(base, tmp_path / "crc.xlsx", change), "校验和不符")


def test_not_a_workbook_packages(base, tmp_path):
    plain = tmp_path / "plain.xlsx"
    write_zip(plain, [member("readme.txt", b"hello")])
    _refused(plain, "zip 压缩包")

    docx = tmp_path / "doc.xlsx"
    write_zip(docx, [
        member("[Content_Types].xml", b"<Types/>"),
        member("word/document.xml", b"<w/>"),
    ])
    _refused(docx, "Word")

    def to_xlsb(ms):
        for i, m in enumerate(ms):
            if m.name == "_rels/.rels":
                text = zlib.decompress(m.payload, -15).replace(b"xl/workbook.xml", b"xl/workbook.bin")
                ms[i] = member(m.name, text)
        ms.append(member("xl/workbook.bin", b"\0" * 16))

    _refused(_rewrite(base, tmp_path / "book.xlsx", to_xlsb), "xlsb")


def test_paths_that_are_not_files(tmp_path):
    _refused(tmp_path / "missing.xlsx", "文件不存在")
    _refused(tmp_path, "文件夹")
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    _refused(fifo, "不是普通文件")  # never opened: opening a FIFO would block forever


def test_cells_beyond_excel_and_without_addresses(base, tmp_path):
    part = sheet_part(base, "支出总体情况表")

    def put(xml_rows: str):
        def change(ms):
            for i, m in enumerate(ms):
                if m.name == part:
                    xml = zlib.decompress(m.payload, -15).decode()
                    start, end = xml.index("<sheetData>"), xml.index("</sheetData>")
                    ms[i] = member(part, (xml[:start] + "<sheetData>" + xml_rows + xml[end:]).encode())
        return change

    far = _rewrite(base, tmp_path / "far.xlsx", put('<row r="2000000"><c r="A2000000"><v>1</v></c></row>'))
    _refused(far, "超出 Excel 范围")
    bare = _rewrite(base, tmp_path / "bare.xlsx", put('<row><c t="inlineStr"><is><t>a</t></is></c><c><v>2</v></c></row><row><c><f>1+1</f></c></row>'))
    grid = next(g for g in read_grids(bare) if g.name == "支出总体情况表")
    assert grid.rows[0][:2] == ["a", 2.0]
    assert grid.cell(1, 0) == "=1+1"


def test_shared_strings_skip_phonetic_runs(tmp_path):
    out = tmp_path / "sst.xlsx"
    write_zip(out, [member("x.xml", (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><r><t>支出</t></r><r><t>表</t></r>'
        "<rPh><t>zhi</t></rPh></si><si><t>二</t></si></sst>"
    ).encode())])
    import zipfile

    with zipfile.ZipFile(out) as zf:
        assert safety.read_shared_strings(zf, "x.xml", safety.Deadline(5)) == ["支出表", "二"]


def test_sparse_rows_behave_like_a_list():
    rows = SparseRows({0: {0: "a", 2: 1.0}, 4: {1: "b"}}, 6)
    assert len(rows) == 6
    assert rows[0] == ["a", "", 1.0] and rows[1] == [] and rows[-2] == ["", "b"]
    assert rows[3:5] == [[], ["", "b"]]
    assert list(rows)[4] == ["", "b"] and len(list(rows)) == 6
    with pytest.raises(IndexError):
        rows[6]


def test_engine_turns_an_internal_bug_into_a_per_file_error(base, monkeypatch):
    import validators.engine as engine

    def broken(path):
        raise KeyError("boom")

    monkeypatch.setattr(engine, "read_workbook", broken)
    report = validate_file(base)
    assert report.error and INTERNAL_ERROR in report.error and report.findings == []
