"""The narrative's fast passes must answer as the plain ones did (issue 15, narrative text).

- ``NarrativeText`` finds the paragraphs holding a literal or a pattern in one joined text; the answers
  are those of asking each paragraph, also when texts hold line breaks, blanks or the separator itself.
- Each pass that now looks only at the paragraphs such a search returns (statements, target tables,
  the 绩效 part, headings, template phrases, leftovers, placeholders) gives what the pass as it was
  (kept below, verbatim) gives on every paragraph: on the samples, the seeds, the reference PDFs, and
  generated narratives built from the words the patterns look for.
"""

from __future__ import annotations

import copy
import random
import re
from pathlib import Path

import pytest

from validators.model import CellRef, Disclosure, Paragraph
from validators.narrative import (_AMOUNT, _CHANGE, _CLAUSE, _COMPARE, _COMPLETED, _PARTS_HEAD, _PERCENT, _SENTENCE,
                                  _SHARE_OF, _SHARE_TAIL, _THRESHOLD, _YEAR, _YEAR_CLAUSE, NarrativeText, Statement,
                                  _decimal, _direction, _named_base, _share_base, _subject, clean, extract,
                                  narrative_text)
from validators.performance import (_NAME_ROW, _NUMBER, _OUTSIDE, _SUB_HEADING, _TASK, _TOP_HEADING, _TOTAL_LABEL,
                                    _UNIT_IN, ROW_SEP, Amount, TargetTable, _cells, _single_amount,
                                    performance_indexes, read_part, self_evaluations, target_events, target_tables)
from validators.performance import _decimal as _perf_decimal
from validators.reading import disclosure_from_grids, read_grids
from validators.rules import published
from validators.rules.completeness import _LEFTOVER_WORDS, leftover
from validators.rules.narrative import _HEADING, NARRATIVE_EXCLUDE, NarrativeView

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "workbooks" / "samples").glob("*.xlsx"))
SEEDS = sorted((ROOT.parent / "shared" / "seeds").glob("*.txt"))
REFERENCES = sorted((ROOT.parent / "shared" / "references").glob("*.pdf"))


# ---- the passes as they were ----------------------------------------------------------------------

def _budget_final_pair_before(out, paragraph, sentence):
    budget = final = None
    for st in reversed(out):
        if st.paragraph != paragraph or st.kind != "amount" or (sentence is not None and st.sentence != sentence):
            continue
        if final is None and "决算" in st.subject:
            final = st
        elif budget is None and "预算" in st.subject and "决算" not in st.subject:
            budget = st
        if budget and final:
            return budget, final
    return None


