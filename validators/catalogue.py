"""What czcheck knows, as data for `czcheck rules|explain|formats` (text and JSON): rules with their
documentation, parameters, old codes and the formats that declare them; formats with their tables and
relation counts.  Generated from the registry and the format packs, never written twice."""

from __future__ import annotations

from collections import Counter
from typing import Any

from . import schemas
from .rules import DOC_PARTS, get_rule


def explain_rule(code: str) -> dict[str, Any] | None:
    r = get_rule(code)
    if r is None:
        return None
    formats = []
    for fmt in schemas.formats().values():
        n = len(fmt.relations_for(r.code))
        if n:
            formats.append({"id": fmt.id, "name": fmt.name, "count": n})
    return {
        "requested": code.upper(),
        "code": r.code,
        "name": r.name,
        "family": r.family,
        "severity": r.severity.value,
        "aliases": list(r.aliases),
        "requires": list(r.requires),
        "declared": r.declared,
        "formats": formats,
        "params": {name: {"default": default, "description": doc} for name, (default, doc) in r.params.items()},
        "doc": r.doc,
        "parts": {part: r.doc_part(part) for part in DOC_PARTS},
    }


def describe_formats() -> list[dict[str, Any]]:
    out = []
    for fmt in schemas.formats().values():
        codes = Counter(r.code for r in fmt.relations)
        out.append({
            "id": fmt.id,
            "name": fmt.name,
            "disclosure_kind": fmt.disclosure_kind,
            "unit": fmt.unit,
            "detect": list(fmt.detect),
            "tables": [{"kind": t.kind, "title": t.title} for t in fmt.tables],
            "relation_count": sum(codes.values()),
            "own_relation_count": sum(1 for r in fmt.relations if r.origin == fmt.id),
            "relation_codes": sorted(codes),
            "params": dict(fmt.params),
            "folder": str(fmt.folder) if fmt.folder else None,
        })
    return out
