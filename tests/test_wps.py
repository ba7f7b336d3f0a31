"""The WPS 加载项 without WPS: the offline folder built by addin/wps/build.py, and its 校验本工作簿 /
清除标注 handlers (addin/wps/main.js, unchanged) run by addin/wps/tools/click.mjs in Node against a
fake WPS Application built from each sample (real state, every call counted) with the real Pyodide
engine loaded from the built folder.  The marks must name exactly the cells `czcheck validate
--format json` names, a re-run must change nothing, 清除标注 must give back the exact state.

Skips where Node.js is missing, or npm is missing and the npm packages are not installed yet.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import SAMPLES

ROOT = Path(__file__).resolve().parent.parent
WPS = ROOT / "addin" / "wps"
CLICK = WPS / "tools" / "click.mjs"
NAMES = sorted(p.name for p in SAMPLES.glob("*.xlsx"))
RANK = {"错误": 0, "无法校验": 1, "提示": 2, "尾差": 3}


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (.ci/run installs it where apt-get can)")
    have = (ROOT / "addin" / "pyodide" / "node_modules" / "pyodide").is_dir() and (WPS / "tools" / "node_modules" / "exceljs").is_dir()
    if shutil.which("npm") is None and not have:
        pytest.skip("npm is not installed, so the pinned npm packages cannot be (.ci/run installs both)")
    return node


def _click(addin: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([_node(), str(CLICK), "--addin", str(addin), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def _lines(proc: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    _node()
    out = tmp_path_factory.mktemp("wps") / "czcheck-wps"
    subprocess.run([sys.executable, str(WPS / "build.py"), "--out", str(out)], check=True, timeout=900,
                   capture_output=True)
    return out


@pytest.fixture(scope="module")
def addin(built) -> Path:
    (folder,) = [p for p in built.iterdir() if p.is_dir()]
    return folder


@pytest.fixture(scope="module")
def clicks(addin) -> dict[str, dict]:
    """One Node process, one Pyodide load: every sample clicked, clicked again, cleared."""
    proc = _click(addin, *[str(SAMPLES / n) for n in NAMES], "--twice", "--clear", "--calls")
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = _lines(proc)
    assert len(lines) == len(NAMES), proc.stderr[-3000:]
    return {Path(d["book"]).name: d for d in lines}


@pytest.fixture(scope="module")
def cli() -> dict[str, list[dict]]:
    proc = subprocess.run([sys.executable, "-m", "validators", "validate", *[str(SAMPLES / n) for n in NAMES],
                           "--format", "json"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    return {Path(f["source"]).name: f["findings"] for f in json.loads(proc.stdout)["files"]}


def test_five_samples():
    assert len(NAMES) == 5


# ---- the offline folder ------------------------------------------------------------------------

def test_build_gives_a_complete_offline_folder_and_zip(built, addin):
    for name in ("index.html", "main.js", "ribbon.xml", "taskpane.html", "manifest.xml", "engine.zip",
                 "pyodide/pyodide.js", "pyodide/pyodide.asm.js", "pyodide/pyodide.asm.wasm", "pyodide/python_stdlib.zip",
                 "pyodide/pyodide-lock.json"):
        assert (addin / name).is_file(), name
    for name in ("index.html", "main.js", "taskpane.html"):  # nothing from the network at run time
        text = (addin / name).read_text(encoding="utf-8")
        assert not re.search(r"https?://(?!schemas\.)", text), name
    assert 'src="./pyodide/pyodide.js"' in (addin / "index.html").read_text(encoding="utf-8")
    publish = (built / "publish.xml").read_text(encoding="utf-8")
    assert f'url="{addin.name}"' in publish and 'type="et"' in publish and 'name="czcheck"' in publish
    assert "jsplugin" in (built / "jsplugins.xml").read_text(encoding="utf-8")
    assert addin.name in (built / "install.sh").read_text(encoding="utf-8")
    assert addin.name in (built / "安装.bat").read_text(encoding="utf-8")
    with zipfile.ZipFile(built.parent / "czcheck-wps.zip") as z:
        names = set(z.namelist())
    assert f"czcheck-wps/{addin.name}/engine.zip" in names and "czcheck-wps/publish.xml" in names
    assert f"czcheck-wps/{addin.name}/pyodide/pyodide.asm.wasm" in names


def test_engine_is_packed_from_this_checkout(addin):
    """No copy to drift: every engine source in engine.zip is the repository's file, byte for byte."""
    with zipfile.ZipFile(addin / "engine.zip") as z:
        names = z.namelist()
        assert "validators/rules/__init__.py" in names and "addin/wps_plan.py" in names
        assert any(n.startswith("validators/schemas/formats/") and n.endswith(".toml") for n in names)
        assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
        for name in names:
            assert z.read(name) == (ROOT / name).read_bytes(), name
    repo = {p.relative_to(ROOT).as_posix() for p in (ROOT / "validators").rglob("*.py") if "__pycache__" not in p.parts}
    assert repo <= set(names)