def _extract_before(paragraphs: list[Paragraph]) -> list[Statement]:
    """narrative.extract as it was: every pattern on every clause of every paragraph."""
    out: list[Statement] = []

    def add(st: Statement) -> Statement:
        st.index = len(out)
        st.sentence = sentence
        out.append(st)
        return st

    for p_index, para in enumerate(paragraphs):
        text = clean(para.text)
        for sentence in _SENTENCE.split(text):
            head: Statement | None = None  # head of a 其中/包括 list
            last: Statement | None = None  # last amount or change statement in this sentence
            sentence_year: int | None = None  # “2023年，…”: the year of the sentence's figures
            for clause in _CLAUSE.split(sentence):
                c = clause.strip()
                if not c:
                    continue
                year_clause = _YEAR_CLAUSE.fullmatch(c)
                if year_clause:
                    sentence_year = int(year_clause.group(1))
                    continue
                starts_parts = _PARTS_HEAD.match(c) is not None
                if starts_parts and last is not None:
                    head = last
                elif c.endswith("中") and not _AMOUNT.search(c):
                    # "基本支出中，人员经费…": the head is an earlier figure of that subject
                    wanted = _subject(c[:-1])
                    head = next((st for st in reversed(out) if st.paragraph == p_index and st.kind == "amount" and st.subject == wanted), None)
                pos = 0
                for m in _AMOUNT.finditer(c):
                    if _THRESHOLD.match(c[m.end():]):
                        pos = m.end()
                        continue
                    segment = c[pos:m.start()]
                    change = _CHANGE.search(segment)
                    amount, unit = _decimal(m.group("num")), m.group("unit")
                    if change:
                        subject = _subject(segment[:change.start()]) or (last.subject if last else "")
                        st = Statement("change", subject, c, para.ref, p_index, amount, unit, direction=_direction(change.group(1)))
                    else:
                        st = Statement("amount", _subject(segment), c, para.ref, p_index, amount, unit)
                        years = _YEAR.findall(segment)
                        st.year = int(years[-1]) if years else sentence_year
                    if head is not None and head.kind == st.kind and head is not st:
                        st.parent = head.index
                    add(st)
                    if st.parent is not None:
                        head.parts.append(st.index)
                    last = st
                    pos = m.end()
                for m in _PERCENT.finditer(c):
                    before = c[:m.start()]
                    change = _CHANGE.search(before)
                    share = _SHARE_OF.search(before)
                    if share and last is not None:
                        named = _SHARE_TAIL.sub("", share.group(1).strip())
                        if named:  # the sentence names its total: that one, or none (never a guess)
                            base = _named_base(out, last, named)
                        else:
                            base = out[last.parent] if last.parent is not None else _share_base(out, last)
                        st = Statement("share", last.subject, c, para.ref, p_index, percent=_decimal(m.group("num")))
                        st.parts = [last.index] + ([base.index] if base else [])
                        add(st)
                    elif _COMPLETED.search(before):
                        pair = _budget_final_pair_before(out, p_index, sentence)
                        st = Statement("completion", pair[1].subject if pair else "", c, para.ref, p_index, percent=_decimal(m.group("num")))
                        st.parts = [pair[0].index, pair[1].index] if pair else []
                        add(st)
                    elif change and last is not None:
                        st = Statement("percent_change", last.subject if not _subject(before[:change.start()]) else _subject(before[:change.start()]),
                                       c, para.ref, p_index, percent=_decimal(m.group("num")), direction=_direction(change.group(1)))
                        st.parts = [last.index]
                        add(st)
                cmp = _COMPARE.search(c)
                if cmp and not _AMOUNT.search(c):
                    pair = _budget_final_pair_before(out, p_index, None)
                    if pair:
                        word = "大于" if cmp.group(2) in ("大于", "高于", "超过") else "小于" if cmp.group(2) in ("小于", "低于") else "等于"
                        st = Statement("comparison", pair[1].subject, c, para.ref, p_index, direction=word)
                        st.parts = [pair[0].index, pair[1].index]
                        add(st)
                    continue
                if not _AMOUNT.search(c) and not _PERCENT.search(c) and last is not None:
                    change = _CHANGE.search(c)
                    if change and _direction(change.group(1)) == "持平":
                        st = Statement("same_as_last_year", last.subject, c, para.ref, p_index, direction="持平")
                        st.parts = [last.index]
                        add(st)
    return out


def _target_tables_before(narrative: list[Paragraph]) -> list[TargetTable]:
    """performance.target_tables as it was: every paragraph read, ``current not in out`` (quadratic)."""
    out: list[TargetTable] = []
    current: TargetTable | None = None
    special: TargetTable | None = None  # the 专项资金 table whose 主要政策任务 rows may follow
    for p in narrative:
        if ROW_SEP not in p.text:
            if "绩效目标表" in p.text:
                current = None
                special = None if "专项资金" not in p.text else special
            task = _TASK.match(p.text.strip()) if special is not None else None
            if task:
                special.tasks.append(task.group("name").strip())
            continue
        if current is None and not p.text.lstrip().startswith(("项目名称", "专项资金名称")):
            continue  # cheap skip: only a target table's own rows are cleaned and read
        cells = _cells(p.text)
        if _NAME_ROW.match(cells[0]) and len(cells) > 1 and cells[1]:
            current = TargetTable(cells[1], p.ref, "专项资金" if cells[0].startswith("专项") else "项目")
            special = current if current.kind == "专项资金" else None
            continue
        if current is None:
            continue
        label = "".join(c for c in cells if not _NUMBER.match(c.replace(" ", "")))
        number = _single_amount(cells)
        unit = _UNIT_IN.search(label)
        if unit and _TOTAL_LABEL.search(label):
            current.unit = unit.group(1)
        if number is None:
            if cells[0].startswith(("绩效指标", "一级指标", "年度绩效指标")) or p.ref.row - current.ref.row > 8:
                current = None  # the funding rows are over (or never came: not a target table)
            continue
        value = _perf_decimal(number)
        if value is None:
            continue
        amount = Amount(value, number, p.ref, current.unit)
        if _TOTAL_LABEL.search(label) and current.total is None:
            current.total = amount
            if current not in out:
                out.append(current)
        elif "财政拨款" in label and current.fiscal is None:
            current.fiscal = amount
        elif "其他资金" in label and current.other is None:
            current.other = amount
    return out


