"""The built WPS 加载项 in a real browser engine, opened from its folder as file:// the way an
offline add-in is: headless Chromium loads Pyodide and engine.zip without any server (Chromium
refuses fetch() and module imports of file: URLs, so this exercises main.js's fallback to
files/*.js), then clicks 校验本工作簿 and 清除标注 on the fake WPS Application
(addin/wps/tools/fakewps.mjs, inlined) holding a sample.  The marks must equal those of the Node
run (tests/test_wps.py compares those with the CLI) and 清除标注 must restore the exact state.

Skips where Chromium or Node.js is not installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SAMPLES

ROOT = Path(__file__).resolve().parent.parent
WPS = ROOT / "addin" / "wps"
CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(CHROMIUM is None or NODE is None, reason="Chromium or Node.js not installed")
SAMPLE = SAMPLES / "yantai-2024-budget.xlsx"

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<script>
{fake}
window.Application = FakeApplication.fromState({state});
</script>
<script src="./pyodide/pyodide.asm.js"></script>
<script src="./pyodide/pyodide.js"></script>
<script src="./main.js"></script>
</head><body><script>
(async function () {{
  var app = window.Application;
  var before = JSON.stringify(app.snapshot());
  ribbon.OnAddinLoad({{}});
  var done = await ribbon.OnAction({{ Id: "czcheckValidate" }});
  var fills = {{ 13551615: "错误", 15523812: "无法校验", 10284031: "提示", 14348258: "尾差" }};
  var marked = [];
  app.book.sheets.forEach(function (s) {{
    if (/^(校验结果\\d*|czcheck标注记录)$/.test(s._name)) return;
    Array.from(s.comments.entries()).filter(function (e) {{ return e[1].indexOf("czcheck 校验") >= 0; }})
      .forEach(function (e) {{
        var rc = e[0].split(",").map(Number);
        marked.push({{ cell: s._name + "!" + colLetters(rc[1]) + rc[0], severity: fills[s.fills.get(e[0])] || "?" }});
      }});
  }});
  var cleared = await ribbon.OnAction({{ Id: "czcheckClear" }});
  console.log("CZCHECK-RESULT " + JSON.stringify({{ error: done.error || null, message: done.message, marked: marked,
    cleared: cleared.message || cleared.error, restored: JSON.stringify(app.snapshot()) === before }}));
}})().catch(function (e) {{ console.log("CZCHECK-RESULT " + JSON.stringify({{ error: String(e) }})); }});
</script></body></html>
"""


@pytest.fixture(scope="module")
def addin(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wpsb") / "czcheck-wps"
    subprocess.run([sys.executable, str(WPS / "build.py"), "--out", str(out)], check=True, timeout=900, capture_output=True)
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return folder


def _node(*args: str) -> str:
    proc = subprocess.run([NODE, str(WPS / "tools" / "click.mjs"), *args], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _chromium_console(page: Path, profile: Path, marker: str, timeout: float = 240) -> str:
    """Open ``page`` in headless Chromium and return the first console message starting with ``marker``."""
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-extensions", f"--user-data-dir={profile}",
           "--enable-logging=stderr", "--v=0", page.as_uri()]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "CONSOLE" in line:
                seen.append(line[:300])
            at = line.find(marker)
            if at >= 0:
                text = line[at + len(marker):]
                return text[:text.rfind('", source:')] if '", source:' in text else text
            if time.monotonic() > deadline:
                break
    finally:
        proc.kill()
        proc.wait(timeout=30)
    raise AssertionError("no result from Chromium:\n" + "\n".join(seen[-10:]))


def test_addin_runs_from_its_folder_in_chromium(addin, tmp_path):
    (state,) = _node("--dump-state", str(SAMPLE)).splitlines()
    fake = (WPS / "tools" / "fakewps.mjs").read_text(encoding="utf-8")
    assert "import " not in fake.split("\n// ", 1)[0] and "\nimport " not in fake  # inlinable: no imports
    fake = fake.replace("export ", "")
    page = addin / "wps-browser-test.html"  # beside index.html: the same base URL as the add-in's pages
    page.write_text(PAGE.format(fake=fake, state=state.replace("</", "<\\/")), encoding="utf-8")
    raw = _chromium_console(page, tmp_path / "profile", "CZCHECK-RESULT ")
    result = json.loads(raw.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
                        if "\\u" in raw or '\\"' in raw else raw)
    assert result["error"] is None, result
    assert result["message"].startswith("校验完成：共 ")
    (node,) = map(json.loads, _node("--addin", str(addin), str(SAMPLE)).splitlines())
    def key(m):
        return m["cell"]

    assert sorted(result["marked"], key=key) == sorted(node["marked"], key=key) and len(result["marked"]) > 10
    assert result["restored"] is True and result["cleared"].startswith("已清除标注")
