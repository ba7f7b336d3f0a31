"""czcheck engine: read a disclosure workbook, run reconciliation rules, report findings.

Never imports xlwings; the Excel door lives in ``addin/``.
"""

__version__ = "0.1.0"
