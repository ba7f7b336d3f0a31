"""Textual XML helpers.

Parts are patched as text so that every byte we do not mean to change stays as it was (an XML
round trip through a parser would rewrite prefixes, quoting and whitespace, and could break
``mc:Ignorable`` prefixes).  Every part we patch is first checked with a bare expat parser that
proves it is well-formed and refuses any DTD (hence any entity trick), before and after patching.
"""

from __future__ import annotations

import re
from xml.parsers import expat

from .errors import MarkingError

_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


class _Refused(Exception):
    pass


def _refuse(*_args: object) -> None:
    raise _Refused("DTD")


_TAG_REST = re.compile(r"""(?:[^>"']|"[^"]*"|'[^']*')*>""")


def tag_close(text: str, start: int) -> int:
    """Index of the ``>`` that ends the tag at or after ``start``, skipping quoted attribute values
    (``name="a>b"`` is well-formed XML).  -1 when there is none."""
    m = _TAG_REST.match(text, start)
    return m.end() - 1 if m else -1


def parse(data: bytes | str, part: str) -> None:
    """Prove a part is well-formed XML without a DTD (so no entity tricks), building no tree.

    Stricter than defusedxml's defaults (which allow a DTD without entities): a workbook part
    never needs a DTD.  Raises a Chinese MarkingError otherwise."""
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse  # type: ignore[assignment]
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise MarkingError(f"文件中的 {part} 含有不安全的 XML 内容（DTD/实体声明），已拒绝处理。") from exc
    except expat.ExpatError as exc:
        raise MarkingError(f"文件中的 {part} 不是有效的 XML，无法安全标注：{exc}") from exc


def escape_text(text: str) -> str:
    text = _INVALID_XML_CHARS.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attr(text: str) -> str:
    return escape_text(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;")


def unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
        .replace("&#10;", "\n").replace("&#13;", "\r").replace("&amp;", "&")
    )


def attrs(tag_text: str) -> dict[str, str]:
    """Attributes of one start tag (text from '<' to '>'), values unescaped."""
    return {m.group(1): unescape(m.group(2) if m.group(2) is not None else m.group(3)) for m in _ATTR.finditer(tag_text)}


def root_prefix(text: str) -> str:
    """'' when the root element is unprefixed, else 'x:' style prefix of the root element."""
    m = re.search(r"<(?![?!])([\w.-]+:)?[\w.-]+[\s/>]", text)
    if m is None:
        raise MarkingError("XML 部件没有根元素。")
    return m.group(1) or ""


def ns_prefix(text: str, uri: str) -> str | None:
    """The prefix bound to ``uri`` on the root element ('' for the default namespace)."""
    root = re.search(r"<(?![?!])[^>]*>", text)
    if root is None:
        return None
    for name, value in attrs(root.group(0)).items():
        if value == uri:
            if name == "xmlns":
                return ""
            if name.startswith("xmlns:"):
                return name[6:]
    return None


def element_span(text: str, tag: str, start: int = 0) -> tuple[int, int] | None:
    """(start, end) of the first element named ``tag`` (with prefix) at or after ``start``."""
    m = re.compile(rf"<{re.escape(tag)}(?=[\s/>])").search(text, start)
    if m is None:
        return None
    close = tag_close(text, m.end())
    if text[close - 1] == "/":
        return m.start(), close + 1
    end_tag = f"</{tag}>"
    end = text.find(end_tag, close)
    if end < 0:
        raise MarkingError(f"XML 元素 {tag} 没有结束标记。")
    return m.start(), end + len(end_tag)


def children(text: str, tag: str) -> list[tuple[int, int]]:
    """Spans of the (non-nesting) elements named ``tag`` within ``text``."""
    out: list[tuple[int, int]] = []
    pattern = re.compile(rf"<{re.escape(tag)}(?=[\s/>])")
    end_tag = f"</{tag}>"
    pos = 0
    while True:
        m = pattern.search(text, pos)
        if m is None:
            return out
        close = tag_close(text, m.end())
        if text[close - 1] == "/":
            end = close + 1
        else:
            end = text.find(end_tag, close) + len(end_tag)
            if end < len(end_tag):
                raise MarkingError(f"XML 元素 {tag} 没有结束标记。")
        out.append((m.start(), end))
        pos = end


def set_count(start_tag: str, count: int) -> str:
    """Rewrite (or leave absent) the count attribute of a start tag."""
    if re.search(r"\scount\s*=", start_tag):
        return re.sub(r"""(\scount\s*=\s*)(["'])\d*\2""", lambda m: f'{m.group(1)}"{count}"', start_tag, count=1)
    return start_tag


def insert_before_close(text: str, tag: str, addition: str) -> str:
    """Insert ``addition`` just before the last ``</tag>``."""
    end = text.rfind(f"</{tag}>")
    if end < 0:
        raise MarkingError(f"XML 中找不到 </{tag}>。")
    return text[:end] + addition + text[end:]


def remove_once(text: str, piece: str) -> tuple[str, bool]:
    """Remove the last occurrence of an exact piece we inserted earlier."""
    at = text.rfind(piece) if piece else -1
    if at < 0:
        return text, False
    return text[:at] + text[at + len(piece):], True


def remove_elements_where(text: str, tag: str, attr: str, values: set[str]) -> str:
    """Remove every ``tag`` element whose ``attr`` is one of ``values`` (fallback removal)."""
    spans = children(text, tag)
    out, pos = [], 0
    for start, end in spans:
        head = text[start:tag_close(text, start) + 1]
        if attrs(head).get(attr) in values:
            out.append(text[pos:start])
            pos = end
    out.append(text[pos:])
    return "".join(out)


def append_child(text: str, parent_tag: str, element: str) -> str:
    """Append inside the last ``parent_tag`` (opening it if it is self-closing)."""
    m = None
    for m in re.finditer(rf"<{re.escape(parent_tag)}(?=[\s/>])[^>]*?/>", text):
        pass
    if m is not None and text.rfind(f"</{parent_tag}>") < m.start():
        open_tag = m.group(0)[:-2] + ">"
        return text[:m.start()] + open_tag + element + f"</{parent_tag}>" + text[m.end():]
    return insert_before_close(text, parent_tag, element)
