"""One self-contained Chinese HTML report for a batch: inline CSS, JS and SVG, no network.

Every text that comes from a workbook or a finding is escaped (``html.escape`` with quotes); links
are relative paths, percent-encoded, and only ever point at files the batch wrote (marked copies).
A Content-Security-Policy forbids any network access from the page.
"""

from __future__ import annotations

import datetime as _dt
from html import escape
from pathlib import Path
from typing import Mapping
from urllib.parse import quote

from .. import __version__
from ..amounts import fmt
from ..model import SEVERITY_ORDER, Report, Severity
from ..status import Status, status_counts
from .summary import BatchSummary, department_of, link_target, marked_for, primary_cell, rule_name, summarise

SEVERITY_CLASS = {Severity.ERROR: "err", Severity.UNVERIFIABLE: "unv", Severity.WARNING: "warn", Severity.ROUNDING: "rnd"}
SEVERITY_COLOR = {Severity.ERROR: "#c0392b", Severity.UNVERIFIABLE: "#7d3c98", Severity.WARNING: "#d68910", Severity.ROUNDING: "#95a5a6"}
MAX_CHART_BARS = 30

CSS = """
*{box-sizing:border-box}
body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:0;color:#222;background:#f5f6f8}
header{background:#1f3a5f;color:#fff;padding:18px 28px}
header h1{margin:0 0 6px;font-size:22px}
header p{margin:0;opacity:.85;font-size:13px}
main{padding:18px 28px 40px}
section{background:#fff;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:14px 18px;margin-bottom:18px}
h2{font-size:17px;margin:0 0 10px;border-left:4px solid #1f3a5f;padding-left:8px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{flex:1 1 140px;border-radius:6px;padding:10px 14px;color:#fff}
.card b{display:block;font-size:26px}
.card.files{background:#34495e}.card.err{background:#c0392b}.card.unv{background:#7d3c98}
.card.warn{background:#d68910}.card.rnd{background:#95a5a6}.card.bad{background:#566573}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border:1px solid #dde1e6;padding:4px 7px;text-align:left;vertical-align:top}
th{background:#eef2f7;position:sticky;top:0}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.z{color:#bbb}
.sev{display:inline-block;border-radius:3px;padding:0 5px;color:#fff;font-size:12px;white-space:nowrap}
.sev.err{background:#c0392b}.sev.unv{background:#7d3c98}.sev.warn{background:#d68910}.sev.rnd{background:#95a5a6}
.charts{display:flex;gap:18px;flex-wrap:wrap}
.chart{flex:1 1 520px;min-width:0}
.chart svg{width:100%;height:auto}
.chart .bar{cursor:pointer}
.legend span{display:inline-block;margin-right:12px;font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
.filters{display:flex;gap:10px;flex-wrap:wrap;align-items:center;margin-bottom:10px;font-size:13px}
.filters select,.filters input[type=search]{padding:4px 6px;font-size:13px;max-width:260px}
.filters label{white-space:nowrap}
#shown{margin-left:auto;color:#555}
.scroll{max-height:70vh;overflow:auto;border:1px solid #dde1e6}
td.dept{min-width:9em}
.cells{font-family:Consolas,"DejaVu Sans Mono",monospace;font-size:12px;min-width:14em;max-width:24em;word-break:break-all}
td.msg{min-width:26em}
td.file{min-width:9em;max-width:14em;word-break:break-all}
.muted{color:#777;font-size:12px}
a{color:#1f5fa8}
.card.st-ok{background:#1e8449}.card.st-part{background:#b9770e}.card.st-fail{background:#7b241c}
.st{display:inline-block;border-radius:3px;padding:0 5px;color:#fff;font-size:12px;white-space:nowrap}
.st.st-ok{background:#1e8449}.st.st-part{background:#b9770e}.st.st-fail{background:#7b241c}
"""

