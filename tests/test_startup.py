"""Start-up: a workbook run imports only what it needs, and the package's TOML is parsed once and kept."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from validators import tomlcache

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "workbooks" / "samples" / "weihai-2024-final-accounts.xlsx"


def test_validating_a_workbook_loads_no_pdf_reader_and_no_unused_renderer(tmp_path):
    code = (
        "import sys\n"
        "from validators.cli import main\n"
        f"main(['validate', {str(SAMPLE)!r}, '-o', {str(tmp_path / 'out.txt')!r}])\n"
        "loaded = [m for m in ('validators.reading.pdf', 'validators.report.html', 'validators.report.junit',\n"
        "          'validators.report.sarif', 'openpyxl', 'pandas', 'pdfplumber', 'pypdf', 'concurrent.futures', 'sqlalchemy',\n"
        "          'validators.archive.db')\n"
        "          if m in sys.modules]\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
    assert (tmp_path / "out.txt").stat().st_size > 0  # the report was written


def test_a_kept_run_parses_no_toml(tmp_path):
    """Once the command has run (TOML kept), a workbook run does not import tomllib."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pycache")
    run = [sys.executable, "-m", "validators", "validate", str(SAMPLE), "-o", str(tmp_path / "a.txt")]
    assert subprocess.run(run, capture_output=True, cwd=ROOT, env=env, timeout=120).returncode in (0, 1)  # 1: it has 错误
    code = (
        "import sys\n"
        "from validators.cli import main\n"
        f"main(['validate', {str(SAMPLE)!r}, '-o', {str(tmp_path / 'b.txt')!r}])\n"
        "print('tomllib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert out.stdout.splitlines()[-1:] == ["False"], out.stdout + out.stderr
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == (tmp_path / "b.txt").read_text(encoding="utf-8")


def test_toml_is_kept_and_used_while_the_file_is_unchanged(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    src = tmp_path / "pack.toml"
    src.write_text('[table]\nname = "收支总表"\nrows = [1, 2.5, true]\n', encoding="utf-8")
    first = tomlcache.load(src)
    assert first == tomllib.loads(src.read_text(encoding="utf-8"))
    kept = tomlcache._cache_path(src)
    assert kept.is_file()
    second = tomlcache.load(src)
    assert second == first and second is not first  # a fresh object: callers may change it
    # the file changes (another size): parsed again, not the kept copy
    src.write_text('[table]\nname = "收入总表"\n', encoding="utf-8")
    assert tomlcache.load(src) == {"table": {"name": "收入总表"}}
    # a damaged cache is parsed around, never trusted
    kept.write_bytes(kept.read_bytes()[:20])
    assert tomlcache.load(src) == {"table": {"name": "收入总表"}}


def test_bad_toml_raises_as_tomllib_does_and_is_not_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    src = tmp_path / "bad.toml"
    src.write_text("name = \n", encoding="utf-8")
    try:
        tomlcache.load(src)
    except tomllib.TOMLDecodeError:
        pass
    else:
        raise AssertionError("a malformed TOML file was accepted")
    assert not tomlcache._cache_path(src).exists()


def test_nothing_is_written_when_bytecode_is_not(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    src = tmp_path / "p.toml"
    src.write_text("a = 1\n", encoding="utf-8")
    assert tomlcache.load(src) == {"a": 1}
    assert not (tmp_path / "cache").exists()
    assert os.listdir(tmp_path) == ["p.toml"]


def test_validation_leaves_the_cycle_collector_as_it_found_it():
    import gc

    from validators.engine import validate_file

    assert gc.isenabled()
    assert validate_file(SAMPLE).error is None
    assert gc.isenabled()
    gc.disable()
    try:
        validate_file(ROOT / "no such file.xlsx")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_kept_regular_expressions_compile_to_what_re_compiles(tmp_path):
    """The command keeps compiled patterns (validators/recache.py); each kept form, handed to _sre, gives
    a pattern equal (same code, flags, groups) to the one re's own compiler builds."""
    from validators import recache

    if sys.version_info[:2] not in recache.CHECKED_ON:
        return  # not installed on this Python: nothing to compare
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "cache")
    first = subprocess.run([sys.executable, "-m", "validators", "validate", str(SAMPLE), "-o", str(tmp_path / "a.txt")],
                           capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert first.returncode in (0, 1), first.stderr
    code = (
        "import re._compiler as c\n"
        "original = c.compile\n"
        "from validators import recache\n"
        "assert recache.install()\n"
        "kept = dict(recache._kept)\n"
        "assert len(kept) > 100, len(kept)\n"
        "bad = [k for k in kept if original(*k) != c.compile(*k) or original(*k).groupindex != c.compile(*k).groupindex]\n"
        "print(len(kept), bad[:3])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    count, bad = out.stdout.split(" ", 1)
    assert int(count) > 100 and bad.strip() == "[]", out.stdout
    # the second run reads what the first kept and prints the same report
    second = subprocess.run([sys.executable, "-m", "validators", "validate", str(SAMPLE), "-o", str(tmp_path / "b.txt")],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert second.returncode == first.returncode
    assert (tmp_path / "a.txt").read_bytes() == (tmp_path / "b.txt").read_bytes()


def test_regular_expressions_are_not_kept_when_bytecode_is_not(tmp_path):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, "-m", "validators", "validate", str(SAMPLE), "-o", str(tmp_path / "a.txt")],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert out.returncode in (0, 1), out.stderr
    assert not (tmp_path / "cache").exists()


def test_the_command_skips_the_exit_collection_a_caller_keeps_its_own(tmp_path):
    out = tmp_path / "out.txt"
    code = (
        "import gc, sys\n"
        "from validators.cli import main\n"
        f"rc = main(['validate', {str(SAMPLE)!r}, '-o', {str(tmp_path / 'first.txt')!r}])\n"
        "caller = gc.get_freeze_count()\n"
        f"sys.argv = ['czcheck', 'validate', {str(SAMPLE)!r}, '-o', {str(out)!r}]\n"
        "rc2 = main()\n"
        "print(caller, gc.get_freeze_count() > 0, rc, rc2)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.stdout.split() == ["0", "True", "1", "1"], done.stdout + done.stderr
    assert out.read_text(encoding="utf-8") == (tmp_path / "first.txt").read_text(encoding="utf-8")


_DATACLASS_SHAPES = '''
import dataclasses, sys
from dataclasses import dataclass, field
from decimal import Decimal

def shapes():
    @dataclass(frozen=True)
    class Frozen:
        a: int
        b: str = "x"
        c: tuple = ()

    @dataclass(order=True)
    class Ordered:
        a: Decimal
        b: list = field(default_factory=list)
        c: "str | None" = None

    @dataclass(slots=True, kw_only=True)
    class Slotted:
        a: int = 0
        b: dict = field(default_factory=dict, compare=False, repr=False)

    @dataclass(eq=False)
    class NoEq:
        a: int

    @dataclass(unsafe_hash=True)
    class Hashed:
        a: int
        b: int = field(default=1, hash=False)

    class Plain:
        pass

    @dataclass
    class Post:
        a: int
        b: dataclasses.InitVar[int] = 2
        def __post_init__(self, b):
            self.a += b

    return Frozen, Ordered, Slotted, NoEq, Hashed, Post

def methods(cls):
    out = {}
    for name in ("__init__", "__repr__", "__eq__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__",
                 "__setattr__", "__delattr__"):
        fn = cls.__dict__.get(name)
        code = getattr(fn, "__code__", None)
        out[name] = None if code is None else (code, fn.__defaults__, fn.__kwdefaults__,
                                               {k: repr(v) for k, v in fn.__annotations__.items()})
    return out
'''


def test_kept_dataclass_methods_are_the_ones_dataclasses_builds(tmp_path):
    """The command keeps the code of generated dataclass methods (validators/recache.py); a method built
    from kept code (in a later process) is the method dataclasses builds itself: same code, defaults,
    annotations; and the objects behave the same."""
    from validators import recache

    if sys.version_info[:2] not in recache.CHECKED_ON:
        return
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "cache")
    (tmp_path / "shapes.py").write_text(_DATACLASS_SHAPES, encoding="utf-8")
    code = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
        "import dataclasses\n"
        "from shapes import shapes, methods\n"
        "original = dataclasses._create_fn\n"
        "reference = [methods(c) for c in shapes()]\n"
        "from validators import recache\n"
        "assert recache.install()\n"
        "assert dataclasses._create_fn is not original\n"
        "kept_before = len(recache._kept_code)\n"
        "built = [methods(c) for c in shapes()]\n"
        "assert built == reference, [k for a, b in zip(built, reference) for k in a if a[k] != b[k]]\n"
        "F, O, S, N, H, P = shapes()\n"
        "assert F(1) == F(1) and hash(F(1)) == hash(F(1)) and repr(F(1)) == \"shapes.<locals>.Frozen(a=1, b='x', c=())\"\n"
        "assert O(1) < O(2) and S(a=3).a == 3 and N(1) != N(1) and P(1).a == 3 and hash(H(1, 5)) == hash(H(1, 6))\n"
        "try:\n    F(1).a = 2\nexcept dataclasses.FrozenInstanceError:\n    pass\nelse:\n    raise AssertionError\n"
        "recache.save()\n"
        "print(kept_before, len(recache._kept_code))\n"
    )
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    before, after = map(int, first.stdout.split())
    assert after >= before + 20  # this process compiled and kept the shapes' methods
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert second.returncode == 0, second.stderr
    again_before, again_after = map(int, second.stdout.split())
    assert again_before == after and again_after == after  # all read back from the kept file, nothing new


def _strip_suffixes_searching_all(t: str):
    """titles._strip_suffixes as it was before its cheap tests: every pattern searched every time."""
    import re

    from validators.schemas import titles as T

    continued, unit = False, None
    for _ in range(6):
        m = T._PAREN_SUFFIX.search(t)
        if m and T._SUFFIX_BODY.match(m.group(1)):
            body = m.group(1)
            continued = continued or body.startswith("续")
            found = re.search(T._UNIT + "$", body)
            if found and ("单位" in body or body == found.group()):
                unit = unit or found.group()
            t = t[: m.start()]
            continue
        m = T._CONTINUED_BARE.search(t)
        if m and len(t) > len(m.group()) and t[: m.start()].endswith("表"):
            continued, t = True, t[: m.start()]
            continue
        for pattern in T._BARE_SUFFIXES:
            m = pattern.search(t)
            if m and len(t) > len(m.group()):
                found = re.search(T._UNIT + "$", m.group())
                if found:
                    unit = unit or found.group()
                t = t[: m.start()]
                break
        else:
            break
    return t, continued, unit


def test_title_matching_skips_texts_that_cannot_be_titles_and_answers_as_before():
    """``titles.match`` answers None at once for a text without 表 (no normalising) or whose last
    character neither is 表 nor ends a suffix (no regexes): exact, because a title ends in 表 once its
    suffixes are cut and no other character normalises to 表.  Every text cell of every sample, alone
    and with suffixes added, gets the answer of the full path."""
    import unicodedata

    from python_calamine import CalamineWorkbook

    from validators.schemas import titles

    others = [hex(c) for c in range(0x110000) if c != 0x8868 and "表" in unicodedata.normalize("NFKC", chr(c))]
    assert others == []
    texts = set()
    for sample in sorted((ROOT / "workbooks" / "samples").glob("*.xlsx")):
        wb = CalamineWorkbook.from_path(str(sample))
        for name in wb.sheet_names:
            for row in wb.get_sheet_by_name(name).to_python():
                texts.update(v for v in row if isinstance(v, str) and v.strip())
    texts |= {"收 支 总 表", "２０２４年部门收支总表（单位：万元）", "关于收入支出决算总表的说明", "收支总表\u3000", "表"}
    with_biao = [t for t in texts if "表" in t]
    assert len(texts) > 1000 and len(with_biao) > 20
    suffixes = ["", "（续）", "(单位:万元)", "单位：元", "公开01表", "续表", "【2024年】", "[表3]", "２", "元", "表)",
                "续", "(续表)", "-续", "金额单位:万元", "预算表2-1", "附表3表", "决算表٣", "表续)", "续表（续）", "续表)"]
    from validators.schemas import _alias_index

    index = _alias_index()
    tailed = set(with_biao) | set(sorted(t for t in texts if len(t) < 12)[:200])
    for t in texts:
        n = titles._norm(t)
        full = None if "表" not in t or not n or len(n) > titles.MAX_TITLE else titles._full_match(n, index)  # reference
        assert titles.match(t) == full, t
        assert titles.match_title(t) == (full.kind if full else None)
        for tail in suffixes if t in tailed else ():  # the cheap tests, against the full path
            n = titles._norm(t + tail)
            if n and len(n) <= titles.MAX_TITLE:
                assert titles._match(n) == titles._full_match(n, index), t + tail
                assert titles._strip_suffixes(n) == _strip_suffixes_searching_all(n), t + tail
    assert sum(titles.match(t) is not None for t in with_biao) > 20


def test_pyproject_without_a_czcheck_table_is_not_parsed_and_answers_as_before(tmp_path):
    """config._has_tool_section skips tomllib for a pyproject.toml in which no line can begin a
    [tool.czcheck] table; on every form of the table (and on near misses) it answers as a full parse."""
    from validators import config

    def reference(text: str) -> bool:
        try:
            return "czcheck" in tomllib.loads(text).get("tool", {})
        except tomllib.TOMLDecodeError:
            return False

    texts = [
        (ROOT / "pyproject.toml").read_text(encoding="utf-8"),
        '[project]\nname = "czcheck"\n[project.scripts]\nczcheck = "validators.cli:main"\n[tool.ruff]\nline-length = 120\n',
        "[tool.czcheck]\nselect = ['SZ']\n",
        '  [ tool . "czcheck" ]\nignore = []\n',
        "[tool.'czcheck'.severity]\nWZ801 = '错误'\n",
        "[[tool.czcheck]]\na = 1\n",
        "[tool]\nczcheck = { select = ['SZ'] }\n",
        "[tool]\nczcheck.select = ['SZ']\n",
        "tool.czcheck.select = ['SZ']\n",
        'tool = { czcheck = { ignore = ["WZ802"] } }\n',
        '"tool".czcheck.ignore = []\n',
        '[tool."czch\\u0065ck"]\na = 1\n',
        "[tool.czcheckx]\na = 1\n",
        "[tools.czcheck]\na = 1\n",
        '[project]\ndescription = """\n[tool.czcheck]\n"""\n',
        "[tool.czcheck\n",  # malformed
    ]
    parsed = 0
    for i, text in enumerate(texts):
        path = tmp_path / f"p{i}" / "pyproject.toml"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        assert config._has_tool_section(path) == reference(text), text
        parsed += bool(config._TOOL_CZCHECK.search(text))
    assert [reference(t) for t in texts].count(True) == 10 and parsed < len(texts)
    code = (
        "import sys\nfrom validators.config import find_config\n"
        f"print(find_config(__import__('pathlib').Path({str(SAMPLE)!r})), 'tomllib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.stdout.split() == ["None", "False"], out.stdout + out.stderr  # the repository's pyproject.toml


def test_rule_modules_are_listed_as_pkgutil_lists_them():
    import pkgutil

    from validators import rules

    listed = rules._module_names()
    assert listed == sorted(m.name for m in pkgutil.iter_modules(rules.__path__))
    assert {"relations", "narrative", "completeness"} <= set(listed)


def test_the_parsers_width_is_shutils(monkeypatch):
    import shutil

    from validators import cli

    for columns in (None, "50", "0", "abc", "-3", "200"):
        if columns is None:
            monkeypatch.delenv("COLUMNS", raising=False)
        else:
            monkeypatch.setenv("COLUMNS", columns)
        for lines in (None, "30"):
            if lines is None:
                monkeypatch.delenv("LINES", raising=False)
            else:
                monkeypatch.setenv("LINES", lines)
            assert cli._terminal_columns() == shutil.get_terminal_size().columns, (columns, lines)


def test_the_command_holds_the_collector_for_one_file_only(tmp_path):
    """One file: no collection runs during the command (start-up and the validated book are never walked);
    several files (and other commands): the collector is on while they run; afterwards it is on again."""
    code = (
        "import gc, sys\n"
        "from validators.cli import main\n"
        "runs = []\n"
        "gc.callbacks.append(lambda phase, info: runs.append(info['generation']) if phase == 'stop' else None)\n"
        f"sys.argv = ['czcheck', 'validate', {str(SAMPLE)!r}, '-o', {str(tmp_path / 'one.txt')!r}]\n"
        "rc = main()\n"
        "one, runs[:] = len(runs), []\n"
        "on = gc.isenabled()\n"
        f"sys.argv = ['czcheck', 'validate', {str(SAMPLE)!r}, {str(SAMPLE.with_name('zibo-2024-budget.xlsx'))!r}, '-j', '1',\n"
        f"            '-o', {str(tmp_path / 'two.txt')!r}]\n"
        "rc2 = main()\n"
        "print(rc, one, on, rc2, len(runs) > 0, gc.isenabled())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.stdout.split() == ["1", "0", "True", "1", "True", "True"], done.stdout + done.stderr
