"""A small, fully consistent 吉林 预算表1–9 workbook written through the real template writer, and
single-cell breaks of it.  Rows are addressed by label (or code) and key ("合计@编制预算@支出" for
the two-sided summary tables, "一般公共预算@上年结转结余" in the 收入总表)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from validators import schemas
from builders import keyed_fill
from validators.workbook_writer import WorkbookFill, write_workbook

PROFILE = schemas.profiles()["jilin-budget"]
P, C = "合计@编制预算", "合计@上年结转"  # the two amount columns of 预算表1 and 预算表4

# (code, name, 合计, 基本 (人员, 公用), 项目 编制预算, 项目 上年结转)
FUNCTIONS = [
    ("208", "社会保障和就业支出", 100, (100, 0), 0, 0),
    ("20805", "行政事业单位养老支出", 100, (100, 0), 0, 0),
    ("2080505", "机关事业单位基本养老保险缴费支出", 100, (100, 0), 0, 0),
    ("210", "卫生健康支出", 350, (200, 50), 80, 20),
    ("21015", "医疗保障管理事务", 350, (200, 50), 80, 20),
    ("2101501", "行政运行", 250, (200, 50), 0, 0),
    ("2101502", "一般行政管理事务", 100, (0, 0), 80, 20),
]
ECONOMIC = [("301", "工资福利支出", 300, 0), ("30101", "基本工资", 200, 0), ("30108", "机关事业单位基本养老保险缴费", 100, 0),
            ("302", "商品和服务支出", 0, 50), ("30201", "办公费", 0, 35), ("30217", "公务接待费", 0, 15)]
# (unit code, name, 当年预算 一般公共预算, 上年结转结余 一般公共预算)
UNITS = [("900", "测试局", 430, 20), ("900001", "测试局机关", 290, 10), ("900002", "测试中心", 140, 10)]
# (level column, name, 本年 一般公共预算, 结转 一般公共预算)
PROJECTS = [("类型", "专项业务支出", 80, 20), ("一级项目", "医疗保障事务", 80, 20),
            ("二级项目", "宣传经费", 60, 0), ("二级项目", "运行经费", 20, 20)]
NAMES = ("名称", "科目编码", "单位代码", "一级项目", "二级项目", "项目类型", "名称@收入", "名称@支出")


class JilinBook:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}
        classes = [f for f in FUNCTIONS if len(f[0]) == 3]
        planned = sum(f[2] - f[5] for f in classes)
        carried = sum(f[5] for f in classes)
        basic = sum(sum(f[3]) for f in classes)

        for kind, fiscal_lines in (("收支总表", {"一、财政拨款收入", "一般公共预算拨款收入", "本年收入合计", "收入总计"}),
                                   ("财政拨款收支总表", {"一、本年收入", "一般公共预算拨款", "收入总计"})):
            rows = []
            for line in PROFILE.spec(kind).lines:
                row: dict[str, Any] = {"序号": line[0], "名称@收入": line[1] or None, "名称@支出": line[4] or None}
                if line[1] in fiscal_lines and not (kind == "财政拨款收支总表" and rows and rows[-1].get("名称@收入") == "二、上年结转"):
                    row.update({f"{P}@收入": planned, f"{C}@收入": carried})
                _, code = schemas.ledger_key(line[4])
                key, _ = schemas.ledger_key(line[4])
                by_code = {f[0]: f for f in classes}
                if code in by_code:
                    f = by_code[code]
                    row.update({f"{P}@支出": f[2] - f[5], f"{C}@支出": f[5] or None})
                elif key in ("本年支出合计", "支出总计"):
                    row.update({f"{P}@支出": planned, f"{C}@支出": carried})
                rows.append(row)
            self.rows[kind] = rows
        # 预算表4: the 一般公共预算拨款 line under 二、上年结转 stays blank (the 上年结转 column carries it)

        inc = [{"名称": "合计", "合计": planned + carried, "合计@当年预算": planned, "一般公共预算@当年预算": planned,
                "合计@上年结转结余": carried, "一般公共预算@上年结转结余": carried}]
        for code, name, cur, prev in UNITS:
            inc.append({"单位代码": code, "名称": name, "合计": cur + prev, "合计@当年预算": cur, "一般公共预算@当年预算": cur,
                        "合计@上年结转结余": prev, "一般公共预算@上年结转结余": prev})
        self.rows["收入总表"] = inc

        total = planned + carried
        exp = [{"名称": "合计", "合计": total, "基本支出": basic, "项目支出": total - basic}]
        gen = [{"名称": "合计", "合计": total, "基本支出": basic, "人员支出": sum(f[3][0] for f in classes),
                "公用支出": sum(f[3][1] for f in classes), "项目支出": total - basic}]
        for code, name, t, (people, public), pp, pc in FUNCTIONS:
            exp.append({"科目编码": code, "名称": name, "合计": t, "基本支出": people + public, "项目支出": pp + pc})
            gen.append({"科目编码": code, "名称": name, "合计": t, "基本支出": people + public, "人员支出": people,
                        "公用支出": public, "项目支出": pp + pc})
        self.rows["支出总表"], self.rows["一般公共预算支出表"] = exp, gen

        econ = [{"名称": "合计", "合计": basic, "人员支出": sum(e[2] for e in ECONOMIC if len(e[0]) == 3),
                 "公用支出": sum(e[3] for e in ECONOMIC if len(e[0]) == 3)}]
        for code, name, people, public in ECONOMIC:
            econ.append({"科目编码": code, "名称": name, "合计": people + public, "人员支出": people or None, "公用支出": public or None})
        self.rows["一般公共预算基本支出表"] = econ

        y = "2024年预算数"
        self.rows["三公经费表"] = [{f"合计@{y}": 15, f"因公出国@{y}": 0, f"公务用车小计@{y}": 0, f"公务用车购置@{y}": 0,
                                  f"公务用车运行@{y}": 0, f"公务接待@{y}": 15}]
        self.rows["政府性基金支出表"] = [{"名称": "合计"}]
        self.rows["国有资本经营支出表"] = [{"名称": "合计"}]

        gp_now, gp_prev = "一般公共预算@本年财政拨款", "一般公共预算@财政拨款结转"
        now, prev = sum(p[2] for p in PROJECTS if p[0] == "类型"), sum(p[3] for p in PROJECTS if p[0] == "类型")
        proj = [{"序号": "1", "项目类型": "合计", "合计": now + prev, gp_now: now, gp_prev: prev or None}]
        for i, (level, name, n, c) in enumerate(PROJECTS, start=2):
            row = {"序号": str(i), level.replace("类型", "项目类型"): name, "合计": n + c, gp_now: n or None, gp_prev: c or None}
            if level == "类型":
                row["项目类型编码"] = "311"
            proj.append(row)
        self.rows["项目支出表"] = proj

    def copy(self) -> "JilinBook":
        return copy.deepcopy(self)

    def row(self, kind: str, label: str) -> dict[str, Any]:
        for row in self.rows[kind]:
            if label in [v for k, v in row.items() if k in NAMES]:
                return row
        raise KeyError(f"{kind}: no row {label}")

    def bump(self, kind: str, label: str, key: str, delta: float = 1) -> "JilinBook":
        row = self.row(kind, label)
        row[key] = (row.get(key) or 0) + delta
        return self

    def save(self, path: Path) -> Path:
        fill = WorkbookFill(department="测试局", year=2024, source="tests/builders_jilin.py")
        for kind, rows in self.rows.items():
            fill.tables[kind] = keyed_fill(PROFILE.spec(kind), rows, 2024)
        return write_workbook(PROFILE, path, fill)
