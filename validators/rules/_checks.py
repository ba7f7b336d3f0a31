"""Names shared by rule modules; they live in rules/relations.py (the one policy)."""

from .relations import MISSING_ROWS, column_name, equal_check, missing_row, row_name, sum_check  # noqa: F401
