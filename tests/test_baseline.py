"""Baseline: accepted findings stay quiet in later rounds; anything new or changed is reported."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal

import openpyxl
import pytest
from builders import Book

from validators import cli
from validators.baseline import Baseline, BaselineError, fingerprint, load_baseline
from validators.model import CellRef, Finding, Severity


def run(*args: str) -> int:
    return cli.main(["validate", "-j", "1", *args])


@pytest.fixture
def broken(tmp_path):
    return Book().bump("支出总表", "医疗保障管理事务", "合计").save(tmp_path / "第一轮.xlsx")


def findings_of(path, *args: str) -> dict:
    out = path.with_suffix(".json")
    code = run(str(path), "--format", "json", "-o", str(out), *args)
    return {"code": code, **json.loads(out.read_text(encoding="utf-8"))["files"][0]}


def test_write_then_use_a_baseline(broken, tmp_path, capsys):
    accepted = tmp_path / "accepted.json"
    first = findings_of(broken, "--write-baseline", str(accepted))
    assert first["code"] == 1 and first["counts"]["错误"] >= 1
    doc = json.loads(accepted.read_text(encoding="utf-8"))
    assert doc["version"] == 1 and len(doc["条目"]) == len(first["findings"])
    entry = doc["条目"][0]
    assert {"范围", "规则", "单元格", "应为", "实际", "说明", "级别"} <= set(entry)
    assert entry["范围"].startswith("测试局|2025") and "支出" in json.dumps(doc, ensure_ascii=False)  # readable Chinese
    capsys.readouterr()
    # the next round: the same book reports nothing new, exits 0, says how many were hidden
    assert run(str(broken), "--baseline", str(accepted)) == 0
    captured = capsys.readouterr()
    n = len(first["findings"])
    assert f"已按基线忽略 {n} 条" in captured.out and f"已按基线忽略 {n} 条" in captured.err
    again = findings_of(broken, "--baseline", str(accepted))
    assert again["findings"] == [] and again["baselined"] == n and again["status"] == "已校验"


def test_a_changed_figure_comes_back(broken, tmp_path):
    accepted = tmp_path / "accepted.json"
    findings_of(broken, "--write-baseline", str(accepted))
    worse = Book().bump("支出总表", "医疗保障管理事务", "合计", delta=20).save(tmp_path / "第二轮.xlsx")
    second = findings_of(worse, "--baseline", str(accepted))
    assert second["code"] == 1 and second["counts"]["错误"] >= 1 and second["baselined"] == 0


def test_new_finding_reported_old_ones_hidden(broken, tmp_path):
    accepted = tmp_path / "accepted.json"
    first = findings_of(broken, "--write-baseline", str(accepted))
    both = Book().bump("支出总表", "医疗保障管理事务", "合计").bump("收入总表", "医疗保障管理事务", "合计", delta=3)
    second = findings_of(both.save(tmp_path / "第二轮.xlsx"), "--baseline", str(accepted))
    # the findings untouched by the second slip stay hidden; the new ones (and BJ303, whose figures changed) are reported
    assert 1 <= second["baselined"] < len(first["findings"]) and second["code"] == 1
    assert second["findings"] and all(f not in first["findings"] for f in second["findings"])
    assert any(f["cells"] and f["cells"][0].startswith("收入") for f in second["findings"])


def test_matching_ignores_message_wording_and_file_name(broken, tmp_path):
    accepted = tmp_path / "accepted.json"
    first = findings_of(broken, "--write-baseline", str(accepted))
    doc = json.loads(accepted.read_text(encoding="utf-8"))
    for entry in doc["条目"]:
        entry["说明"] = "措辞改了"
        entry["文件"] = "别处.xlsx"
    accepted.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    renamed = shutil.copy(broken, tmp_path / "第二轮（修改稿）.xlsx")
    again = findings_of(type(broken)(renamed), "--baseline", str(accepted))
    assert again["findings"] == [] and again["baselined"] == len(first["findings"])


def test_fingerprint_is_code_cells_and_values():
    a = Finding("BN203", Severity.ERROR, "旧措辞", cells=[CellRef("表", 4, 1)], expected=Decimal("500.0"), actual=Decimal("510"),
                related_cells=[CellRef("表", 9, 1), CellRef("表", 5, 1)])
    b = Finding("BN203", Severity.ERROR, "新措辞", cells=[CellRef("表", 4, 1)], expected=Decimal("500.00"), actual=Decimal("510.0"),
                related_cells=[CellRef("表", 5, 1), CellRef("表", 9, 1)])
    assert fingerprint("局|2025|预算", a) == fingerprint("局|2025|预算", b)
    assert fingerprint("局|2025|预算", a) != fingerprint("另一局|2025|预算", a)
    c = Finding("BN203", Severity.ERROR, "旧措辞", cells=[CellRef("表", 4, 2)], expected=Decimal("500"), actual=Decimal("510"))
    assert fingerprint("s", a) != fingerprint("s", c)
    assert Baseline(frozenset({fingerprint("s", a)})).fingerprints == {fingerprint("s", b)}


def test_marked_copy_marks_only_what_is_still_reported(broken, tmp_path):
    accepted = tmp_path / "accepted.json"
    findings_of(broken, "--write-baseline", str(accepted))
    assert run(str(broken), "--baseline", str(accepted), "--out", str(tmp_path / "out")) == 0
    marked = openpyxl.load_workbook(tmp_path / "out" / "第一轮.校验.xlsx")
    comments = [c for ws in marked.worksheets for row in ws.iter_rows() for c in row if c.comment and "BN203" in c.comment.text]
    assert comments == []


@pytest.mark.parametrize("content, phrase", [
    (None, "找不到基线文件"),
    ("{not json", "不是有效的 JSON"),
    ('{"version": 1, "findings": []}', "不是 czcheck 基线文件"),
    ('{"version": 9, "kind": "czcheck-baseline", "条目": []}', "版本 9 不受支持"),
    ('{"version": 1, "kind": "czcheck-baseline", "条目": [{"规则": "BN203"}]}', "第 1 条"),
])
def test_unusable_baseline_is_a_chinese_message_and_exit_2(broken, tmp_path, capsys, content, phrase):
    path = tmp_path / "b.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError, match=phrase):
        load_baseline(path)
    assert run(str(broken), "--baseline", str(path)) == 2
    err = capsys.readouterr().err
    assert phrase in err and "Traceback" not in err


def test_a_baseline_never_makes_an_unchecked_book_pass(tmp_path):
    blank = tmp_path / "空白.xlsx"
    openpyxl.Workbook().save(blank)
    accepted = tmp_path / "accepted.json"
    assert run(str(blank), "--write-baseline", str(accepted)) == 2
    again = findings_of(blank, "--baseline", str(accepted))
    assert again["code"] == 2 and again["status"] == "未能校验" and again["baselined"] == 1
