"""Hypothesis strategies for fuzzing the reader: cells that look like what real workbooks hold
(titles, header words, amounts in every printed form, codes, sentinels) mixed with noise."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import strategies as st

from validators import schemas
from validators.amounts import FormulaError, UncachedFormula
from validators.reading.grid import Grid

TITLES = sorted({alias for kind in schemas.table_kinds().values() for alias in kind.aliases})
WORDS = [
    "收入", "支出", "项目", "预算数", "合计", "小计", "基本支出", "项目支出", "人员经费", "公用经费", "科目编码", "科目名称",
    "类", "款", "项", "财政拨款", "一般公共预算", "政府性基金", "国有资本经营", "上年结转", "本年收入合计", "本年支出合计",
    "收入总计", "支出总计", "单位：万元", "单位：元", "部门（单位）：测试局", "数据缺失", "注：无", "情况说明", "部门名称", "年度",
    "2024年预算数", "2025年预算数", "208", "20805", "2080505", "301", "01", "05", "工资福利支出",
]
AMOUNT_TEXTS = ["1,000.00", "(12.00)", "（12.00）", "-", "—", "１２．５", "12.3.4", "1,2,3", "一百", "#REF!", "-0", "0.005"]

amount_numbers = st.one_of(
    st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
)
cells = st.one_of(
    st.none(),
    st.just(""),
    st.sampled_from(TITLES),
    st.sampled_from(WORDS),
    st.sampled_from(AMOUNT_TEXTS),
    amount_numbers,
    st.booleans(),
    st.text(max_size=30),
    st.text(alphabet="0123456789,.()（）－-＋ 　万元", max_size=15),
    st.builds(FormulaError, st.sampled_from(["#REF!", "#DIV/0!", "#N/A", "#VALUE!"])),
    st.builds(UncachedFormula, st.just("=SUM(A1:A2)")),
    st.dates().map(lambda d: dt.datetime(d.year, d.month, d.day)),
)
rows = st.lists(cells, max_size=12)
grids = st.lists(
    st.builds(Grid, name=st.text(min_size=1, max_size=10), rows=st.lists(rows, max_size=25), hidden=st.booleans()),
    min_size=1,
    max_size=3,
)
amount_inputs = st.one_of(
    cells,
    st.text(),
    st.from_regex(r"[+\-－(（]?[0-9０-９]{1,6}([,，][0-9]{3})*([.．][0-9]{0,3})?[)）]?", fullmatch=True),
    st.builds(Decimal, st.integers()),
)
title_inputs = st.one_of(
    st.text(max_size=60),
    st.sampled_from(TITLES),
    st.tuples(st.sampled_from(["", "表1", "附表2、", "2024年", "部门", "公开03 ", "（一）"]), st.sampled_from(TITLES)).map("".join),
    cells,
)
