"""Per-file status: did czcheck really check this file?  Fail closed.

- 已校验: every table the detected format requires was found and read;
- 部分校验: some required tables are missing, or present but partly unreadable (cells that are not
  amounts, rows lost): the status names them;
- 未能校验: the file could not be read, is empty, or holds no recognisable disclosure table.

Computed once by the engine from the Report's Disclosure and findings (before the tables are dropped
for the trip between processes, and before a baseline hides any finding), so every reporter shows the
same verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from . import model
from .model import FileStatus, Report, Severity, Status  # noqa: F401 - Status, FileStatus are used from here


# findings that mean a table was found but could not be read completely
UNREADABLE_CODES = {"RD001": "有无法识别为金额的单元格", "RD003": "有数据行缺失"}


def _quoted(kinds: list[str]) -> str:
    return "".join(f"“{k}”" for k in kinds)


def file_status(report: Report) -> FileStatus:
    """The status of one file, from its read error, its Disclosure and its findings."""
    if report.error:
        return FileStatus(Status.FAILED, (report.error,))
    d = report.disclosure
    if d is None:
        return FileStatus(Status.FAILED, ("没有读取到工作簿内容",))
    if not d.tables:
        return FileStatus(Status.FAILED, ("没有找到任何可识别的公开表（按表名查找）；工作簿为空，或表名与公开格式不符",))
    from .reading.tables import any_amount  # reads the cells of rows whose Values are not built (Row.lazy)

    empty = not any(any_amount(t.rows) for t in d.all_tables())
    if empty and any(v.problem for t in d.all_tables() for r in t.rows for v in r.values.values()):
        return FileStatus(Status.FAILED, ("公开表中没有一个金额能够读取",))

    reasons: list[str] = []
    profile = d.format
    missing: list[str] = []
    if profile is None:
        reasons.append("未能确定公开格式，无法判断是否缺少公开表")
    else:
        missing = [t.kind for t in profile.tables if d.table(t.kind) is None]
        if missing:
            reasons.append(f"缺少{_quoted(missing)}")
    problems: dict[str, set[str]] = {}  # table kind -> what could not be read
    for f in report.findings:
        if f.code in UNREADABLE_CODES and f.severity is Severity.UNVERIFIABLE and f.table:
            problems.setdefault(f.table, set()).add(UNREADABLE_CODES[f.code])
    unreadable = list(problems)
    for what in dict.fromkeys(UNREADABLE_CODES.values()):
        kinds = [k for k, found in problems.items() if what in found]
        if kinds:
            reasons.append(f"{_quoted(kinds)}{what}")
    if empty:  # every table found, none filled in: nothing was really checked
        reasons.append("公开表中都没有金额（未填写的模板？），勾稽关系无从核对")
    if reasons:
        return FileStatus(Status.PARTIAL, tuple(reasons), tuple(missing), tuple(unreadable))
    return FileStatus(Status.VERIFIED)


@dataclass
class StatusCounts:
    """How many files ended in each status (a batch's summary line)."""

    counts: dict[Status, int] = field(default_factory=lambda: {s: 0 for s in Status})

    def line(self) -> str:
        return "，".join(f"{s.value} {n} 个" for s, n in self.counts.items())


def status_counts(reports: list[Report]) -> StatusCounts:
    out = StatusCounts()
    for r in reports:
        out.counts[r.status.level] += 1
    return out


model.status_of_report = file_status  # hand-built Reports (no engine run) get their status computed on access
