"""The PDF door vs a bare pdfplumber text extraction of the same pages, in the same run.

    .venv/bin/python benchmarks/bench_pdf.py [--repeat N] [PDF ...]

Default PDFs: the three 上海市普陀区 references (../shared/references).  Prints milliseconds per page
(best of N) for: the baseline (open + ``page.extract_text()`` on every page, with the same pdfplumber
module czcheck uses), ``validate`` (read + all rules) and ``import`` (read + write the workbook), and
the ratio of each to the baseline.  Target: validate and import <= 100 ms per page on this machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pdfplumber  # noqa: E402

from validators.engine import validate_file  # noqa: E402
from validators.importing.pdf import import_pdf  # noqa: E402

REFS = Path(__file__).resolve().parent.parent.parent / "shared" / "references"
DEFAULT = sorted(REFS.glob("shanghai-putuo-*.pdf"))


def baseline(path: Path) -> int:
    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            page.extract_text()
        return len(pdf.pages)


def best(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pdfs", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not args.pdfs:
        print(f"no PDFs given and none found under {REFS}", file=sys.stderr)
        return 2
    pages = sum(baseline(p) for p in args.pdfs)  # also warms the imports and the OS cache
    with tempfile.TemporaryDirectory() as tmp:
        def do_import() -> None:
            for i, p in enumerate(args.pdfs):
                import_pdf(p, Path(tmp) / f"{i}.xlsx")

        def do_validate() -> None:
            for p in args.pdfs:
                r = validate_file(p)
                assert r.error is None, r.error

        base = best(lambda: [baseline(p) for p in args.pdfs], args.repeat)
        val = best(do_validate, args.repeat)
        imp = best(do_import, args.repeat)
    ms = lambda s: s / pages * 1000  # noqa: E731
    print(f"{len(args.pdfs)} PDFs, {pages} pages, best of {args.repeat} ({pdfplumber.__name__} from {Path(pdfplumber.__file__).parent})")
    print(f"  baseline extract_text  {ms(base):7.1f} ms/page")
    print(f"  czcheck validate       {ms(val):7.1f} ms/page   ratio {val / base:5.2f}   target <= 100 ms/page: {'ok' if ms(val) <= 100 else 'MISSED'}")
    print(f"  czcheck import         {ms(imp):7.1f} ms/page   ratio {imp / base:5.2f}   target <= 100 ms/page: {'ok' if ms(imp) <= 100 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
