"""``czcheck import``: published text (a PDF converted to text) → the format's template workbook.

Chooses the format by the titles printed in the text and hands the tables to the layout's importer:
the generic one (seedtext.py), tables flattened into lines (flattened.py), garbled headers taken by
position (positional.py) or the 吉林 layout (jilin.py, named by the format pack's ``importer``).
"""

from __future__ import annotations

from pathlib import Path

from .. import schemas
from ..workbook_writer import WorkbookFill, write_workbook
from .flattened import import_flattened
from .jilin import build_fill_jilin, cover, join_split_paragraphs
from .positional import build_fill_by_position
from .seedtext import MAX_TEXT_BYTES, ImportError_, build_fill, parse_lines


def import_seed(source: str | Path, output: str | Path) -> tuple[Path, list[str]]:
    """Import one seed text file; returns (workbook path, import notes in Chinese)."""
    source = Path(source)
    if source.is_dir():
        raise ImportError_(f"这是一个文件夹，不是文本文件：{source}")
    try:
        if source.stat().st_size > MAX_TEXT_BYTES:
            raise ImportError_(f"文件过大（超过 {MAX_TEXT_BYTES // 1_000_000} MB），不像是一份公开文件转换出的文本")
        data = source.read_bytes()
    except OSError as exc:
        raise ImportError_(f"无法读取文件：{source}（{exc.strerror}）") from exc
    if b"\0" in data[:65536]:
        raise ImportError_("这不是文本文件（含二进制内容）。请先把公开的 PDF 转换为文本（.txt）再导入")
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    title_lines = {l.strip().lstrip("#").strip() for l in lines if "\t" not in l and not l.strip().startswith("-")}
    title_lines = {t for t in title_lines if schemas.match_title(t)}
    profile = schemas.detect_profile({schemas.match_title(t) for t in title_lines}, title_lines)
    if profile is None:
        raise ImportError_("文本中没有找到可识别的公开表表名，无法导入")
    if not any("\t" in line for line in lines):  # tables flattened into space-separated lines (seed 003)
        return import_flattened(source, lines, profile, output)
    kinds = {t.kind for t in profile.tables}
    chunks, _, narrative, department, year = parse_lines(lines, kinds)
    notes: list[str] = [f"来源：{source.name}；格式：{profile.name}。"]
    if profile.importer == "jilin":
        narrative = join_split_paragraphs(narrative, notes)
        year, department = cover(lines, year, department)
    fill = WorkbookFill(department=department, year=year, source=source.name, narrative=narrative)
    for spec in profile.tables:
        chunk = chunks.get(spec.kind)
        if chunk is None:
            notes.append(f"{spec.title}：原文中没有找到这张表，模板中保留空表。")
            continue
        if profile.import_by_position:
            fill.tables[spec.kind] = build_fill_by_position(chunk, spec, profile, year, notes)
        elif profile.importer == "jilin":
            fill.tables[spec.kind] = build_fill_jilin(chunk, spec, year, notes)
        else:
            fill.tables[spec.kind] = build_fill(chunk, spec, year, notes)
    fill.import_notes = notes
    return write_workbook(profile, output, fill), notes
