"""Write N realistic department workbooks with injected mistakes at known cells, plus a manifest.

    .venv/bin/python benchmarks/generate.py --count 500 --out /tmp/czcheck-bench

How: the real sample workbooks (workbooks/samples/, 烟台/淄博 医疗保障局 2024 部门预算, Shandong format)
are the bases.  Each base is also scaled by an integer factor (×2, ×3: sums of two-decimal amounts stay
exact; amounts in the 情况说明 written as "…万元" are scaled too).  A base is only used when czcheck
finds no 错误 in it (a sample with 错误 of its own is skipped, with a note), so that recall and false
positives mean something.  Every generated workbook gets its own department name (written wherever
the base's name appears) and lives in a folder per city.  About ``--mistake-rate`` of them get 1–3
mistakes: an amount cell in a table that the base reads completely (not truncated) is changed by
±1.00…99.99 万元.  The manifest (manifest.json in the output folder) records file, sheet, cell, table,
row, column, old and new value of every mistake.  ``--broken K`` adds K unreadable files (cut-off zip,
old .xls, empty file) that must come out as clear per-file entries.

Workbooks are written by patching the base's sheet XML inside the zip (milliseconds per file), so
generating 500 takes a few seconds.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from validators.engine import validate_file  # noqa: E402
from validators.model import RowKind, Severity  # noqa: E402
from validators.reading import read_workbook  # noqa: E402

SAMPLES = sorted((ROOT / "workbooks" / "samples").glob("*.xlsx"))
CITIES = ["济南市", "青岛市", "淄博市", "枣庄市", "东营市", "烟台市", "潍坊市", "济宁市", "泰安市", "威海市",
          "日照市", "临沂市", "德州市", "聊城市", "滨州市", "菏泽市"]
BUREAUS = ["医疗保障局", "教育局", "财政局", "卫生健康委员会", "交通运输局", "民政局", "司法局", "农业农村局",
           "水利局", "商务局", "文化和旅游局", "应急管理局", "审计局", "统计局", "自然资源和规划局", "生态环境局",
           "住房和城乡建设局", "人力资源和社会保障局", "退役军人事务局", "市场监督管理局", "体育局", "林业局",
           "档案馆", "地方金融监督管理局", "科学技术局", "工业和信息化局", "公安局", "城市管理局", "机关事务服务中心",
           "大数据局", "行政审批服务局", "信访局"]
SCALES = (1, 2, 3)
_AMOUNT_IN_TEXT = re.compile(r"(\d[\d,]*\.\d+|\d[\d,]*)(\s*万元)")


@dataclass
class Base:
    name: str  # e.g. "yantai-2024-budget×2"
    department: str
    parts: dict[str, bytes]  # zip part name -> bytes
    sheet_parts: dict[str, str]  # sheet name -> part name
    candidates: list[dict]  # amount cells a mistake may be injected into
    baseline: dict[str, int] = field(default_factory=dict)  # severity -> count on the unmodified base


def _scaled_copy(sample: Path, k: int, dest: Path) -> None:
    """The sample with every table amount (and every "…万元" in the narrative) multiplied by ``k``."""
    from openpyxl import load_workbook

    disclosure = read_workbook(sample)
    wb = load_workbook(sample)
    for table in disclosure.all_tables():
        for row in table.rows:
            for value in row.values.values():
                raw = value.raw
                if isinstance(raw, (int, float)) and not isinstance(raw, bool) and value.amount is not None:
                    cell = wb[value.ref.sheet].cell(value.ref.row + 1, value.ref.col + 1)
                    cell.value = float(Decimal(str(raw)) * k)
    for para in disclosure.narrative:
        cell = wb[para.ref.sheet].cell(para.ref.row + 1, para.ref.col + 1)
        if isinstance(cell.value, str):
            cell.value = _AMOUNT_IN_TEXT.sub(lambda m: _scale_text_amount(m, k), cell.value)
    wb.save(dest)


def _scale_text_amount(m: re.Match, k: int) -> str:
    text = m.group(1)
    decimals = len(text.split(".")[1]) if "." in text else 0
    value = Decimal(text.replace(",", "")) * k
    out = f"{value:,.{decimals}f}" if "," in text else f"{value:.{decimals}f}"
    return out + m.group(2)


def _sheet_parts(parts: dict[str, bytes]) -> dict[str, str]:
    wb = parts["xl/workbook.xml"].decode("utf-8")
    rels = parts["xl/_rels/workbook.xml.rels"].decode("utf-8")
    targets = {m.group(1): m.group(2) for m in re.finditer(r'<Relationship[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)}
    targets.update({m.group(2): m.group(1) for m in re.finditer(r'<Relationship[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
    out = {}
    for m in re.finditer(r'<sheet [^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"', wb):
        target = targets[m.group(2)].lstrip("/")
        out[_unescape(m.group(1))] = target if target.startswith("xl/") else "xl/" + target
    return out


def _unescape(text: str) -> str:
    return text.replace("&quot;", '"').replace("&apos;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def load_bases(log=print) -> list[Base]:
    bases = []
    with tempfile.TemporaryDirectory() as tmp:
        for sample in SAMPLES:
            for k in SCALES:
                path = sample if k == 1 else Path(tmp) / f"{sample.stem}-x{k}.xlsx"
                if k != 1:
                    _scaled_copy(sample, k, path)
                report = validate_file(path)
                if report.error:
                    log(f"skip base {sample.stem}×{k}: {report.error}")
                    continue
                if report.has_errors:
                    # a base must be clean, or recall and false positives mean nothing
                    log(f"skip base {sample.stem}×{k}: czcheck reports {report.count(Severity.ERROR)} 错误 in it")
                    if k == 1:
                        break
                    continue
                d = report.disclosure
                candidates = []
                for table in d.all_tables():
                    if table.truncated:
                        continue
                    for row in table.rows:
                        for key, value in row.values.items():
                            if value.amount is not None and isinstance(value.raw, (int, float)):
                                candidates.append({
                                    "sheet": value.ref.sheet, "cell": value.ref.address, "row": value.ref.row, "col": value.ref.col,
                                    "table": table.kind, "row_kind": "total" if row.kind is RowKind.TOTAL else "data",
                                    "row_label": row.label or row.key or "", "column": key, "old": format(value.amount, "f"),
                                })
                with zipfile.ZipFile(path) as z:
                    parts = {n: z.read(n) for n in z.namelist()}
                bases.append(Base(f"{sample.stem}×{k}", d.department or "", parts, _sheet_parts(parts), candidates,
                                  {s.value: report.count(s) for s in Severity}))
    return bases


def _set_number(xml: str, address: str, value: Decimal) -> str:
    pattern = re.compile(rf'<c r="{address}"([^>]*?)(/>|>(.*?)</c>)', re.S)
    m = pattern.search(xml)
    if m is None:
        raise ValueError(f"cell {address} not found")
    attrs = re.sub(r'\s+t="[^"]*"', "", m.group(1))
    return xml[: m.start()] + f'<c r="{address}"{attrs} t="n"><v>{value}</v></c>' + xml[m.end():]


def department_names(n: int, rng: random.Random) -> list[str]:
    names = [c + b for c in CITIES for b in BUREAUS]
    rng.shuffle(names)
    out = []
    for i in range(n):
        base = names[i % len(names)]
        out.append(base if i < len(names) else f"{base}{i // len(names) + 1}分局")
    return out


def write_workbook_from(base: Base, department: str, mistakes: list[dict]) -> bytes:
    parts = dict(base.parts)
    old_name, new_name = base.department.encode("utf-8"), escape(department).encode("utf-8")
    for name in list(parts):
        if name.startswith("xl/worksheets/") or name == "xl/sharedStrings.xml":
            if old_name:
                parts[name] = parts[name].replace(old_name, new_name)
    for mistake in mistakes:
        part = base.sheet_parts[mistake["sheet"]]
        parts[part] = _set_number(parts[part].decode("utf-8"), mistake["cell"], Decimal(mistake["new"])).encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def _broken_bytes(kind: str, good: bytes) -> bytes:
    if kind == "cut-zip":
        return good[: len(good) // 2]
    if kind == "old-xls":
        return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    return b""


def generate(out: str | Path, count: int, seed: int = 2024, mistake_rate: float = 0.5, broken: int = 0, log=print) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    bases = load_bases(log)
    if not bases:
        raise SystemExit("no usable base workbook")
    names = department_names(count, rng)
    entries = []
    for i in range(count):
        base = bases[i % len(bases)]
        dept = names[i]
        mistakes = []
        if rng.random() < mistake_rate and base.candidates:
            for cand in rng.sample(base.candidates, k=min(len(base.candidates), rng.randint(1, 3))):
                delta = Decimal(rng.randint(100, 9999)) / 100
                old = Decimal(cand["old"])
                new = old + delta if rng.random() < 0.5 or old - delta < 0 else old - delta
                mistakes.append({**cand, "new": format(new, "f")})
        city = next((c for c in CITIES if dept.startswith(c)), "其他")
        rel = Path(city) / f"{i + 1:04d}_{dept}_2024年部门预算.xlsx"
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(write_workbook_from(base, dept, mistakes))
        entries.append({"file": rel.as_posix(), "department": dept, "base": base.name, "mistakes": mistakes, "broken": None})
    good = (out / entries[0]["file"]).read_bytes() if entries else b""
    kinds = ["cut-zip", "old-xls", "empty"]
    for j in range(broken):
        kind = kinds[j % len(kinds)]
        rel = Path("损坏文件") / f"{j + 1:03d}_{kind}{'.xls' if kind == 'old-xls' else '.xlsx'}"
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(_broken_bytes(kind, good))
        entries.append({"file": rel.as_posix(), "department": None, "base": None, "mistakes": [], "broken": kind})
    manifest = {"seed": seed, "count": count, "mistake_rate": mistake_rate,
                "bases": {b.name: {"department": b.department, "baseline": b.baseline, "candidates": len(b.candidates)} for b in bases},
                "files": entries}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="generate department workbooks with injected mistakes")
    p.add_argument("--count", "-n", type=int, default=500)
    p.add_argument("--out", "-o", default="/tmp/czcheck-bench")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--mistake-rate", type=float, default=0.5)
    p.add_argument("--broken", type=int, default=0)
    args = p.parse_args(argv)
    m = generate(args.out, args.count, args.seed, args.mistake_rate, args.broken)
    n_mistakes = sum(len(f["mistakes"]) for f in m["files"])
    print(f"wrote {len(m['files'])} files ({n_mistakes} injected mistakes) to {args.out}; manifest.json alongside")


if __name__ == "__main__":
    main()
