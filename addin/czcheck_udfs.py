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
PARTS = "czcheck_parts"  # the converter of CZ_SUMCHECK's parts (registered below)
# Every argument is read with err_to_str: an error value (#REF!, #DIV/0!) arrives as its text and
# gives 无法校验, never a blank (xlwings' default turns error cells into None).
VALUES = {"ndim": 2, "err_to_str": True}


class _RangeOrValues(xw.conversion.Accessor):
    """A Range argument stays a Range (a union like (E6,E14) has several areas, and COM's Value
    reads only the first); a constant or an array constant is cleaned like a range's values.
    xlwings' own "range" converter turns every non-Range argument into None."""

    @classmethod
    def reader(cls, options):
        def stage(ctx):
            if ctx.range is not None:
                ctx.value = ctx.range
            else:
                ctx.value = xw.conversion.read(None, ctx.value, dict(VALUES))

        return xw.conversion.Pipeline().append_stage(stage)


_RangeOrValues.register(PARTS)


def _area_values(parts: Any) -> Any:
    """CZ_SUMCHECK's parts as a list of rows: a cleaned constant as it is; a Range area by area
    (a multi-area union gives one flat row of all its cells)."""
    if not isinstance(parts, xw.Range):
        return parts
    try:
        areas = parts.api.Areas
        count = int(areas.Count)
    except Exception:  # noqa: BLE001 - engines without COM areas: one area
        areas, count = None, 1
    if count <= 1:
        return parts.options(**VALUES).value
    cells: list[Any] = []
    for i in range(1, count + 1):
        area = parts.sheet.range(areas.Item(i).Address.replace("$", ""))
        cells.extend(v for row in udf_logic.matrix(area.options(**VALUES).value) for v in row)
    return [cells]


def _book_findings(caller: Any) -> list:
    from addin.excel import book_snapshot

    book = caller.sheet.book
    return udf_logic.book_findings(book_snapshot(book), source=book.name)


@xw.func(category=CATEGORY)
@xw.arg("total", **VALUES)
@xw.arg("parts", PARTS)
@xw.arg("tol", err_to_str=True)
def CZ_SUMCHECK(total, parts, tol=None):
    """合计与各组成部分之和是否一致：一致（含四舍五入尾差）返回 ✓，否则返回带符号的差额（合计 − 各部分之和）。"""
    return udf_logic.sumcheck(total, _area_values(parts), tol)


@xw.func(category=CATEGORY)
@xw.arg("a", **VALUES)
@xw.arg("b", **VALUES)
def CZ_DIFF(a, b):
    """两个数（或两个同样大小的区域）逐格比较：一致返回 ✓，否则返回 a − b。"""
    return udf_logic.diff(a, b)


@xw.func(category=CATEGORY)
@xw.arg("codes", **VALUES)
@xw.arg("amounts", **VALUES)
def CZ_HIERARCHY(codes, amounts):
    """按功能分类科目编码（一列完整编码，或 类/款/项 三列）核对 类＝各款之和、款＝各项之和：类、款行返回 ✓ 或差额。"""
    return udf_logic.hierarchy(codes, amounts)


@xw.func(category=CATEGORY)
@xw.arg("row", **VALUES)
def CZ_SANGONG(row):
    """核对“三公”经费一行（合计、因公出国（境）、公务用车小计、购置、运行维护、公务接待，可多个年度并排）。"""
    return udf_logic.sangong(row)


# Whole-book functions: volatile (they depend on every sheet), never evaluated in the function
# wizard, and one read of the book serves every CZ_RULE / CZ_STATUS cell of a recalculation.
@xw.func(category=CATEGORY, volatile=True, call_in_wizard=False)
@xw.arg("code", err_to_str=True)
def CZ_RULE(code, caller):
    """本工作簿上某条校验规则（如 SZ101）的结果：✓ 或各严重程度的项数。"""
    return udf_logic.rule_status(code, _book_findings(caller))


@xw.func(category=CATEGORY, volatile=True, call_in_wizard=False)
@xw.arg("severity", err_to_str=True)
def CZ_STATUS(caller, severity=None):
    """本工作簿的校验结果按严重程度计数（2 行 4 列）；给出严重程度（如“错误”）时只返回该项数。"""
    return udf_logic.status(_book_findings(caller), severity)


__all__ = ["CZ_DIFF", "CZ_HIERARCHY", "CZ_RULE", "CZ_SANGONG", "CZ_STATUS", "CZ_SUMCHECK"]
