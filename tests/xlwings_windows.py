"""xlwings' Windows UDF path, made real on Linux for the CZ_ function tests.

* ``udf_module()`` stubs pythoncom / pywintypes / win32com (only names imported at module level),
  imports the real ``xlwings.udfs`` and installs its ``xlfunc`` / ``xlarg`` / ``xlret`` / ``xlsub``
  as ``xw.func`` / ``xw.arg`` / ``xw.ret`` / ``xw.sub`` before importing ``czcheck_udfs``: the
  functions then carry the same ``__xlfunc__`` metadata as in Windows Excel, and
  ``generate_vba_wrapper`` can write the VBA that ImportPythonUDFsToAddin would write.
* ``windows_engine()`` registers an ``excel`` engine whose value cleaning is the code of
  ``xlwings/_xlwindows.py`` itself (``cell_errors``, ``_clean_value_data_element``, taken from the
  installed file by its syntax tree, not copied), so ``xlwings.conversion.read`` treats COM
  values (floats, error ints, tuples of tuples) as on Windows.
* ``call_udf()`` is the argument loop of ``xlwings.udfs.call_udf`` (missing -> default, a Range ->
  conversion of the Range, anything else -> conversion of the value), then the result conversion.
* ``ComSheet`` / ``com_range()``: a worksheet of COM-style values ("" never occurs: COM gives None
  for empty cells; errors are the VT_ERROR codes) with just the Range surface the conversion and
  the UDFs use (raw_value, shape, api.Areas, sheet.range).
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import re
import sys
import types
from pathlib import Path
from typing import Any

MISSING = -2147352572  # what pywin32 hands Python for an omitted Optional argument
ERRORS = {"#DIV/0!": -2146826281, "#N/A": -2146826246, "#NAME?": -2146826259, "#NULL!": -2146826288,
          "#NUM!": -2146826252, "#REF!": -2146826265, "#VALUE!": -2146826273}


def _stub_win32() -> dict[str, types.ModuleType | None]:
    saved = {name: sys.modules.get(name) for name in ("pythoncom", "pywintypes", "win32com", "win32com.client")}
    pythoncom = types.ModuleType("pythoncom")
    pythoncom.IID_IDispatch = object()
    pythoncom.CoMarshalInterThreadInterfaceInStream = lambda *a: None
    pythoncom.CoInitialize = lambda: None
    pywintypes = types.ModuleType("pywintypes")
    pywintypes.TimeType = dt.datetime
    pywintypes.IID = lambda s: s
    win32com = types.ModuleType("win32com")
    client = types.ModuleType("win32com.client")
    client.Dispatch = lambda *a, **k: None
    win32com.client = client
    sys.modules.update({"pythoncom": pythoncom, "pywintypes": pywintypes, "win32com": win32com,
                        "win32com.client": client})
    return saved


def udf_module(name: str = "czcheck_udfs") -> tuple[types.ModuleType, types.ModuleType]:
    """(xlwings.udfs, the UDF module imported under the Windows decorators).  The caller restores
    ``xlwings`` attributes and ``sys.modules`` with ``restore``."""
    import xlwings as xw

    saved_modules = _stub_win32()
    udfs = importlib.import_module("xlwings.udfs")
    saved_attrs = {k: getattr(xw, k) for k in ("func", "arg", "ret", "sub")}
    xw.func, xw.arg, xw.ret, xw.sub = udfs.xlfunc, udfs.xlarg, udfs.xlret, udfs.xlsub
    plain = sys.modules.pop(name, None)
    try:
        module = importlib.import_module(name)
    finally:
        for k, v in saved_attrs.items():
            setattr(xw, k, v)
    module.__restore__ = (saved_modules, plain, name)  # type: ignore[attr-defined]
    return udfs, module


def restore(module: types.ModuleType) -> None:
    saved_modules, plain, name = module.__restore__
    for key, value in saved_modules.items():
        if value is None:
            sys.modules.pop(key, None)
        else:
            sys.modules[key] = value
    sys.modules.pop("xlwings.udfs", None)
    if plain is not None:
        sys.modules[name] = plain
    else:
        sys.modules.pop(name, None)


def _windows_cleaning() -> dict[str, Any]:
    """cell_errors, _clean_value_data_element and Engine.clean_value_data from _xlwindows.py."""
    import xlwings

    source = (Path(xlwings.__file__).parent / "_xlwindows.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    wanted: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "cell_errors" for t in node.targets):
            wanted.append(node)
        elif isinstance(node, ast.FunctionDef) and node.name == "_clean_value_data_element":
            wanted.append(node)
        elif isinstance(node, ast.ClassDef) and node.name == "Engine":
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name in ("clean_value_data", "prepare_xl_data_element"):
                    item.decorator_list = []
                    wanted.append(item)
    names = {getattr(n, "name", "cell_errors") for n in wanted}
    assert {"cell_errors", "_clean_value_data_element", "clean_value_data", "prepare_xl_data_element"} <= names, names
    scope: dict[str, Any] = {
        "time_types": (dt.date, dt.datetime),
        "_com_time_to_datetime": lambda value, builder: value,
        "_datetime_to_com_time": lambda value: value,
        "pd": None,
        "np": None,
    }
    exec(compile(ast.Module(body=wanted, type_ignores=[]), "xlwings/_xlwindows.py", "exec"), scope)
    return scope


class WindowsEngineImpl:
    name = "excel"
    type = "desktop"

    def __init__(self) -> None:
        scope = _windows_cleaning()
        self.cell_errors = scope["cell_errors"]
        self._clean = scope["clean_value_data"]
        self._prepare = scope["prepare_xl_data_element"]

    def clean_value_data(self, *args: Any) -> Any:
        return self._clean(*args)

    def prepare_xl_data_element(self, x: Any, options: Any) -> Any:
        return self._prepare(x, options)


def windows_engine():
    """Register the Windows value cleaning as xlwings' ``excel`` engine (until ``unregister``)."""
    import xlwings

    impl = WindowsEngineImpl()
    assert impl.cell_errors == {v: k for k, v in ERRORS.items()}
    engine = xlwings.main.Engine(impl=impl)
    previous = xlwings.engines.engines_by_name.get("excel")
    xlwings.engines.add(engine)
    engine.__previous__ = previous  # type: ignore[attr-defined]
    return engine


