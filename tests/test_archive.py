"""The archive: every value round-trips (SQLite always, PostgreSQL when a throwaway server can be started),
documents are replaced by corrected versions, and the CLI adds, lists, shows and checks across documents."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import SAMPLES
from pairs import YANTAI, amount_cells, edit
from validators.archive import Archive, ArchiveError
from validators.archive.facts import facts
from validators.cli import main
from validators.engine import validate_file


def _fingerprint(d):
    """Everything the archive promises to keep, in a comparable form."""
    values = [(f.table, f.row, f.column, f.table_seq, f.value.amount, f.value.ref, f.value.problem, f.value.half_ulp) for f in facts(d)]
    rows = [(t.kind, r.index, r.kind, r.side, r.key, r.code, r.econ_dept, r.econ_gov, r.label, r.label_ref)
            for t in d.all_tables() for r in t.rows]
    columns = [(t.kind, c.index, c.header, c.role, c.group, c.side) for t in d.all_tables() for c in t.columns]
    tables = [(t.kind, t.title, t.sheet, t.title_ref, t.unit, t.note, t.hidden, t.missing_rows) for t in d.all_tables()]
    narrative = [(p.text, p.ref, p.section) for p in d.narrative]
    meta = (d.kind, d.year, d.department, d.unit, d.profile)
    return values, rows, columns, tables, narrative, meta


def _round_trip(archive: Archive) -> None:
    for path in sorted(SAMPLES.glob("*.xlsx")):
        report = validate_file(path)
        added = archive.add(report)
        assert added.status == "新增"
        loaded = archive.load(added.document.id)
        original, stored = _fingerprint(report.disclosure), _fingerprint(loaded)
        assert len(original[0]) > 500
        for part, (a, b) in zip(("values", "rows", "columns", "tables", "narrative", "meta"), zip(original, stored)):
            assert a == b, f"{path.name}: {part} differ after the round trip"
        kept = archive.findings(added.document.id)
        assert [(f["code"], f["severity"], f["message"]) for f in kept] == [(f.code, f.severity.value, f.message) for f in report.findings]
    assert len(archive.documents()) == len(list(SAMPLES.glob("*.xlsx")))
    frame = archive.values_frame()
    assert {"department", "year", "table", "row", "column", "amount", "cell"} <= set(frame.columns)


def test_every_value_round_trips_through_sqlite(tmp_path):
    with Archive.open(str(tmp_path / "a.sqlite3")) as archive:
        _round_trip(archive)


def test_same_file_is_stored_once_and_a_corrected_one_replaces_it(tmp_path):
    corrected = edit(YANTAI, tmp_path / "corrected.xlsx", values={amount_cells(YANTAI)[("收支总表", "收入:收入总计", "合计")]: 112250.19})
    with Archive.open(str(tmp_path / "a.sqlite3")) as archive:
        first = archive.add(validate_file(YANTAI))
        assert archive.add(validate_file(YANTAI)).status == "已存在"
        second = archive.add(validate_file(corrected))
        assert second.status == "更新"
        docs = archive.documents()
        assert [d.id for d in docs] == [second.document.id] != [first.document.id]
        frame = archive.values_frame()
        assert str(frame.query("row == '收入:收入总计' and table == '收支总表'").iloc[0]["amount"]) == "112250.19"


def test_an_unusable_archive_location_is_a_chinese_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ArchiveError, match="无法打开档案库"):
        Archive.open(str(blocker / "sub" / "a.sqlite3"))
    with pytest.raises(ArchiveError, match="无法打开档案库"):
        Archive.open("nosuchdialect://x")


# ---------------------------------------------------------------- CLI

@pytest.fixture
def archive_path(tmp_path, monkeypatch):
    path = tmp_path / "档案.sqlite3"
    monkeypatch.setenv("CZCHECK_ARCHIVE", str(path))
    return path


def _next_year(tmp_path):
    sg = amount_cells(YANTAI)
    return edit(YANTAI, tmp_path / "yantai-2025.xlsx", years=(("2024", "2025"), ("2023", "2024")),
                values={sg[("三公经费表", "行1", "公务接待@2023年预算数")]: 4.15})


def test_cli_archive_add_list_show_and_validate_against_the_archive(tmp_path, archive_path, capsys):
    assert main(["archive", "add", str(YANTAI)]) == 0
    out = capsys.readouterr().out
    assert "已存档（新增）：2024年烟台市医疗保障局部门预算" in out and archive_path.exists()
    assert main(["archive", "list"]) == 0
    assert "烟台市医疗保障局" in capsys.readouterr().out
    nxt = _next_year(tmp_path)
    report = tmp_path / "报告.html"
    # `--archive` without a value, followed by the file: the file is validated, the default archive used
    assert main(["validate", "--archive", str(nxt), "--report", str(report)]) == 1
    captured = capsys.readouterr()
    assert "KW103" in captured.out and "一般公共预算“三公”经费支出情况表!F6" in captured.out
    assert "已存档（新增）：2025年烟台市医疗保障局部门预算" in captured.err
    html = report.read_text(encoding="utf-8")
    assert 'id="timeline"' in html and "2024年部门预算" in html and "2025年部门预算" in html and "KW103" in html
    assert main(["archive", "show", "烟台市医疗保障局"]) == 0
    shown = capsys.readouterr().out
    assert "2024年部门预算" in shown and "2025年部门预算" in shown and "KW103" in shown
    assert main(["archive", "show", "2"]) == 0
    shown = capsys.readouterr().out
    assert "2025年烟台市医疗保障局部门预算（编号 2）" in shown
    assert "对照：2024年烟台市医疗保障局部门预算（yantai-2024-budget.xlsx）：一般公共预算“三公”经费支出情况表!L6" in shown
    assert main(["archive", "show", "99"]) == 2


def test_cli_validate_with_a_counterpart_file_and_no_archive(tmp_path, archive_path, capsys):
    nxt = _next_year(tmp_path)
    assert main(["validate", str(nxt), "--with", str(YANTAI)]) == 1
    assert "KW103" in capsys.readouterr().out
    assert not archive_path.exists()  # --with alone stores nothing
    assert main(["validate", str(nxt)]) == 1
    assert "KW103" not in capsys.readouterr().out  # no counterpart: no cross-document finding, no noise


def test_cli_rules_and_explain_list_the_cross_document_relations(capsys):
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert "KW101" in out and "KW106" in out
    assert main(["explain", "KW102"]) == 0
    out = capsys.readouterr().out
    for part in ("检查内容", "依据", "错误示例", "正确示例"):
        assert part in out


def test_cli_bad_mapping_file_stops_with_exit_2(tmp_path, archive_path, capsys):
    bad = tmp_path / "对照.toml"
    bad.write_text("[[rename]\n", encoding="utf-8")
    assert main(["validate", str(YANTAI), "--with", str(YANTAI), "--mapping", str(bad)]) == 2
    assert "部门对照文件" in capsys.readouterr().err


# ---------------------------------------------------------------- PostgreSQL (a throwaway server)

def _pg_binary(name: str) -> str | None:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    return found


@pytest.fixture(scope="module")
def postgres_url():
    pytest.importorskip("psycopg")
    initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    prefix: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="czcheck-pg-"))
    if os.geteuid() == 0:  # the server refuses to run as root: run it as the postgres user
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user")
        if not shutil.which("runuser"):
            pytest.skip("running as root without runuser")
        os.chown(base, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data = base / "data"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    try:
        subprocess.run([*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "czcheck", "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-l", str(base / "log"), "-w", "-t", "60",
                        "-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"could not start a PostgreSQL server: {exc}")
    try:
        yield f"postgresql+psycopg://czcheck@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def test_every_value_round_trips_through_postgresql(postgres_url):
    with Archive.open(postgres_url) as archive:
        assert archive.engine.dialect.name == "postgresql"
        _round_trip(archive)


def test_cross_document_checks_read_counterparts_from_postgresql(postgres_url, tmp_path, capsys):
    nxt = _next_year(tmp_path)
    assert main(["archive", "add", str(YANTAI), "--archive", postgres_url]) == 0
    capsys.readouterr()
    assert main(["validate", str(nxt), "--archive", postgres_url]) == 1
    assert "KW103" in capsys.readouterr().out
    with Archive.open(postgres_url) as archive:
        doc = next(d for d in archive.documents() if d.year == 2025)
        assert any(f["code"] == "KW103" for f in archive.findings(doc.id))


def test_a_unit_finds_its_department_in_the_archive(tmp_path):
    from pairs import split_units
    from validators.archive.run import cross_check

    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    split_units(YANTAI, a, b, "烟台市医疗保障局", "烟台市医疗保险事业中心", "烟台市医疗保障局")
    over = edit(b, tmp_path / "b-over.xlsx", values={amount_cells(b)[("支出总表", "合计", "基本支出")]: 2093.98 + 10})
    with Archive.open(str(tmp_path / "a.sqlite3")) as archive:
        archive.add(validate_file(YANTAI))
        assert [d.department for d in archive.departments_listing("烟台市医疗保险事业中心", "预算", 2024)] == ["烟台市医疗保障局"]
        assert archive.departments_listing("烟台市医疗保险事业中心", "预算", 2023) == []
        reports = [validate_file(over)]
        cross_check(reports, archive=archive, add=True)
    assert [(f.code, str(f.cells[0])) for f in reports[0].findings if f.code.startswith("KW")] == [("KW106", "支出总体情况表!F5")]


def test_mark_puts_the_cross_document_findings_on_the_marked_copy(tmp_path, archive_path, capsys):
    import openpyxl

    nxt = _next_year(tmp_path)
    assert main(["validate", str(nxt), "--with", str(YANTAI), "--mark"]) == 1
    capsys.readouterr()
    marked = nxt.with_name(f"{nxt.stem}.校验.xlsx")
    comment = openpyxl.load_workbook(marked)["一般公共预算“三公”经费支出情况表"]["F6"].comment
    assert comment is not None and "KW103" in comment.text


def _archive_in_order(location: str, first, second) -> dict[str, list]:
    """Add two documents one after the other: the KW findings of each report (code, its cells, the counterpart's
    cells) and of each stored document (code, cells)."""
    from validators.archive.run import cross_check

    out = {}
    with Archive.open(location) as archive:
        for path in (first, second):
            reports = [validate_file(path)]
            cross_check(reports, archive=archive, add=True)
            out[f"report:{path.name}"] = [(f.code, tuple(map(str, f.cells)), tuple(f.evidence["counterpart"]["cells"]))
                                          for f in reports[0].findings if f.code.startswith("KW")]
        for info in archive.documents():
            out[f"stored:{info.year}"] = sorted((f["code"], f["cells"]) for f in archive.findings(info.id) if f["code"].startswith("KW"))
    return out


def _order_does_not_matter(location_a: str, location_b: str, tmp_path) -> None:
    nxt = _next_year(tmp_path)
    forward = _archive_in_order(location_a, YANTAI, nxt)
    backward = _archive_in_order(location_b, nxt, YANTAI)
    # last year's 预算 first: said on the 2025 预算; next year's first: said on the 2024 预算 as it arrives
    said_forward = forward[f"report:{nxt.name}"]
    planted = ("KW103", ("一般公共预算“三公”经费支出情况表!F6",), ("一般公共预算“三公”经费支出情况表!L6",))
    assert planted in said_forward and len(said_forward) > 1  # (the copy's narrative changes are wrong too)
    assert sorted((c, b, a) for c, a, b in backward[f"report:{YANTAI.name}"]) == sorted(said_forward)
    assert backward[f"report:{nxt.name}"] == []  # nothing to compare with yet: no finding, only a note
    assert forward[f"report:{YANTAI.name}"] == []
    # and the archive ends up holding the same findings on the 2025 预算, whichever came first
    assert forward["stored:2025"] == backward["stored:2025"] == sorted((c, " ".join(a)) for c, a, _ in said_forward)


def test_the_order_of_archive_add_does_not_matter(tmp_path):
    _order_does_not_matter(str(tmp_path / "forward.sqlite3"), str(tmp_path / "backward.sqlite3"), tmp_path)


def test_the_order_of_archive_add_does_not_matter_in_postgresql(postgres_url, tmp_path):
    import sqlalchemy as sa

    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        for name in ("order_a", "order_b"):
            conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {name}"))
    engine.dispose()
    _order_does_not_matter(postgres_url + "?options=-csearch_path%3Dorder_a", postgres_url + "?options=-csearch_path%3Dorder_b", tmp_path)


def test_json_and_html_name_the_counterpart_document_and_its_cells(tmp_path, archive_path, capsys):
    import json

    nxt = _next_year(tmp_path)
    report = tmp_path / "报告.html"
    assert main(["validate", str(nxt), "--with", str(YANTAI), "--format", "json", "--report", str(report)]) == 1
    data = json.loads(capsys.readouterr().out)
    kw103 = next(f for f in data["files"][0]["findings"] if f["code"] == "KW103")
    assert kw103["cells"] == ["一般公共预算“三公”经费支出情况表!F6"]
    (counterpart,) = kw103["counterparts"]
    assert counterpart["source"] == str(YANTAI) and counterpart["department"] == "烟台市医疗保障局"
    assert (counterpart["year"], counterpart["kind"], counterpart["level"]) == (2024, "预算", "部门")
    assert counterpart["cells"] == ["一般公共预算“三公”经费支出情况表!L6"] and "pages" not in counterpart
    assert all("counterparts" not in f for f in data["files"][0]["findings"] if not f["code"].startswith("KW"))
    html = report.read_text(encoding="utf-8")
    assert "对照：2024年烟台市医疗保障局部门预算（yantai-2024-budget.xlsx）：一般公共预算“三公”经费支出情况表!L6" in html
    # the timeline holds the --with file beside the checked one, the cross-document findings on the checked one's row
    timeline = html[html.index('id="timeline"'):html.index("</section>", html.index('id="timeline"'))]
    assert timeline.index("2024年部门预算") < timeline.index("2025年部门预算") < timeline.index("KW103")


def test_a_pdf_counterpart_is_named_by_page_also_once_archived(tmp_path):
    pdf = pytest.importorskip("validators.reading.pdf", reason="this build has no PDF reader")
    from validators.archive.crossdoc import Doc, counterpart_dict
    from validators.archive.facts import index
    from validators.model import Report

    path = Path(__file__).resolve().parent.parent.parent / "shared" / "references" / "shanghai-putuo-govoffice-2025-department-budget.pdf"
    if not path.exists():
        pytest.skip("reference PDFs not available")
    d = pdf.read_pdf_disclosure(path)
    cell = index(d)[("支出总表", "合计", "基本支出")].ref
    said = counterpart_dict(Doc(d, "上海市普陀区人民政府办公室", "部门"), [cell])
    assert said["pages"][0] and said["cells"][0].startswith(f"第{said['pages'][0]}页") and "基本支出" in said["cells"][0]
    with Archive.open(str(tmp_path / "a.sqlite3")) as archive:
        added = archive.add(Report(source=str(path), disclosure=d))
        stored = archive.load(added.document.id)
    again = counterpart_dict(Doc(stored, "上海市普陀区人民政府办公室", "部门", added.document.id), [cell])
    assert again["pages"] == said["pages"] and again["archive_id"] == added.document.id


def test_timeline_figures_are_the_documents_own():
    """A 决算's 机关运行经费 is the one its narrative states (its tables only bound it); 元 figures show in 万元."""
    from decimal import Decimal

    from validators.archive.timeline import key_figures, shown
    from validators.reading import read_workbook

    weihai = key_figures(read_workbook(SAMPLES / "weihai-2024-final-accounts.xlsx"))
    assert list(weihai) == ["收入总计", "支出总计", "财政拨款", "三公经费", "机关运行经费"]
    assert weihai["机关运行经费"] == Decimal("51.1") and weihai["三公经费"] == Decimal("2.69")
    assert key_figures(read_workbook(YANTAI))["机关运行经费"] == Decimal("70.94")
    assert shown(Decimal("9101.677535")) == "9,101.68" and shown(Decimal("5.7")) == "5.70" and shown(None) == "—"
