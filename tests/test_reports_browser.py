"""The HTML report in headless Chromium: it renders, the filters work, hostile text stays text.

Skipped (not failed) when no Chromium is installed (Debian: apt-get install chromium).  The page is
loaded from a file with networking disabled; a copy with a small test script appended drives the
controls the way a user does (change/input/click events) and writes what it sees into the DOM, which
Chromium dumps.  A screenshot of the real report is kept as tests/artifacts/report.png.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from validators.batch import validate_many
from validators.report import render_html

from test_reports import hostile_report

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (apt-get install chromium): browser checks skipped")

DRIVER = r"""
<script>
(function(){
  function visible(){return Array.prototype.filter.call(document.querySelectorAll('#findings tbody tr'),
    function(r){return r.offsetParent!==null;});}
  function fire(el,type){el.dispatchEvent(new Event(type,{bubbles:true}));}
  var out={}, rows=document.querySelectorAll('#findings tbody tr');
  out.total=rows.length; out.initial=visible().length; out.shownText=document.getElementById('shown-n').textContent;
  // severity checkboxes: keep only 错误
  document.querySelectorAll('input[name=sev]').forEach(function(cb){cb.checked=(cb.value==='错误');fire(cb,'change');});
  out.errorsOnly=visible().map(function(r){return r.getAttribute('data-sev');});
  document.getElementById('f-reset').click();
  out.afterReset=visible().length;
  // rule select
  var rule=document.getElementById('f-rule'); rule.value=window.__rule; fire(rule,'change');
  out.ruleRows=visible().map(function(r){return r.getAttribute('data-rule');});
  document.getElementById('f-reset').click();
  // department select
  var dept=document.getElementById('f-dept'); dept.value=window.__dept; fire(dept,'change');
  out.deptRows=visible().map(function(r){return r.getAttribute('data-dept');});
  document.getElementById('f-reset').click();
  // free text
  var text=document.getElementById('f-text'); text.value=window.__text; fire(text,'input');
  out.textRows=visible().map(function(r){return r.textContent;});
  out.shownAfterText=document.getElementById('shown-n').textContent;
  document.getElementById('f-reset').click();
  // clicking a bar of the per-rule chart filters by that rule
  var bar=document.querySelector('g.bar[data-pick-rule]'); bar.dispatchEvent(new MouseEvent('click',{bubbles:true}));
  out.barRule=bar.getAttribute('data-pick-rule'); out.ruleAfterBar=rule.value; out.afterBar=visible().length;
  out.svgBars=document.querySelectorAll('svg rect').length;
  out.pwned=!!window.pwned; out.images=document.images.length;
  var pre=document.createElement('pre'); pre.id='czcheck-test'; pre.textContent=JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-extensions", f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=False)


@pytest.fixture(scope="module")
def page(sample_paths, template_path, tmp_path_factory):
    reports = validate_many([*sample_paths, template_path], jobs=2).reports + [hostile_report()]
    out = tmp_path_factory.mktemp("html") / "report.html"
    out.write_text(render_html(reports, report_path=out), encoding="utf-8")
    return out, reports


def test_report_renders_and_filters_work_in_chromium(page, tmp_path):
    path, reports = page
    findings = [(r, f) for r in reports for f in r.findings]
    rule = findings[0][1].code
    dept = "烟台市医疗保障局"
    text = "E24"
    setup = f"<script>window.__rule={json.dumps(rule)};window.__dept={json.dumps(dept)};window.__text={json.dumps(text)};</script>"
    html = path.read_text(encoding="utf-8").replace("</body>", setup + DRIVER + "</body>")
    test_page = path.with_name("driven.html")
    test_page.write_text(html, encoding="utf-8")
    proc = _chromium("--virtual-time-budget=5000", "--dump-dom", test_page.as_uri(), profile=tmp_path / "profile")
    m = re.search(r'<pre id="czcheck-test">(.*?)</pre>', proc.stdout, re.S)
    assert m, proc.stderr[-2000:]
    got = json.loads(m.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    n = len(findings)
    assert got["total"] == got["initial"] == got["afterReset"] == n and got["shownText"] == str(n)
    assert got["errorsOnly"] == ["错误"] * sum(1 for _, f in findings if f.severity.value == "错误")
    assert got["ruleRows"] == [rule] * sum(1 for _, f in findings if f.code == rule)
    # a department may have several workbooks (烟台 has a 2024 预算 and a 2019 决算 sample)
    assert got["deptRows"] == [dept] * sum(len(r.findings) for r in reports if r.disclosure and r.disclosure.department == dept)
    assert got["textRows"] and all(text in t for t in got["textRows"]) and got["shownAfterText"] == str(len(got["textRows"]))
    assert got["ruleAfterBar"] == got["barRule"] and 0 < got["afterBar"] < n
    assert got["svgBars"] > 0
    assert got["pwned"] is False and got["images"] == 0


def test_screenshot_artifact(page, tmp_path):
    import os

    path, _ = page
    # the kept artifact is rewritten only on request (the report carries a timestamp)
    if os.environ.get("CZCHECK_UPDATE_ARTIFACTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "report.png"
    else:
        shot = tmp_path / "report.png"
    proc = _chromium("--hide-scrollbars", "--window-size=1400,1900", "--virtual-time-budget=3000", f"--screenshot={shot}",
                     path.as_uri(), profile=tmp_path / "profile")
    assert shot.is_file() and shot.stat().st_size > 20_000, proc.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
