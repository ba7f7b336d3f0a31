"""Build small, fully consistent 部门预算 workbooks through the real template writer, and break
them one cell at a time.  Rows are written by role key, so a mutation reads like the table."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

from validators import schemas
from validators.workbook_writer import TableFill, WorkbookFill, spec_columns, template_header, write_workbook

PROFILE = schemas.profiles()["shandong-budget"]
D = Decimal

# (code, name, 一般, 基金, 国资, 基本, 人员, 公用, 项目)
FUNCTIONS = [
    ("208", "社会保障和就业支出", 100, 0, 0, 100, 100, 0, 0),
    ("20805", "行政事业单位养老支出", 100, 0, 0, 100, 100, 0, 0),
    ("2080505", "机关事业单位基本养老保险缴费支出", 100, 0, 0, 100, 100, 0, 0),
    ("210", "卫生健康支出", 500, 0, 0, 300, 250, 50, 200),
    ("21015", "医疗保障管理事务", 500, 0, 0, 300, 250, 50, 200),
    ("2101501", "行政运行", 300, 0, 0, 300, 250, 50, 0),
    ("2101502", "一般行政管理事务", 200, 0, 0, 0, 0, 0, 200),
    ("223", "国有资本经营预算支出", 0, 0, 50, 0, 0, 0, 50),
    ("22301", "解决历史遗留问题及改革成本支出", 0, 0, 50, 0, 0, 0, 50),
    ("2230108", "离休干部医药费补助支出", 0, 0, 50, 0, 0, 0, 50),
    ("229", "其他支出", 0, 30, 0, 0, 0, 0, 30),
    ("22960", "彩票公益金安排的支出", 0, 30, 0, 0, 0, 0, 30),
    ("2296099", "用于其他社会公益事业的彩票公益金支出", 0, 30, 0, 0, 0, 0, 30),
]
# (部门类, 部门款, 部门名称, 政府类, 政府款, 政府名称, 人员, 公用)
ECONOMIC = [
    ("301", "", "工资福利支出", "501", "", "机关工资福利支出", 350, 0),
    ("301", "01", "基本工资", "501", "01", "工资奖金津补贴", 250, 0),
    ("301", "08", "机关事业单位基本养老保险缴费", "501", "02", "社会保障缴费", 100, 0),
    ("302", "", "商品和服务支出", "502", "", "机关商品和服务支出", 0, 50),
    ("302", "01", "办公费", "502", "01", "办公经费", 0, 35),
    ("302", "17", "公务接待费", "502", "06", "公务接待费", 0, 10),
    ("302", "31", "公务用车运行维护费", "502", "08", "公务用车运行维护费", 0, 5),
]
PROJECTS = [("医疗保障工作经费", "其他运转类", 200, 0, 0), ("长期护理保险补助", "特定目标类", 0, 30, 0), ("企业离休干部医疗保险统筹补助", "其他运转类", 0, 0, 50)]


NARRATIVE_SECTION = "第三部分 2025年部门预算情况和重要事项说明"
NARRATIVE = [
    "（一）收入预算：2025年收入预算680.00万元，其中：一般公共预算收入600.00万元，政府性基金预算收入30.00万元，国有资本经营预算收入50.00万元。",
    "（二）支出预算：2025年支出预算680.00万元，其中：基本支出400.00万元，占58.82%；项目支出280.00万元，占41.18%。",
    "2025年通过一般公共预算财政拨款安排的“三公”经费预算共15.00万元，与上年基本持平。",
    "1. 因公出国（境）费0.00万元，与上年基本持平。",
    "2. 公务用车购置及运行费5.00万元，包括公务用车购置费0.00万元，公务用车运行维护费5.00万元。",
    "3. 公务接待费10.00万元，与上年基本持平。",
    "2025年本部门机关运行经费安排50.00万元。",
    "2025年政府采购预算20.00万元，其中：政府采购货物预算5.00万元，政府采购服务预算15.00万元。",
    "涉及预算项目支出3个，预算资金280.00万元，其中财政拨款280.00万元。",
]


def keyed_fill(spec: schemas.TableSpec, rows: list[dict[str, Any]], year: int, **kw: Any) -> TableFill:
    """A TableFill from rows keyed by role ("合计", "公务接待@2025年预算数", "合计@收入" for a ledger
    side), placed in the template's columns as the template's own headers map them."""
    header = template_header(spec, year)
    index = {(f"{c.key}@{c.side}" if c.side else c.key): c.index for c in spec_columns(spec, header) if c.key}
    out_rows = []
    for row in rows:
        out_rows.append({
            index[key]: D(str(value)) if isinstance(value, (int, float)) else value
            for key, value in row.items() if value is not None and value != ""
        })
    return TableFill(spec.kind, out_rows, header=header, **kw)


def _split(code: str) -> dict[str, str]:
    return {"类": code[:3]} if len(code) == 3 else {"款": code[3:5]} if len(code) == 5 else {"项": code[5:7]}


class Book:
    """Rows per table as {role key: value}; ``save`` writes them through the template writer."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self.missing: set[str] = set()
        self.narrative: list[tuple[str, str]] = [(NARRATIVE_SECTION, t) for t in NARRATIVE]
        g, f, s = (sum(r[i] for r in FUNCTIONS if len(r[0]) == 3) for i in (2, 3, 4))
        total = g + f + s
        basic = sum(r[5] for r in FUNCTIONS if len(r[0]) == 3)
        person = sum(r[6] for r in FUNCTIONS if len(r[0]) == 3)
        public = sum(r[7] for r in FUNCTIONS if len(r[0]) == 3)
        project = sum(r[8] for r in FUNCTIONS if len(r[0]) == 3)
        classes = {r[0]: r for r in FUNCTIONS if len(r[0]) == 3}

        ledger = []
        income = [("一、财政拨款", total), ("一般公共预算拨款收入", g), ("政府性基金预算拨款收入", f), ("国有资本经营预算拨款收入", s),
                  ("二、财政专户管理资金收入", None), ("三、事业收入（不含教育收费）", None), ("四、事业单位经营收入", None), ("五、其他收入", None)]
        spec = PROFILE.spec("收支总表")
        for i, (left, right) in enumerate(spec.lines):
            row: dict[str, Any] = {"名称@收入": left or None, "名称@支出": right or None}
            if i < len(income):
                row["合计@收入"] = income[i][1]
            key, code = schemas.ledger_key(right)
            if code in classes:
                row["合计@支出"] = sum(classes[code][2:5])
            if left == "本年收入合计":
                row["合计@收入"], row["合计@支出"] = total, total
            if left == "收入总计":
                row["合计@收入"], row["合计@支出"] = total, total
            ledger.append(row)
        self.tables["收支总表"] = ledger

        fiscal = []
        for left, right in PROFILE.spec("财政拨款收支总表").lines:
            row = {"名称@收入": left or None, "名称@支出": right or None}
            lk, _ = schemas.ledger_key(left)
            amounts = {"一般公共预算": g, "政府性基金": f, "国有资本经营": s, "本年收入合计": total, "收入总计": total}
            if lk in amounts:
                row["合计@收入"] = amounts[lk]
            rk, code = schemas.ledger_key(right)
            if code in classes:
                c = classes[code]
                row.update({"合计@支出": sum(c[2:5]), "一般公共预算@支出": c[2] or None, "政府性基金@支出": c[3] or None, "国有资本经营@支出": c[4] or None})
            if rk in ("本年支出合计", "支出总计"):
                row.update({"合计@支出": total, "一般公共预算@支出": g, "政府性基金@支出": f, "国有资本经营@支出": s})
            fiscal.append(row)
        self.tables["财政拨款收支总表"] = fiscal

        inc = [{"名称": "合计", "合计": total, "财政拨款小计": total, "一般公共预算": g, "政府性基金": f, "国有资本经营": s}]
        exp = [{"名称": "合计", "合计": total, "基本支出": basic, "项目支出": project}]
        gen = [{"名称": "合计", "合计": g, "基本支出": basic, "人员支出": person, "公用支出": public, "项目支出": project - f - s}]
        fund = [{"名称": "合计", "合计": f, "项目支出": f}]
        soe = [{"名称": "合计", "合计": s, "项目支出": s}]
        for code, name, gg, ff, ss, b, p, u, pr in FUNCTIONS:
            base = {**_split(code), "名称": name}
            t = gg + ff + ss
            inc.append({**base, "合计": t, "财政拨款小计": t, "一般公共预算": gg or None, "政府性基金": ff or None, "国有资本经营": ss or None})
            exp.append({**base, "合计": t, "基本支出": b or None, "项目支出": pr or None})
            if gg:
                gen.append({**base, "合计": gg, "基本支出": b or None, "人员支出": p or None, "公用支出": u or None, "项目支出": (gg - b) or None})
            if ff:
                fund.append({**base, "合计": ff, "项目支出": ff})
            if ss:
                soe.append({**base, "合计": ss, "项目支出": ss})
        self.tables.update({"收入总表": inc, "支出总表": exp, "一般公共预算支出表": gen, "政府性基金支出表": fund, "国有资本经营支出表": soe})

        econ_detail = [{"部门经济分类名称": "合计", "基本支出": basic, "人员支出": person, "公用支出": public}]
        econ_basic = [{"部门经济分类名称": "合计", "合计": basic, "财政拨款小计": basic, "一般公共预算": basic}]
        for dc, dk, dn, gc, gk, gn, p, u in ECONOMIC:
            codes = {"部门类": dc, "部门款": dk or None, "部门经济分类名称": dn, "政府类": gc, "政府款": gk or None, "政府经济分类名称": gn}
            econ_detail.append({**codes, "基本支出": p + u, "人员支出": p or None, "公用支出": u or None})
            econ_basic.append({**codes, "合计": p + u, "财政拨款小计": p + u, "一般公共预算": p + u})
        self.tables["一般公共预算基本支出表"] = econ_detail
        self.tables["基本支出表"] = econ_basic

        sg = {}
        for year in ("2024年预算数", "2025年预算数"):
            sg.update({f"合计@{year}": 15, f"因公出国@{year}": None, f"公务用车小计@{year}": 5,
                       f"公务用车购置@{year}": None, f"公务用车运行@{year}": 5, f"公务接待@{year}": 10})
        self.tables["三公经费表"] = [sg]

        proj = [{"项目名称": "合计", "合计": project, "财政拨款小计": project, "一般公共预算": project - f - s, "政府性基金": f, "国有资本经营": s}]
        for name, cat, gg, ff, ss in PROJECTS:
            proj.append({"项目名称": name, "项目类别": cat, "合计": gg + ff + ss, "财政拨款小计": gg + ff + ss,
                         "一般公共预算": gg or None, "政府性基金": ff or None, "国有资本经营": ss or None})
        self.tables["项目支出表"] = proj
        self.tables["政府采购表"] = [
            {"名称": "合计", "合计": 20, "财政拨款小计": 20, "一般公共预算": 20},
            {"类": "210", "名称": "卫生健康支出", "合计": 20, "财政拨款小计": 20, "一般公共预算": 20},
            {"款": "15", "名称": "医疗保障管理事务", "合计": 20, "财政拨款小计": 20, "一般公共预算": 20},
            {"项": "02", "名称": "一般行政管理事务", "合计": 20, "财政拨款小计": 20, "一般公共预算": 20},
        ]

    def say(self, old: str, new: str) -> "Book":
        """Replace text in the narrative paragraph that contains ``old``."""
        for i, (section, text) in enumerate(self.narrative):
            if old in text:
                self.narrative[i] = (section, text.replace(old, new))
                return self
        raise KeyError(old)

    def add_paragraph(self, text: str) -> "Book":
        self.narrative.append((NARRATIVE_SECTION, text))
        return self

    def copy(self) -> "Book":
        return copy.deepcopy(self)

    def row(self, kind: str, label: str) -> dict[str, Any]:
        """The first row whose name (or either side's name, or code part) equals ``label``."""
        for row in self.tables[kind]:
            names = [row.get(k) for k in ("名称", "名称@收入", "名称@支出", "部门经济分类名称", "项目名称")]
            if label in [n for n in names if n]:
                return row
        raise KeyError(f"{kind}: no row {label}")

    def bump(self, kind: str, label: str, key: str, delta: float = 10) -> "Book":
        row = self.row(kind, label)
        row[key] = (row.get(key) or 0) + delta
        return self

    unit = "万元"

    def save(self, path: Path, drop: tuple[str, ...] = ()) -> Path:
        """Write the workbook.  ``drop`` lists sheet operations after writing: a table kind to
        delete, or "@hide" / "@duplicate" followed by the table kind whose sheet to hide / copy."""
        fill = WorkbookFill(department="测试局", year=2025, source="tests/builders.py", narrative=self.narrative)
        for kind, rows in self.tables.items():
            fill.tables[kind] = keyed_fill(PROFILE.spec(kind), rows, 2025, missing=kind in self.missing)
        write_workbook(PROFILE, path, fill)
        if drop or self.unit != "万元":
            import openpyxl

            wb = openpyxl.load_workbook(path)
            ops = iter(drop)
            for op in ops:
                if op == "@hide":  # hide the next table's sheet
                    wb[PROFILE.spec(next(ops)).title[:31]].sheet_state = "hidden"
                elif op == "@duplicate":  # copy the next table's sheet
                    wb.copy_worksheet(wb[PROFILE.spec(next(ops)).title[:31]])
                else:
                    del wb[PROFILE.spec(op).title[:31]]
            if self.unit != "万元":
                for ws in wb.worksheets:
                    for row in ws.iter_rows(max_row=3):
                        for cell in row:
                            if isinstance(cell.value, str) and cell.value.startswith("单位："):
                                cell.value = f"单位：{self.unit}"
            wb.save(path)
        return path
