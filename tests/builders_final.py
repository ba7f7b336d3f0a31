"""A small, fully consistent 部门决算 (公开01–09) workbook written through the real template writer,
and single-cell breaks of it.  Rows are addressed by label (or code) and role key, like the tables read."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from validators import schemas
from builders import keyed_fill
from validators.workbook_writer import WorkbookFill, write_workbook

PROFILE = schemas.profiles()["final-accounts"]

# (code, name, 合计, 基本, 项目, 财政拨款 (一般公共预算), 其他收入)
FUNCTIONS = [
    ("208", "社会保障和就业支出", 100, 100, 0, 100, 0),
    ("20805", "行政事业单位养老支出", 100, 100, 0, 100, 0),
    ("2080505", "机关事业单位基本养老保险缴费支出", 100, 100, 0, 100, 0),
    ("210", "卫生健康支出", 400, 250, 150, 380, 20),
    ("21015", "医疗保障管理事务", 400, 250, 150, 380, 20),
    ("2101501", "行政运行", 300, 250, 50, 300, 0),
    ("2101502", "一般行政管理事务", 100, 0, 100, 80, 20),
]
# (block, code, name, amount)
ECONOMIC = [
    ("1", "301", "工资福利支出", 280), ("1", "30101", "基本工资", 180), ("1", "30108", "机关事业单位基本养老保险缴费", 100),
    ("1", "303", "对个人和家庭的补助", 20), ("1", "30309", "奖励金", 20),
    ("2", "302", "商品和服务支出", 45), ("2", "30201", "办公费", 30), ("2", "30217", "公务接待费", 15),
    ("3", "310", "资本性支出", 5), ("3", "31002", "办公设备购置", 5),
]
OPENING = 20  # 年初财政拨款结转和结余 (一般公共预算), carried to 年末 unchanged


class FinalBook:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}
        classes = [f for f in FUNCTIONS if len(f[0]) == 3]
        total = sum(f[2] for f in classes)
        fiscal = sum(f[5] for f in classes)
        other = sum(f[6] for f in classes)
        basic = sum(f[3] for f in classes)
        general_basic = basic  # every 基本支出 is 一般公共预算 here

        summary = []
        for line in PROFILE.spec("收支决算总表").lines:
            row: dict[str, Any] = {"名称@收入": line[0] or None, "行次@收入": line[1], "名称@支出": line[3] or None, "行次@支出": line[4]}
            lk, _ = schemas.ledger_key(line[0])
            income = {"一般公共预算": fiscal, "政府性基金": 0, "国有资本经营": 0, "上级补助收入": 0, "事业收入": 0, "经营收入": 0,
                      "附属单位上缴收入": 0, "其他收入": other, "本年收入合计": total, "使用非财政拨款结余": 0,
                      "年初结转和结余": OPENING, "总计": total + OPENING}
            if lk in income:
                row["合计@收入"] = income[lk]
            rk, code = schemas.ledger_key(line[3])
            by_code = {f[0]: f[2] for f in classes}
            if code:
                row["合计@支出"] = by_code.get(code, 0)
            spend = {"本年支出合计": total, "结余分配": 0, "年末结转和结余": OPENING, "总计": total + OPENING}
            if rk in spend:
                row["合计@支出"] = spend[rk]
            summary.append(row)
        self.rows["收支决算总表"] = summary

        fz = []
        prev = None
        for line in PROFILE.spec("财政拨款收支决算总表").lines:
            row = {"名称@收入": line[0] or None, "行次@收入": line[1], "名称@支出": line[3] or None, "行次@支出": line[4]}
            lk, _ = schemas.ledger_key(line[0])
            if lk in ("一般公共预算", "政府性基金", "国有资本经营") and prev == "opening":
                row["合计@收入"] = OPENING if lk == "一般公共预算" else 0
            elif lk in ("一般公共预算", "政府性基金", "国有资本经营"):
                row["合计@收入"] = fiscal if lk == "一般公共预算" else 0
            elif lk == "本年收入合计":
                row["合计@收入"] = fiscal
            elif lk == "年初结转和结余":
                row["合计@收入"], prev = OPENING, "opening"
            elif lk == "总计":
                row["合计@收入"] = fiscal + OPENING
            rk, code = schemas.ledger_key(line[3])
            amounts = None
            if code:
                amounts = {f[0]: f[5] for f in classes}.get(code, 0)
            elif rk == "本年支出合计":
                amounts = fiscal
            elif rk == "年末结转和结余":
                amounts = OPENING
            elif lk == "总计":
                amounts = fiscal + OPENING
            if amounts is not None:
                row.update({"合计@支出": amounts, "一般公共预算@支出": amounts, "政府性基金@支出": 0, "国有资本经营@支出": 0})
            fz.append(row)
        self.rows["财政拨款收支决算总表"] = fz

        inc = [{"名称": "合计", "合计": total, "财政拨款小计": fiscal, "上级补助收入": 0, "事业收入": 0, "经营收入": 0, "附属单位上缴收入": 0, "其他收入": other}]
        exp = [{"名称": "合计", "合计": total, "基本支出": basic, "项目支出": total - basic, "上缴上级支出": 0, "经营支出": 0, "对附属单位补助支出": 0}]
        gen = [{"名称": "合计", "合计": fiscal, "基本支出": general_basic, "项目支出": fiscal - general_basic}]
        for code, name, t, b, p, f, o in FUNCTIONS:
            inc.append({"科目编码": code, "名称": name, "合计": t, "财政拨款小计": f, "上级补助收入": 0, "事业收入": 0, "经营收入": 0, "附属单位上缴收入": 0, "其他收入": o})
            exp.append({"科目编码": code, "名称": name, "合计": t, "基本支出": b, "项目支出": p, "上缴上级支出": 0, "经营支出": 0, "对附属单位补助支出": 0})
            gen.append({"科目编码": code, "名称": name, "合计": f, "基本支出": b, "项目支出": f - b})
        self.rows.update({"收入决算表": inc, "支出决算表": exp, "一般公共预算支出决算表": gen})
        self.rows["政府性基金收支决算表"] = [{"名称": "合计", "年初结转和结余": 0, "本年收入": 0, "合计": 0, "基本支出": 0, "项目支出": 0, "年末结转和结余": 0}]
        self.rows["国有资本经营支出决算表"] = [{"名称": "合计", "合计": 0, "基本支出": 0, "项目支出": 0}]

        blocks: list[dict[str, Any]] = []
        per_block: dict[str, list] = {}
        for block, code, name, amount in ECONOMIC:
            per_block.setdefault(block, []).append((code, name, amount))
        for i in range(max(len(v) for v in per_block.values())):
            row = {}
            for block, items in per_block.items():
                if i < len(items):
                    code, name, amount = items[i]
                    row.update({f"科目编码@{block}": code, f"名称@{block}": name, f"合计@{block}": amount})
            blocks.append(row)
        people = sum(a for b, c, n, a in ECONOMIC if b == "1" and len(c) == 3)
        public = sum(a for b, c, n, a in ECONOMIC if b != "1" and len(c) == 3)
        blocks.append({"名称@1": "人员经费合计", "合计@1": people, "名称@2": "公用经费合计", "合计@3": public})
        self.rows["一般公共预算基本支出决算表"] = blocks

        sg = {}
        for group, (t, car, run, rec) in (("预算数", (20, 5, 5, 15)), ("决算数", (18, 4, 4, 14))):
            sg.update({f"合计@{group}": t, f"因公出国@{group}": 0, f"公务用车小计@{group}": car,
                       f"公务用车购置@{group}": 0, f"公务用车运行@{group}": run, f"公务接待@{group}": rec})
        self.rows["三公经费表"] = [sg]

    def copy(self) -> "FinalBook":
        return copy.deepcopy(self)

    def row(self, kind: str, label: str) -> dict[str, Any]:
        for row in self.rows[kind]:
            names = [v for k, v in row.items() if k.split("@")[0] in ("名称", "科目编码")]
            if label in names:
                return row
        raise KeyError(f"{kind}: no row {label}")

    def bump(self, kind: str, label: str, key: str, delta: float = 10) -> "FinalBook":
        row = self.row(kind, label)
        row[key] = (row.get(key) or 0) + delta
        return self

    def save(self, path: Path) -> Path:
        fill = WorkbookFill(department="测试局", year=2024, source="tests/builders_final.py")
        for kind, rows in self.rows.items():
            fill.tables[kind] = keyed_fill(PROFILE.spec(kind), rows, 2024)
        return write_workbook(PROFILE, path, fill)