def _performance_indexes_before(narrative: list[Paragraph]) -> list[int]:
    """performance.performance_indexes as it was: every paragraph stripped, cleaned and matched."""
    out, inside = [], False
    for i, p in enumerate(narrative):
        if ROW_SEP in p.text:
            continue
        text = clean(p.text).strip() if len(p.text) < 80 else ""
        if text and len(text) < 40:
            if _TOP_HEADING.match(text):
                inside = "绩效" in text
            elif _SUB_HEADING.match(text) and "绩效" in text:
                inside = True
        if _OUTSIDE.search(p.section):
            inside = False
        if inside:
            out.append(i)
    return out


def _read_part_before(d: Disclosure):
    """performance.read_part as it was: every 绩效 paragraph split into sentences, every pattern on each."""
    from validators import performance as P

    narrative = d.narrative
    part = P.PerformancePart(_target_tables_before(narrative), self_evaluations(narrative))
    part.paragraphs = _performance_indexes_before(narrative)
    pending = None
    for i in part.paragraphs:
        p = narrative[i]
        text = clean(p.text)
        item = P._LISTED_ITEM.match(text)
        budget = P._ITEM_BUDGET.search(text)
        name = item.group("name").strip() if item else pending
        pending = None
        if name and budget and _perf_decimal(budget.group("num")) is not None:
            part.listed.append(P.ListedProject(name, Amount(_perf_decimal(budget.group("num")), budget.group("num"), p.ref), i))
            continue
        if item:
            pending = name
            continue
        for sentence in P._SENTENCE.split(text):
            _read_sentence_before(part, sentence, p, i)
    return part


def _read_sentence_before(part, sentence, p, index):
    from validators import performance as P

    grades = {m.group("g"): int(m.group("n")) for m in P._GRADE.finditer(sentence)}
    if grades:
        total = P._GRADE_TOTAL.search(sentence)
        part.grades.append(P.GradeCount(int(total.group("n")) if total else None, grades, sentence.strip(), p.ref))
        return
    funds = list(P._FUNDS.finditer(sentence))
    if not funds:
        return
    start = 0
    for m in funds:
        before = sentence[start:m.start()]
        counts = list(P._COUNT.finditer(before))
        count = None
        if counts:
            last = counts[-1]
            count = int(last.group("a") or last.group("b"))
        value = _perf_decimal(m.group("num"))
        if value is None:
            continue
        claim = P.ProjectTotal(count, Amount(value, m.group("num"), p.ref, m.group("unit")), sentence.strip(), index, P._names(before, count))
        share = P._SHARE.search(sentence[m.end():])
        if share and not P._FUNDS.search(sentence[m.end():m.end() + share.start()]):
            claim.share, claim.share_of = _perf_decimal(share.group("pct")), share.group("of").strip()
        if claim.count is not None or claim.names or claim.share is not None:
            part.totals.append(claim)
        start = m.end()


def _headings_before(d: Disclosure) -> list:
    """rules/published._headings as it was: is_heading on every paragraph."""
    Place = published.Place
    out = [Place(t.title, t.title_ref, "表名") for t in d.all_tables()]
    seen_sections: set[str] = set()
    for p in d.narrative:
        if p.section and p.section not in seen_sections:
            seen_sections.add(p.section)
            out.append(Place(p.section, p.ref, "部分名称"))
        if published.is_heading(p.text) and not published._in_contents_section(p):
            out.append(Place(p.text.strip(), p.ref, "标题"))
    for text, ref in published.contents_entries(d):
        out.append(Place(text, ref, "目录"))
    return out


def _view_before(d: Disclosure) -> tuple[list, list[str], set[int]]:
    """NarrativeView's paragraphs, headings and 绩效 part as they were: one pass each over every paragraph."""
    paragraphs = [p for p in d.narrative if not NARRATIVE_EXCLUDE.search(p.section) and " | " not in p.text]
    heading, headings = "", []
    for p in paragraphs:
        text = p.text.strip()
        if _HEADING.match(text) and len(text) < 40:
            heading = text
        headings.append(heading)
    performance, inside = set(), False
    for i, p in enumerate(paragraphs):
        text = p.text.strip()
        if _HEADING.match(text) and len(text) < 40:
            inside = "绩效" in text
        if inside or "绩效" in p.section:
            performance.add(i)
    return paragraphs, headings, performance


