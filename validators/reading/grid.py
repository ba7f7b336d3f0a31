"""Grids: a sheet's cell values as a list of rows, 0-based from A1.

Every source (an .xlsx through python-calamine or openpyxl, a live xlwings Book in addin/)
becomes a list of Grids; everything after this works on Grids only.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from . import safety

# safety and package (defusedxml, zipfile) are imported where a file is read: a live book's grids need
# neither, and the engine runs without any compiled dependency (addin/pyodide, tests/test_addin_pyodide.py).


class SparseRows:
    """Rows of a sheet whose used range is huge but mostly empty (a stray cell in row 1,048,576).

    Behaves like the list of rows a dense reader returns (len, index, slice, iterate) while
    holding only the rows that have values; empty rows are one shared empty list.
    """

    _EMPTY: list[Any] = []

    def __init__(self, cells: dict[int, dict[int, Any]], height: int, fill: Any = ""):
        """``cells``: row → column → value of the cells that hold something; ``fill``: what a row holds
        between them ("" as a file's reader gives, None as a host's used range does)."""
        self._rows = {r: self._pack(cols, fill) for r, cols in cells.items()}
        self._height = height

    @staticmethod
    def _pack(cols: dict[int, Any], fill: Any) -> list[Any]:
        row: list[Any] = [fill] * (max(cols) + 1)
        for c, v in cols.items():
            row[c] = v
        return row

    def __len__(self) -> int:
        return self._height

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self._rows.get(r, self._EMPTY) for r in range(*index.indices(self._height))]
        if index < 0:
            index += self._height
        if not 0 <= index < self._height:
            raise IndexError("row index out of range")
        return self._rows.get(index, self._EMPTY)

    def __iter__(self) -> Iterator[list[Any]]:
        for r in range(self._height):
            yield self._rows.get(r, self._EMPTY)


class ReadError(Exception):
    """A file that cannot be validated at all.  The message is Chinese and says what to do."""


@dataclass
class Grid:
    """One sheet's cell values, row by row, and which of it is hidden (the sheet, rows)."""

    name: str
    rows: list[list[Any]]
    hidden: bool = False
    hidden_rows: frozenset[int] = frozenset()  # 0-based rows hidden in the sheet (row height 0 / hidden="1")
    formulas: bool = True  # may hold formula cells (False: the sheet scan found none)

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


def is_pdf(path: str | Path) -> bool:
    """A PDF by its header (%PDF within the first 1 KB), whatever the extension."""
    try:
        with open(path, "rb") as fh:
            return b"%PDF-" in fh.read(1024)
    except OSError:
        return False


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _ole_kind(head: bytes) -> str:
    """'encrypted', 'xls' or 'ole' for a Compound File (CFB) by its directory stream names."""
    if _utf16("EncryptedPackage") in head or _utf16("EncryptionInfo") in head:
        return "encrypted"
    if _utf16("Workbook") in head or _utf16("Book") in head:
        return "xls"
    return "ole"


def _ole_check(path: Path, data: bytes, whole: bool) -> None:
    """Refuse a Compound File that is not an .xls workbook (with ``whole``, ``data`` is the whole file)."""
    kind = _ole_kind(data)
    if kind == "encrypted":
        raise ReadError(
            "工作簿设置了打开密码（已加密），czcheck 无法读取。请在 Excel 或 WPS 中取消密码"
            "（文件→信息→保护工作簿→用密码进行加密，清空密码）后另存为 .xlsx 再校验"
        )
    if kind == "xls" or not whole:
        return
    if path.suffix.lower() == ".xls":
        raise ReadError(
            "文件扩展名为 .xls，但内容不是完整的 Excel 97-2003 工作簿（可能已损坏）。"
            "请在 Excel 或 WPS 中打开后“另存为”Excel 工作簿（*.xlsx）再校验"
        )
    if path.suffix.lower() == ".et":
        raise ReadError("这是 WPS 表格文件（.et），czcheck 无法直接读取。请在 WPS 中“另存为”Excel 工作簿（*.xlsx）再校验")
    raise ReadError("文件是 Office 97-2003 格式的复合文档，但不是 Excel 工作簿（或已加密），无法读取。"
                    "请确认选对了文件；工作簿请取消密码后另存为 .xlsx 再校验")


def _looks_like_text(head: bytes) -> bool:
    for enc in ("utf-8", "gb18030"):
        try:
            text = head.decode(enc)
        except UnicodeDecodeError:
            continue
        return "\x00" not in text
    return False


def check_container(path: Path, limits: safety.Limits | None = None) -> None:
    """Refuse what is not a workbook czcheck reads (.xlsx/.xlsm, .xls), with a Chinese message."""
    from . import safety

    limits = limits or safety.LIMITS
    if not path.exists():
        raise ReadError(f"文件不存在：{path}")
    if path.is_dir():
        raise ReadError(f"这是一个文件夹，不是工作簿：{path}")
    if not path.is_file():
        raise ReadError(f"这不是普通文件（设备、管道等），不能作为工作簿读取：{path}")
    size = path.stat().st_size
    if size == 0:
        raise ReadError("文件为空（0 字节），请重新导出或保存工作簿")
    if size > limits.max_file_bytes:
        raise ReadError(
            f"文件过大（{size / safety.MIB:,.0f} MB），超过 czcheck 的读取上限 {limits.max_file_bytes / safety.MIB:,.0f} MB。"
            "部门预算、决算公开表通常小于 5 MB，请检查是否误选了文件"
        )
    with open(path, "rb") as fh:
        head = fh.read(64 * 1024)
    _check_head(path, head)


