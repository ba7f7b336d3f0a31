"""Operations one click of 校验本工作簿 sends to Excel, per sample, first run and re-run.

    .venv/bin/python benchmarks/bench_com_calls.py

The book is tests/test_addin.py's recording FakeBook (real state; every property read or write
and every method of Book/Sheets/Sheet/Range/Note/App counts once: each is at least one COM round
trip in xlwings on Windows).  Budget per click: one per marked cell (its note) + five per sheet +
twenty.  "addressing" is the part of the count that only looks a cell up (sheet.range(address)),
printed so the per-cell cost of a new note (look the cell up, then AddComment) is visible.
Exit status 1 when a run is over budget.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "addin")]

from conftest import SAMPLES  # noqa: E402
from test_addin import FakeBook  # noqa: E402


def click(book: FakeBook) -> tuple[int, int, int, int, dict]:
    """(operations, addressing, marked cells, sheets at the click) of one run of the button."""
    from addin.excel import run
    from validators.marking import plan_marks
    from addin.excel import validate_book

    sheets = len(book._sheets.items)
    cells = len(plan_marks(validate_book(book)).cells)
    book.calls.clear()
    run(book)
    calls = dict(book.calls)
    return sum(calls.values()), calls.get("sheet.range", 0), cells, sheets, calls


def budget(cells: int, sheets: int) -> int:
    return cells + 5 * sheets + 20


def main() -> int:
    over = False
    print(f"{'sample':34} {'run':7} {'cells':>5} {'sheets':>6} {'ops':>5} {'addressing':>10} {'budget':>6}  verdict")
    for path in sorted(SAMPLES.glob("*.xlsx")):
        book = FakeBook.from_xlsx(path)
        for label in ("first", "re-run"):
            ops, addressing, cells, sheets, _ = click(book)
            limit = budget(cells, sheets)
            verdict = "ok" if ops <= limit else f"OVER by {ops - limit}"
            over |= ops > limit
            print(f"{path.name:34} {label:7} {cells:5} {sheets:6} {ops:5} {addressing:10} {limit:6}  {verdict}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
