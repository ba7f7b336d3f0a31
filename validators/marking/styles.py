"""Append fonts, fills and cell formats to xl/styles.xml without touching the existing ones.

A marked cell gets a clone of its own cell format (number format, font, border, alignment,
protection unchanged) whose fill is the severity fill.  The record keeps the original counts so
``clear`` can cut the appended entries off again.
"""

from __future__ import annotations

import re

from . import xmltext
from .errors import MarkingError
from .plan import FillSpec

SECTIONS = ("fonts", "fills", "cellXfs")


class StylePatcher:
    def __init__(self, text: str, part: str) -> None:
        xmltext.parse(text, part)
        self.part = part
        self.text = text
        self.p = xmltext.root_prefix(text)
        self.spans: dict[str, tuple[int, int]] = {}
        self.items: dict[str, list[str]] = {}
        for section in SECTIONS:
            span = xmltext.element_span(text, self.p + section)
            if span is None:
                raise MarkingError(f"样式表 {part} 缺少 {section}，无法安全标注。")
            self.spans[section] = span
            child = {"fonts": "font", "fills": "fill", "cellXfs": "xf"}[section]
            body = text[span[0]:span[1]]
            self.items[section] = [body[s:e] for s, e in xmltext.children(body, self.p + child)]
        self.original = {s: len(self.items[s]) for s in SECTIONS}
        self.added: dict[str, list[str]] = {s: [] for s in SECTIONS}
        self._cache: dict[tuple[str, str], int] = {}

    # -- adding -----------------------------------------------------------------------------
    def _add(self, section: str, xml: str) -> int:
        key = (section, xml)
        if key not in self._cache:
            self.added[section].append(xml)
            self._cache[key] = self.original[section] + len(self.added[section]) - 1
        return self._cache[key]

    def fill(self, spec: FillSpec) -> int:
        p = self.p
        colours = f'<{p}fgColor rgb="{spec.fg}"/>'
        if spec.pattern != "solid":
            colours += f'<{p}bgColor rgb="{spec.bg}"/>'
        return self._add("fills", f'<{p}fill><{p}patternFill patternType="{spec.pattern}">{colours}</{p}patternFill></{p}fill>')

    def font(self, bold: bool = False, underline: bool = False, colour: str | None = None) -> int:
        p = self.p
        inner = (f"<{p}b/>" if bold else "") + (f"<{p}u/>" if underline else "") + f'<{p}sz val="11"/>'
        if colour:
            inner += f'<{p}color rgb="{colour}"/>'
        return self._add("fonts", f"<{p}font>{inner}</{p}font>")

    def xf(self, font: int = 0, fill: int = 0, num_fmt: int = 0, wrap: bool = False) -> int:
        p = self.p
        applies = ' applyFont="1"' if font else ""
        applies += ' applyFill="1"' if fill else ""
        applies += ' applyNumberFormat="1"' if num_fmt else ""
        body = f'<{p}alignment vertical="top" wrapText="1"/>' if wrap else f'<{p}alignment vertical="top"/>'
        return self._add("cellXfs", f'<{p}xf numFmtId="{num_fmt}" fontId="{font}" fillId="{fill}" borderId="0" '
                                    f'xfId="0"{applies} applyAlignment="1">{body}</{p}xf>')

    def marked_xf(self, original_xf: int, spec: FillSpec) -> int:
        """A clone of cell format ``original_xf`` with the severity fill."""
        fill_id = self.fill(spec)
        xfs = self.items["cellXfs"]
        base = xfs[original_xf] if 0 <= original_xf < len(xfs) else xfs[0] if xfs else f"<{self.p}xf/>"
        end = xmltext.tag_close(base, 0)
        head, rest = base[:end], base[end:]
        self_closing = head.endswith("/")
        if self_closing:
            head = head[:-1]
        head = _set_attr(head, "fillId", str(fill_id))
        head = _set_attr(head, "applyFill", "1")
        return self._add("cellXfs", head + ("/" if self_closing else "") + rest)

    # -- output -----------------------------------------------------------------------------
    def render(self) -> str:
        text = self.text
        for section in sorted(SECTIONS, key=lambda s: self.spans[s][0], reverse=True):
            if not self.added[section]:
                continue
            start, end = self.spans[section]
            block = text[start:end]
            head_end = xmltext.tag_close(block, 0) + 1
            head = xmltext.set_count(block[:head_end], self.original[section] + len(self.added[section]))
            addition = "".join(self.added[section])
            if head.endswith("/>"):
                block = head[:-2] + ">" + addition + f"</{self.p}{section}>"
            else:
                close = block.rfind("</")
                block = head + block[head_end:close] + addition + block[close:]
            text = text[:start] + block + text[end:]
        return text

    def record(self) -> dict[str, list[int | str]]:
        """Per section: [original count, appended count, original start tag]."""
        out: dict[str, list[int | str]] = {}
        for s in SECTIONS:
            start, end = self.spans[s]
            block = self.text[start:end]
            out[s] = [self.original[s], len(self.added[s]), block[:xmltext.tag_close(block, 0) + 1]]
        return out


def _set_attr(head: str, name: str, value: str) -> str:
    pattern = re.compile(rf"""(\s{name}\s*=\s*)(["'])[^"']*\2""")
    if pattern.search(head):
        return pattern.sub(lambda m: f'{m.group(1)}"{value}"', head, count=1)
    return f'{head} {name}="{value}"'


def remove_added(text: str, part: str, record: dict[str, list[int | str]]) -> tuple[str, bool]:
    """Cut the entries appended by marking.  Returns (text, exact) where exact is False when the
    style sheet no longer has the shape we left (then the unused entries stay: harmless)."""
    xmltext.parse(text, part)
    p = xmltext.root_prefix(text)
    exact = True
    for section in sorted(SECTIONS, key=lambda s: -(xmltext.element_span(text, p + s) or (0, 0))[0]):
        original, added, original_head = record.get(section, [0, 0, ""])
        if not added:
            continue
        span = xmltext.element_span(text, p + section)
        if span is None:
            exact = False
            continue
        start, end = span
        block = text[start:end]
        child = {"fonts": "font", "fills": "fill", "cellXfs": "xf"}[section]
        kids = xmltext.children(block, p + child)
        if len(kids) != int(original) + int(added):
            exact = False
            continue
        head_end = xmltext.tag_close(block, 0) + 1
        head = str(original_head) or xmltext.set_count(block[:head_end], int(original))
        if head.endswith("/>"):
            text = text[:start] + head + text[end:]
            continue
        cut_from = kids[int(original)][0]
        cut_to = kids[-1][1]
        block = head + block[head_end:cut_from] + block[cut_to:]
        text = text[:start] + block + text[end:]
    return text, exact
