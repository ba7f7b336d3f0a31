"""The pure planning layer: which cells, which severity wins, what the comment and rows say."""

from __future__ import annotations

from decimal import Decimal

from validators.marking import SEVERITY_STYLES, plan_marks
from validators.model import CellRef, Finding, Severity


def finding(code: str, severity: Severity, cells: list[CellRef], related: list[CellRef] = (), **kw: object) -> Finding:
    return Finding(code=code, severity=severity, message=f"{code} 的说明", cells=list(cells),
                   related_cells=list(related), **kw)  # type: ignore[arg-type]


A = CellRef("表一", 4, 4)
B = CellRef("表一", 5, 4)
C = CellRef("表二", 0, 0)


def test_every_cell_of_a_finding_is_marked_and_worst_severity_wins() -> None:
    plan = plan_marks([
        finding("X1", Severity.ROUNDING, [A], [B]),
        finding("X2", Severity.ERROR, [B], [C], expected=Decimal("10"), actual=Decimal("12.5"), difference=Decimal("2.5")),
    ])
    assert set(plan.cells) == {A, B, C}
    assert plan.cells[A].severity is Severity.ROUNDING
    assert plan.cells[B].severity is Severity.ERROR
    assert plan.cells[B].fill == SEVERITY_STYLES[Severity.ERROR].fill
    # errors first in the 校验结果 sheet
    assert [r.finding.code for r in plan.rows] == ["X2", "X1"]
    assert [r.sheet_row for r in plan.rows] == [3, 4]
    assert plan.rows[0].target == B


def test_one_comment_per_cell_with_every_finding_marker_and_amounts() -> None:
    plan = plan_marks([
        finding("X1", Severity.WARNING, [A]),
        finding("X2", Severity.ERROR, [A], expected=Decimal("1234.5"), actual=Decimal("1000"), difference=Decimal("234.5")),
    ])
    text = plan.cells[A].comment
    assert "【错误】X2" in text and "【提示】X1" in text
    assert "应为 1,234.50；实际 1,000.00；差额 234.50" in text
    assert "第 3 行" in text and "第 4 行" in text


def test_related_cell_comment_says_so() -> None:
    plan = plan_marks([finding("X1", Severity.ERROR, [A], [B])])
    assert "（相关单元格）" in plan.cells[B].comment
    assert "（相关单元格）" not in plan.cells[A].comment


def test_fills_are_distinguishable_without_colour() -> None:
    patterns = {s.fill.pattern for s in SEVERITY_STYLES.values()}
    markers = {s.marker for s in SEVERITY_STYLES.values()}
    assert len(patterns) == len(markers) == len(Severity)


def test_long_comments_are_capped() -> None:
    many = [finding(f"X{i}", Severity.ERROR, [A]) for i in range(3000)]
    plan = plan_marks(many)
    assert len(plan.cells[A].comment) < 32767
    assert "另有" in plan.cells[A].comment


def test_finding_without_cells_is_listed_without_target() -> None:
    plan = plan_marks([finding("X1", Severity.UNVERIFIABLE, [])])
    assert plan.cells == {}
    assert plan.rows[0].target is None
    assert plan.rows[0].values()[3] == "（未指明单元格）"
