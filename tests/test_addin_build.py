"""Drift checks of the .xlam: rebuilt identically, ribbon callbacks exist in the VBA, the VBA's
xlwings version is the installed one, the config sheet names UDF modules that import."""

from __future__ import annotations

import importlib
import re
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
XLAM = ROOT / "addin" / "czcheck_addin.xlam"


@pytest.fixture(scope="module")
def xlam() -> dict[str, bytes]:
    with zipfile.ZipFile(XLAM) as z:
        return {name: z.read(name) for name in z.namelist()}


@pytest.fixture(scope="module")
def vba_sources(xlam):
    from addin.vba import module_sources

    return module_sources(xlam["xl/vbaProject.bin"])


def test_rebuild_gives_identical_bytes():
    from addin.build_addin import build

    assert build() == XLAM.read_bytes(), "addin/czcheck_addin.xlam is stale: run addin/build_addin.py"


def test_vba_project_is_the_templates_byte_for_byte(xlam):
    from addin.build_addin import template_path

    with zipfile.ZipFile(template_path()) as z:
        template = {name: z.read(name) for name in z.namelist()}
    assert xlam["xl/vbaProject.bin"] == template["xl/vbaProject.bin"]
    changed = {n for n in template if template[n] != xlam[n]}
    assert changed == {"customUI/customUI.xml", "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/workbook.xml"}
    assert list(template) == list(xlam)


def test_every_ribbon_action_has_its_vba_callback(xlam, vba_sources):
    from addin.vba import public_procedures

    ui = xlam["customUI/customUI.xml"].decode("utf-8")
    actions = re.findall(r'onAction="([^"]+)"', ui)
    assert actions, "the ribbon has no button"
    for action in actions:
        module, _, proc = action.rpartition(".")
        assert proc in public_procedures(vba_sources[module] if module else "\n".join(vba_sources.values())), action
    assert 'label="财政校验"' in ui and 'label="校验本工作簿"' in ui and "screentip=" in ui


def test_ribbon_callback_imports_the_module_named_like_the_xlam(vba_sources):
    from addin import ENTRY_MODULE, XLAM_NAME

    source = vba_sources["RibbonMyAddin"]
    assert 'RunPython "import " & mymodule & ";" & mymodule & ".main()"' in source
    assert "Left(ThisWorkbook.Name" in source
    assert Path(XLAM_NAME).stem == ENTRY_MODULE
    module = importlib.import_module(f"addin.{ENTRY_MODULE}")
    assert callable(module.main)


def test_vba_xlwings_version_is_the_installed_one(vba_sources):
    from addin.vba import string_constant

    assert string_constant(vba_sources, "XLWINGS_VERSION") == version("xlwings")


def test_pyproject_pins_exactly_the_vba_xlwings_version(vba_sources, tmp_path):
    """A fresh install must get the xlwings whose DLL the .xlam's VBA loads (xlwings64-X.Y.Z.dll)."""
    import tomllib

    from addin.build_addin import check_pin, pinned_xlwings
    from addin.vba import string_constant

    vba_version = string_constant(vba_sources, "XLWINGS_VERSION")
    assert pinned_xlwings() == vba_version
    dlls = set(re.findall(r'"xlwings(?:32|64)-([\d.]+)\.dll"', "\n".join(vba_sources.values())))
    assert dlls == {vba_version}
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert [d for d in deps if d.startswith("xlwings")] == [f"xlwings=={vba_version}"]
    assert check_pin() == vba_version
    moved = tmp_path / "pyproject.toml"
    moved.write_text('[project]\ndependencies = ["xlwings>=0.33"]\n', encoding="utf-8")
    with pytest.raises(SystemExit, match="pin xlwings exactly"):
        pinned_xlwings(moved)