def test_build_is_reproducible(built, tmp_path):
    again = tmp_path / "czcheck-wps"
    subprocess.run([sys.executable, str(WPS / "build.py"), "--out", str(again)], check=True, timeout=900, capture_output=True)
    assert (tmp_path / "czcheck-wps.zip").read_bytes() == (built.parent / "czcheck-wps.zip").read_bytes()


# ---- the ribbon --------------------------------------------------------------------------------

def test_ribbon_xml_is_valid_customui():
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(ROOT / "tests" / "data" / "customUI.xsd"))
    ui = (WPS / "ribbon.xml").read_text(encoding="utf-8")
    schema.validate(ui)
    assert not schema.is_valid(ui.replace('size="large"', 'size="huge"', 1))
    assert not schema.is_valid(ui.replace('<button id="czcheckClear"', '<button id="czcheck Clear"'))
    for label in ('label="财政校验"', 'label="校验本工作簿"', 'label="清除标注"', 'label="关于"'):
        assert label in ui


def test_every_ribbon_callback_exists_in_the_js(addin):
    proc = _click(addin, "--callbacks")
    assert proc.returncode == 0, proc.stderr[-2000:]
    (line,) = _lines(proc)
    named = {c["callback"] for c in line["callbacks"]}
    assert {"ribbon.OnAddinLoad", "ribbon.OnAction"} <= named
    assert all(c["defined"] for c in line["callbacks"]), line
    ui = (WPS / "ribbon.xml").read_text(encoding="utf-8")
    main = (WPS / "main.js").read_text(encoding="utf-8")
    for button in re.findall(r'<button id="([^"]+)"', ui):
        assert f'case "{button}":' in main, button


# ---- clicking the samples ----------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_marked_cells_are_the_cells_the_cli_names(clicks, cli, name):
    result = clicks[name]
    assert "error" not in result, result.get("error")
    worst: dict[str, str] = {}
    for f in cli[name]:
        for cell in f["cells"] + f["related_cells"]:
            if cell not in worst or RANK[f["severity"]] < RANK[worst[cell]]:
                worst[cell] = f["severity"]
    assert worst, "a sample without findings proves little"
    marked = {m["cell"]: m["severity"] for m in result["marked"]}
    assert marked == worst


@pytest.mark.parametrize("name", NAMES)
def test_results_sheet_lists_every_finding_with_a_link(clicks, cli, name):
    result = clicks[name]
    rows = result["results"]
    assert len(rows) == len(cli[name]) == result["findings"]
    assert sorted(r["values"][2] for r in rows) == sorted(f["code"] for f in cli[name])
    for r in rows:
        where = r["values"][3]
        if "!" in where:
            sheet, cell = where.rsplit("!", 1)
            assert r["link"] == "#'" + sheet.replace("'", "''") + "'!" + cell
    assert result["message"].startswith("校验完成：共 ")


