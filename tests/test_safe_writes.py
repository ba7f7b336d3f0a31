"""Writing into users' files safely (issue 13): exclusive temps, modes, links, office locks, backups,
marking failures that keep the findings, sheet names, threaded comments, the shared package guards.

Real workbooks throughout (the shipped yanbian sample: 58 findings, 4 错误); the CLI runs in-process.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment

from validators import package, safewrite
from validators.cli import main
from validators.engine import validate_file
from validators.marking import MarkingError, clear_marks, mark_workbook
from validators.marking.files import clear_file, mark_copy, mark_in_place

SAMPLE = Path(__file__).resolve().parent.parent / "workbooks" / "samples" / "yanbian-2024-budget.xlsx"


@pytest.fixture(scope="module")
def findings():
    report = validate_file(SAMPLE)
    assert report.error is None and report.has_errors
    return report.findings


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "预算.xlsx"
    shutil.copyfile(SAMPLE, path)
    return path


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def is_marked(path: Path) -> bool:
    return any(n.startswith("customXml/") and b"urn:czcheck:marks" in d for n, d in parts(path).items())


def leftovers(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.endswith(safewrite.TEMP_SUFFIX) or n.endswith(safewrite.LOCK_SUFFIX))


# -- temp files, symlinks, hard links -----------------------------------------------------------------
def test_planted_symlink_at_the_old_temp_name_is_never_followed(book: Path, tmp_path: Path, findings) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / (book.name + ".czcheck-tmp")).symlink_to(victim)
    (tmp_path / f".{book.name}.czcheck-tmp").symlink_to(victim)
    written = mark_in_place(book, findings)
    assert victim.read_text() == "keep me"
    assert is_marked(book) and written.backup is not None and not is_marked(written.backup)
    assert not [n for n in leftovers(tmp_path) if not (tmp_path / n).is_symlink()]


def test_output_name_that_is_a_symlink_is_refused_unless_forced(book: Path, tmp_path: Path, findings) -> None:
    victim = tmp_path / "victim.xlsx"
    shutil.copyfile(SAMPLE, victim)
    dest = tmp_path / "out" / "预算.校验.xlsx"
    dest.parent.mkdir()
    dest.symlink_to(victim)
    with pytest.raises(MarkingError, match="符号链接"):
        mark_copy(book, findings, dest)
    assert victim.read_bytes() == SAMPLE.read_bytes()
    mark_copy(book, findings, dest, force=True)  # replaces the link itself
    assert not dest.is_symlink() and is_marked(dest)
    assert victim.read_bytes() == SAMPLE.read_bytes()


def test_symlinked_workbook_is_written_through_and_stays_a_link(book: Path, tmp_path: Path, findings) -> None:
    link = tmp_path / "link.xlsx"
    link.symlink_to(book)
    written = mark_in_place(link, findings)
    assert link.is_symlink() and os.readlink(link) == str(book)
    assert written.target == book and "符号链接" in written.describe()
    assert is_marked(book)
    cleared, _ = clear_file(link)
    assert cleared is not None and link.is_symlink() and not is_marked(book)


def test_hard_linked_workbook_is_refused_unless_forced(book: Path, tmp_path: Path, findings) -> None:
    other = tmp_path / "other.xlsx"
    os.link(book, other)
    with pytest.raises(MarkingError, match="硬链接"):
        mark_in_place(book, findings)
    assert other.read_bytes() == SAMPLE.read_bytes() and not list(tmp_path.glob("*.备份*"))


# -- modes, owners, read-only, locks ------------------------------------------------------------------
def test_mode_and_owner_are_kept(book: Path, findings) -> None:
    os.chmod(book, 0o600)
    if os.geteuid() == 0:
        os.chown(book, 4321, 4321)
    written = mark_in_place(book, findings)
    st = book.stat()
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert stat.S_IMODE(written.backup.stat().st_mode) == 0o600
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (4321, 4321)
    clear_file(book)
    assert stat.S_IMODE(book.stat().st_mode) == 0o600


def test_read_only_workbook_is_refused_and_force_keeps_it_read_only(book: Path, findings) -> None:
    os.chmod(book, 0o444)
    with pytest.raises(MarkingError, match="只读"):
        mark_in_place(book, findings)
    assert book.read_bytes() == SAMPLE.read_bytes()
    mark_in_place(book, findings, force=True)
    assert is_marked(book) and stat.S_IMODE(book.stat().st_mode) == 0o444


@pytest.mark.parametrize("lock_name", ["~${}", ".~lock.{}#", "~${short}"])
def test_workbook_open_in_an_office_app_is_refused(book: Path, findings, lock_name: str) -> None:
    lock = book.parent / lock_name.format(book.name, short=book.name[2:])
    lock.write_bytes(b"someone")
    with pytest.raises(MarkingError, match="打开"):
        mark_in_place(book, findings)
    with pytest.raises(MarkingError, match="打开"):
        clear_file(book)
    assert book.read_bytes() == SAMPLE.read_bytes() and not list(book.parent.glob("*.备份*"))


def test_workbook_locked_by_another_process_is_refused(book: Path, findings) -> None:
    with open(book, "rb") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        with pytest.raises(MarkingError, match="锁定"):
            mark_in_place(book, findings)
    assert book.read_bytes() == SAMPLE.read_bytes()
    mark_in_place(book, findings)
    assert is_marked(book)


def test_a_held_destination_lock_makes_the_later_writer_wait_then_fail(book: Path, tmp_path: Path, findings) -> None:
    dest = tmp_path / "copy.xlsx"
    with safewrite.dest_lock(dest):
        with pytest.raises(safewrite.WriteRefused, match="另一个 czcheck"):
            with safewrite.dest_lock(dest, wait=0.3):
                pass
    mark_copy(book, findings, dest)
    assert is_marked(dest) and not leftovers(tmp_path)


# -- backups --------------------------------------------------------------------------------------------
def test_backup_is_verified_named_and_earlier_broken_backups_are_reported(book: Path, findings, capsys) -> None:
    (book.parent / "预算.备份.xlsx").write_bytes(b"")
    (book.parent / "预算.备份2.xlsx").write_bytes(SAMPLE.read_bytes()[:5000])
    code = main(["validate", str(book), "--in-place"])
    err = capsys.readouterr().err
    assert code == 1  # 错误 found, marking done
    backup = book.parent / "预算.备份3.xlsx"
    assert backup.read_bytes() == SAMPLE.read_bytes()
    assert "预算.备份3.xlsx" in err
    assert "预算.备份.xlsx 是空的或已损坏" in err and "预算.备份2.xlsx 是空的或已损坏" in err
    assert (book.parent / "预算.备份.xlsx").read_bytes() == b""  # left alone, never treated as the original
    assert is_marked(book) and package.is_valid_package(book.read_bytes()) is None


def test_a_good_earlier_backup_is_kept_and_a_new_one_written(book: Path, findings) -> None:
    first = mark_in_place(book, findings)
    second = mark_in_place(book, findings)
    assert first.backup.name == "预算.备份.xlsx" and second.backup.name == "预算.备份2.xlsx"
    assert first.backup.read_bytes() == SAMPLE.read_bytes()
    assert is_marked(second.backup)  # the marked workbook as it was before the second run


# -- a marking failure never hides findings ---------------------------------------------------------------
def test_marking_failure_keeps_findings_and_exits_2(book: Path, capsys) -> None:
    os.chmod(book, 0o444)
    code = main(["validate", str(book), "--in-place"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "错误 4 项" in out and out.count("[错误]") == 4
    assert "WR001" in out and "只读" in out
    assert "已标注" not in err and "标注未写入" in err
    assert book.read_bytes() == SAMPLE.read_bytes()


def test_marking_failure_is_in_json_too(book: Path, capsys) -> None:
    import json

    os.chmod(book, 0o444)
    assert main(["validate", str(book), "--in-place", "--format", "json"]) == 2
    data = json.loads(capsys.readouterr().out)
    codes = [f["code"] for r in (data if isinstance(data, list) else data.get("files", data.get("reports", [])))
             for f in r["findings"]]
    assert "WR001" in codes and len(codes) == 59


# -- sheet names and threaded comments ---------------------------------------------------------------------
def _rename_raw(path: Path, old: str, new_raw: str) -> None:
    """Rename a sheet writing ``>`` unescaped in workbook.xml (valid XML; Excel does it)."""
    data = parts(path)
    wbxml = data["xl/workbook.xml"].decode()
    assert f'name="{old}"' in wbxml
    data["xl/workbook.xml"] = wbxml.replace(f'name="{old}"', f'name="{new_raw}"').encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in data.items():
            zf.writestr(name, blob)


def test_sheet_names_with_markup_characters_mark_and_clear(book: Path, tmp_path: Path) -> None:
    report = validate_file(book)
    sheet = next(c.sheet for f in report.findings if f.severity.value == "错误" for c in f.cells)
    wb = openpyxl.load_workbook(book)
    new = "甲>乙&丙\"丁'戊𠀀"
    wb[sheet].title = new
    wb.save(book)
    _rename_raw(book, "甲&gt;乙&amp;丙&quot;丁'戊𠀀", "甲>乙&amp;丙&quot;丁'戊𠀀")
    report = validate_file(book)
    mine = [f for f in report.findings if any(c.sheet == new for c in f.cells)]
    assert mine
    marked = mark_workbook(book, report.findings, tmp_path / "m.xlsx")
    wb = openpyxl.load_workbook(marked)
    cell = mine[0].cells[0]
    assert wb[new].cell(cell.row + 1, cell.col + 1).comment is not None
    clear_marks(marked, tmp_path / "c.xlsx")
    assert parts(tmp_path / "c.xlsx") == parts(book)


THREAD_CT = "application/vnd.ms-excel.threadedcomments+xml"
PERSON_CT = "application/vnd.ms-excel.person+xml"


def _add_thread(path: Path, sheet: str, ref: str) -> None:
    """Give ``sheet!ref`` an Excel 365 thread (root + one reply) with its legacy placeholder comment."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    ws[ref].comment = Comment("[Threaded comment]\n\nYour version of Excel allows you to read this threaded "
                              "comment; however, any edits to it will get removed if the file is opened in a newer "
                              "version of Excel.\n\nComment:\n    请核对", "tc={11111111-1111-1111-1111-111111111111}")
    index = wb.sheetnames.index(sheet) + 1
    wb.save(path)
    data = parts(path)
    wb_rels = data["xl/_rels/workbook.xml.rels"].decode()
    sheet_part = f"xl/worksheets/sheet{index}.xml"
    assert sheet_part in data
    rels_name = sheet_part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    data[rels_name] = data[rels_name].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdT1" Type="http://schemas.microsoft.com/office/2017/10/relationships/threadedComment" '
        b'Target="../threadedComments/threadedComment1.xml"/></Relationships>')
    data["xl/threadedComments/threadedComment1.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments" '
        'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<threadedComment ref="{ref}" dT="2025-03-01T08:00:00.00" personId="{{AAAAAAAA-0000-0000-0000-000000000001}}" '
        'id="{11111111-1111-1111-1111-111111111111}"><text>请核对</text></threadedComment>'
        f'<threadedComment ref="{ref}" dT="2025-03-01T09:00:00.00" personId="{{AAAAAAAA-0000-0000-0000-000000000001}}" '
        'id="{22222222-2222-2222-2222-222222222222}" parentId="{11111111-1111-1111-1111-111111111111}">'
        '<text>已核对</text></threadedComment></ThreadedComments>').encode()
    data["xl/persons/person.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments" '
        'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<person displayName="张三" id="{AAAAAAAA-0000-0000-0000-000000000001}" userId="zhang" providerId="None"/>'
        '</personList>').encode()
    data["xl/_rels/workbook.xml.rels"] = wb_rels.replace(
        "</Relationships>",
        '<Relationship Id="rIdP1" Type="http://schemas.microsoft.com/office/2017/10/relationships/person" '
        'Target="persons/person.xml"/></Relationships>').encode()
    data["[Content_Types].xml"] = data["[Content_Types].xml"].replace(
        b"</Types>",
        f'<Override PartName="/xl/threadedComments/threadedComment1.xml" ContentType="{THREAD_CT}"/>'
        f'<Override PartName="/xl/persons/person.xml" ContentType="{PERSON_CT}"/></Types>'.encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in data.items():
            zf.writestr(name, blob)


def test_threaded_comment_gets_a_reply_and_clear_restores_it(book: Path, tmp_path: Path) -> None:
    report = validate_file(book)
    cell = next(c for f in report.findings if f.severity.value == "错误" for c in f.cells)
    _add_thread(book, cell.sheet, cell.address)
    before = parts(book)
    report = validate_file(book)
    marked = mark_workbook(book, report.findings, tmp_path / "m.xlsx")
    after = parts(marked)
    thread = after["xl/threadedComments/threadedComment1.xml"].decode()
    assert thread.count("<threadedComment ") == 3  # the thread kept, czcheck's reply appended
    assert "请核对" in thread and "已核对" in thread and "czcheck" not in thread.split("parentId")[0]
    assert 'parentId="{11111111-1111-1111-1111-111111111111}"' in thread.rsplit("<threadedComment ", 1)[1]
    assert "czcheck 校验" in after["xl/persons/person.xml"].decode()
    import re

    legacy = next(n for n in before if n.startswith("xl/comments"))
    placeholder = re.compile(rf'<comment ref="{cell.address}".*?</comment>', re.S)
    assert placeholder.search(after[legacy].decode()).group(0) == placeholder.search(before[legacy].decode()).group(0)
    assert "czcheck" not in placeholder.search(after[legacy].decode()).group(0)  # the placeholder is left alone
    cleared = clear_marks(marked, tmp_path / "c.xlsx")
    assert parts(cleared) == before


# -- the shared package guards ------------------------------------------------------------------------------
def _bomb(book: Path) -> None:
    data = parts(book)
    data["xl/media/padding.bin"] = bytes(60 << 20)  # 60 MB of zeros: compression ratio ~1000
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in data.items():
            zf.writestr(name, blob)


def test_clear_and_mark_enforce_the_same_limits_as_validate(book: Path, tmp_path: Path, findings, capsys) -> None:
    marked = mark_workbook(book, findings, tmp_path / "m.xlsx")
    _bomb(marked)
    assert "压缩比异常" in validate_file(marked).error
    with pytest.raises(MarkingError, match="压缩比异常"):
        clear_file(marked)
    with pytest.raises(MarkingError, match="压缩比异常"):
        mark_copy(marked, findings, tmp_path / "again.xlsx")
    assert main(["clear", str(marked)]) == 2
    assert "压缩比异常" in capsys.readouterr().err
    assert not (tmp_path / "again.xlsx").exists() and not leftovers(tmp_path)


# -- clear: byte-identical for czcheck's own files, part-for-part otherwise ------------------------------------
def test_clear_is_byte_identical_for_files_czcheck_wrote(book: Path, tmp_path: Path, findings) -> None:
    own = tmp_path / "own.xlsx"
    own.write_bytes(mark_workbook(book, [], tmp_path / "x.xlsx").read_bytes())
    clear_file(own)  # now a file czcheck itself wrote, without marks
    original = own.read_bytes()
    mark_in_place(own, findings)
    clear_file(own)
    assert own.read_bytes() == original


def test_clear_is_part_for_part_identical_for_other_writers(book: Path, tmp_path: Path, findings) -> None:
    data = parts(book)
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:  # another writer's deflate
        for name, blob in data.items():
            zf.writestr(name, blob)
    original = book.read_bytes()
    mark_in_place(book, findings)
    clear_file(book)
    assert parts(book) == data
    assert list(parts(book)) == list(data)


# -- terminal and report output ------------------------------------------------------------------------------
def test_control_characters_in_file_names_are_escaped(tmp_path: Path, capsys) -> None:
    odd = tmp_path / "预算\x1b[31m\x07.xlsx"
    shutil.copyfile(SAMPLE, odd)
    summary = tmp_path / "汇总.xlsx"
    assert main(["validate", str(odd), "--mark", "--report", str(summary)]) == 1
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "\\x1b" in out
    wb = openpyxl.load_workbook(summary)  # valid XML throughout
    texts = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert not any("\x1b" in t or "\x07" in t for t in texts)


# -- cached formula values ----------------------------------------------------------------------------------
def _as_formula(path: Path, out: Path, cell, *, calc_on_load: bool, application: str) -> None:
    """``cell`` becomes a formula whose cached value is the number it held; workbook flags as given."""
    import re

    from validators.reading import safety

    with zipfile.ZipFile(path) as zf:
        data = {n: zf.read(n) for n in zf.namelist()}
        part = safety.classify_package(zf).sheets[cell.sheet]
    sheet = data[part].decode()
    m = re.search(rf'<c r="{cell.address}"([^>]*)><v>([^<]+)</v></c>', sheet)
    assert m, "the cell holds a plain number"
    sheet = sheet.replace(m.group(0), f'<c r="{cell.address}"{m.group(1)}><f>0+{m.group(2)}</f><v>{m.group(2)}</v></c>')
    data[part] = sheet.encode()
    wbxml = re.sub(r"<calcPr[^>]*/>", '<calcPr calcId="191029" fullCalcOnLoad="1"/>' if calc_on_load else
                   '<calcPr calcId="191029"/>', data["xl/workbook.xml"].decode())
    data["xl/workbook.xml"] = wbxml.encode()
    data["docProps/app.xml"] = re.sub(r"<Application>[^<]*</Application>", f"<Application>{application}</Application>",
                                      data["docProps/app.xml"].decode()).encode()
    data["docProps/core.xml"] = data["docProps/core.xml"].replace(b"<dc:creator>openpyxl</dc:creator>",
                                                                  b"<dc:creator>user</dc:creator>")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in data.items():
            zf.writestr(name, blob)


def _plain_numbers(path: Path) -> set:
    import re

    from validators.model import CellRef
    from validators.reading import safety

    out = set()
    with zipfile.ZipFile(path) as zf:
        for name, part in safety.classify_package(zf).sheets.items():
            for ref in re.findall(r'<c r="([A-Z]+\d+)"[^>]*><v>[^<]+</v></c>', zf.read(part).decode()):
                row, col = safety.parse_ref(ref)
                out.add(CellRef(name, row, col))
    return out


@pytest.mark.parametrize("calc_on_load, application, note", [
    (True, "Microsoft Excel", "fullCalcOnLoad"),
    (False, "Microsoft Excel Compatible / Openpyxl 3.1.5", "由程序生成"),
    (False, "Microsoft Excel", None),
])
def test_finding_on_a_cached_formula_value_says_so(tmp_path: Path, findings, calc_on_load, application, note) -> None:
    numbers = _plain_numbers(SAMPLE)
    finding = next(f for f in findings if f.cells and f.expected is not None and f.cells[0] in numbers)
    cell = finding.cells[0]
    book = tmp_path / "f.xlsx"
    _as_formula(SAMPLE, book, cell, calc_on_load=calc_on_load, application=application)
    report = validate_file(book)
    same = next(f for f in report.findings if f.code == finding.code and f.cells == finding.cells)
    assert same.severity is finding.severity and same.actual == finding.actual
    if note is None:
        assert "缓存值" not in same.message
    else:
        assert f"{cell} 是公式" in same.message and "缓存值" in same.message and note in same.message
    untouched = [f for f in report.findings if cell not in f.all_cells]
    assert untouched and not any("缓存值" in f.message for f in untouched)


# -- row limit however the sheet is written -----------------------------------------------------------------
@pytest.mark.parametrize("layout", ["dense r=", "r= jumping to 1,000,000", "no r="])
def test_row_limit_holds_however_rows_are_numbered(tmp_path: Path, layout: str) -> None:
    from validators.reading import ReadError, read_grids
    from validators.reading.safety import Limits

    n = 1500
    if layout == "dense r=":
        rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, n + 1))
    elif layout.startswith("r= jumping"):
        rows = "".join(f'<row r="{i * 600}"><c r="A{i * 600}"><v>{i}</v></c></row>' for i in range(1, n + 1))
        rows += '<row r="1000000"><c r="A1000000"><v>1</v></c></row>'
    else:
        rows = "".join(f"<row><c><v>{i}</v></c></row>" for i in range(1, n + 1))
    data = parts(SAMPLE)
    data["xl/worksheets/sheet1.xml"] = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet '
                                        'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                                        f"{rows}</sheetData></worksheet>").encode()
    book = tmp_path / "rows.xlsx"
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in data.items():
            zf.writestr(name, blob)
    with pytest.raises(ReadError, match="1,000 行数据"):
        read_grids(book, limits=Limits(max_content_rows=1000))
    assert read_grids(book, limits=Limits(max_content_rows=2000))


# -- glob expansion over a symlink loop ---------------------------------------------------------------------
def test_glob_terminates_on_symlink_loops(tmp_path: Path) -> None:
    from validators.engine import collect_files

    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    shutil.copyfile(SAMPLE, sub / "x.xlsx")
    (sub / "loop").symlink_to(tmp_path)
    (sub / "self").symlink_to(".")
    files, problems = collect_files([str(tmp_path / "**" / "*.xlsx")])
    assert [f.name for f in files] == ["x.xlsx"] and not problems
    files, _ = collect_files([str(tmp_path)])
    assert [f.name for f in files] == ["x.xlsx"]