def test_config_sheet_is_the_one_the_vba_reads_and_names_importable_modules(xlam, vba_sources, monkeypatch):
    from addin.__main__ import PROJECT
    from addin.vba import string_constant

    project = string_constant(vba_sources, "PROJECT_NAME")
    assert project == PROJECT
    assert f'name="{project}.conf"'.encode() in xlam["xl/workbook.xml"]
    from io import BytesIO

    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_filelike(BytesIO(XLAM.read_bytes()))
    assert wb.sheet_names == [f"{project}.conf"]
    rows = wb.get_sheet_by_name(f"{project}.conf").to_python()
    cells = {f"{c}{r}": v for r, row in enumerate(rows, start=1) for c, v in zip("ABC", row) if v not in ("", None)}
    # the VBA reads keys from A1 down to the first blank cell (Range("A1").End(xlDown))
    keys, r = {}, 1
    while f"A{r}" in cells:
        keys[cells[f"A{r}"].upper()] = cells.get(f"B{r}")
        r += 1
    assert "UDF MODULES" in keys
    # never put a received workbook's folder first on sys.path (a validators/ beside it would run)
    assert keys["ADD_WORKBOOK_TO_PYTHONPATH"] is False
    # blank interpreter/PYTHONPATH keys would shadow the user's config file: none preset
    assert not {"INTERPRETER_WIN", "INTERPRETER_MAC", "PYTHONPATH"} & set(keys)
    monkeypatch.syspath_prepend(str(ROOT / "addin"))
    for name in keys["UDF MODULES"].split(";"):
        module = importlib.import_module(name)
        funcs = [n for n in dir(module) if n.startswith("CZ_")]
        assert {"CZ_SUMCHECK", "CZ_DIFF", "CZ_HIERARCHY", "CZ_SANGONG", "CZ_RULE", "CZ_STATUS"} <= set(funcs)


def test_user_config_file_is_what_the_vba_input_statement_reads(tmp_path):
    from addin.__main__ import config_lines, user_config_path

    assert user_config_path("darwin", tmp_path).parts[-4:] == ("Containers", "com.microsoft.Excel", "Data", "myaddin.conf")
    assert user_config_path("linux", tmp_path) == tmp_path / ".myaddin" / "myaddin.conf"
    lines = config_lines("win32")
    assert lines[0].startswith('"INTERPRETER_WIN","') and lines[1].startswith('"PYTHONPATH","')
    assert config_lines("darwin")[0].startswith('"INTERPRETER_MAC","')


def test_vba_reader_rejects_garbage():
    from addin.vba import VbaFormatError, decompress, module_sources

    with pytest.raises(VbaFormatError):
        module_sources(b"not a compound file" * 40)
    with pytest.raises(VbaFormatError):
        decompress(b"\x02abc")


def test_setup_writes_a_configured_copy_a_folder_file_cannot_override(tmp_path, monkeypatch):
    """`python -m addin setup` also writes the add-in with this interpreter and PYTHONPATH on its own
    config sheet: the VBA reads that sheet before a myaddin.conf file in the workbook's folder."""
    from io import BytesIO

    from python_calamine import CalamineWorkbook

    from addin import ADDIN_DIR
    from addin.__main__ import configured_addin_path, interpreter, main

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("USERPROFILE", raising=False)
    assert main(["setup"]) == 0
    copy = configured_addin_path()
    assert copy == tmp_path / "czcheck" / "czcheck_addin.xlam"
    with zipfile.ZipFile(copy) as z, zipfile.ZipFile(XLAM) as ours:
        assert z.read("xl/vbaProject.bin") == ours.read("xl/vbaProject.bin")
        assert z.read("customUI/customUI.xml") == ours.read("customUI/customUI.xml")
    wb = CalamineWorkbook.from_filelike(BytesIO(copy.read_bytes()))
    rows = wb.get_sheet_by_name("myaddin.conf").to_python()
    keys, r = {}, 0
    while r < len(rows) and rows[r][0] not in ("", None):  # A1 down to the first blank, as the VBA reads
        keys[str(rows[r][0]).upper()] = rows[r][1]
        r += 1
    assert keys["INTERPRETER_WIN"] == interpreter()
    assert keys["PYTHONPATH"] == str(ADDIN_DIR)
    assert keys["ADD_WORKBOOK_TO_PYTHONPATH"] is False and "UDF MODULES" in keys
    assert (tmp_path / ".myaddin" / "myaddin.conf").exists()