def _check_head(path: Path, head: bytes) -> None:
    """Refuse by the first bytes what is not a workbook.  A Compound File (OLE) is refused only when the
    names seen already say it is encrypted: whether it holds an .xls workbook is decided on the whole
    file (_ole_check), as its directory may be anywhere in it."""
    if head.startswith(_OLE_MAGIC[:4]):
        _ole_check(path, head, whole=False)
        return
    if not head.startswith(b"PK"):
        if _looks_like_text(head[:4096]):
            raise ReadError(
                "文件内容是纯文本（如 CSV 或网页），不是 Excel 工作簿，可能是改了扩展名。"
                "请在 Excel 或 WPS 中打开后“另存为”Excel 工作簿（*.xlsx）再校验"
            )
        raise ReadError("文件不是 Excel 工作簿（.xlsx）：内容格式不符，可能是改了扩展名的其他文件")


def read_grids(path: str | Path, limits: safety.Limits | None = None, skip_check_sheet: bool = False) -> list[Grid]:
    """All sheets of a workbook as Grids (values only).  Raises ReadError (Chinese).

    The file is read once into memory and checked (safety.py: zip structure, inflated sizes,
    DTD/entities, per-sheet extent and row limits) before python-calamine sees the same bytes.
    Formula errors and formulas without a cached result, which calamine returns as empty
    strings, are put into the grid as sentinels (amounts.FormulaError / UncachedFormula).
    Sheets whose used range is huge but sparse are read by safety.scan_sheet into SparseRows.
    Visible sheets come first, so that a table on a visible sheet wins over a hidden copy.
    With ``skip_check_sheet``, czcheck's own 校验 sheet (safety.own_check_sheet: recognised by its
    whole layout, not its name alone) is left out: it is inert to the reader and is most of the
    bytes of a template workbook.
    """
    from .. import package
    from . import safety

    limits = limits or safety.LIMITS
    path = Path(path)
    check_container(path, limits)
    try:
        data = package.read_file(path, limits)
    except OSError as exc:
        raise ReadError(f"无法读取文件：{exc.strerror or type(exc).__name__}") from exc
    except safety.UnsafeWorkbook as exc:
        raise ReadError(str(exc)) from exc
    _check_head(path, data[: 64 * 1024])
    if data.startswith(_OLE_MAGIC[:4]):
        _ole_check(path, data, whole=True)
        return _read_xls(data, limits)
    try:
        return _read_checked(data, limits, skip_check_sheet)
    except safety.UnsafeWorkbook as exc:
        raise ReadError(str(exc)) from exc
    except MemoryError as exc:
        raise ReadError("内存不足，无法读取该工作簿（内容过多）") from exc
    except RecursionError as exc:
        raise ReadError("工作簿结构嵌套过深，无法读取（文件可能被篡改）") from exc


