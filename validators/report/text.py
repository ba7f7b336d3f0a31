"""The readable Chinese console summary."""

from __future__ import annotations

from ..amounts import amount_parts
from ..model import SEVERITY_ORDER, Report, Severity
from ..status import Status, status_counts


def counts_line(report: Report) -> str:
    return "，".join(f"{s.value} {report.count(s)} 项" for s in SEVERITY_ORDER)


def describe_source(report: Report) -> str:
    d = report.disclosure
    if d is None:
        return report.source
    bits = [b for b in (d.department, f"{d.year}年" if d.year else None, f"部门{d.kind}" if d.kind else None) if b]
    return f"{report.source}（{' '.join(bits)}）" if bits else report.source


def render_text(reports: list[Report], show_rounding: bool = True) -> str:
    out: list[str] = []
    for report in reports:
        out.append(f"文件：{describe_source(report)}")
        if report.error:
            out.append(f"  {Status.FAILED.value}：{report.error}")
            out.append("")
            continue
        out.append(f"  状态：{report.status.describe()}")
        out.append(f"  结果：{counts_line(report)}")
        if report.baselined:
            out.append(f"  已按基线忽略 {len(report.baselined)} 条")
        for f in report.findings:
            if f.severity is Severity.ROUNDING and not show_rounding:
                continue
            where = str(f.cells[0]) if f.cells else (f.table or "")
            out.append(f"  [{f.severity.value}] {f.code} {where}")
            out.append(f"      {f.message}")
            nums = amount_parts(f.expected, f.actual, f.difference, bool(f.evidence.get("actual_blank")))
            if nums:
                out.append("      " + "，".join(nums))
            related = [c for c in f.related_cells if c not in f.cells]
            if related:
                shown = "、".join(str(c) for c in related[:8]) + (f" 等 {len(related)} 个单元格" if len(related) > 8 else "")
                out.append(f"      相关单元格：{shown}")
        out.append("")
    if len(reports) > 1:
        total = {s: sum(r.count(s) for r in reports) for s in SEVERITY_ORDER}
        failed = sum(1 for r in reports if r.error)
        out.append(f"共 {len(reports)} 个文件，无法读取 {failed} 个；" + "，".join(f"{s.value} {n} 项" for s, n in total.items()))
        out.append(f"文件状态：{status_counts(reports).line()}")
        not_checked = [r for r in reports if r.status.failed]
        if not_checked:
            out.append("未能校验的文件：" + "、".join(r.source for r in not_checked))
    elif reports:
        out.append(verdict(reports[0]))
    suppressed = sum(len(r.baselined) for r in reports)
    if suppressed:
        out.append(f"已按基线忽略 {suppressed} 条（与基线文件中已接受的结果相同）。")
    return "\n".join(out)


def verdict(r: Report) -> str:
    """The closing line for one file.  Never “未发现错误” alone unless the file was fully checked."""
    status = r.status
    if status.failed:
        return f"校验未完成：{status.describe()}。"
    errors, unverifiable = r.count(Severity.ERROR), r.count(Severity.UNVERIFIABLE)
    found = f"发现 {errors} 项错误，请逐项核对" if errors else "未发现错误"
    caveats = []
    if not status.checked:
        caveats.append(f"仅{status.describe()}")
    if unverifiable:
        caveats.append(f"另有 {unverifiable} 项无法校验，需人工核对")
    return f"校验完成：{found}" + ("，但" + "；".join(caveats) if caveats else "") + "。"
