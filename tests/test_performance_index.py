"""The 绩效 checks look projects up by normalised name (rules/_performance._ByName); the answers must be
those of comparing every item with every name (_same_project), in the items' order."""

from __future__ import annotations

import itertools

from validators.rules._performance import _ByName, _same_project

NAMES = [
    "2024年度城市道路养护维修项目", "城市道路养护维修项目", "城市道路养护维修", "道路养护", "道路养护",
    "城市道路养护维修项目等", "2024年城市道路养护维修项目", "信息化系统运行维护经费", "信息化系统运行维护",
    "系统运维", "", "  ", "2024年", "其他专项业务经费", "专项业务经费", "业务经费", "城市道路养护维修项目（一期）",
    "Ａ类项目经费支出", "A类项目经费支出", "A类项目经费支出明细",
]


def test_index_answers_as_the_pairwise_comparison():
    items = [(i, name) for i, name in enumerate(NAMES)]
    index = _ByName(items, lambda item: item[1])
    queries = NAMES + ["城市道路", "养护维修项目", "信息化系统运行维护经费项目", "不存在的项目名称"]
    for query, exact in itertools.product(queries, (False, True)):
        expected = [item for item in items if _same_project(item[1], query, exact=exact)]
        assert index.matching(query, exact=exact) == expected, (query, exact)
        assert index.matching(query, exact=exact) == expected  # asked again: the kept answer
