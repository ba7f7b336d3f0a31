"""Marks on the cells: fills, comments and a 校验结果 sheet, applied to a copy of the workbook
package without losing anything, and removable again (``clear_marks``).

``plan_marks`` is pure (shared with the Excel add-in); ``mark_workbook`` / ``clear_marks`` patch
the .xlsx/.xlsm package directly.
"""

from .apply import ClearStats, clear_marks, has_marks, mark_workbook
from .errors import MarkingError
from .plan import (RESULT_SHEET_NAME, SEVERITY_STYLES, CellMark, FillSpec, MarkPlan, ResultRow, SeverityStyle,
                   plan_marks)

__all__ = [
    "CellMark", "ClearStats", "FillSpec", "MarkPlan", "MarkingError", "RESULT_SHEET_NAME", "ResultRow",
    "SEVERITY_STYLES", "SeverityStyle", "clear_marks", "has_marks", "mark_workbook", "plan_marks",
]
