"""Entry module of the 财政校验 ribbon add-in (czcheck_addin.xlam).

The add-in's VBA (xlwings quickstart template, kept byte-identical) runs
``import czcheck_addin; czcheck_addin.main()`` for its button: this module's name must equal the
.xlam's base name.  Importable as a top-level module (when addin/ is on PYTHONPATH, as the
add-in's own folder is) and as ``addin.czcheck_addin``.
"""

from __future__ import annotations


def main() -> None:
    """校验本工作簿: validate the workbook that called the add-in and mark it."""
    import xlwings as xw

    from addin.excel import run

    run(xw.Book.caller())


if __name__ == "__main__":  # pragma: no cover - manual run against an open workbook
    import sys

    import xlwings as xw

    xw.Book(sys.argv[1]).set_mock_caller()
    main()
