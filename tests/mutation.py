"""Single-cell mutation over a sample: change one amount at a time, report the cells no 错误 names."""

from __future__ import annotations

from pathlib import Path

from validators.model import Severity, Value
from validators.reading import disclosure_from_grids, read_grids
from validators.rules import run_rules


def amount_cells(path: Path) -> list[Value]:
    base = disclosure_from_grids(read_grids(path), str(path))
    return [v for t in base.all_tables() for r in t.rows for v in r.values.values() if v.amount is not None]


def cells_missed(path: Path, delta: float = 1.0) -> list[str]:
    """Cells whose change by ``delta`` (one at a time) no 错误 finding names."""
    grids = read_grids(path)
    by_name = {g.name: g for g in grids}
    missed = []
    for value in amount_cells(path):
        grid = by_name[value.ref.sheet]
        original = grid.rows[value.ref.row][value.ref.col]
        grid.rows[value.ref.row][value.ref.col] = float(value.amount) + delta
        try:
            findings = run_rules(disclosure_from_grids(grids, str(path)))
        finally:
            grid.rows[value.ref.row][value.ref.col] = original
        if not any(f.severity is Severity.ERROR and value.ref in f.all_cells for f in findings):
            missed.append(str(value.ref))
    return missed


def narrative_missed(path: Path, severities=(Severity.ERROR, Severity.WARNING)) -> tuple[int, list[str]]:
    """(linked statements, those not reported): each number the extractor links to a table figure is
    changed by +1 in its sentence, one at a time; a finding of ``severities`` must name its paragraph."""
    import re

    from validators.narrative import clean
    from validators.rules.narrative import linked_statements, statements

    grids = read_grids(path)
    by_name = {g.name: g for g in grids}
    base = disclosure_from_grids(grids, str(path))
    sts, linked = statements(base), linked_statements(base)
    missed = []
    for index in linked:
        st = sts[index]
        grid = by_name[st.ref.sheet]
        original = grid.rows[st.ref.row][st.ref.col]
        text = clean(original)
        start = text.index(st.text)
        m = next(m for m in re.finditer(r"\d[\d,]*(?:\.\d+)?", text[start:]) if m.group().replace(",", "") == str(st.amount))
        bumped = f"{st.amount + 1:,}" if "," in m.group() else str(st.amount + 1)
        grid.rows[st.ref.row][st.ref.col] = text[: start + m.start()] + bumped + text[start + m.end():]
        try:
            findings = run_rules(disclosure_from_grids(grids, str(path)))
        finally:
            grid.rows[st.ref.row][st.ref.col] = original
        if not any(f.severity in severities and st.ref in f.all_cells for f in findings):
            missed.append(st.text)
    return len(linked), missed
