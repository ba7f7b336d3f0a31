"""The command line as a user runs it: Chinese output, exit codes 0/1/2, JSON, rules, explain, import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from builders import Book
from conftest import seed

from validators.rules import all_rules


def czcheck(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "validators", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_validate_sample_exit_0_and_chinese_summary(yantai):
    r = czcheck("validate", str(yantai))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "错误 0 项" in r.stdout and "烟台市医疗保障局" in r.stdout
    assert "无法校验" in r.stdout and "缺失" in r.stdout
    assert "Traceback" not in r.stdout + r.stderr


def test_validate_broken_exit_1_names_cell_expected_actual_difference(tmp_path):
    path = Book().bump("支出总表", "医疗保障管理事务", "合计").save(tmp_path / "b.xlsx")
    r = czcheck("validate", str(path))
    assert r.returncode == 1
    assert "[错误] BN203 支出总体情况表!E" in r.stdout
    assert "应为 500.00，实际 510.00，差额 10.00" in r.stdout


def test_validate_json(tmp_path, yantai):
    r = czcheck("validate", "--format", "json", str(yantai))
    data = json.loads(r.stdout)
    f = data["files"][0]
    assert f["counts"]["错误"] == 0 and f["department"] == "烟台市医疗保障局"
    assert all({"code", "severity", "cells", "expected", "actual", "difference"} <= set(x) for x in f["findings"])


@pytest.mark.parametrize("content, name, phrase", [
    (b"", "empty.xlsx", "文件为空"),
    (b"a,b\n1,2\n", "csv.xlsx", "不是 Excel 工作簿"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old.xls", "另存为"),
])
def test_validate_unreadable_exit_2_chinese(tmp_path, content, name, phrase):
    p = tmp_path / name
    p.write_bytes(content)
    r = czcheck("validate", str(p))
    assert r.returncode == 2
    assert phrase in r.stdout + r.stderr and "Traceback" not in r.stdout + r.stderr


def test_validate_missing_path_exit_2():
    r = czcheck("validate", "/no/such/file.xlsx")
    assert r.returncode == 2 and "找不到" in r.stderr


def test_rules_lists_catalogue_and_explain_each():
    r = czcheck("rules")
    assert r.returncode == 0
    for rule in all_rules():
        assert rule.code in r.stdout
    r = czcheck("explain", "sz101")
    assert r.returncode == 0 and "检查内容" in r.stdout and "正确示例" in r.stdout
    r = czcheck("explain", "XX999")
    assert r.returncode == 2 and "没有编号为" in r.stderr


def test_import_command_and_no_overwrite(tmp_path):
    out = tmp_path / "yt.xlsx"
    r = czcheck("import", str(seed("000")), "-o", str(out))
    assert r.returncode == 0 and out.exists() and "已生成" in r.stdout
    r = czcheck("import", str(seed("000")), "-o", str(out))
    assert r.returncode == 2 and "已存在" in r.stderr
    r = czcheck("validate", str(out))
    assert r.returncode == 0


def test_template_command(tmp_path):
    out = tmp_path / "t.xlsx"
    r = czcheck("template", "-o", str(out))
    assert r.returncode == 0 and out.exists()
    assert czcheck("validate", str(out)).returncode == 0


def _sha(path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_mark_writes_a_copy_and_never_touches_the_source(tmp_path, zibo):
    import shutil

    src = tmp_path / "zibo.xlsx"
    shutil.copy(zibo, src)
    before = _sha(src)
    r = czcheck("validate", str(src), "--mark")
    assert r.returncode == 0 and "已标注" in r.stderr
    marked = tmp_path / "zibo.校验.xlsx"
    assert marked.exists() and _sha(src) == before
    import openpyxl

    wb = openpyxl.load_workbook(marked)
    assert "校验结果" in wb.sheetnames
    # validating the marked copy gives the same findings as the source
    a = json.loads(czcheck("validate", "--format", "json", str(src)).stdout)["files"][0]["findings"]
    b = json.loads(czcheck("validate", "--format", "json", str(marked)).stdout)["files"][0]["findings"]
    assert [(f["code"], f["cells"]) for f in a] == [(f["code"], f["cells"]) for f in b]


def test_mark_out_dir_in_place_and_clear(tmp_path, zibo):
    import shutil

    src = tmp_path / "in" / "zibo.xlsx"
    src.parent.mkdir()
    shutil.copy(zibo, src)
    original = _sha(src)
    r = czcheck("validate", str(src.parent), "--mark", "--out", str(tmp_path / "out"))
    assert r.returncode == 0 and (tmp_path / "out" / "zibo.校验.xlsx").exists()
    assert czcheck("validate", str(src), "--in-place", "--out", str(tmp_path)).returncode == 2
    r = czcheck("validate", str(src), "--mark", "--in-place")
    assert r.returncode == 0
    backup = src.with_name("zibo.备份.xlsx")
    assert _sha(backup) == original and _sha(src) != original
    r = czcheck("clear", str(src))
    assert r.returncode == 0 and "已清除标注" in r.stdout
    assert _sha(src) == original  # clear restores the package exactly
    r = czcheck("clear", str(src))
    assert r.returncode == 0 and "没有 czcheck 的标注" in r.stdout


def test_mark_refuses_legacy_xls_with_advice(tmp_path):
    p = tmp_path / "old.xls"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    r = czcheck("validate", str(p), "--mark")
    assert r.returncode == 2 and "另存为" in r.stdout + r.stderr


def test_explain_works_for_every_rule(capsys):
    from validators.cli import main

    for rule in all_rules():
        assert main(["explain", rule.code]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"{rule.code} {rule.name}")
        assert all(part in out for part in ("检查内容", "依据", "错误示例", "正确示例")), rule.code
    assert len(all_rules()) >= 60
