"""Batch validation: parallel local runs, stable order, bad files as entries, progress, Dask, the CLI."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from validators import cli
from validators.batch import Progress, UnsafeOutputPath, safe_output_path, validate_many
from validators.engine import collect_files, validate_file
from validators.report import render_json

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate  # noqa: E402


@pytest.fixture(scope="session")
def batch_dir(tmp_path_factory) -> Path:
    """12 generated department workbooks (some with injected mistakes) in city folders, plus 3 broken files."""
    out = tmp_path_factory.mktemp("batch")
    generate(out, count=12, seed=7, mistake_rate=0.7, broken=3, log=lambda m: None)
    return out


@pytest.fixture(scope="session")
def batch_files(batch_dir) -> list[Path]:
    files, problems = collect_files([str(batch_dir)])
    assert not problems
    return files


@pytest.fixture(scope="session")
def sequential_json(batch_files) -> str:
    return render_json([validate_file(f) for f in batch_files])


def test_generator_manifest_matches_files(batch_dir, batch_files):
    manifest = json.loads((batch_dir / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["files"]) == 15 == len(batch_files)
    assert sum(len(f["mistakes"]) for f in manifest["files"]) > 0
    assert {f["broken"] for f in manifest["files"]} == {None, "cut-zip", "old-xls", "empty"}
    assert len({f["department"] for f in manifest["files"] if f["department"]}) == 12


def test_parallel_equals_sequential_in_input_order(batch_files, sequential_json):
    result = validate_many(batch_files, jobs=2)
    assert [r.source for r in result.reports] == [str(f) for f in batch_files]
    assert render_json(result.reports) == sequential_json


def test_order_follows_input_whatever_the_scheduling(batch_files):
    reversed_files = list(reversed(batch_files))
    result = validate_many(reversed_files, jobs=2)
    assert [r.source for r in result.reports] == [str(f) for f in reversed_files]


def test_bad_files_become_clear_entries_and_the_batch_goes_on(batch_dir, batch_files):
    result = validate_many(batch_files, jobs=2)
    broken = {str(batch_dir / f["file"]) for f in json.loads((batch_dir / "manifest.json").read_text(encoding="utf-8"))["files"] if f["broken"]}
    for r in result.reports:
        if r.source in broken:
            assert r.error and not r.findings, r.source
        else:
            assert r.error is None and r.disclosure.department, r.source
    assert result.unreadable == 3


def test_injected_mistakes_are_found(batch_dir, batch_files):
    manifest = json.loads((batch_dir / "manifest.json").read_text(encoding="utf-8"))
    by_source = {r.source: r for r in validate_many(batch_files, jobs=2).reports}
    for entry in manifest["files"]:
        if not entry["mistakes"]:
            continue
        report = by_source[str(batch_dir / entry["file"])]
        named = {str(c) for f in report.findings if f.severity.value == "错误" for c in f.all_cells}
        for m in entry["mistakes"]:
            assert f"{m['sheet']}!{m['cell']}" in named, (entry["file"], m)


def test_reports_are_slim(batch_files):
    report = validate_many(batch_files[:3], jobs=2).reports[0]
    assert report.disclosure is None or not report.disclosure.tables


def _exit_on_chosen(report):
    """After-hook that kills its worker process for one chosen file (a crash the pool must survive)."""
    if report.source == os.environ["CZCHECK_TEST_KILL"]:
        os._exit(3)
    return None


def test_a_dying_worker_costs_only_its_file(batch_files, monkeypatch):
    files = [f for f in batch_files if "损坏" not in str(f)][:5]
    monkeypatch.setenv("CZCHECK_TEST_KILL", str(files[1]))
    result = validate_many(files, jobs=2, after=_exit_on_chosen)
    assert [r.source for r in result.reports] == [str(f) for f in files]
    dead = [r for r in result.reports if r.error]
    assert [r.source for r in dead] == [str(files[1])]
    assert "异常退出" in dead[0].error
    assert all(r.disclosure is not None for r in result.reports if not r.error)


def _copy_to_out(report):
    """After-hook standing in for the marked copy: write a copy inside an output folder."""
    dest = safe_output_path(os.environ["CZCHECK_TEST_OUT"], report.source, "_copy")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(report.source, dest)
    return str(dest)


def test_after_hook_outputs_are_collected(batch_files, tmp_path, monkeypatch):
    monkeypatch.setenv("CZCHECK_TEST_OUT", str(tmp_path / "out"))
    files = [f for f in batch_files if "损坏" not in str(f)][:3]
    result = validate_many(files, jobs=2, after=_copy_to_out)
    assert set(result.outputs) == {str(f) for f in files}
    for out in result.outputs.values():
        assert Path(out).is_file() and (tmp_path / "out") in Path(out).parents


def test_mark_copies_hook_writes_marked_workbooks_inside_the_folder(batch_files, tmp_path):
    from openpyxl import load_workbook

    from validators.batch import MarkCopies

    files = [f for f in batch_files if "损坏" not in str(f)][:3]
    base = files[0].parent.parent
    result = validate_many(files, jobs=2, after=MarkCopies(str(tmp_path / "marked"), "_已标注", base=str(base)))
    assert len(result.outputs) == 3
    for report in result.reports:
        out = Path(result.outputs[report.source])
        assert out.name.endswith("_已标注.xlsx") and (tmp_path / "marked").resolve() in out.parents
        assert out.relative_to((tmp_path / "marked").resolve()).parent == Path(report.source).resolve().parent.relative_to(base.resolve())
        assert "校验结果" in load_workbook(out, read_only=True).sheetnames


def test_safe_output_path_never_leaves_the_folder(tmp_path):
    out = tmp_path / "out"
    for source in ["../../etc/passwd.xlsx", "/abs/dir/a.xlsx", "a/../../b.xlsx", "./c.xlsx"]:
        dest = safe_output_path(out, source, "_已标注")
        assert out.resolve() in dest.parents, (source, dest)
        assert dest.name.endswith("_已标注.xlsx")
    assert safe_output_path(out, "城市/局.xlsx", "_x") == (out / "城市" / "局_x.xlsx").resolve()
    (tmp_path / "elsewhere").mkdir()
    out.mkdir()
    (out / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UnsafeOutputPath):
        safe_output_path(out, "link/x.xlsx")
    with pytest.raises(UnsafeOutputPath):
        safe_output_path(out, "..")


def test_progress_bar_counts_and_eta():
    stream = io.StringIO()
    bar = Progress(3, stream=stream, enabled=True)
    from validators.model import Report

    for r in (Report("a"), Report("b", error="坏"), Report("c")):
        bar.update(r)
    bar.close()
    text = stream.getvalue()
    assert "3/3" in text and "剩余 00:00" in text and "无法读取 1" in text and text.endswith("\n")
    quiet = io.StringIO()  # StringIO is not a terminal: nothing is written
    bar = Progress(3, stream=quiet)
    bar.update(Report("a"))
    bar.close()
    assert quiet.getvalue() == ""
    assert "剩余 --:--" in Progress(5, stream=io.StringIO(), enabled=True).line()


def test_cli_folder_and_glob_with_jobs(batch_dir, tmp_path, capsys, sequential_json):
    out = tmp_path / "r.json"
    code = cli.main(["validate", str(batch_dir), "--format", "json", "--jobs", "2", "-o", str(out)])
    assert code == cli.EXIT_CANNOT_RUN  # broken files are present
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(sequential_json)
    assert "\r" not in capsys.readouterr().err  # stderr is not a terminal: no progress bar
    code = cli.main(["validate", str(batch_dir / "**" / "*.xlsx"), "--format", "json", "-j", "2", "-o", str(out)])
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["files"]) == 14  # the .xls is not matched by the glob
    good = [p for p in collect_files([str(batch_dir)])[0] if "损坏" not in str(p)]
    code = cli.main(["validate", *map(str, good), "-j", "2", "-o", str(out)])
    assert code in (cli.EXIT_OK, cli.EXIT_ERRORS)


def test_cli_refuses_bad_options(batch_dir, capsys):
    assert cli.main(["validate", str(batch_dir), "--report", "x.pdf"]) == cli.EXIT_CANNOT_RUN
    assert cli.main(["validate", str(batch_dir), "--engine", "dask"]) == cli.EXIT_CANNOT_RUN
    with pytest.raises(SystemExit) as exc:
        cli.main(["validate", str(batch_dir), "--jobs", "0"])
    assert exc.value.code == cli.EXIT_CANNOT_RUN
    assert "--scheduler" in capsys.readouterr().err


def test_dask_cluster_gives_the_local_result(batch_files, tmp_path, sequential_json):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None) as cluster:
        result = validate_many(batch_files, engine="dask", scheduler=cluster.scheduler_address)
        assert render_json(result.reports) == sequential_json
        out = tmp_path / "dask.json"
        code = cli.main(["validate", *map(str, batch_files), "--engine", "dask", "--scheduler", cluster.scheduler_address,
                         "--format", "json", "-o", str(out)])
        assert code == cli.EXIT_CANNOT_RUN
        assert json.loads(out.read_text(encoding="utf-8")) == json.loads(sequential_json)


def test_dask_unreachable_scheduler_is_a_clear_error(batch_files):
    pytest.importorskip("distributed")
    with pytest.raises(RuntimeError, match="无法连接 Dask 调度器"):
        validate_many(batch_files[:2], engine="dask", scheduler="tcp://127.0.0.1:9", connect_timeout="2s")