def _repeated_totals_before(ctx):
    """rules/_performance.repeated_totals as it was: every claim against every earlier one."""
    from validators.amounts import fmt
    from validators.rules import _performance as perf

    d = ctx.disclosure
    claims = [c for c in read_part(d).totals if c.count is not None]
    sums: dict[int, bool] = {}

    def settled(claim) -> bool:
        if id(claim) not in sums:
            sums[id(claim)] = perf._listed_sum(d, claim) is not None
        return sums[id(claim)]

    for i, later in enumerate(claims):
        for first in claims[:i]:
            if first.count != later.count or (first.names and later.names and
                                              sorted(map(perf._name, first.names)) != sorted(map(perf._name, later.names))):
                continue
            if settled(first) or settled(later):
                continue
            diff = later.amount.wan - first.amount.wan
            if abs(diff) > perf._tolerance(first.amount, later.amount):
                yield ctx.finding(
                    message=f"绩效情况说明对同样 {later.count} 个项目前后写出两个金额：“{perf._clip(first.sentence)}”为 "
                            f"{fmt(first.amount.wan)} 万元，“{perf._clip(later.sentence)}”为 {fmt(later.amount.wan)} 万元",
                    cells=[later.amount.ref], related_cells=[first.amount.ref],
                    expected=first.amount.wan, actual=later.amount.wan, difference=diff,
                )
                break


# ---- the corpus ----------------------------------------------------------------------------------------

WORDS = [
    "2024年", "2023年度", "2024 年", "年", "1,234.56", "0.19", "２０２４", "３５．００", "12", "3", "5. 00", "万元", "元", "亿元",
    "%", "％", "，", "。", "；", ";", "：", ",", " ", "  ", "\u3000", "\n", "其中", "包括", "主要包括", "基本支出中",
    "一般公共预算", "支出预算", "收入预算", "基本支出", "项目支出", "决算数", "年初预算数", "预算数为", "支出决算为",
    "增加", "减少", "增长", "下降", "持平", "与上年基本持平", "比上年", "占", "占项目支出总额的", "完成年初预算的",
    "大于", "小于", "高于", "等于", "决算数大于", "支出小于", "以上", "/", "／", "(", ")", "（", "）", "、", "一、", "（二）",
    "第三部分", "十三、预算绩效情况", "（四）预算绩效", "1.", "2、", "绩效", "机关运行经费", "三公经费", "X", "XX", "ＸＸ", "×",
    "x", "xx年", "某", "某某", "_", "___", "＿＿", "此处填写", "如有", "如无", "如持平作持平表述", "不涉及的不列", "填写",
    "单位名称", "（单位名称）", "示例单位", "按照以下模板填写", "截至", "截止", "12月31日", "年底", "部门", "预算", "决算",
    "部门决算", "单位预算", "涉及项目", "个项目", "预算资金", "自评等级为优", "全年预算数为",
]
ROWS = ["项目名称 | {name}", "专项资金名称 | {name}", "主管部门 | 某局", "项目资金 (万元) | 年度预算资金总额: | {num}",
        "年度资金总额 | {num}", "其中:财政拨款 | {num}", "其他资金 | {num}", "一级指标 | 二级指标 | 指标值",
        "绩效指标 | 产出指标 | ≥{num}万元", "主要政策任务1：{name}-说明", "项目支出绩效目标表", "专项资金绩效目标表",
        "项目名称 {name} 主管部门 某局 年度资金总额 {num} {num} {num}", "{num} | {num}", "年度 | 2024年部门预算"]
SECTIONS = ["", "第三部分 2024年部门预算情况说明", "第四部分 名词解释", "第五部分 附件", "第一部分 部门概况", "目录"]


def _generated(seed: int, size: int) -> Disclosure:
    """A narrative of random prose and 绩效 table rows made of what the patterns look for."""
    rng = random.Random(seed)
    d = Disclosure(source=f"generated-{seed}", kind=rng.choice(["预算", "决算"]), year=2024)
    section, row = "", 0
    for _ in range(size):
        if rng.random() < 0.05:
            section = rng.choice(SECTIONS)
        if rng.random() < 0.4:
            text = rng.choice(ROWS).format(name=rng.choice(["A项目", "B项目", "2024年医疗保障工作经费"]),
                                           num=rng.choice(["35.00", "350000", "4", "1,234.5"]))
        else:
            text = "".join(rng.choice(WORDS) for _ in range(rng.randint(1, 30)))
        row += rng.choice([0, 1, 1, 1, 3, 12])  # some paragraphs share a cell: target tables compare by ref
        d.narrative.append(Paragraph(text, CellRef("情况说明", row, rng.choice([0, 1])), section))
    for text in FIXED:
        row += 1
        d.narrative.append(Paragraph(text, CellRef("情况说明", row, 1), section))
    return d


