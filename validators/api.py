"""A small Python API for analysts: ``import validators as czcheck``.

    report = czcheck.validate("部门预算.xlsx")            # -> Report (never raises for a bad file)
    report.to_frame()                                      # findings as a pandas DataFrame
    czcheck.values_frame(report)                           # every amount with its table, line, column, cell
    with czcheck.open_archive("档案.sqlite3") as archive:  # or a PostgreSQL URL
        archive.values_frame(); archive.findings_frame()   # hundreds of departments × years
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from .model import FINDING_COLUMNS, Disclosure, Report

VALUE_COLUMNS = ["source", "department", "year", "kind", "table", "row", "column", "amount", "cell", "half_ulp", "problem"]


def validate(path: str | Path, *, archive=None, with_: Iterable[str | Path] = (), add: bool = False) -> Report:
    """Validate one workbook.  ``with_`` = counterpart files and/or ``archive`` (an open Archive, a path or a URL)
    add the cross-document checks; ``add=True`` also stores the document in the archive."""
    return validate_many([path], archive=archive, with_=with_, add=add)[0]


def validate_many(paths: Iterable[str | Path], *, archive=None, with_: Iterable[str | Path] = (), add: bool = False) -> list[Report]:
    """Validate several workbooks in this process (the full disclosures are kept on the reports)."""
    from .engine import validate_file

    reports = [validate_file(p) for p in paths]
    if archive is not None or with_:
        from .archive.run import cross_check

        opened = open_archive(archive) if isinstance(archive, (str, Path)) else archive
        try:
            cross_check(reports, archive=opened, with_paths=list(with_), add=add and opened is not None)
        finally:
            if opened is not archive:
                opened.close()
    return reports


def open_archive(location: str | Path | None = None, mapping: str | Path | None = None):
    """An Archive (validators.archive.db.Archive): a SQLite path, a SQLAlchemy URL, or None for the default."""
    from .archive import Archive
    from .archive.identity import load_mapping

    return Archive.open(None if location is None else str(location), load_mapping(mapping))


def findings_frame(reports: Report | Iterable[Report]):
    """One row per finding of the given reports (Decimal amounts); ``counterparts`` names a cross-document
    finding's other documents and their cells."""
    import pandas as pd

    reports = [reports] if isinstance(reports, Report) else list(reports)
    rows = []
    for r in reports:
        for f, row in zip(r.findings, r.finding_rows()):
            # a cross-document finding's other documents: [{source, label, department, year, kind, level, cells, pages}]
            row["counterparts"] = (f.evidence or {}).get("counterparts") or None
            rows.append(row)
    return pd.DataFrame(rows, columns=FINDING_COLUMNS + ["counterparts"])


def values_frame(source: Report | Disclosure | Iterable[Report]):
    """One row per amount cell: table kind, row key, column key, amount (Decimal or None), cell."""
    import pandas as pd

    from .archive.facts import facts

    items = [source] if isinstance(source, (Report, Disclosure)) else list(source)
    rows = []
    for item in items:
        d = item.disclosure if isinstance(item, Report) else item
        if d is None:
            continue
        for f in facts(d):
            rows.append({"source": d.source, "department": d.department, "year": d.year, "kind": d.kind, "table": f.table,
                         "row": f.row, "column": f.column, "amount": f.amount, "cell": str(f.ref),
                         "half_ulp": f.value.half_ulp, "problem": f.value.problem})
    return pd.DataFrame(rows, columns=VALUE_COLUMNS)
