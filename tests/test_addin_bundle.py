"""The offline install folder (addin/build_bundle.py), built and checked up to the Windows-only step
(running 安装.bat).  The Windows wheels are not downloaded here (slow, network): the --download run
is `addin/build_bundle.py --download`, whose check() then also requires every dependency's wheel."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    from addin.build_bundle import build

    quick = importlib.util.find_spec("wheel") is not None  # setuptools without isolation needs it
    return build(tmp_path_factory.mktemp("dist"), isolated=not quick)


def test_bundle_layout_is_complete(bundle):
    from addin.build_bundle import BAT_NAME, README_NAME, check

    assert check(bundle) == []
    names = sorted(p.name for p in bundle.iterdir())
    assert names == sorted(["wheels", "czcheck_addin.xlam", "requirements.txt", BAT_NAME, README_NAME])
    (wheel,) = (bundle / "wheels").glob("czcheck-*.whl")
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith("METADATA"))
        assert "Requires-Dist: xlwings==0.37.8" in z.read(meta).decode("utf-8")


def test_install_script_is_offline_and_runs_setup(bundle):
    from addin.build_bundle import BAT_NAME

    raw = (bundle / BAT_NAME).read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # cmd.exe wants CRLF
    text = raw.decode("gbk")  # the console code page of Chinese Windows
    assert "pip install --no-index --find-links" in text and "-m addin setup" in text
    assert "pypi" not in text.lower() and "http" not in text.lower()
    assert (bundle / "说明.txt").read_bytes().startswith(b"\xef\xbb\xbf")  # Notepad-friendly UTF-8


def test_check_finds_what_is_missing(bundle, tmp_path):
    import shutil

    from addin.build_bundle import BAT_NAME, check

    broken = tmp_path / "b"
    shutil.copytree(bundle, broken)
    (broken / BAT_NAME).unlink()
    (broken / "czcheck_addin.xlam").write_bytes(b"PK")
    problems = check(broken)
    assert any(BAT_NAME in p for p in problems) and any("czcheck_addin.xlam" in p for p in problems)
    full = check(bundle, full=True)  # no --download: the Windows dependencies are missing
    assert any("pywin32" in p for p in full) and any("pandas" in p for p in full)


def test_docs_install_from_the_bundle_not_pypi():
    doc = (ROOT / "docs" / "excel-addin.md").read_text(encoding="utf-8")
    installs = [line for line in doc.splitlines() if "pip install" in line]
    assert installs and all("--no-index" in line or "不能用" in line for line in installs), installs
    assert "安装.bat" in doc and "build_bundle.py" in doc


def test_docs_say_what_excel_users_need():
    doc = (ROOT / "docs" / "excel-addin.md").read_text(encoding="utf-8")
    for needed in ("Ctrl+Shift+Enter", "Excel 2010–2019", "先打开（或新建）任意一个普通工作簿", "保存加载项",
                   "只有使用 CZ_ 函数的单元格显示 #NAME?", "ADD_WORKBOOK_TO_PYTHONPATH", "myaddin"):
        assert needed in doc, needed
