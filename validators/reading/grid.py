"""Grids: a sheet's cell values as a list of rows, 0-based from A1.

Every source (an .xlsx through python-calamine or openpyxl, a live xlwings Book in addin/)
becomes a list of Grids; everything after this works on Grids only.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ReadError(Exception):
    """A file that cannot be validated at all.  The message is Chinese and says what to do."""


@dataclass
class Grid:
    name: str
    rows: list[list[Any]]
    hidden: bool = False

    def cell(self, r: int, c: int) -> Any:
        if 0 <= r < len(self.rows):
            row = self.rows[r]
            if 0 <= c < len(row):
                v = row[c]
                return None if v == "" else v
        return None

    @property
    def height(self) -> int:
        return len(self.rows)


def check_container(path: Path) -> None:
    """Refuse what is not an Office Open XML workbook, with a Chinese message."""
    if not path.exists():
        raise ReadError(f"文件不存在：{path}")
    if path.is_dir():
        raise ReadError(f"这是一个文件夹，不是工作簿：{path}")
    size = path.stat().st_size
    if size == 0:
        raise ReadError("文件为空（0 字节），请重新导出或保存工作簿")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        if path.suffix.lower() == ".xls":
            raise ReadError(
                "这是旧版 Excel 97-2003 工作簿（.xls），czcheck 只能读取 .xlsx/.xlsm。"
                "请在 Excel 或 WPS 中打开后“另存为”Excel 工作簿（*.xlsx）再校验"
            )
        raise ReadError("工作簿已加密（设置了打开密码）或为旧版 .xls 格式，无法读取。请取消密码后另存为 .xlsx 再校验")
    if not head.startswith(b"PK"):
        raise ReadError("文件不是 Excel 工作簿（.xlsx）：内容格式不符，可能是改了扩展名的其他文件")
    if not zipfile.is_zipfile(path):
        raise ReadError("工作簿文件已损坏（不是完整的 zip 包），可能下载或复制不完整")


def read_grids(path: str | Path) -> list[Grid]:
    """All sheets of a workbook as Grids (values only, fast: python-calamine)."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    check_container(path)
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken packages
        raise ReadError(f"无法打开工作簿：文件已损坏或不是有效的 .xlsx（{type(exc).__name__}）") from exc
    grids = []
    try:
        for meta in wb.sheets_metadata:
            if "WorkSheet" not in str(meta.typ):
                continue
            sheet = wb.get_sheet_by_name(meta.name)
            rows = sheet.to_python(skip_empty_area=False)
            grids.append(Grid(meta.name, rows, hidden="Visible" not in str(meta.visible)))
    except Exception as exc:
        raise ReadError(f"读取工作表时出错：文件可能已损坏（{type(exc).__name__}）") from exc
    finally:
        wb.close()
    return grids
