"""Excel 365 threaded comments (``xl/threadedComments/*.xml`` + ``xl/persons/person.xml``).

A cell with a thread also carries a legacy placeholder comment ("[Threaded comment] …") that Excel
regenerates; writing our note into that placeholder would be invisible in Excel 365 and damage the
placeholder.  Instead czcheck's note is added as a *reply* at the end of the thread, by a person
"czcheck 校验" added to the person list; the placeholder is left alone.  ``clear`` removes exactly the
replies and the person element it recorded, so the thread parts come back as they were.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

from . import xmltext
from .opc import Package

RT_PERSON = "http://schemas.microsoft.com/office/2017/10/relationships/person"
PERSON_NAME = "czcheck 校验"
PERSON_ID = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "urn:czcheck:person")).upper() + "}"


def thread_roots(text: str) -> dict[str, str]:
    """Cell ref (upper case) -> id of the thread's first comment."""
    p = xmltext.root_prefix(text)
    out: dict[str, str] = {}
    for s, _e in xmltext.children(text, p + "threadedComment"):
        a = xmltext.attrs(text[s:xmltext.tag_close(text, s) + 1])
        ref = a.get("ref", "").upper()
        if ref and "parentId" not in a and ref not in out:
            out[ref] = a.get("id", "")
    return out


def persons_part(pkg: Package, wb_part: str) -> str | None:
    targets = [t for t in pkg.targets(wb_part, RT_PERSON) if pkg.has(t)]
    return targets[0] if targets else None


def ensure_person(pkg: Package, part: str) -> str | None:
    """Add czcheck's <person> unless present; returns the exact element added (None if it was there)."""
    text = pkg.text(part)
    xmltext.parse(text, part)
    if PERSON_ID in text:
        return None
    p = xmltext.root_prefix(text)
    element = (f'<{p}person displayName="{xmltext.escape_attr(PERSON_NAME)}" id="{PERSON_ID}" '
               f'userId="czcheck" providerId="None"/>')
    pkg.set_text(part, xmltext.append_child(text, p + "personList", element))
    return element


def add_replies(pkg: Package, part: str, notes: dict[str, str]) -> list[str]:
    """Append one reply per cell ref in ``notes`` (refs must have a thread); returns the exact elements."""
    text = pkg.text(part)
    xmltext.parse(text, part)
    roots = thread_roots(text)
    p = xmltext.root_prefix(text)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.00")
    added = []
    for ref, note in notes.items():
        root = roots.get(ref.upper())
        if not root:
            continue
        rid = "{" + str(uuid.uuid4()).upper() + "}"
        added.append(f'<{p}threadedComment ref="{ref}" dT="{stamp}" personId="{PERSON_ID}" id="{rid}" '
                     f'parentId="{xmltext.escape_attr(root)}"><{p}text>{xmltext.escape_text(note)}</{p}text>'
                     f"</{p}threadedComment>")
    if added:
        text = xmltext.insert_before_close(text, p + "ThreadedComments", "".join(added))
        xmltext.parse(text, part)
        pkg.set_text(part, text)
    return added


def remove_exact(pkg: Package, part: str, elements: list[str]) -> int:
    """Remove elements we added; returns how many were no longer there (changed by the user)."""
    if not pkg.has(part):
        return len(elements)
    text = pkg.text(part)
    missing = 0
    for element in reversed(elements):
        text, exact = xmltext.remove_once(text, element)
        missing += not exact
    pkg.set_text(part, text)
    return missing


_REPLY_ID = re.compile(r'personId="' + re.escape(PERSON_ID) + '"')


