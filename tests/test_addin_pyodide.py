"""The engine without CPython: the five samples' live-book grids (as the add-in reads them) run
through the engine under Node.js + Pyodide (npm's pyodide package, addin/pyodide/) and give
exactly the findings CPython gives.  Skips only where Node.js is not installed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import SAMPLES

ROOT = Path(__file__).resolve().parent.parent
PYODIDE = ROOT / "addin" / "pyodide"
NAMES = sorted(p.name for p in SAMPLES.glob("*.xlsx"))


def live_grids_json(path: Path) -> str:
    from addin.excel import read_grids
    from addin.gridjson import grids_to_json
    from test_addin import FakeBook

    return grids_to_json(read_grids(FakeBook.from_xlsx(path)), source=path.name)


@pytest.fixture(scope="session")
def pyodide_run():
    """One Node process, one Pyodide load, every sample: (header, {name: result})."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (.ci/run installs it where apt-get can)")
    if shutil.which("npm") is None and not (PYODIDE / "node_modules" / "pyodide").is_dir():
        pytest.skip("npm is not installed, so npm's pyodide package cannot be (.ci/run installs both)")
    subprocess.run(["bash", str(PYODIDE / "install.sh")], check=True, timeout=600)
    inputs = {name: live_grids_json(SAMPLES / name) for name in NAMES}
    bad = '{"sheets": 3}'  # a malformed request: an error line, and the next request still served
    proc = subprocess.run([node, str(PYODIDE / "engine.mjs")], input="\n".join([bad, *inputs.values()]) + "\n",
                          capture_output=True, text=True, timeout=600, cwd=PYODIDE)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 2 + len(NAMES), proc.stderr[-3000:]
    assert set(lines[1]) == {"error"}
    return lines[0], dict(zip(NAMES, lines[2:])), inputs


def test_five_samples(pyodide_run):
    assert len(NAMES) == 5


def test_pyodide_loads_no_compiled_or_file_reading_package(pyodide_run):
    header, _, _ = pyodide_run
    assert header["python"].startswith("3.")
    assert header["foreign_modules"] == ""  # no calamine, openpyxl, pandas, numpy, defusedxml, xlwings


@pytest.mark.parametrize("name", NAMES)
def test_findings_identical_to_cpython(pyodide_run, name):
    from addin.gridjson import grids_from_json, validate_json
    from validators.reading import disclosure_from_grids
    from validators.rules import run_rules

    _, results, inputs = pyodide_run
    result = results[name]
    assert "error" not in result, result.get("error")
    cpython = json.loads(validate_json(inputs[name]))
    grids, source = grids_from_json(inputs[name])
    direct = [f.to_dict() for f in run_rules(disclosure_from_grids(grids, source=source))]
    assert json.loads(json.dumps(direct, ensure_ascii=False, default=str)) == cpython
    assert cpython, "a sample without findings proves little"
    assert result["findings"] == cpython
