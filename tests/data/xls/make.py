"""Regenerate the .xls test books (LibreOffice required: apt-get install -y libreoffice-calc-nogui).

    .venv/bin/python tests/data/xls/make.py

- weihai-2024-final-accounts.xls: the shipped sample without czcheck's 校验 sheet, saved by LibreOffice as
  Excel 97-2003.
- zibo-errors.xls / zibo-errors.xlsx: the zibo sample without its 校验 sheet, with a formula error in an amount
  cell (支出总体情况表!F8 = 1/0) and a hidden data row (row 9), saved by LibreOffice both ways: the same book in
  the two formats, each with the error's cached value and the hidden row as a spreadsheet program writes them.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parents[2] / "workbooks" / "samples"


def _without_check_sheet(sample: str) -> openpyxl.Workbook:
    wb = openpyxl.load_workbook(SAMPLES / f"{sample}.xlsx")
    if "校验" in wb.sheetnames:
        del wb["校验"]
    return wb


def _convert(src: Path, to: str, name: str) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([soffice, "--headless", "--convert-to", to, "--outdir", tmp, str(src)], check=True,
                       capture_output=True, timeout=300)
        shutil.copyfile(Path(tmp) / f"{src.stem}.{to}", HERE / name)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        weihai = Path(tmp) / "weihai-2024-final-accounts.xlsx"
        _without_check_sheet("weihai-2024-final-accounts").save(weihai)
        _convert(weihai, "xls", "weihai-2024-final-accounts.xls")
        wb = _without_check_sheet("zibo-2024-budget")
        ws = wb["支出总体情况表"]
        ws["F8"] = "=1/0"
        ws.row_dimensions[9].hidden = True
        zibo = Path(tmp) / "zibo-errors.xlsx"
        wb.save(zibo)
        _convert(zibo, "xls", "zibo-errors.xls")
        lo = Path(tmp) / "lo"
        lo.mkdir()
        shutil.copyfile(zibo, lo / "zibo-errors.xlsx")
        _convert(lo / "zibo-errors.xlsx", "xlsx", "zibo-errors.xlsx")


if __name__ == "__main__":
    main()