def unregister(engine) -> None:
    import xlwings

    xlwings.engines.engines.remove(engine)
    if engine.__previous__ is None:
        xlwings.engines.engines_by_name.pop("excel", None)
    else:
        xlwings.engines.engines_by_name["excel"] = engine.__previous__


# ---- a COM-like worksheet ----------------------------------------------------------------------

_CELL = re.compile(r"^\$?([A-Z]+)\$?(\d+)$")


def _rc(ref: str) -> tuple[int, int]:
    m = _CELL.match(ref)
    assert m, ref
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def _letters(col: int) -> str:
    s = ""
    while col:
        col, rem = divmod(col - 1, 26)
        s = chr(65 + rem) + s
    return s


class ComSheet:
    """Cells as COM returns them: float numbers, str text, bool, None when empty, int error codes."""

    def __init__(self, cells: dict[str, Any], name: str = "Sheet1") -> None:
        self.name = name
        self.cells = {_rc(k): v for k, v in cells.items()}
        self.reads = 0

    @property
    def book(self) -> Any:
        import xlwings

        return types.SimpleNamespace(app=types.SimpleNamespace(engine=xlwings.engines["excel"].impl, pid=1))

    def range(self, cell1: Any, cell2: Any = None) -> "ComRangeImpl":
        if isinstance(cell1, ComRangeImpl):
            return cell1
        text = cell1 if cell2 is None else f"{cell1}:{cell2}"
        return ComRangeImpl(self, [tuple(_rc(p) for p in (a.split(":") * 2)[:2]) for a in text.split(",")])


class _ComArea:
    def __init__(self, top: tuple[int, int], bottom: tuple[int, int]) -> None:
        self.Address = f"${_letters(top[1])}${top[0]}" + ("" if top == bottom else f":${_letters(bottom[1])}${bottom[0]}")


class _ComAreas:
    def __init__(self, areas: list[tuple[tuple[int, int], tuple[int, int]]]) -> None:
        self.items = [_ComArea(*a) for a in areas]
        self.Count = len(self.items)

    def Item(self, i: int) -> _ComArea:
        return self.items[i - 1]


class ComRangeImpl:
    """The part of xlwings' Windows Range impl that the conversion and the UDFs touch."""

    max_cells_per_read = None

    def __init__(self, sheet: ComSheet, areas: list[tuple[tuple[int, int], tuple[int, int]]]) -> None:
        self._sheet = sheet
        self.areas = areas
        self.api = types.SimpleNamespace(Areas=_ComAreas(areas))

    @property
    def sheet(self) -> ComSheet:
        return self._sheet

    @property
    def shape(self) -> tuple[int, int]:
        (r1, c1), (r2, c2) = self.areas[0]
        return r2 - r1 + 1, c2 - c1 + 1

    @property
    def raw_value(self) -> Any:
        """COM's Range.Value: the first area only; a scalar for one cell, else a tuple of row tuples."""
        self._sheet.reads += 1
        (r1, c1), (r2, c2) = self.areas[0]
        rows = tuple(tuple(self._sheet.cells.get((r, c)) for c in range(c1, c2 + 1)) for r in range(r1, r2 + 1))
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows


def com_range(sheet: ComSheet, address: str):
    """An ``xlwings.Range`` over the COM-like sheet, as call_udf wraps a Range argument."""
    import xlwings

    return xlwings.Range(impl=sheet.range(address))


def is_range(arg: Any) -> bool:
    import xlwings

    return isinstance(arg, xlwings.Range)


def call_udf(func: Any, *args: Any) -> Any:
    """xlwings.udfs.call_udf's argument loop and result conversion, for one synchronous call."""
    from xlwings import conversion

    info = func.__xlfunc__
    args_info = info["args"]
    values = list(args) + [MISSING] * (len(args_info) - len(args))
    for i, arg in enumerate(values):
        arg_info = args_info[min(i, len(args_info) - 1)]
        if arg_info["name"] == "caller":
            continue  # the reserved argument: call_udf puts the calling Range there
        if isinstance(arg, int) and arg == MISSING:
            values[i] = arg_info.get("optional", None)
        elif is_range(arg):
            values[i] = conversion.read(arg, None, arg_info["options"])
        else:
            values[i] = conversion.read(None, arg, arg_info["options"])
    result = conversion.write(func(*values), None, info["ret"]["options"])
    # COM gets a list of rows; Excel shows a 1×1 array as that value in the calling cell
    if isinstance(result, list) and len(result) == 1 and len(result[0]) == 1:
        return result[0][0]
    return result
