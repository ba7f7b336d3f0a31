"""Cell comments: the comments part (text) and the legacy VML drawing (the note boxes).

An existing comment on a marked cell keeps its text; our text is appended as an extra run and
the original element is recorded so ``clear`` puts it back exactly.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from . import xmltext
from .errors import MarkingError
from .plan import COMMENT_AUTHOR
from .sheet import split_ref

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
VML_NS = "urn:schemas-microsoft-com:vml"
OFFICE_NS = "urn:schemas-microsoft-com:office:office"
EXCEL_NS = "urn:schemas-microsoft-com:office:excel"
SEPARATOR = "\n———— czcheck ————\n"
_RUN_PROPS = '<{p}rPr><{p}sz val="10"/><{p}rFont val="宋体"/><{p}charset val="134"/></{p}rPr>'


def _run(p: str, text: str) -> str:
    return f'<{p}r>{_RUN_PROPS.format(p=p)}<{p}t xml:space="preserve">{xmltext.escape_text(text)}</{p}t></{p}r>'


@dataclass
class CommentsRecord:
    part: str
    created: bool = False
    author_element: str | None = None  # exact <author> we appended
    modified: dict[str, str] = field(default_factory=dict)  # ref -> original <comment> element
    added: list[str] = field(default_factory=list)  # refs of comments we created
    appended_runs: dict[str, str] = field(default_factory=dict)  # ref -> exact run appended

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, object]) -> "CommentsRecord":
        return cls(**data)  # type: ignore[arg-type]


def new_comments_part(entries: dict[str, str]) -> str:
    body = "".join(f'<comment ref="{ref}" authorId="0"><text>{_run("", text)}</text></comment>'
                   for ref, text in entries.items())
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{MAIN_NS}">'
            f"<authors><author>{COMMENT_AUTHOR}</author></authors><commentList>{body}</commentList></comments>")


def comment_spans(text: str) -> dict[str, tuple[int, int]]:
    p = xmltext.root_prefix(text)
    out: dict[str, tuple[int, int]] = {}
    for s, e in xmltext.children(text, p + "comment"):
        ref = xmltext.attrs(text[s:xmltext.tag_close(text, s) + 1]).get("ref", "")
        out[ref.upper()] = (s, e)
    return out


def patch_comments(text: str, part: str, entries: dict[str, str], skip: set[str]
                   ) -> tuple[str, CommentsRecord, set[str]]:
    """Add or extend comments.  Returns (text, record, refs that got a new comment (need a note box))."""
    xmltext.parse(text, part)
    p = xmltext.root_prefix(text)
    record = CommentsRecord(part)
    authors_span = xmltext.element_span(text, p + "authors")
    if authors_span is None:
        raise MarkingError(f"批注部件 {part} 缺少作者列表，无法安全标注。")
    authors_block = text[authors_span[0]:authors_span[1]]
    names = [xmltext.unescape(re.sub(r"<[^>]*>", "", authors_block[s:e]))
             for s, e in xmltext.children(authors_block, p + "author")]
    if COMMENT_AUTHOR in names:
        author_id = names.index(COMMENT_AUTHOR)
    else:
        author_id = len(names)
        record.author_element = f"<{p}author>{COMMENT_AUTHOR}</{p}author>"
    spans = comment_spans(text)
    edits: list[tuple[int, int, str]] = []
    new_refs: set[str] = set()
    additions = []
    for ref, comment in entries.items():
        if ref in skip:
            continue
        if ref in spans:
            s, e = spans[ref]
            original = text[s:e]
            close = original.rfind(f"</{p}text>")
            if close < 0:
                raise MarkingError(f"批注部件 {part} 中 {ref} 的批注格式无法识别。")
            run = _run(p, SEPARATOR + comment)
            record.modified[ref] = original
            record.appended_runs[ref] = run
            edits.append((s + close, s + close, run))
        else:
            additions.append(f'<{p}comment ref="{ref}" authorId="{author_id}"><{p}text>{_run(p, comment)}</{p}text></{p}comment>')
            record.added.append(ref)
            new_refs.add(ref)
    for s, e, new in sorted(edits, reverse=True):
        text = text[:s] + new + text[e:]
    if additions:
        text = xmltext.append_child(text, p + "commentList", "".join(additions))
    if record.author_element and (additions or edits):
        text = xmltext.append_child(text, p + "authors", record.author_element)
    else:
        record.author_element = None
    return text, record, new_refs


def unpatch_comments(text: str, part: str, record: CommentsRecord) -> tuple[str, set[str], int]:
    """Undo ``patch_comments``.  Returns (text, refs whose comment was removed, comments left alone)."""
    xmltext.parse(text, part)
    spans = comment_spans(text)
    edits: list[tuple[int, int, str]] = []
    removed: set[str] = set()
    skipped = 0
    for ref, original in record.modified.items():
        span = spans.get(ref)
        run = record.appended_runs.get(ref, "")
        if span is None or run not in text[span[0]:span[1]]:
            skipped += 1
            continue
        edits.append((span[0], span[1], original))
    for ref in record.added:
        span = spans.get(ref)
        if span is None:
            continue
        if "czcheck" not in text[span[0]:span[1]]:
            skipped += 1
            continue
        edits.append((span[0], span[1], ""))
        removed.add(ref)
    for s, e, new in sorted(edits, reverse=True):
        text = text[:s] + new + text[e:]
    if record.author_element:
        text, _ = xmltext.remove_once(text, record.author_element)
    return text, removed, skipped


def has_comments(text: str) -> bool:
    return bool(comment_spans(text))


# -- VML note boxes -------------------------------------------------------------------------------
# Templates use {v}, {o}, {x}: the prefixes the drawing binds to the VML, Office and Excel namespaces.
SHAPETYPE = ('<{v}:shapetype id="_x0000_t202" coordsize="21600,21600" {o}:spt="202" path="m,l,21600r21600,l21600,xe">'
             '<{v}:stroke joinstyle="miter"/><{v}:path gradientshapeok="t" {o}:connecttype="rect"/></{v}:shapetype>')
STANDARD = {"v": "v", "o": "o", "x": "x"}


def _box_rows(comment: str) -> int:
    lines = sum(max(1, math.ceil(len(line) / 28)) for line in comment.split("\n"))
    return max(4, min(lines + 1, 30))


def note_shape(shape_number: int, ref: str, comment: str, z: int, px: dict[str, str] = STANDARD) -> str:
    row1, col0 = split_ref(ref)
    row0 = row1 - 1
    height = _box_rows(comment)
    v, o, x = px["v"], px["o"], px["x"]
    return (
        f'<{v}:shape id="_x0000_s{shape_number}" type="#_x0000_t202" style="position:absolute;margin-left:80pt;'
        f'margin-top:2pt;width:260pt;height:{height * 14}pt;z-index:{z};visibility:hidden" fillcolor="#ffffe1" '
        f'{o}:insetmode="auto"><{v}:fill color2="#ffffe1"/><{v}:shadow on="t" color="black" obscured="t"/>'
        f'<{v}:path {o}:connecttype="none"/><{v}:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div>'
        f'</{v}:textbox><{x}:ClientData ObjectType="Note"><{x}:MoveWithCells/><{x}:SizeWithCells/>'
        f"<{x}:Anchor>{col0 + 1}, 15, {row0}, 2, {col0 + 5}, 15, {row0 + height}, 2</{x}:Anchor>"
        f"<{x}:AutoFill>False</{x}:AutoFill><{x}:Row>{row0}</{x}:Row><{x}:Column>{col0}</{x}:Column>"
        f"</{x}:ClientData></{v}:shape>"
    )


def vml_blocks(text: str) -> list[int]:
    m = re.search(r"""idmap[^>]*?data\s*=\s*["']([\d,\s]*)["']""", text)
    if m is None:
        return []
    return [int(n) for n in re.findall(r"\d+", m.group(1))]


def new_vml(first_block: int, entries: dict[str, str]) -> str:
    blocks = max(1, math.ceil((len(entries) + 1) / 1024))
    data = ",".join(str(first_block + i) for i in range(blocks))
    shapes = "".join(note_shape(first_block * 1024 + 1 + i, ref, text, i + 1) for i, (ref, text) in enumerate(entries.items()))
    return (f'<xml xmlns:v="{VML_NS}" xmlns:o="{OFFICE_NS}" xmlns:x="{EXCEL_NS}">'
            f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{data}"/></o:shapelayout>'
            f"{SHAPETYPE.format(**STANDARD)}{shapes}</xml>")


def vml_prefixes(text: str, part: str) -> dict[str, str]:
    found = {}
    for key, uri in (("v", VML_NS), ("o", OFFICE_NS), ("x", EXCEL_NS)):
        m = re.search(rf"""xmlns:([\w.-]+)\s*=\s*["']{re.escape(uri)}["']""", text)
        if m is None:
            raise MarkingError(f"批注绘图 {part} 的命名空间无法识别，无法安全地添加批注框。")
        found[key] = m.group(1)
    return found


def append_shapes(text: str, part: str, entries: dict[str, str]) -> tuple[str, str | None, str]:
    """Add note boxes to an existing VML drawing; returns (text, shapetype added, shapes added)."""
    px = vml_prefixes(text, part)
    close = text.rfind("</xml>")
    if close < 0:
        raise MarkingError(f"批注绘图 {part} 格式无法识别，无法安全地添加批注框。")
    shapetype = None if re.search(r"""id\s*=\s*["']_x0000_t202["']""", text) else SHAPETYPE.format(**px)
    numbers = [int(n) for n in re.findall(r"_x0000_s(\d+)", text)]
    start = max(numbers, default=1024) + 1
    z = len(re.findall(rf"<{px['v']}:shape[\s>]", text))
    shapes = "".join(note_shape(start + i, ref, comment, z + i + 1, px) for i, (ref, comment) in enumerate(entries.items()))
    return text[:close] + (shapetype or "") + shapes + text[close:], shapetype, shapes


def remove_shapes(text: str, shapetype: str | None, shapes: str, removed_refs: set[str]) -> str:
    """Remove our note boxes: exactly when untouched, otherwise the Note shapes of removed comments."""
    text, exact = xmltext.remove_once(text, shapes)
    if not exact:
        px = vml_prefixes(text, "VML")
        v, x = re.escape(px["v"]), re.escape(px["x"])
        cells = {(split_ref(r)[0] - 1, split_ref(r)[1]) for r in removed_refs}
        pattern = re.compile(rf"<{v}:shape[\s>].*?</{v}:shape>", re.S)

        def keep(m: re.Match[str]) -> str:
            block = m.group(0)
            row = re.search(rf"<{x}:Row>(\d+)</{x}:Row>", block)
            col = re.search(rf"<{x}:Column>(\d+)</{x}:Column>", block)
            if 'ObjectType="Note"' in block and row and col and (int(row.group(1)), int(col.group(1))) in cells:
                return ""
            return block

        text = pattern.sub(keep, text)
    if shapetype:
        text, _ = xmltext.remove_once(text, shapetype)
    return text