JS = """
(function(){
  var rows=Array.prototype.slice.call(document.querySelectorAll('#findings tbody tr'));
  var fSev=document.querySelectorAll('input[name=sev]');
  var fRule=document.getElementById('f-rule'),fDept=document.getElementById('f-dept'),fText=document.getElementById('f-text');
  var shown=document.getElementById('shown-n');
  function apply(){
    var sev={};for(var i=0;i<fSev.length;i++){if(fSev[i].checked)sev[fSev[i].value]=1;}
    var rule=fRule.value,dept=fDept.value,text=fText.value.trim().toLowerCase(),n=0;
    for(var j=0;j<rows.length;j++){
      var r=rows[j],ok=sev[r.getAttribute('data-sev')]&&(!rule||r.getAttribute('data-rule')===rule)
        &&(!dept||r.getAttribute('data-dept')===dept)&&(!text||r.textContent.toLowerCase().indexOf(text)>=0);
      r.style.display=ok?'':'none';if(ok)n++;
    }
    shown.textContent=n;
  }
  for(var i=0;i<fSev.length;i++)fSev[i].addEventListener('change',apply);
  fRule.addEventListener('change',apply);fDept.addEventListener('change',apply);fText.addEventListener('input',apply);
  function pick(sel,val){sel.value=val;apply();document.getElementById('findings-section').scrollIntoView();}
  document.querySelectorAll('[data-pick-rule]').forEach(function(el){el.addEventListener('click',function(){pick(fRule,el.getAttribute('data-pick-rule'));});});
  document.querySelectorAll('[data-pick-dept]').forEach(function(el){el.addEventListener('click',function(){pick(fDept,el.getAttribute('data-pick-dept'));});});
  document.getElementById('f-reset').addEventListener('click',function(){
    for(var i=0;i<fSev.length;i++)fSev[i].checked=true;fRule.value='';fDept.value='';fText.value='';apply();});
  window.czcheckFilter=function(o){o=o||{};
    if(o.severities){for(var i=0;i<fSev.length;i++)fSev[i].checked=o.severities.indexOf(fSev[i].value)>=0;}
    if('rule' in o)fRule.value=o.rule||'';if('dept' in o)fDept.value=o.dept||'';if('text' in o)fText.value=o.text||'';
    apply();return Number(shown.textContent);};
  apply();
})();
"""


def e(value: object) -> str:
    """Escape any text for HTML element content and attribute values."""
    return escape("" if value is None else str(value), quote=True)


def _href(target: str, report_dir: Path) -> str:
    return quote(link_target(target, report_dir), safe="/")


def _bar_chart(title: str, items: list[tuple[str, str, dict[Severity, int]]], pick_attr: str, note: str = "") -> str:
    """Horizontal stacked bars. items: (label shown, filter value, counts by severity)."""
    label_w, bar_w, row_h, top = 230, 430, 22, 6
    height = top + row_h * max(1, len(items)) + 6
    peak = max([sum(c.values()) for _, _, c in items] + [1])
    parts = [f'<svg viewBox="0 0 {label_w + bar_w + 60} {height}" role="img" aria-label="{e(title)}" xmlns="http://www.w3.org/2000/svg">']
    if not items:
        parts.append(f'<text x="10" y="{top + 15}" font-size="13" fill="#777">无</text>')
    for i, (label, value, counts) in enumerate(items):
        y = top + i * row_h
        total = sum(counts.values())
        short = label if len(label) <= 16 else label[:15] + "…"
        parts.append(f'<g class="bar" {pick_attr}="{e(value)}"><title>{e(label)}：{total} 项（'
                     + "，".join(f"{s.value} {counts.get(s, 0)}" for s in SEVERITY_ORDER) + "）</title>")
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" font-size="12" text-anchor="end" fill="#333">{e(short)}</text>')
        x = float(label_w)
        for s in SEVERITY_ORDER:
            n = counts.get(s, 0)
            if not n:
                continue
            w = bar_w * n / peak
            parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 6}" fill="{SEVERITY_COLOR[s]}"/>')
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 15}" font-size="12" fill="#333">{total}</text></g>')
    parts.append("</svg>")
    legend = '<div class="legend">' + "".join(f'<span><i style="background:{SEVERITY_COLOR[s]}"></i>{e(s.value)}</span>' for s in SEVERITY_ORDER) + "</div>"
    return f'<div class="chart"><h3 style="font-size:14px;margin:4px 0">{e(title)}</h3>{legend}{"".join(parts)}{note}</div>'


def _counterparts(f) -> str:
    """The counterpart documents of a cross-document finding, with their cells (or PDF pages)."""
    found = (f.evidence or {}).get("counterparts") or []
    lines = []
    for c in found:
        cells = c.get("cells") or []
        shown = "、".join(cells[:6]) + (f" 等 {len(cells)} 处" if len(cells) > 6 else "")
        lines.append(f'<div class="muted counterpart" title="{e(c.get("source"))}">对照：{e(c.get("label"))}'
                     + (f"：{e(shown)}" if shown else "") + "</div>")
    return "".join(lines)


def _num(x) -> str:
    return "" if x is None else e(fmt(x))


def _count_cells(counts) -> str:
    return "".join(f'<td class="n{"" if counts.get(s, 0) else " z"}">{counts.get(s, 0)}</td>' for s in SEVERITY_ORDER)


STATUS_CLASS = {Status.VERIFIED: "st-ok", Status.PARTIAL: "st-part", Status.FAILED: "st-fail"}


