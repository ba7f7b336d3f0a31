"""Reading: titles and aliases (never position), header paths to roles, codes, amounts, cells."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest

from validators import schemas
from validators.model import RowKind
from validators.reading import Grid, disclosure_from_grids, read_workbook
from validators.workbook_writer import spec_columns

PROFILE = schemas.profiles()["shandong-budget"]

EXPECTED_KEYS = {
    "收入总表": {"类", "款", "项", "名称", "合计", "财政拨款小计", "一般公共预算", "政府性基金", "国有资本经营", "财政专户",
                "事业收入", "经营收入", "其他收入", "上级补助收入", "附属单位上缴收入", "使用非财政拨款结余", "上年结转"},
    "支出总表": {"类", "款", "项", "名称", "合计", "基本支出", "项目支出", "结转下年"},
    "一般公共预算支出表": {"类", "款", "项", "名称", "合计", "基本支出", "人员支出", "公用支出", "项目支出"},
    "一般公共预算基本支出表": {"部门类", "部门款", "部门经济分类名称", "政府类", "政府款", "政府经济分类名称", "基本支出", "人员支出", "公用支出"},
    "项目支出表": {"项目名称", "项目类别", "合计", "财政拨款小计", "一般公共预算", "政府性基金", "国有资本经营", "财政专户", "单位资金", "使用非财政拨款结余", "上年结转"},
    "政府采购表": {"类", "款", "项", "名称", "合计", "财政拨款小计", "一般公共预算", "政府性基金", "国有资本经营", "财政专户", "单位资金", "使用非财政拨款结余", "上年结转"},
}


@pytest.mark.parametrize("spec", PROFILE.tables, ids=lambda s: s.kind)
def test_every_template_header_maps_to_roles(spec):
    columns = spec_columns(spec)
    assert all(c.role for c in columns), [c.header for c in columns if not c.role]
    keys = [c.key for c in columns]
    if spec.kind in EXPECTED_KEYS:
        assert set(keys) == EXPECTED_KEYS[spec.kind]
    if schemas.table_kinds()[spec.kind].layout == "ledger":
        assert {c.side for c in columns} == {"收入", "支出"}


def test_template_reads_as_twelve_tables_and_passes(template_path):
    d = read_workbook(template_path)
    assert {t.kind for t in d.all_tables()} == {s.kind for s in PROFILE.tables}
    assert d.profile == "shandong-budget" and d.unit == "万元"


@pytest.mark.parametrize("text, kind", [
    ("收支总体情况表", "收支总表"),
    ("表一、收支总体情况表", "收支总表"),
    ("2024年收入总体情况表", "收入总表"),
    ("一般公共预算“三公”经费支出情况表", "三公经费表"),
    ("一般公共预算\"三公\"经费支出情况表", "三公经费表"),
    ("政府采购预算表", "政府采购表"),
    ("部门收支总表", "收支总表"),
    ("十二、政府采购预算情况表", "政府采购表"),
])
def test_titles_are_recognised_with_aliases(text, kind):
    assert schemas.match_title(text) == kind


@pytest.mark.parametrize("text", ["目录", "第二部分", "2024年部门预算表", "收支总体情况表说明了本年收支", ""])
def test_non_titles_are_not_tables(text):
    assert schemas.match_title(text) is None


def _expenditure_grid(top: int = 0, left: int = 0) -> Grid:
    rows = [
        ["支出总体情况表"],
        ["部门（单位）：某局", "", "", "", "", "", "单位：万元"],
        ["科目编码", "", "", "科目名称", "合计", "基本支出", "项目支出"],
        ["类", "款", "项", "", "", "", ""],
        ["", "", "", "合 计", "2, 315. 76", "2,000.00", "315.76"],
        ["208", "", "", "社会保障和就业支出", "２，３１５.７６", 2000.0, "315.76"],
        ["", "05", "", "行政事业单位养老支出", 2315.76, 2000, "315.76"],
        ["", "", "01", "行政单位离退休", 2315.76, "2000", "315.76"],
        ["", "", "", "（注：本表不含结转。）"],
    ]
    shifted = [[""] * left + r for r in rows]
    return Grid("任意名称", [[] for _ in range(top)] + shifted)


def test_table_at_odd_position_with_text_amounts_and_inherited_codes():
    d = disclosure_from_grids([Grid("封面", [["无关内容"]]), _expenditure_grid(top=7, left=2)])
    t = d.table("支出总表")
    assert t is not None and t.title_ref.address == "C8" and t.unit == "万元"
    assert t.note == "（注：本表不含结转。）"
    total = t.total_row()
    assert total.kind is RowKind.TOTAL and total.values["合计"].amount == Decimal("2315.76")
    assert total.values["合计"].ref.address == "G12"
    codes = [r.code for r in t.data_rows()]
    assert codes == ["208", "20805", "2080501"]
    assert [r.values["合计"].amount for r in t.data_rows()] == [Decimal("2315.76")] * 3
    assert d.department == "某局"


def test_blank_is_not_zero_and_text_is_a_problem():
    g = _expenditure_grid()
    g.rows[5][5] = ""
    g.rows[6][5] = "一百"
    t = disclosure_from_grids([g]).table("支出总表")
    rows = list(t.data_rows())
    assert rows[0].values["基本支出"].blank and rows[0].values["基本支出"].amount is None
    assert rows[1].values["基本支出"].problem and "一百" in rows[1].values["基本支出"].problem


def test_single_code_column_is_read():
    rows = [["支出总体情况表"], ["科目编码", "科目名称", "合计"], ["", "合计", 10], ["208", "社会保障和就业支出", 10],
            ["20805", "行政事业单位养老支出", 10], ["2080501", "行政单位离退休", 10]]
    t = disclosure_from_grids([Grid("s", rows)]).table("支出总表")
    assert [r.code for r in t.data_rows()] == ["208", "20805", "2080501"]


def test_sheet_names_do_not_matter(yantai, tmp_path):
    wb = openpyxl.load_workbook(yantai)
    for i, ws in enumerate(wb.worksheets):
        ws.title = f"Sheet{i + 1}"
    wb.move_sheet(wb.worksheets[-1], offset=-(len(wb.worksheets) - 1))
    out = tmp_path / "renamed.xlsx"
    wb.save(out)
    a, b = read_workbook(yantai), read_workbook(out)
    assert set(a.tables) == set(b.tables)
    for kind in a.tables:
        ra = [(r.code, r.label, {k: v.amount for k, v in r.values.items()}) for r in a.table(kind).rows]
        rb = [(r.code, r.label, {k: v.amount for k, v in r.values.items()}) for r in b.table(kind).rows]
        assert ra == rb, kind


def test_economic_rows_carry_department_and_government_codes(yantai):
    t = read_workbook(yantai).table("一般公共预算基本支出表")
    rows = list(t.data_rows())
    assert (rows[0].econ_dept, rows[0].econ_gov) == ("301", "501")
    assert (rows[1].econ_dept, rows[1].econ_gov, rows[1].label) == ("30101", "50101", "基本工资")
    assert any(r.econ_dept == "302" and r.econ_gov == "505" for r in rows)


def test_narrative_is_read_paragraph_by_paragraph(yantai):
    d = read_workbook(yantai)
    texts = [p.text for p in d.narrative]
    assert any(t.startswith("（一）收入预算：2024年收入预算112,250.18万元") for t in texts)
    p = next(p for p in d.narrative if "三公" in p.text and "5.70" in p.text)
    assert p.ref.sheet == "情况说明" and p.ref.col == 2


def test_row_keys_are_typed_and_survive_pickling():
    """Row.key says what names the row (ledger line, block total, unit, project level) and still compares as
    its text; the process pool pickles reports, the archive restores keys as text."""
    import pickle
    from collections import Counter
    from pathlib import Path

    from validators.model import Row, RowKey

    d = read_workbook(Path(__file__).resolve().parents[1] / "workbooks" / "samples" / "yanbian-2024-budget.xlsx")
    keys = [r.key for ts in d.tables.values() for t in ts for r in t.rows if r.key is not None]
    assert all(type(k) is RowKey for k in keys)
    kinds = Counter(k.kind for k in keys)
    assert kinds[RowKey.LINE] > 50 and kinds[RowKey.UNIT] >= 2 and kinds[RowKey.LEVEL] >= 10
    unit = next(k for k in keys if k.kind == RowKey.UNIT)
    assert unit.startswith("单位:") and unit.name == unit[3:] and unit.name.isdigit()
    line = d.table("收支总表").line("本年收入合计")
    assert line is not None and line.key == "本年收入合计" and line.key.kind == RowKey.LINE
    back = pickle.loads(pickle.dumps(keys))
    assert back == keys and [k.kind for k in back] == [k.kind for k in keys]
    restored = Row(index=0, kind=RowKind.DATA, label="", label_ref=None, key="单位:502001")
    assert restored.key.kind == RowKey.UNIT and Row(index=0, kind=RowKind.TOTAL, label="合计", label_ref=None, key="合计").key.kind == RowKey.TOTAL


def test_values_read_build_their_cell_when_asked_and_behave_as_values():
    """The reader's Values (Value.at) build ``ref`` on first read; they compare, hash, show, pickle, copy and
    ``dataclasses.replace`` as Values given a CellRef, and a converted unit keeps the cell."""
    import copy
    import dataclasses
    import pickle
    from pathlib import Path

    from validators.model import CellRef, Value
    from validators.reading.units import convert_value

    d = read_workbook(Path(__file__).resolve().parents[1] / "workbooks" / "samples" / "zibo-2024-budget.xlsx")
    read = [v for t in d.all_tables() for row in t.rows for v in row.values.values()]
    assert len(read) > 500 and sum("ref" not in v.__dict__ for v in read) > 500  # not built while reading
    sheets = {t.sheet for t in d.all_tables()}
    for v in read[:50] + read[-50:]:
        fresh = pickle.loads(pickle.dumps(v))  # before its cell is built
        plain = Value(v.amount, v.raw, CellRef(*v.__dict__["_at"]), v.problem, v.half_ulp)
        assert type(v.ref) is CellRef and v.ref is v.ref and v.ref.sheet in sheets
        assert v == plain and hash(v) == hash(plain) and repr(v) == repr(plain) and fresh == plain
        assert copy.copy(v) == plain and dataclasses.asdict(v) == dataclasses.asdict(plain)
        assert dataclasses.replace(v, problem="x") == dataclasses.replace(plain, problem="x") != plain
        assert (v.blank, v.number) == (plain.blank, plain.number)
    made = [Value.at(None, None, ("表", 1, 2)), Value.at(None, "-", ("表", 1, 3)), Value.at(None, "壹佰", ("表", 1, 4), "不是金额"),
            Value.at(Decimal("0.00"), 0.0, ("表", 1, 5)), Value.at(Decimal("-1.5"), "(1.50)", ("表", 1, 6), None, Decimal("50"))]
    assert {v.raw for v in read} >= {None} and any(v.amount is not None for v in read) and any(v.blank for v in read)
    for v in made:
        plain = Value(v.amount, v.raw, CellRef(*v.__dict__["_at"]), v.problem, v.half_ulp)
        assert (v.amount, v.raw, v.problem, v.half_ulp, v.blank, v.number) == (plain.amount, plain.raw, plain.problem,
                                                                             plain.half_ulp, plain.blank, plain.number)
        assert v == plain and pickle.loads(pickle.dumps(v)) == plain and repr(v) == repr(plain)
    assert [v.blank for v in made] == [True, True, False, False, False] and made[4].number == Decimal("-1.5")
    v = next(v for v in read if v.amount)
    other = Value.at(v.amount, v.raw, (v.ref.sheet, v.ref.row, v.ref.col + 1), v.problem)
    assert other != v and other.ref == CellRef(v.ref.sheet, v.ref.row, v.ref.col + 1)
    wan = convert_value(Value.at(v.amount, v.raw, ("表", 3, 4)), "元", "万元")
    assert "ref" not in wan.__dict__ and wan.ref == CellRef("表", 3, 4) and wan.amount == v.amount / 10000
    assert wan.half_ulp == Decimal("0.0000005")
    with pytest.raises(AttributeError):
        v.no_such_field  # noqa: B018
    with pytest.raises(AttributeError):
        Value.__new__(Value).ref  # noqa: B018  (no cell at all: no attribute, not a made-up one)


def test_reader_memos_answer_as_the_parsers_do():
    """The reader keeps parses of cell values it met (floats, texts, code cells, header texts): equal keys of
    different types or signs never share an answer, and each answer is the parser's own."""
    from validators.amounts import try_amount
    from validators.reading import tables

    for raw in (0.0, -0.0, 1.0, 1.5, "1,234.50", "－", "壹佰", "1.2.3", 0.0, -0.0, 1.5, "1,234.50"):
        amount, problem = tables._parsed(raw)
        assert (amount, problem) == try_amount(raw) and str(amount) == str(try_amount(raw)[0])
    assert str(tables._parsed(-0.0)[0]) == "-0.0" and str(tables._parsed(0.0)[0]) == "0.0"
    for v, width, expected in ((1.0, 3, "001"), (True, 3, None), (1, 3, "001"), ("1", 3, "1"), (5.0, 2, "05"),
                               ("05", 2, "05"), (5.5, 2, None), ("２０１", 3, "201"), (True, 3, None), (1.0, 3, "001")):
        assert tables._code_part(v, width) == expected, (v, width)
    for v in ("收入", "1,000.00", "合计", "１２", "一百"):
        assert tables._is_amount_cell(v) == (try_amount(v)[0] is not None), v
