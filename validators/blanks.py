"""A blank cell is 空白, not 0.00, in what a reader sees.

Sum and equality checks read a blank amount as zero (that is the rule's decision, and the finding's
``actual`` stays 0); their message printed it as “0.00”, which tells a reviewer the cell holds a
zero.  This pass renames it in the message and marks the finding (``evidence["actual_blank"]``) so
the 应为/实际/差额 line says “实际 空白” too.  Finding values are not changed.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .model import Disclosure, Finding

_PATTERNS = (
    (re.compile(r"合计数 0\.00，"), "合计数 空白，"),  # sum checks: “…：合计数 0.00，各组成部分之和 …”
    (re.compile(r"：0\.00 与 "), "：空白 与 "),  # equality checks: “…：0.00 与 12.00 不一致 …”
)


def name_blank_cells(disclosure: Disclosure, findings: list[Finding]) -> list[Finding]:
    candidates = [f for f in findings if f.cells and f.actual is not None and f.actual == Decimal(0)]
    if not candidates:
        return findings
    blank = {v.ref for t in disclosure.all_tables() for r in t.rows for v in r.values.values() if v.blank}
    for f in candidates:
        if f.cells[0] not in blank:
            continue
        for pattern, text in _PATTERNS:
            message = pattern.sub(text, f.message, count=1)
            if message != f.message:
                f.message = message
                f.evidence["actual_blank"] = True
                break
    return findings
