"""JUnit XML for CI: one test suite per workbook, one test case per finding.

错误 -> <failure>; 无法校验 and files 未能校验 (unreadable, empty, no table) -> <error> (the check could not run: fail closed);
提示 and 尾差 -> passing cases that carry the message in <system-out>.  A workbook without findings
gets one passing case, so every file shows up in the CI report.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..amounts import fmt
from ..model import Report, Severity
from .summary import department_of, primary_cell, rule_name

_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _t(value: object) -> str:
    return _XML_ILLEGAL.sub("", "" if value is None else str(value))


def _detail(f) -> str:
    lines = [f.message]
    nums = [f"{label} {fmt(v)}" for label, v in (("应为", f.expected), ("实际", f.actual), ("差额", f.difference)) if v is not None]
    if nums:
        lines.append("，".join(nums))
    if f.all_cells:
        lines.append("单元格：" + "、".join(str(c) for c in f.all_cells))
    return "\n".join(lines)


def render_junit(reports: list[Report]) -> str:
    root = ET.Element("testsuites", name="czcheck")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for report in reports:
        suite = ET.SubElement(root, "testsuite", name=_t(report.source))
        counts = {"tests": 0, "failures": 0, "errors": 0}
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="部门", value=_t(department_of(report)))
        status = report.status
        ET.SubElement(props, "property", name="状态", value=status.value)
        if status.reasons:
            ET.SubElement(props, "property", name="状态说明", value=_t("；".join(status.reasons)))
        classname = _t(department_of(report))
        if status.failed:  # a file not checked at all is an error of its own, even with no finding
            reason = _t(status.describe())
            case = ET.SubElement(suite, "testcase", classname=classname, name="读取工作簿" if report.error else "识别公开表")
            ET.SubElement(case, "error", message=reason, type=status.value).text = reason
            counts["tests"] += 1
            counts["errors"] += 1
        for f in report.findings:
            case = ET.SubElement(suite, "testcase", classname=classname, name=_t(f"{f.code} {rule_name(f)} {primary_cell(f)}"))
            counts["tests"] += 1
            if f.severity is Severity.ERROR:
                ET.SubElement(case, "failure", message=_t(f.message), type=f.severity.value).text = _t(_detail(f))
                counts["failures"] += 1
            elif f.severity is Severity.UNVERIFIABLE:
                ET.SubElement(case, "error", message=_t(f.message), type=f.severity.value).text = _t(_detail(f))
                counts["errors"] += 1
            else:
                ET.SubElement(case, "system-out").text = _t(f"[{f.severity.value}] " + _detail(f))
        if not status.failed and not report.findings:
            ET.SubElement(suite, "testcase", classname=classname, name="全部规则")
            counts["tests"] += 1
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
