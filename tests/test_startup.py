"""Start-up: a workbook run imports only what it needs, and the package's TOML is parsed once and kept."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from validators import tomlcache

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "workbooks" / "samples" / "weihai-2024-final-accounts.xlsx"


def test_validating_a_workbook_loads_no_pdf_reader_and_no_unused_renderer(tmp_path):
    code = (
        "import sys\n"
        "from validators.cli import main\n"
        f"main(['validate', {str(SAMPLE)!r}, '-o', {str(tmp_path / 'out.txt')!r}])\n"
        "loaded = [m for m in ('validators.reading.pdf', 'validators.report.html', 'validators.report.junit',\n"
        "          'validators.report.sarif', 'openpyxl', 'pandas', 'pdfplumber', 'pypdf', 'concurrent.futures')\n"
        "          if m in sys.modules]\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
    assert (tmp_path / "out.txt").stat().st_size > 0  # the report was written


def test_toml_is_kept_and_used_while_the_file_is_unchanged(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    src = tmp_path / "pack.toml"
    src.write_text('[table]\nname = "收支总表"\nrows = [1, 2.5, true]\n', encoding="utf-8")
    first = tomlcache.load(src)
    assert first == tomllib.loads(src.read_text(encoding="utf-8"))
    kept = tomlcache._cache_path(src)
    assert kept.is_file()
    second = tomlcache.load(src)
    assert second == first and second is not first  # a fresh object: callers may change it
    # the file changes (another size): parsed again, not the kept copy
    src.write_text('[table]\nname = "收入总表"\n', encoding="utf-8")
    assert tomlcache.load(src) == {"table": {"name": "收入总表"}}
    # a damaged cache is parsed around, never trusted
    kept.write_bytes(kept.read_bytes()[:20])
    assert tomlcache.load(src) == {"table": {"name": "收入总表"}}


def test_bad_toml_raises_as_tomllib_does_and_is_not_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    src = tmp_path / "bad.toml"
    src.write_text("name = \n", encoding="utf-8")
    try:
        tomlcache.load(src)
    except tomllib.TOMLDecodeError:
        pass
    else:
        raise AssertionError("a malformed TOML file was accepted")
    assert not tomlcache._cache_path(src).exists()


def test_nothing_is_written_when_bytecode_is_not(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    src = tmp_path / "p.toml"
    src.write_text("a = 1\n", encoding="utf-8")
    assert tomlcache.load(src) == {"a": 1}
    assert not (tmp_path / "cache").exists()
    assert os.listdir(tmp_path) == ["p.toml"]


def test_validation_leaves_the_cycle_collector_as_it_found_it():
    import gc

    from validators.engine import validate_file

    assert gc.isenabled()
    assert validate_file(SAMPLE).error is None
    assert gc.isenabled()
    gc.disable()
    try:
        validate_file(ROOT / "no such file.xlsx")
        assert not gc.isenabled()
    finally:
        gc.enable()