def _status_section(reports: list[Report]) -> str:
    counts = status_counts(reports).counts
    out = ['<section id="file-status"><h2>文件状态</h2><div class="cards">']
    out += [f'<div class="card {STATUS_CLASS[st]}" data-status="{e(st.value)}"><b>{n}</b>{e(st.value)}</div>' for st, n in counts.items()]
    out.append('</div><p class="muted">已校验：所需公开表全部找到并读取；部分校验：缺少某些表或某些表无法完整读取，'
               '相关结论不完整；未能校验：无法读取、空白工作簿或没有识别出任何公开表，需人工处理。</p>')
    out.append('<div class="scroll"><table id="status-list"><thead><tr><th>#</th><th>文件</th><th>部门</th><th>状态</th><th>说明</th>')
    out.append("".join(f"<th>{e(sev.value)}</th>" for sev in SEVERITY_ORDER) + "<th>已按基线忽略</th></tr></thead><tbody>")
    for i, r in enumerate(reports, start=1):
        st = r.status
        out.append(f'<tr data-status="{e(st.value)}"><td class="n">{i}</td><td class="file" title="{e(r.source)}">{e(Path(r.source).name)}</td>'
                   f'<td class="dept">{e(department_of(r))}</td><td><span class="st {STATUS_CLASS[st.level]}">{e(st.value)}</span></td>'
                   f'<td class="msg">{e("；".join(st.reasons))}</td>' + _count_cells({s: r.count(s) for s in SEVERITY_ORDER})
                   + f'<td class="n{"" if r.baselined else " z"}">{len(r.baselined)}</td></tr>')
    out.append("</tbody></table></div></section>")
    return "".join(out)


