"""The rules' fast passes must answer as the plain path does.

- Relations: without a recorder, a check whose sum holds exactly never reaches ``judge`` (amounts are
  compared by column, rules/relations._Amounts); with a recorder every check goes through ``judge``.
  So the findings of a run with a recorder are those of the plain path, and a run without one must give
  the same findings, on the samples and on samples whose amounts were changed (off by a cent, by 1.00,
  inside the rounding envelope, negative, blank, unreadable).
- Texts: the template, placeholder, leftover and 截至 patterns run only on texts holding the characters
  every match of them holds; on real and generated texts the answers are those of running them everywhere.
"""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from validators.model import Value
from validators.narrative import clean
from validators.reading import disclosure_from_grids, read_grids
from validators.rules import run_rules
from validators.rules import published
from validators.rules.completeness import LEFTOVER, leftover
from validators.rules.relations import Recorder

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "workbooks" / "samples").glob("*.xlsx"))
SEEDS = sorted((ROOT.parent / "shared" / "seeds").glob("*.txt"))


def _read(path: Path):
    return disclosure_from_grids(read_grids(path), source=str(path))


def _both_ways(d):
    """(findings without a recorder, findings with one, the recorded checks)."""
    recorder = Recorder()
    return run_rules(d), run_rules(d, recorder=recorder), recorder.checks


def _amount_cells(d):
    return [(row, key) for t in d.all_tables() for row in t.rows for key, v in row.values.items() if v.amount is not None]


def _mutate(d, rng: random.Random, count: int) -> None:
    """Change ``count`` amount cells in every way a published amount can go wrong."""
    cells = _amount_cells(d)
    for row, key in rng.sample(cells, min(count, len(cells))):
        v = row.values[key]
        how = rng.choice(["cent", "one", "rounding", "negative", "blank", "unreadable", "big"])
        if how == "blank":
            row.values[key] = Value(None, None, v.ref)
        elif how == "unreadable":
            row.values[key] = Value(None, "一百", v.ref, problem="“一百”不是数字")
        elif how == "negative":
            row.values[key] = replace(v, amount=-v.amount)
        else:
            delta = {"cent": Decimal("0.01"), "one": Decimal("1.00"), "rounding": Decimal("0.004"),
                     "big": Decimal("123456.78")}[how]
            row.values[key] = replace(v, amount=v.amount + delta)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_fast_pass_gives_the_findings_of_judge(path):
    d = _read(path)
    fast, plain, checks = _both_ways(d)
    assert fast == plain
    assert checks, "the recorder saw no check: the comparison proves nothing"
    before = len(fast)
    rng = random.Random(path.stem)
    for round_ in range(3):
        _mutate(d, rng, 25)
        fast, plain, _ = _both_ways(d)
        assert fast == plain, (path.name, round_)
    assert len(fast) > before  # the changed amounts were found: the fast pass did let them through


def test_fast_pass_on_a_table_whose_rows_change_between_runs():
    """Amounts by column are kept for one run only: a second run sees amounts changed after the first."""
    d = _read(SAMPLES[0])
    first = run_rules(d)
    row, key = _amount_cells(d)[0]
    v = row.values[key]
    row.values[key] = replace(v, amount=v.amount + Decimal("1.00"))
    second = run_rules(d)
    assert len(second) > len(first)
    assert any(v.ref in f.all_cells for f in second if f not in first)


# ---- texts ------------------------------------------------------------------------------------

TOKENS = ["增加", "减少", "增长", "下降", "持平", "大于", "小于", "（", "）", "(", ")", "/", "／", "、", "XX", "ＸＸ",
          "××", "x", "X", "Ｘ", "×", "xx年", "年", "某", "某某", "_", "__", "___", "＿", "12", "3", "56.95", "万元", "%",
          "如有", "如无", "请填写", "此处填写", "按实际填写", "不涉及的不列", "不涉及的不列示", "如持平作持平表述",
          "单位名称", "（单位名称）", "按照以下模板填写", "按以下模板填写", "示例单位", " ", "　", "预算数", "决算数",
          "上年", "年初", "了", "为", "月", "日", "截至", "截止", "截至2024年", "截止到 2023 年", "2024", "年底", "12月31日", "。", "，", "部门", "收入"]


def _texts() -> list[str]:
    rng = random.Random(15)
    texts = ["".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 14))) for _ in range(4000)]
    for seed in SEEDS:
        texts += seed.read_text(encoding="utf-8", errors="replace").splitlines()
    for path in SAMPLES[:2]:
        d = _read(path)
        texts += [p.text for p in d.narrative] + [r.label for t in d.all_tables() for r in t.rows if r.label]
    return texts


@pytest.fixture(scope="module")
def texts():
    return _texts()


def _span(m):
    return None if m is None else (m.start(), m.end(), m.group(0))


def _template_hits_everywhere(t: str):
    """published.template_hits as it was: every pattern on every text."""
    hits = []
    for m in list(published._BRACKETED.finditer(t)) + list(published._SLASHED.finditer(t)):
        if published._GOVERNS.match(t[m.end():]) and not any(m.start() < h.end() and h.start() < m.end() for h in hits):
            hits.append(m)
    hits += list(published._INSTRUCTION.finditer(t))
    return hits


def test_text_gates_answer_as_the_patterns(texts):
    found = {"leftover": 0, "template": 0, "placeholder": 0, "as_of": 0}
    for text in texts:
        assert _span(leftover(text)) == _span(LEFTOVER.search(text)), text
        found["leftover"] += LEFTOVER.search(text) is not None
        t = clean(text)
        assert [_span(m) for m in published.template_hits(t)] == [_span(m) for m in _template_hits_everywhere(t)], text
        found["template"] += bool(_template_hits_everywhere(t))
        if published._PLACEHOLDER_YEAR.search(text):
            found["placeholder"] += 1
            assert published._PLACEHOLDER_CHARS.search(text), text
        if published._AS_OF.search(t):
            found["as_of"] += 1
            assert "截" in text, text
    assert all(n > 20 for n in found.values()), found  # every pattern matched often enough to mean something


def test_is_heading_answers_as_before(texts):
    """published.is_heading splits its sentence test and asks for 年 before the year pattern."""
    import re

    def before(text: str) -> bool:
        t = text.strip()
        if not t or len(t) > 50 or re.search(r"[。，；,;\t]|\S\s{3,}\S", t):
            return False
        return bool(published._HEADING_START.match(t)) or bool(re.search(r"\d{4}\s*年度?\s*" + published._DOC_TITLE.pattern, t))

    extra = ["第一部分  部门概况", "一、   收支总体情况", " 2024年度部门决算 ", "2024 年 度 部门预算", "（一）主要职能\u3000\u3000\u3000说明",
             "1. 收入", "2024年度", "　二、支出　"]
    answers = [(t, published.is_heading(t)) for t in texts + extra]
    assert answers == [(t, before(t)) for t in texts + extra]
    assert sum(a for _, a in answers) > 20