def _read_checked(data: bytes, limits: safety.Limits, skip_check_sheet: bool = False) -> list[Grid]:
    from . import safety

    from python_calamine import CalamineWorkbook

    deadline = safety.Deadline(limits.max_seconds)
    zf = safety.check_package(data, limits, deadline)
    parts = safety.classify_package(zf)
    scans: dict[str, safety.SheetScan] = {}
    skipped = set()
    for name, part in parts.sheets.items():
        if skip_check_sheet and safety.own_check_sheet(zf, part, name, parts.shared_strings, deadline):
            skipped.add(name)
            continue
        scans[name] = safety.scan_sheet(zf, part, name, limits, deadline)
    try:
        wb = CalamineWorkbook.from_filelike(BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - calamine raises its own, undocumented error types
        raise ReadError(f"无法打开工作簿：文件已损坏或不是有效的 .xlsx（{_why(exc)}）") from exc
    grids = []
    shared: list[str] | None = None
    try:
        for meta in wb.sheets_metadata:
            if "WorkSheet" not in str(meta.typ) or meta.name in skipped:
                continue
            deadline.check()
            # str(meta.visible) is "SheetVisibleEnum.Hidden": compare the member name, not a substring
            hidden = getattr(meta.visible, "name", str(meta.visible)).rsplit(".", 1)[-1] != "Visible"
            scan = scans.get(meta.name)
            if scan is None:
                raise ReadError(f"工作表“{meta.name}”在工作簿中找不到对应的内容，文件结构异常，已拒绝读取")
            if scan.dense_cells > limits.max_dense_cells:
                # a huge, mostly empty used range: never let a dense reader allocate it
                if shared is None:
                    shared = safety.read_shared_strings(zf, parts.shared_strings, deadline)
                full = safety.scan_sheet(zf, parts.sheets[meta.name], meta.name, limits, deadline, shared=shared)
                rows: Any = SparseRows(full.cells or {}, full.height)
            else:
                rows = wb.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
                _overlay(rows, scan.overlays)
            grids.append(Grid(meta.name, rows, hidden=hidden, hidden_rows=frozenset(scan.hidden_rows),
                              formulas=scan.formulas))
    except ReadError:
        raise
    except safety.UnsafeWorkbook:
        raise
    except Exception as exc:  # noqa: BLE001 - calamine raises its own, undocumented error types
        raise ReadError(f"读取工作表时出错：文件可能已损坏（{_why(exc)}）") from exc
    finally:
        wb.close()
    return sorted(grids, key=lambda g: g.hidden)


def _read_xls(data: bytes, limits: safety.Limits) -> list[Grid]:
    """An Excel 97-2003 workbook (.xls, BIFF8, as _ole_check recognised it).  The values come from
    python-calamine, as for .xlsx (the same file saved both ways gives the same grids); formula errors
    and hidden rows from xlrd, because calamine returns an error cell as an empty string and knows no
    hidden rows.  There is no zip or XML to guard: the file size limit holds, and a sheet whose used
    range exceeds the dense-cell limit is refused.  Formula texts are not read (cached values are what
    the file holds, as Excel saved them)."""
    import io

    import xlrd
    from python_calamine import CalamineWorkbook

    from . import safety

    advice = "请在 Excel 或 WPS 中打开后“另存为”Excel 工作簿（*.xlsx）再校验"
    deadline = safety.Deadline(limits.max_seconds)
    try:
        marks = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True, logfile=io.StringIO())
        wb = CalamineWorkbook.from_filelike(BytesIO(data))
    except BaseException as exc:  # noqa: BLE001 - both readers raise their own error types
        if not _reader_failed(exc):
            raise
        if "encrypt" in str(exc).lower() or "password" in str(exc).lower() or type(exc).__name__ == "PasswordError":
            raise ReadError("工作簿设置了打开密码（已加密），czcheck 无法读取。请在 Excel 或 WPS 中取消密码后另存再校验") from exc
        raise ReadError(f"无法读取该 Excel 97-2003 工作簿（.xls）：文件可能已损坏（{_why(exc)}）。{advice}") from exc
    grids = []
    try:
        for meta in wb.sheets_metadata:
            if "WorkSheet" not in str(meta.typ):
                continue
            deadline.check()
            hidden = getattr(meta.visible, "name", str(meta.visible)).rsplit(".", 1)[-1] != "Visible"
            sheet = wb.get_sheet_by_name(meta.name)
            if sheet.height * sheet.width > limits.max_dense_cells:
                raise ReadError(f"工作表“{meta.name}”的使用范围过大（{sheet.height:,} 行 × {sheet.width:,} 列），"
                                f"超出 czcheck 的读取上限。请删除与公开表无关的内容后{advice}")
            rows = sheet.to_python(skip_empty_area=False)
            errors, hidden_rows = _xls_marks(marks.sheet_by_name(meta.name))
            _overlay(rows, errors)
            grids.append(Grid(meta.name, rows, hidden=hidden, hidden_rows=hidden_rows))
    except (ReadError, safety.UnsafeWorkbook):
        raise
    except BaseException as exc:  # noqa: BLE001 - calamine and xlrd raise their own, undocumented error types
        if not _reader_failed(exc):
            raise
        raise ReadError(f"读取 Excel 97-2003 工作簿（.xls）的工作表时出错：文件可能已损坏（{_why(exc)}）。{advice}") from exc
    finally:
        wb.close()
        marks.release_resources()
    return sorted(grids, key=lambda g: g.hidden)


def _reader_failed(exc: BaseException) -> bool:
    """An exception a reader raised over bad bytes: its own types, or a Rust panic (pyo3 raises it as a
    BaseException); not an interrupt or exit."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _xls_marks(sheet: Any) -> tuple[dict[tuple[int, int], Any], frozenset[int]]:
    """An xlrd sheet's formula errors (as the sentinels the .xlsx reader puts in) and hidden rows."""
    import xlrd

    from ..amounts import FormulaError

    errors = {}
    for r in range(sheet.nrows):
        types = sheet.row_types(r)
        if xlrd.XL_CELL_ERROR in types:
            for c, t in enumerate(types):
                if t == xlrd.XL_CELL_ERROR:
                    errors[(r, c)] = FormulaError(xlrd.error_text_from_code.get(sheet.cell_value(r, c), "#VALUE!"))
    hidden = frozenset(r for r, info in sheet.rowinfo_map.items() if info.hidden)
    return errors, hidden


def _why(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:80] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _overlay(rows: list[list[Any]], overlays: dict[tuple[int, int], Any]) -> None:
    """Put formula sentinels where calamine returned nothing."""
    if not overlays:
        return
    width = max((len(r) for r in rows), default=0)
    for (r, c), value in sorted(overlays.items()):
        while len(rows) <= r:
            rows.append([""] * width)
        row = rows[r]
        if len(row) <= c:
            row.extend([""] * (c + 1 - len(row)))
        if row[c] in ("", None):
            row[c] = value
