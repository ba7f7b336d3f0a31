"""Which title matched which table kind, per file: for the JSON report and ``validate --show-tables``."""

from __future__ import annotations

from typing import Any

from ..model import Disclosure, Report

CACHE_KEY = "found_tables"


def found_tables(d: Disclosure | None) -> list[dict[str, Any]]:
    """One entry per recognised table, in reading order: kind, the title as printed, its cell, the unit.

    Kept in ``d.cache`` so the list survives ``batch.slim`` (which drops the parsed tables)."""
    if d is None:
        return []
    if CACHE_KEY not in d.cache:
        tables = list(d.all_tables())  # reading order within each kind, kinds in order of first appearance
        d.cache[CACHE_KEY] = [
            {
                "kind": t.kind,
                "title": t.title,
                "cell": str(t.title_ref),
                "title_from": "sheet" if t.title_from_sheet else "cell",
                "unit": t.unit,
                "unit_cell": str(t.unit_ref) if t.unit_ref else None,
                "unit_address": (t.unit_ref.address if t.unit_ref.sheet == t.title_ref.sheet else str(t.unit_ref)) if t.unit_ref else None,
                "hidden": t.hidden,
            }
            for t in tables
        ]
    return d.cache[CACHE_KEY]


def render_tables(reports: list[Report]) -> str:
    """Chinese listing: “收支总表 ← “2024年部门收支总表”（收支总表!A1，单位：万元）”."""
    out: list[str] = []
    for report in reports:
        out.append(f"文件：{report.source}")
        if report.error:
            out.append(f"  无法读取：{report.error}")
            continue
        found = found_tables(report.disclosure)
        if not found:
            out.append("  未识别到任何公开表（表名不在 czcheck 认识的表名中）")
            continue
        unit = report.disclosure.unit if report.disclosure else None
        out.append(f"  识别到 {len(found)} 张表" + (f"，金额统一按“{unit}”核对" if unit else "") + "：")
        for t in found:
            where = f"工作表名“{t['title']}”（无标题单元格，表从 {t['cell']} 开始）" if t["title_from"] == "sheet" else f"“{t['title']}”（{t['cell']}）"
            bits = []
            if t["unit"]:
                bits.append(f"单位：{t['unit']}（{t['unit_address']}）")
            if t["hidden"]:
                bits.append("隐藏工作表")
            out.append(f"    {t['kind']} ← {where}" + (f"，{'，'.join(bits)}" if bits else ""))
    return "\n".join(out)
