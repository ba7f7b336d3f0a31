"""czcheck engine: read a disclosure workbook, run reconciliation rules, report findings.

Never imports xlwings; the Excel door lives in ``addin/``.
"""

__version__ = "0.1.0"

_API = {"validate", "validate_many", "open_archive", "findings_frame", "values_frame"}


def __getattr__(name: str):
    """``import validators as czcheck; czcheck.validate(path)``: the analyst API (validators/api.py), loaded lazily."""
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'validators' has no attribute {name!r}")
