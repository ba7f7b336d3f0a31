"""Format packs and configuration: a format defined by TOML alone is validated end to end; reviewers'
czcheck.toml selects, ignores and re-grades rules and sets parameters; `czcheck formats` and `explain`
say what each format declares."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from validators import cli
from validators.config import ConfigError, load_config, parse_config

COUNTY = Path(__file__).parent / "data" / "formats"


@pytest.fixture
def county(monkeypatch):
    """The made-up county format of tests/data/formats (nothing of it is Python)."""
    from validators.schemas.formats import clear_caches, formats

    monkeypatch.setenv("CZCHECK_FORMATS", str(COUNTY))
    clear_caches()
    yield formats()["test-county-budget"]
    monkeypatch.delenv("CZCHECK_FORMATS")
    clear_caches()


def _county_book(fmt, path: Path, *, total_income: float = 110, expenditure_total: float = 100) -> Path:
    from validators.workbook_writer import TableFill, WorkbookFill, write_workbook

    ledger = TableFill("收支总表", rows=[
        {0: "一、一般公共预算拨款收入", 1: 80, 2: "一、一般公共服务支出", 3: 30},
        {0: "二、事业收入", 1: 20, 2: "二、卫生健康支出", 3: 70},
        {0: "本年收入合计", 1: 100, 2: "本年支出合计", 3: 100},
        {0: "上年结转", 1: 10, 2: "结转下年", 3: 10},
        {0: "收入总计", 1: total_income, 2: "支出总计", 3: 110},
    ])
    spending = TableFill("支出总表", rows=[
        {1: "合计", 2: expenditure_total, 3: 60, 4: 40},
        {0: "201", 1: "一般公共服务支出", 2: 30, 3: 30, 4: 0},
        {0: "210", 1: "卫生健康支出", 2: 70, 3: 30, 4: 40},
    ])
    fill = WorkbookFill(department="某县卫生健康局", year=2025, tables={"收支总表": ledger, "支出总表": spending})
    return write_workbook(fmt, path, fill)


def test_a_format_defined_by_toml_alone_is_detected_and_validated(county, tmp_path):
    from validators.engine import validate_file

    report = validate_file(_county_book(county, tmp_path / "ok.xlsx"))
    assert report.error is None
    assert report.disclosure.format is county
    assert [f for f in report.findings if f.severity.value == "错误"] == []

    bad = validate_file(_county_book(county, tmp_path / "bad.xlsx", total_income=111, expenditure_total=99))
    errors = {(f.code, str(f.cells[0])) for f in bad.findings if f.severity.value == "错误"}
    assert ("XT101", "县级部门收支总表!B9") in errors  # the format's own code, documented in its codes.toml
    assert any(code == "XT102" for code, _ in errors)  # a cross-table sum declared by operands
    assert any(code == "BN201" for code, _ in errors)  # the common relations come with every format


def test_format_codes_are_explained_and_formats_listed(county, capsys):
    assert cli.main(["explain", "XT101"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "县级收入总计等于本年收入加上年结转" in out and "test-county-budget（1 处）" in out
    assert cli.main(["formats", "--format", "json"]) == cli.EXIT_OK
    listed = {f["id"]: f for f in json.loads(capsys.readouterr().out)}
    assert {"shandong-budget", "jilin-budget", "final-accounts", "final-accounts-2019", "test-county-budget"} <= set(listed)
    assert listed["test-county-budget"]["own_relation_count"] == 3
    assert listed["shandong-budget"]["relation_count"] > 20


def test_old_codes_are_explained_as_what_checks_them_now(capsys):
    assert cli.main(["explain", "js501"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("JS501 已并入 SZ105")
    assert "final-accounts" in out and "shandong-budget" in out
    assert cli.main(["explain", "SZ105", "--format", "json"]) == cli.EXIT_OK
    info = json.loads(capsys.readouterr().out)
    assert info["aliases"] == ["JS501"] and info["declared"] and set(info["parts"]) == {"检查内容", "依据", "错误示例", "正确示例"}
    assert cli.main(["explain", "SG403", "--format", "json"]) == cli.EXIT_OK
    assert json.loads(capsys.readouterr().out)["params"]["sangong_equals_basic_items"]["default"] is True


def test_configuration_selects_ignores_and_regrades(tmp_path):
    from validators.engine import validate_file
    from validators.rules import run_rules

    sample = Path(__file__).resolve().parents[1] / "workbooks" / "samples" / "yanbian-2024-budget.xlsx"
    d = validate_file(sample).disclosure
    base = run_rules(d)
    assert any(f.code == "WB602" for f in base)
    quiet = run_rules(d, config=parse_config({"ignore": ["文表一致", "RD"]}))
    assert not any(f.code.startswith(("WB", "RD")) for f in quiet) and len(quiet) < len(base)
    only = run_rules(d, config=parse_config({"select": ["SZ", "js501"]}))
    assert only and {f.code[:2] for f in only} == {"SZ"}
    graded = run_rules(d, config=parse_config({"severity": {"WB602": "提示", "表内": "错误"}}))
    assert {f.severity.value for f in graded if f.code == "WB602"} == {"提示"}


@pytest.mark.parametrize("data, words", [
    ({"selcet": ["SZ"]}, "未知的配置项"),
    ({"ignore": ["XX999"]}, "既不是规则编号也不是规则类别"),
    ({"severity": {"WZ801": "严重"}}, "级别“严重”无效"),
    ({"params": {"no-such-format": {}}}, "不是已知的格式"),
    ({"params": {"shandong-budget": {"colour": 1}}}, "不是任何规则声明的参数"),
    ({"params": {"shandong-budget": {"sangong_equals_basic_items": "no"}}}, "类型应与默认值"),
])
def test_bad_configuration_is_refused_in_chinese(data, words):
    with pytest.raises(ConfigError, match=words):
        parse_config(data)


def test_parameters_reach_the_rules(tmp_path):
    """sangong_equals_basic_items=false silences the 提示 that basic items fall short of the 三公 figure."""
    from validators.engine import validate_file
    from validators.rules import run_rules

    sample = Path(__file__).resolve().parents[1] / "workbooks" / "samples" / "zibo-2024-budget.xlsx"
    d = validate_file(sample).disclosure
    cfg = parse_config({"params": {d.format.id: {"sangong_equals_basic_items": False}}})
    before = [f for f in run_rules(d) if f.code.startswith("SG40") and f.severity.value == "提示"]
    after = [f for f in run_rules(d, config=cfg) if f.code.startswith("SG40") and f.severity.value == "提示"]
    assert len(after) < len(before) or not before


def test_cli_finds_czcheck_toml_beside_the_files_and_uses_pyproject(tmp_path, capsys):
    import shutil

    sample = Path(__file__).resolve().parents[1] / "workbooks" / "samples" / "yanbian-2024-budget.xlsx"
    shutil.copy(sample, tmp_path / "book.xlsx")
    (tmp_path / "czcheck.toml").write_text('ignore = ["WB602", "WB605", "WB601"]\n', encoding="utf-8")
    out = tmp_path / "r.json"
    cli.main(["validate", str(tmp_path / "book.xlsx"), "--format", "json", "-o", str(out)])
    codes = {f["code"] for f in json.loads(out.read_text(encoding="utf-8"))["files"][0]["findings"]}
    assert not codes & {"WB602", "WB605", "WB601"}
    assert "使用配置" in capsys.readouterr().err
    (tmp_path / "czcheck.toml").unlink()
    (tmp_path / "pyproject.toml").write_text('[tool.czcheck]\nselect = ["WB602"]\n', encoding="utf-8")
    assert load_config(tmp_path / "pyproject.toml").select == ["WB602"]
    cli.main(["validate", str(tmp_path / "book.xlsx"), "--format", "json", "-o", str(out)])
    codes = {f["code"] for f in json.loads(out.read_text(encoding="utf-8"))["files"][0]["findings"]}
    assert codes == {"WB602"}
    bad = tmp_path / "bad.toml"
    bad.write_text("select = [1]\n", encoding="utf-8")
    assert cli.main(["validate", str(tmp_path / "book.xlsx"), "--config", str(bad)]) == cli.EXIT_CANNOT_RUN
    assert "应为文字列表" in capsys.readouterr().err


def test_a_rule_module_that_registers_nothing_fails_loudly(tmp_path, monkeypatch):
    import validators.rules as rules

    (tmp_path / "silent.py").write_text("X = 1\n", encoding="utf-8")
    monkeypatch.setattr(rules, "__path__", [*rules.__path__, str(tmp_path)])
    monkeypatch.setattr(rules, "_loaded", False)
    with pytest.raises(RuntimeError, match="silent"):
        rules._load_all()
    assert Decimal(1)  # the registry is otherwise untouched


def test_rule_modules_name_no_table_kind():
    """Which tables a rule reads is data (format packs, relations.toml, subjects.toml): no string constant
    of a rule module (docstrings aside) is a table kind."""
    import ast

    from validators import schemas

    kinds = set(schemas.table_kinds())
    found = []
    for path in sorted((Path(__file__).resolve().parents[1] / "validators" / "rules").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {id(node.body[0].value) for node in ast.walk(tree)
                if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                and ast.get_docstring(node, clean=False) is not None}
        found += [f"{path.name}:{n.lineno} {n.value}" for n in ast.walk(tree)
                  if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs and n.value in kinds]
    assert found == []


def test_a_pack_may_extend_another_packs_relations(tmp_path):
    """relations.toml ``extends = "<format id>"``: the other pack's instances first, then its own; a
    circle or an unknown format is refused in Chinese."""
    import shutil

    from validators.schemas.formats import FormatError, formats, load_format

    base = formats()["shandong-budget"]
    folder = tmp_path / "city-budget"
    shutil.copytree(base.folder, folder)
    (folder / "format.toml").write_text((folder / "format.toml").read_text(encoding="utf-8").replace(
        'id = "shandong-budget"', 'id = "city-budget"', 1), encoding="utf-8")
    (folder / "relations.toml").write_text('extends = "shandong-budget"\nexclude = ["SG403"]\n\n[[relation]]\ncode = "SZ101"\n'
                                           'kind = "ledger_sum"\ntables = ["收支总表"]\ntotal = "支出:支出总计"\nparts = ["收入:收入总计"]\n',
                                           encoding="utf-8")
    city = load_format(folder)
    assert [(r.code, r.args) for r in city.relations] == (
        [(r.code, r.args) for r in base.relations if r.code != "SG403"]
        + [("SZ101", {"tables": ["收支总表"], "total": "支出:支出总计", "parts": ["收入:收入总计"]})])
    assert {r.origin for r in city.relations} == {"通用", "city-budget"}
    (folder / "relations.toml").write_text('extends = "no-such-format"\n', encoding="utf-8")
    with pytest.raises(FormatError, match="不存在"):
        load_format(folder)


def test_extends_may_leave_out_inherited_instances_by_code_or_id(tmp_path):
    """``[extends] format = "<id>", exclude = [...]``: an entry is a rule code (every inherited instance of
    it) or a ``[[relation]]`` id (that one instance); an entry that names nothing, a malformed section and
    a repeated id are refused in Chinese."""
    import shutil

    from validators.schemas.formats import FormatError, formats, load_format

    base = formats()["shandong-budget"]
    assert [r.id for r in base.relations_for("BJ307")] == ["BJ307:基本支出", None, None]
    folder = tmp_path / "city-budget"
    shutil.copytree(base.folder, folder)
    (folder / "format.toml").write_text((folder / "format.toml").read_text(encoding="utf-8").replace(
        'id = "shandong-budget"', 'id = "city-budget"', 1), encoding="utf-8")
    rel = folder / "relations.toml"
    rel.write_text('[extends]\nformat = "shandong-budget"\nexclude = ["BJ301", "BJ307:基本支出"]\n', encoding="utf-8")
    city = load_format(folder)
    assert [(r.code, r.args) for r in city.relations] == [
        (r.code, r.args) for r in base.relations if r.code != "BJ301" and r.id != "BJ307:基本支出"]
    assert len(city.relations_for("BJ307")) == 2 and not city.relations_for("BJ301")

    for text, message in [
        ('[extends]\nformat = "shandong-budget"\nexclude = ["BJ399", "BJ307:合计"]\n', "BJ399、BJ307:合计 不是格式 shandong-budget 的勾稽关系"),
        ('[extends]\nexclude = ["BJ301"]\n', "缺少 format"),
        ('[extends]\nformat = "shandong-budget"\nexclude = "BJ301"\n', "exclude 应为文字列表"),
        ('[extends]\nformat = "shandong-budget"\nonly = ["BJ301"]\n', "未知的键：only"),
        ('extends = 3\n', "extends 应为格式 id"),
        ('extends = "shandong-budget"\n\n[[relation]]\ncode = "BJ307"\nid = "BJ307:基本支出"\nkind = "equal"\n', "id BJ307:基本支出 重复"),
    ]:
        rel.write_text(text, encoding="utf-8")
        with pytest.raises(FormatError, match=message):
            load_format(folder)


def test_a_pack_that_is_not_valid_toml_is_refused_in_chinese(tmp_path, monkeypatch, capsys):
    """A pack file that is not TOML, or not UTF-8, is a FormatError naming the file; validate reports the
    book 未能校验 with it and exits 2 (no traceback)."""
    import shutil

    from validators.rules.relations import register_codes
    from validators.schemas.formats import FormatError, clear_caches, load_format

    folder = tmp_path / "county-budget"
    shutil.copytree(COUNTY / "county-budget", folder)
    for name, bad in [("format.toml", b'id = "county\n'), ("relations.toml", "说明 = 1".encode("gbk")),
                      ("codes.toml", b"[XX901\n")]:
        good = (folder / name).read_bytes()
        (folder / name).write_bytes(bad)
        with pytest.raises(FormatError, match=f"{name} 不是有效的 TOML"):
            load_format(folder) if name != "codes.toml" else register_codes(folder / name)
        (folder / name).write_bytes(good)
    (folder / "format.toml").write_bytes(b'id = "county\n')
    monkeypatch.setenv("CZCHECK_FORMATS", str(tmp_path))
    clear_caches()
    try:
        code = cli.main(["validate", str(Path(__file__).parents[1] / "workbooks" / "samples" / "zibo-2024-budget.xlsx")])
    finally:
        monkeypatch.delenv("CZCHECK_FORMATS")
        clear_caches()
    assert code == cli.EXIT_CANNOT_RUN
    out = capsys.readouterr().out
    assert "未能校验" in out and "format.toml 不是有效的 TOML" in out


def test_jilin_declares_only_relations_its_layout_can_evaluate(tmp_path):
    """Every relation instance of the 吉林 pack (its own and those it keeps of the 山东 pack) is evaluated on
    the real 吉林 sample or the consistent built book: `czcheck formats` counts no relation that cannot apply."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from builders_jilin import JilinBook

    from validators import schemas
    from validators.catalogue import describe_formats
    from validators.reading import read_workbook
    from validators.rules import Context, get_rule
    from validators.rules.relations import KINDS

    fmt = schemas.formats()["jilin-budget"]
    books = [Path(__file__).resolve().parents[1] / "workbooks" / "samples" / "yanbian-2024-budget.xlsx",
             JilinBook().save(tmp_path / "jilin.xlsx")]
    evaluated = [0] * len(fmt.relations)
    for book in books:
        d = read_workbook(book)
        assert d.format is fmt
        for i, rel in enumerate(fmt.relations):
            checks: list = []
            ctx = Context(d, get_rule(rel.code), recorder=checks.append)
            if all(ctx.table(k) is not None for k in rel.arg("requires", [])):
                found = list(KINDS[rel.kind](ctx, rel))
                evaluated[i] += len(checks) + len(found)
    dead = [(r.code, r.id, r.args.get("what")) for r, n in zip(fmt.relations, evaluated) if n == 0 and r.origin == fmt.id]
    assert dead == []
    listed = next(f for f in describe_formats() if f["id"] == "jilin-budget")
    assert listed["relation_count"] == len(fmt.relations) < formats_of("shandong-budget") + 13
    assert not {"BJ301", "BJ302", "BJ304", "BJ305", "BJ306", "BJ308", "SZ108"} & set(listed["relation_codes"])


def formats_of(fid: str) -> int:
    from validators import schemas

    return len(schemas.formats()[fid].relations)
