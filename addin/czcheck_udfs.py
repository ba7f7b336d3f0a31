"""CZ_ worksheet functions of the czcheck add-in (listed under “UDF Modules” in the add-in's
config sheet; imported once into the add-in in Windows Excel with ImportPythonUDFsToAddin).

Each function is a thin wrapper: argument conversion, then a call into validators.udf_logic.
On Linux and macOS the xlwings decorators do nothing, so these stay plain functions (tests call
them directly).  Ranges arrive as lists of rows (``ndim=2``); results may be arrays (one call for
a whole range; they spill in Excel 365).
"""

from __future__ import annotations

from typing import Any

import xlwings as xw

from validators import udf_logic

CATEGORY = "财政校验"


def _area_values(parts: Any) -> Any:
    """A Range argument (possibly a multi-area union like (E6,E14)) as a list of rows."""
    areas = getattr(parts, "areas", None)
    if areas is None:
        return parts
    rows: list[list[Any]] = []
    for area in areas:
        rows.extend(udf_logic.matrix(area.options(ndim=2).value))
    if len(rows) > 1 and len(list(areas)) > 1:
        return [[v for r in rows for v in r]]  # a union: one flat list of parts
    return rows


def _book_findings(caller: Any) -> list:
    from addin.excel import read_grids

    book = caller.sheet.book
    return udf_logic.book_findings(read_grids(book), source=book.name)


@xw.func(category=CATEGORY)
@xw.arg("total", ndim=2)
@xw.arg("parts", "range")
def CZ_SUMCHECK(total, parts, tol=None):
    """合计与各组成部分之和是否一致：一致（含四舍五入尾差）返回 ✓，否则返回带符号的差额（合计 − 各部分之和）。"""
    return udf_logic.sumcheck(total, _area_values(parts), tol)


@xw.func(category=CATEGORY)
@xw.arg("a", ndim=2)
@xw.arg("b", ndim=2)
def CZ_DIFF(a, b):
    """两个数（或两个同样大小的区域）逐格比较：一致返回 ✓，否则返回 a − b。"""
    return udf_logic.diff(a, b)


@xw.func(category=CATEGORY)
@xw.arg("codes", ndim=2)
@xw.arg("amounts", ndim=2)
def CZ_HIERARCHY(codes, amounts):
    """按功能分类科目编码（一列完整编码，或 类/款/项 三列）核对 类＝各款之和、款＝各项之和：类、款行返回 ✓ 或差额。"""
    return udf_logic.hierarchy(codes, amounts)


@xw.func(category=CATEGORY)
@xw.arg("row", ndim=2)
def CZ_SANGONG(row):
    """核对“三公”经费一行（合计、因公出国（境）、公务用车小计、购置、运行维护、公务接待，可多个年度并排）。"""
    return udf_logic.sangong(row)


@xw.func(category=CATEGORY, volatile=True)
def CZ_RULE(code, caller):
    """本工作簿上某条校验规则（如 SZ101）的结果：✓ 或各严重程度的项数。"""
    return udf_logic.rule_status(code, _book_findings(caller))


@xw.func(category=CATEGORY, volatile=True)
def CZ_STATUS(caller, severity=None):
    """本工作簿的校验结果按严重程度计数（2 行 4 列）；给出严重程度（如“错误”）时只返回该项数。"""
    return udf_logic.status(_book_findings(caller), severity)


__all__ = ["CZ_DIFF", "CZ_HIERARCHY", "CZ_RULE", "CZ_SANGONG", "CZ_STATUS", "CZ_SUMCHECK"]