def render_html(reports: list[Report], *, report_path: str | Path | None = None, marked: Mapping[str, str] | None = None,
                title: str = "财政公开表校验报告", timelines: list | None = None) -> str:
    """The HTML page.  ``report_path`` is where it will be written (links are made relative to its folder);
    ``marked`` maps a report's source to its marked copy."""
    report_dir = Path(report_path).resolve().parent if report_path else Path.cwd()
    s: BatchSummary = summarise(reports)
    now = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    out: list[str] = []
    w = out.append
    w("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">")
    w("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "script-src 'unsafe-inline'; img-src data:\">")
    w('<meta name="viewport" content="width=device-width, initial-scale=1">')
    w(f"<title>{e(title)}</title><style>{CSS}</style></head><body>")
    w(f"<header><h1>{e(title)}</h1><p>共 {len(reports)} 个工作簿、{len(s.departments)} 个部门；生成时间 {e(now)}；czcheck {e(__version__)}</p></header><main>")

    # ---- per-file status first: was each file really checked?
    w(_status_section(reports))

    # ---- severity cards
    w('<section id="overview"><h2>总体情况</h2><div class="cards">')
    w(f'<div class="card files"><b>{len(reports)}</b>工作簿</div>')
    for sev in SEVERITY_ORDER:
        w(f'<div class="card {SEVERITY_CLASS[sev]}" data-severity="{e(sev.value)}"><b>{s.totals[sev]}</b>{e(sev.value)}</div>')
    w(f'<div class="card bad"><b>{len(s.unreadable)}</b>无法读取的文件</div></div>')
    w('<p class="muted">错误：必须改正；无法校验：所需数据缺失或无法识别，需人工核对；提示：需要说明；尾差：在四舍五入允许范围内，仅供参考。</p></section>')

    # ---- charts
    rule_items = [(f"{r.code} {r.name}", r.code, dict(r.counts)) for r in s.rules]
    # departments with the most 错误 first, then by all findings
    dept_sorted = sorted(s.departments, key=lambda d: (-d.counts.get(Severity.ERROR, 0), -d.total, d.name))
    dept_items = [(d.name, d.name, dict(d.counts)) for d in dept_sorted[:MAX_CHART_BARS] if d.total]
    note = f'<p class="muted">仅显示错误最多的 {MAX_CHART_BARS} 个部门。</p>' if sum(1 for d in dept_sorted if d.total) > MAX_CHART_BARS else ""
    w('<section id="charts"><h2>问题分布</h2><p class="muted">点击条形可在下方明细中筛选。</p><div class="charts">')
    w(_bar_chart("各规则问题数", rule_items, "data-pick-rule"))
    w(_bar_chart("各部门问题数", dept_items, "data-pick-dept", note))
    w("</div></section>")

    # ---- by department
    w('<section id="by-department"><h2>按部门汇总</h2><div class="scroll"><table><thead><tr><th>部门</th><th>年度</th><th>文件数</th>')
    w("".join(f"<th>{e(sev.value)}</th>" for sev in SEVERITY_ORDER))
    w("<th>无法读取</th><th>主要问题</th></tr></thead><tbody>")
    for d in s.departments:
        years = "、".join(str(y) for y in sorted(d.years))
        top = "；".join(f"{e(code)}×{n}" for code, n in d.top_rules())
        w(f'<tr><td><a href="#findings-section" data-pick-dept="{e(d.name)}">{e(d.name)}</a></td><td>{e(years)}</td><td class="n">{len(d.files)}</td>')
        w(_count_cells(d.counts))
        w(f'<td class="n{"" if d.unreadable else " z"}">{d.unreadable}</td><td>{top}</td></tr>')
    w("</tbody></table></div></section>")

    # ---- by rule
    w('<section id="by-rule"><h2>按规则汇总</h2><div class="scroll"><table><thead><tr><th>规则</th><th>名称</th>')
    w("".join(f"<th>{e(sev.value)}</th>" for sev in SEVERITY_ORDER))
    w("<th>涉及部门数</th></tr></thead><tbody>")
    for r in s.rules:
        w(f'<tr><td><a href="#findings-section" data-pick-rule="{e(r.code)}">{e(r.code)}</a></td><td>{e(r.name)}</td>')
        w(_count_cells(r.counts))
        w(f'<td class="n">{len(r.departments)}</td></tr>')
    if not s.rules:
        w(f'<tr><td colspan="{len(SEVERITY_ORDER) + 3}">未发现问题。</td></tr>')
    w("</tbody></table></div></section>")

    # ---- unreadable files
    if s.unreadable:
        w('<section id="unreadable"><h2>无法读取的文件</h2><table><thead><tr><th>文件</th><th>原因</th></tr></thead><tbody>')
        for r in s.unreadable:
            w(f"<tr><td>{e(r.source)}</td><td>{e(r.error)}</td></tr>")
        w("</tbody></table></section>")

    # ---- department timelines across documents (validators/archive/timeline.py; only with --archive/--with)
    if timelines:
        from ..archive.timeline import render_html_section

        w(render_html_section(timelines))

    # ---- findings
    has_marked = bool(marked)
    w('<section id="findings-section"><h2>问题明细</h2><div class="filters">')
    for sev in SEVERITY_ORDER:
        w(f'<label><input type="checkbox" name="sev" value="{e(sev.value)}" checked> {e(sev.value)}</label>')
    w('<select id="f-rule" aria-label="规则"><option value="">全部规则</option>')
    w("".join(f'<option value="{e(r.code)}">{e(r.code)} {e(r.name)}</option>' for r in sorted(s.rules, key=lambda r: r.code)))
    w('</select><select id="f-dept" aria-label="部门"><option value="">全部部门</option>')
    w("".join(f'<option value="{e(d.name)}">{e(d.name)}</option>' for d in sorted(s.departments, key=lambda d: d.name)))
    w('</select><input type="search" id="f-text" placeholder="搜索说明、单元格、文件…" aria-label="搜索">')
    w(f'<button type="button" id="f-reset">清除筛选</button><span id="shown">显示 <b id="shown-n">{s.finding_count}</b> / {s.finding_count} 条</span></div>')
    w('<div class="scroll"><table id="findings"><thead><tr><th>#</th><th>部门</th><th>文件</th><th>级别</th><th>规则</th><th>单元格</th><th>说明</th><th>应为</th><th>实际</th><th>差额</th>')
    if has_marked:
        w("<th>标注副本</th>")
    w("</tr></thead><tbody>")
    n = 0
    for report in reports:
        dept = department_of(report)
        name = Path(report.source).name
        mark = marked_for(report, marked)
        mark_cell = f'<td><a href="{e(_href(mark, report_dir))}">打开</a></td>' if mark else "<td></td>"
        for f in report.findings:
            n += 1
            cls = SEVERITY_CLASS[f.severity]
            related = [str(c) for c in f.related_cells if c not in f.cells]
            cells = e(primary_cell(f))
            if len(f.cells) > 1:
                cells += "<br>" + "<br>".join(e(c) for c in f.cells[1:4])
            if related:
                shown = "、".join(related[:6]) + (f" 等 {len(related)} 个" if len(related) > 6 else "")
                cells += f'<div class="muted" title="{e("、".join(related))}">相关：{e(shown)}</div>'
            w(f'<tr data-sev="{e(f.severity.value)}" data-rule="{e(f.code)}" data-dept="{e(dept)}">'
              f'<td class="n">{n}</td><td class="dept">{e(dept)}</td><td class="file" title="{e(report.source)}">{e(name)}</td>'
              f'<td><span class="sev {cls}">{e(f.severity.value)}</span></td>'
              f'<td title="{e(rule_name(f))}">{e(f.code)}</td><td class="cells">{cells}</td><td class="msg">{e(f.message)}{_counterparts(f)}</td>'
              f'<td class="n">{_num(f.expected)}</td><td class="n">{_num(f.actual)}</td><td class="n">{_num(f.difference)}</td>'
              + (mark_cell if has_marked else "") + "</tr>")
    w("</tbody></table></div></section>")
    w(f"</main><script>{JS}</script></body></html>")
    return "".join(out)