FIXED = ["年初预算数为10.00万元，支出决算为9.85万元，完成年初预算的９８．５０％。决算数小于年初预算数。",
         "支出完成年初预算的98.5％", "基本支出中，人员经费增长１２％", "2023年，收入预算 1, 234. 56 万元，其中：基本支出 12 万元，占1.0%",
         "十三、预算绩效情况说明", "涉及预算项目支出12个，预算资金110156.20万元，占部门预算项目支出总额的100%。",
         "自评的12个项目中，12个项目自评等级为优，0个项目自评等级为良。", "1. A项目绩效自评综述：全年预算数为58万元",
         "对“A项目”“B项目”2个项目开展了部门自评，涉及资金 35.00 万元。"]


def _seed(path: Path) -> Disclosure:
    d = Disclosure(source=path.name, kind="决算" if "决算" in path.read_text(encoding="utf-8")[:300] else "预算", year=2024)
    section = ""
    for i, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines()):
        if line.startswith("第") and "部分" in line[:6]:
            section = line.strip()
        if line.strip():
            d.narrative.append(Paragraph(line, CellRef("情况说明", i, 1), section))
    return d


def _corpus() -> list[Disclosure]:
    out = [disclosure_from_grids(read_grids(p, skip_check_sheet=True), source=str(p)) for p in SAMPLES]
    out += [_seed(p) for p in SEEDS]
    if REFERENCES:
        from validators.reading.pdf import read_pdf_disclosure

        out += [read_pdf_disclosure(p) for p in REFERENCES]
    out += [_generated(seed, 300) for seed in range(12)]
    long = copy.deepcopy(out[-1])  # a long one: the same rows again and again, as the benchmark's 2 MB book
    for k in range(3):
        long.narrative += [Paragraph(p.text, CellRef("情况说明", p.ref.row + 10_000 * (k + 1), p.ref.col), p.section)
                           for p in out[SAMPLES.index(SAMPLES[-1])].narrative]
    out.append(long)
    return out


@pytest.fixture(scope="module")
def corpus() -> list[Disclosure]:
    return _corpus()


def _fresh(d: Disclosure) -> Disclosure:
    out = copy.deepcopy(d)
    out.cache.clear()
    out.clear_views()
    return out


# ---- the tests -----------------------------------------------------------------------------------------

GATES = ["年", "元", "机关运行经费", "项目名称", " | ", "\n", "\x00", "", "XX", "填写", re.compile(r"\d{4}\s*年"),
         re.compile("预算|决算"), re.compile(r"[XＸ×x某＿_]"), re.compile(r"\d\D\d"), published._YEAR_TITLE_GATE]


def test_the_joined_text_finds_what_each_paragraph_holds(corpus):
    separated = 0
    for d in corpus + [_with_separator(corpus[-2])]:
        nt = NarrativeText(d)
        texts = [p.text for p in d.narrative]
        separated += nt.plain
        for gate in GATES:
            want = [i for i, t in enumerate(texts) if (gate in t if isinstance(gate, str) else gate.search(t))]
            assert nt.having(gate) == want, (d.source, gate)
            if isinstance(gate, str):
                assert nt.first_having(gate) == (want[0] if want else None), (d.source, gate)
        assert nt.having_any("XX", "年", "填写") == sorted({i for i, t in enumerate(texts) if "XX" in t or "年" in t or "填写" in t})
        for body in (published._HEADING_OPENING, r"[一二三]"):
            assert nt.opening_with(body) == [i for i, t in enumerate(texts) if re.match(rf"\s*(?:{body})", t)], (d.source, body)
        assert nt.prose == [i for i, t in enumerate(texts) if ROW_SEP not in t]
        firsts: dict[str, int] = {}
        for i, p in enumerate(d.narrative):
            firsts.setdefault(p.section, i)
        assert list(nt.first_of_sections().items()) == list(firsts.items())
    assert separated == 1  # the text holding the separator was answered paragraph by paragraph


def _with_separator(d: Disclosure) -> Disclosure:
    out = _fresh(d)
    out.narrative[3] = Paragraph(out.narrative[3].text + "\x00XX年", out.narrative[3].ref, out.narrative[3].section)
    return out