@pytest.mark.parametrize("name", NAMES)
def test_rerun_changes_nothing(clicks, name):
    rerun = clicks[name]["rerun"]
    assert rerun["error"] is None
    assert rerun["same_state"], rerun["difference"]
    assert rerun["marked"] == clicks[name]["marked"]
    assert "Range.AddComment" not in rerun["calls"] and "Interior.Color=" in rerun["calls"]  # only 校验结果's fills


@pytest.mark.parametrize("name", NAMES)
def test_clear_restores_the_exact_state(clicks, name):
    clear = clicks[name]["clear"]
    assert clear["error"] is None
    assert clear["restored"], clear["difference"]
    assert clear["message"].startswith("已清除标注")


@pytest.mark.parametrize("name", NAMES)
def test_object_model_calls_are_batched(clicks, name):
    """Fills go by colour and address chunk, values in one block per sheet: per marked cell only its
    comment (and its lookup); a re-run costs the reading of the sheets (values, visible rows) and
    the two czcheck sheets."""
    result = clicks[name]
    cells, calls, again = len(result["marked"]), result["calls"], result["rerun"]["calls"]
    sheets = calls["Range.Value2"]
    assert calls["Range.AddComment"] == cells
    assert calls.get("Interior.Color=", 0) < cells / 3
    assert calls["Range.Value2="] == 2
    # a cell is looked up for its comment, a chunk for its fill, a block for its values or width
    assert calls["Worksheet.Range"] == (cells + calls["Range.Interior"] + calls["Range.Value2="]
                                        + calls.get("Range.ColumnWidth=", 0))
    assert sum(calls.values()) <= 3 * cells + 20 * sheets + 60, calls
    assert sum(again.values()) <= 20 * (sheets + 2) + 30, again  # + 校验结果 and the record


def test_fix_and_rerun_restores_the_users_fill_and_comment(addin, tmp_path):
    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    wb = load_workbook(SAMPLES / "yantai-2024-budget.xlsx")
    ws = wb["收支总体情况表"]
    assert ws["C31"].value == "支出总计"
    original = ws["D31"].value
    ws["D31"].value = original + 100
    ws["D31"].comment = Comment("填报人：请复核", "user")
    ws["D31"].fill = PatternFill("solid", fgColor="FFFFFF00")
    book = tmp_path / "broken.xlsx"
    wb.save(book)
    cell = "收支总体情况表!D31"
    proc = _click(addin, str(book), "--twice", "--clear", "--edit", f"{cell}={original}", "--show", cell)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (result,) = _lines(proc)
    first, rerun, cleared = (result["show"][k][cell] for k in ("first", "rerun", "clear"))
    assert {"cell": cell, "severity": "错误"} in result["marked"]
    assert first["comment"].startswith("填报人：请复核\n———— czcheck ————\n") and "SZ102" in first["comment"]
    assert first["fill"] != 0x00FFFF
    assert rerun == cleared == {"value": original, "fill": 0x00FFFF, "comment": "填报人：请复核"}  # yellow, as BGR
    assert cell not in {m["cell"] for m in result["rerun"]["marked"]}
    assert result["clear"]["restored"], result["clear"]["difference"]


