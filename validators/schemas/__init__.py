"""Schemas as data: table kinds and their titles, header roles, profiles, classification codes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..amounts import normalize_text

HERE = Path(__file__).parent
_QUOTES = re.compile("[\"'“”‘’「」『』〝〞]")
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+、|\([一二三四五六七八九十]+\)|\d+[、.])")


def norm(text: Any) -> str:
    """Normalise text for matching: NFKC, no whitespace, no quotes."""
    if text is None:
        return ""
    if isinstance(text, str):
        return _norm_str(text) if len(text) < 200 else _QUOTES.sub("", normalize_text(text))
    return _QUOTES.sub("", normalize_text(str(text)))


@lru_cache(maxsize=65536)
def _norm_str(text: str) -> str:
    return _QUOTES.sub("", normalize_text(text))


@dataclass(frozen=True)
class TableKind:
    """A table kind (schemas/tables.toml): its layout and the titles it is printed under."""

    id: str
    layout: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class RoleRule:
    """A header role (schemas/roles.toml): the leaf and parent header texts that name it."""

    role: str
    leaf: re.Pattern[str]
    parent: re.Pattern[str] | None


def _load(name: str) -> dict[str, Any]:
    from ..tomlcache import load  # parsed once, kept beside the file like a .pyc

    return load(HERE / name)


@lru_cache(maxsize=None)
def table_kinds() -> dict[str, TableKind]:
    data = _load("tables.toml")
    return {k["id"]: TableKind(k["id"], k["layout"], tuple(norm(a) for a in k["aliases"])) for k in data["kind"]}


@lru_cache(maxsize=None)
def _alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for kind in table_kinds().values():
        for alias in kind.aliases:
            index.setdefault(alias, kind.id)
    for fmt in formats().values():  # a format pack's own titles name its tables too
        for spec in fmt.tables:
            index.setdefault(norm(spec.title), spec.kind)
    return index


@lru_cache(maxsize=None)
def role_rules() -> tuple[RoleRule, ...]:
    rules = []
    for r in _load("roles.toml")["role"]:
        parent = re.compile(r["parent"]) if r.get("parent") else None
        rules.append(RoleRule(r["role"], re.compile(r["leaf"]), parent))
    return tuple(rules)


def role_for(path: list[str]) -> str | None:
    """Canonical role for a header path (top to bottom), or None."""
    return _role_for(tuple(norm(p) for p in path))


@lru_cache(maxsize=4096)
def _role_for(path: tuple[str, ...]) -> str | None:
    parts = [p for p in path if p]
    if not parts:
        return None
    leaf, parent = parts[-1], "/".join(parts[:-1])
    for rule in role_rules():
        if rule.leaf.search(leaf) and (rule.parent is None or rule.parent.search(parent)):
            return rule.role
    return None


@lru_cache(maxsize=None)
def subjects() -> dict[str, Any]:
    """What the 情况说明 talks about (subjects.toml): subject → table figure, same-figure groups, …"""
    return _load("subjects.toml")


@lru_cache(maxsize=None)
def classification() -> dict[str, dict[str, str]]:
    return _load("data/classification.toml")


@lru_cache(maxsize=None)
def function_class_by_name() -> dict[str, str]:
    data = classification()
    names = {norm(name): code for name, code in data.get("function_class_aliases", {}).items()}
    names.update({norm(name): code for code, name in data["function_classes"].items()})
    return names


# ---- summary (ledger) line keys -----------------------------------------------------------

_LEDGER_KEYS = [
    # (pattern on normalised label without numbering, key)
    (r"^财政拨款(收入)?(合计)?$", "财政拨款"),
    (r"^一般公共预算(财政)?(拨款)?(收入?)?$", "一般公共预算"),
    (r"^一般公共预算资金$", "一般公共预算"),  # 上海 预算: 1. 一般公共预算资金  # 收: cut in conversion (吉林)
    (r"^政府性基金(预算)?(财政)?(拨款)?(收入)?$", "政府性基金"),
    (r"^国有资本经营(预算)?(财政)?(拨款?)?(收入?)?$", "国有资本经营"),
    (r"^财政专户管理资金(收入?)?$", "财政专户"),
    (r"^事业收入.*$", "事业收入"),
    (r"^(事业单位)?经营收入$", "经营收入"),
    (r"^其他收入$", "其他收入"),
    (r"^本年收入(合计)?$", "本年收入合计"),  # 吉林 预算表4: 一、本年收入
    (r"^上级补助收入$", "上级补助收入"),
    (r"^附属单位上缴收入$", "附属单位上缴收入"),
    (r"^使用非财政拨款结余(和专用结余)?$", "使用非财政拨款结余"),
    (r"^用事业基金弥补收支差额$", "使用非财政拨款结余"),  # the 2019 name of the same line
    (r"^上年结转(结余)?$", "上年结转"),
    (r"^(其中:)?一般公共预算(拨款)?结转$", "上年结转:一般公共预算"),
    (r"^(其中:)?政府性基金(预算)?(拨款)?结转?$", "上年结转:政府性基金"),
    (r"^(其中:)?国有资本经营(预算)?(拨款)?结转?$", "上年结转:国有资本经营"),
    (r"^收入总计$", "收入总计"),
    (r"^本年支出(合计)?$", "本年支出合计"),
    (r"^对附属单位补助支出$", "对附属单位补助支出"),
    (r"^上缴上级支出$", "上缴上级支出"),
    (r"^结转下年(结余|支出)?$", "结转下年"),
    (r"^支出总计$", "支出总计"),
    # 决算
    (r"^年初(财政拨款)?结转和结余$", "年初结转和结余"),
    (r"^年末(财政拨款)?结转和结余$", "年末结转和结余"),
    (r"^结余分配$", "结余分配"),
    (r"^总计$", "总计"),
]
_LEDGER_RE = [(re.compile(p), k) for p, k in _LEDGER_KEYS]


def ledger_key(label: str) -> tuple[str | None, str | None]:
    """(line key, function class code) for a summary-table label."""
    t = norm(label)
    t = _NUMBERING.sub("", t)
    if not t:
        return None, None
    code = function_class_by_name().get(t)
    if code:
        return f"类{code}", code
    for pattern, key in _LEDGER_RE:
        if pattern.match(t):
            return key, None
    return None, None


# ---- format packs ---------------------------------------------------------------------------
# A publishing format is a folder under schemas/formats/<id>/: format.toml (tables, titles, headers,
# ledger lines, detect titles, params) and relations.toml (declared relations, see rules/relations.py).
# Loading lives in schemas/formats.py; these names are kept for the callers.

from .formats import Format, Profile, Relation, TableSpec, detect_format, detect_profile, formats, profiles  # noqa: E402,F401
from .titles import TitleMatch, match as match_title_detail, match_title  # noqa: E402,F401  (titles live in titles.py)