def test_statements_are_extracted_as_before(corpus):
    counted = 0
    for d in corpus:
        for paragraphs in (d.narrative, _fresh(d).view(NarrativeView).paragraphs):
            new, old = extract(paragraphs), _extract_before(paragraphs)
            assert new == old, d.source
            counted += len(new)
    assert counted > 3000


def test_the_performance_part_is_read_as_before(corpus):
    tables = claims = 0
    for d in corpus:
        d = _fresh(d)
        nt = narrative_text(d)
        before = _target_tables_before(d.narrative)
        assert target_tables(d.narrative, target_events(d), nt.prose) == before, d.source
        assert target_tables(d.narrative, target_events(d)) == before, d.source
        assert target_tables(d.narrative) == before, d.source
        tables += len(before)
        assert performance_indexes(d.narrative, nt) == _performance_indexes_before(d.narrative), d.source
        assert performance_indexes(d.narrative) == _performance_indexes_before(d.narrative), d.source
        assert self_evaluations(d.narrative, nt.having("年度资金总额")) == self_evaluations(d.narrative), d.source
        part = read_part(d)
        assert part == _read_part_before(d), d.source
        claims += len(part.totals) + len(part.grades) + len(part.listed)
    assert tables > 50 and claims > 50, (tables, claims)


def test_an_equal_target_table_at_the_same_cell_is_listed_once():
    rows = ["项目名称 | A项目", "年度资金总额 | 35.00"]
    ref = CellRef("情况说明", 3, 1)
    narrative = [Paragraph(t, ref) for t in rows * 3] + [Paragraph("项目名称 | A项目", CellRef("情况说明", 9, 1)),
                                                         Paragraph("年度资金总额 | 35.00", CellRef("情况说明", 10, 1))]
    d = Disclosure(source="x", narrative=narrative)
    found = target_tables(d.narrative, target_events(d))
    assert found == _target_tables_before(narrative) and len(found) == 2


def test_the_view_and_the_headings_are_as_before(corpus):
    headings = 0
    for d in corpus:
        d = _fresh(d)
        view = d.view(NarrativeView)
        paragraphs, heads, performance = _view_before(d)
        assert view.paragraphs == paragraphs and view.headings == heads and view.performance == performance, d.source
        before = _headings_before(d)
        assert published.headings(d) == before, d.source
        headings += sum(p.what == "标题" for p in before)
    assert headings > 100


def test_text_rules_look_at_every_paragraph_that_can_hold_what_they_report(corpus):
    """Each candidate list holds every paragraph whose text the rule's own test accepts."""
    found = {"template": 0, "leftover": 0, "placeholder": 0, "heading": 0}
    for d in corpus + [_with_separator(corpus[-2])]:
        d = _fresh(d)
        nt = narrative_text(d)
        texts = nt.texts
        template = set(published.template_candidates(d))
        leftovers = set(nt.having_any(*_LEFTOVER_WORDS))
        placeholders = set(nt.having_any(*published._PLACEHOLDER_LETTERS))
        headings = set(published.heading_candidates(d))
        for i, t in enumerate(texts):
            if published.template_hits(clean(t)):
                found["template"] += 1
                assert i in template, t
            if leftover(t):
                found["leftover"] += 1
                assert i in leftovers, t
            if published._PLACEHOLDER_YEAR.search(t):
                found["placeholder"] += 1
                assert i in placeholders, t
            if published.is_heading(t):
                found["heading"] += 1
                assert i in headings, t
    assert all(n > 20 for n in found.values()), found


def test_findings_of_generated_narratives_as_with_the_passes_before(corpus, monkeypatch):
    """Whole runs on the generated narratives: the findings with the passes as they were patched in."""
    from validators.rules import _performance as perf
    from validators.rules import narrative as rules_narrative
    from validators import performance
    from validators.rules import run_rules

    generated = [d for d in corpus if d.source.startswith("generated")]
    new = [[(f.code, f.message, f.cells) for f in run_rules(_fresh(d))] for d in generated]
    monkeypatch.setattr(rules_narrative, "extract", _extract_before)
    monkeypatch.setattr(performance, "target_tables", lambda narrative, events=None, prose=None: _target_tables_before(narrative))
    monkeypatch.setattr(performance, "performance_indexes", lambda narrative, nt=None: _performance_indexes_before(narrative))
    monkeypatch.setattr(perf, "repeated_totals", _repeated_totals_before)
    monkeypatch.setattr(published, "_headings", _headings_before)
    old = [[(f.code, f.message, f.cells) for f in run_rules(_fresh(d))] for d in generated]
    assert new == old
    assert sum(map(len, new)) > 100
