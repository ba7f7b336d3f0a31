"""The command line around validation: czcheck's own outputs are not validated again, --out with one file
writes into the folder itself, and --help and argument errors are entirely Chinese."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
from builders import Book

from validators import cli


def czcheck(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "validators", *args], capture_output=True, text=True, timeout=120)


def test_folder_skips_marked_copies_and_backups(tmp_path):
    src = Book().save(tmp_path / "局.xlsx")
    for name in ("局.校验.xlsx", "局.备份.xlsx", "局.备份2.xlsx"):
        shutil.copy(src, tmp_path / name)
    out = tmp_path / "r.json"
    assert cli.main(["validate", str(tmp_path), "-j", "1", "--format", "json", "-o", str(out)]) == 0
    assert [f["source"] for f in json.loads(out.read_text(encoding="utf-8"))["files"]] == [str(src)]
    # a wildcard skips them too; a file named on the command line is still validated
    assert cli.main(["validate", str(tmp_path / "*.xlsx"), "-j", "1", "--format", "json", "-o", str(out)]) == 0
    assert len(json.loads(out.read_text(encoding="utf-8"))["files"]) == 1
    assert cli.main(["validate", str(tmp_path / "局.校验.xlsx"), "--format", "json", "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["files"][0]["source"].endswith("局.校验.xlsx")


def test_out_with_one_file_writes_into_the_folder_itself(tmp_path):
    src = Book().bump("支出总表", "医疗保障管理事务", "合计").save(tmp_path / "深" / "层" / "局.xlsx")
    out = tmp_path / "标注"
    assert cli.main(["validate", str(src.resolve()), "--out", str(out), "--format", "json", "-o", str(tmp_path / "r.json")]) == 1
    assert [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()] == ["局.校验.xlsx"]


def test_out_with_files_of_two_folders_keeps_them_apart(tmp_path):
    a = Book().save(tmp_path / "甲" / "局.xlsx")
    b = Book().save(tmp_path / "乙" / "局.xlsx")
    out = tmp_path / "标注"
    assert cli.main(["validate", str(a), str(b), "-j", "1", "--out", str(out), "--format", "json", "-o", str(tmp_path / "r.json")]) == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.xlsx")) == ["乙/局.校验.xlsx", "甲/局.校验.xlsx"]


# words argparse prints in English; none may appear in help or in an argument error
ENGLISH = re.compile(r"usage|error|argument|option|required|invalid|choice|expected|unrecognized|show this|help message|"
                     r"positional|exit|allowed|ambiguous", re.I)


def _without_option_names(text: str) -> str:
    return re.sub(r"--?[A-Za-z][\w-]*", "", text)  # --help, -h, --no-rounding are the option names themselves


@pytest.mark.parametrize("args", [
    ["--help"], ["validate", "--help"], ["clear", "-h"], ["rules", "-h"], ["explain", "-h"], ["import", "-h"], ["template", "-h"],
])
def test_help_is_chinese(args):
    r = czcheck(*args)
    assert r.returncode == 0 and r.stdout.startswith("用法：czcheck")
    assert not ENGLISH.search(_without_option_names(r.stdout)), r.stdout


@pytest.mark.parametrize("args, phrase", [
    (["validate"], "缺少必需的参数：文件"),
    (["validate", "--format", "xml", "a.xlsx"], "无效的取值 'xml'"),
    (["frobnicate"], "无效的取值 'frobnicate'"),
    (["validate", "a.xlsx", "--nope"], "无法识别的参数：--nope"),
    (["validate", "a.xlsx", "-j"], "需要一个值"),
    (["validate", "a.xlsx", "-j", "0"], "应为正整数"),
    (["explain"], "缺少必需的参数：规则编号"),
])
def test_argument_errors_are_chinese_exit_2(args, phrase):
    r = czcheck(*args)
    assert r.returncode == 2 and phrase in r.stderr, r.stderr
    assert "czcheck：参数错误：" in r.stderr and r.stderr.startswith("用法：")
    assert not ENGLISH.search(_without_option_names(r.stderr)), r.stderr


def test_no_command_prints_chinese_help_exit_2():
    r = czcheck()
    assert r.returncode == 2 and r.stdout.startswith("用法：") and "位置参数" in r.stdout and "显示本帮助并退出" in r.stdout


def test_argparse_is_left_as_it_was():
    import argparse

    cli.main(["rules"])
    assert argparse._("usage: ") == "usage: "  # the Chinese texts are only swapped in while czcheck parses
