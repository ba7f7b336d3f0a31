"""Characters → lines, with a vertical tolerance taken from the font size.

Some producers (ONLYOFFICE) print the Latin digits of a line about 0.4 × the font size below its CJK
characters; a fixed 3 pt tolerance splits numbers out of their sentences and a fixed 9 pt one merges
neighbouring lines of small print.  A character joins the current line when its top lies within half
three quarters of its font size of the line's first (highest) character; lines are then read left to right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
_LATIN = re.compile(r"[0-9A-Za-z.,%]")


@dataclass
class Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    chars: list[dict[str, Any]] = field(default_factory=list, repr=False)


def group_lines(chars: Iterable[dict[str, Any]], factor: float = 0.75) -> list[Line]:
    """Lines of text from pdfplumber char dicts, top to bottom."""
    ordered = sorted((c for c in chars if c.get("upright", True) and c["text"].strip()), key=lambda c: (c["top"], c["x0"]))
    lines: list[list[dict[str, Any]]] = []
    anchor = 0.0
    anchor_size = 0.0
    for c in ordered:
        size = float(c.get("size") or 10)
        # the smaller font decides: a 10 pt unit line under an 18 pt title is a line of its own
        if lines and c["top"] - anchor <= max(2.0, factor * min(anchor_size, size)):
            lines[-1].append(c)
            continue
        lines.append([c])
        anchor, anchor_size = c["top"], size
    return [_make_line(cs) for cs in lines]


def _make_line(chars: list[dict[str, Any]]) -> Line:
    chars.sort(key=lambda c: c["x0"])
    sizes = sorted(float(c.get("size") or 10) for c in chars)
    size = sizes[len(sizes) // 2]
    return Line(
        text=join_chars(chars, size),
        x0=min(c["x0"] for c in chars),
        x1=max(c["x1"] for c in chars),
        top=min(c["top"] for c in chars),
        bottom=max(c["bottom"] for c in chars),
        size=size,
        chars=chars,
    )


def join_chars(chars: list[dict[str, Any]], size: float) -> str:
    """Characters of one line, left to right.  Gaps between CJK characters are dropped (letter-spaced
    names such as “因 公 出 国” close up); a wide gap between two Latin runs (two numbers) keeps a space."""
    out: list[str] = []
    prev = None
    for c in chars:
        t = c["text"]
        if prev is not None:
            gap = c["x0"] - prev["x1"]
            if gap > 0.6 * size and _LATIN.match(prev["text"][-1:]) and _LATIN.match(t[:1]):
                out.append(" ")
        out.append(t)
        prev = c
    return "".join(out)


def close_up(text: str) -> str:
    """Remove spaces that letter-spacing left inside CJK text (“因 公 出 国 （ 境 ） 费” → “因公出国（境）费”)."""
    if " " not in text and "\u3000" not in text:
        return text
    return re.sub(r"(?<=[^\x00-\x7f])[ \u3000]+|[ \u3000]+(?=[^\x00-\x7f])", "", text).strip()