def test_bad_input_is_a_chinese_message_and_exit_2(addin, tmp_path):
    fake = tmp_path / "假的.xlsx"
    fake.write_text("这不是工作簿", encoding="utf-8")
    for args, words in (([str(tmp_path / "没有.xlsx")], "找不到文件"), ([str(fake)], "无法读取工作簿"),
                        (["--bogus"], "未知参数")):
        proc = _click(addin, *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert words in proc.stderr
        assert "    at " not in proc.stderr and "Error:" not in proc.stderr  # no stack trace
        assert proc.stdout == ""


# ---- the Python half, without Node -------------------------------------------------------------

def test_colours_and_error_values_cross_the_bridge():
    from addin.wps_plan import CV_ERRORS, _grid_rows, bgr, rgb_hex

    assert bgr("#FFC7CE") == 0xCEC7FF and rgb_hex(0xCEC7FF) == "#FFC7CE"
    assert bgr(None) is None and rgb_hex(None) is None
    rows = _grid_rows({"row": 2, "col": 3, "values": [[1.5, -2146826265.0], ["x", None]]})
    assert rows == [[], [None, None, 1.5, "#REF!"], [None, None, "x", None]]
    assert _grid_rows({"row": 1, "col": 1, "values": 7}) == [[7]]  # a one-cell used range
    assert set(CV_ERRORS.values()) >= {"#REF!", "#DIV/0!", "#N/A", "#VALUE!"}


def test_unreadable_book_is_an_error_not_a_traceback(monkeypatch):
    import addin.wps_plan as wps_plan
    import validators.reading as reading

    def refuse(grids, source=""):
        raise reading.ReadError("工作簿结构异常")

    monkeypatch.setattr(reading, "disclosure_from_grids", refuse)
    out = json.loads(wps_plan.begin(json.dumps({"source": "x.xlsx", "sheets": [{"name": "表1", "values": [["a"]]}]})))
    assert out == {"error": "无法校验本工作簿：工作簿结构异常"}


def test_a_sheet_refusing_changes_is_a_message_and_clear_recovers(addin):
    """A protected sheet makes the click fail midway: a Chinese message, the screen updating again,
    and the record (written before any mark) lets 清除标注 give back the exact state."""
    name = "weihai-2024-final-accounts.xlsx"
    proc = _click(addin, str(SAMPLES / name), "--protect", "收入支出决算总表", "--clear")
    assert proc.returncode == 2
    (result,) = _lines(proc)
    assert result["error"].startswith("修改工作簿时出错：") and "受保护" in result["error"]
    assert result["screen_updating"] is True
    assert result["clear"]["restored"], result["clear"]["difference"]


def test_rows_hidden_inside_a_table_are_reported_as_the_cli_reports_them(addin, tmp_path):
    from openpyxl import load_workbook

    wb = load_workbook(SAMPLES / "zibo-2024-budget.xlsx")
    ws = wb["收入总体情况表"]
    ws.row_dimensions[9].hidden = ws.row_dimensions[10].hidden = True
    book = tmp_path / "hidden.xlsx"
    wb.save(book)
    proc = subprocess.run([sys.executable, "-m", "validators", "validate", str(book), "--format", "json"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    findings = json.loads(proc.stdout)["files"][0]["findings"]
    assert any(f["code"] == "WZ807" for f in findings)
    proc = _click(addin, str(book), "--clear")
    assert proc.returncode == 0, proc.stderr[-3000:]
    (result,) = _lines(proc)
    assert {m["cell"] for m in result["marked"]} == {c for f in findings for c in f["cells"] + f["related_cells"]}
    assert any(r["values"][2] == "WZ807" for r in result["results"])
    assert result["clear"]["restored"]


def test_a_stray_cell_far_away_is_read_by_filled_areas_not_a_giant_array(addin, tmp_path):
    """A used range of 1,048,576 x 16,384 cells (one stray entry in XFD1048576) is not read as one
    Value2 array: the filled areas are, and the findings are the CLI's."""
    from openpyxl import load_workbook

    wb = load_workbook(SAMPLES / "yantai-2024-budget.xlsx")
    wb["收支总体情况表"]["XFD1048576"] = "x"
    book = tmp_path / "stray.xlsx"
    wb.save(book)
    proc = subprocess.run([sys.executable, "-m", "validators", "validate", str(book), "--format", "json"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    findings = json.loads(proc.stdout)["files"][0]["findings"]
    proc = _click(addin, str(book), "--calls")
    assert proc.returncode == 0, proc.stderr[-3000:]
    (result,) = _lines(proc)
    assert {m["cell"] for m in result["marked"]} == {c for f in findings for c in f["cells"] + f["related_cells"]}
    assert result["calls"]["Range.SpecialCells"] >= 2
