"""Format packs: one folder per publishing format, read by every stage.

    schemas/formats/<id>/format.toml     tables (titles, headers, ledger lines), detect titles, params
    schemas/formats/<id>/relations.toml  relation instances checked for this format (rules/relations.py);
                                         ``extends = "<id>"`` starts from another format's instances;
                                         ``[extends] format = "<id>", exclude = [CODE | instance id]``
                                         leaves out inherited instances that never apply to this layout
    schemas/relations.toml               relations every format has (hierarchy sums, row identities)

A format may also live outside the package: a folder named by ``CZCHECK_FORMATS`` (os.pathsep-separated)
or by ``formats = [...]`` in czcheck.toml, holding format folders or being one.  A format defined only by
those two TOML files is checked end to end; nothing in Python names a format.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
BUILTIN = HERE / "formats"
COMMON_RELATIONS = HERE / "relations.toml"

_FORMAT_KEYS = {"id", "name", "disclosure_kind", "unit", "template", "detect", "detect_required", "table",
                "amounts_always_printed", "import_by_position", "importer", "params", "description"}
_TABLE_KEYS = {"kind", "title", "header", "widths", "lines", "total_row", "total_label_col", "data_rows", "year_headers", "unit"}
_RELATIONS_KEYS = {"relation", "exclude", "extends"}
_EXTENDS_KEYS = {"format", "exclude"}


class FormatError(ValueError):
    """A format pack that cannot be loaded (Chinese message naming the file)."""


@dataclass
class TableSpec:
    """How a format lays out one table in its template workbook."""

    kind: str
    title: str
    header: list[list[str]]
    widths: list[int]
    lines: list[list[str]] = field(default_factory=list)
    total_row: bool = False
    total_label_col: int = 3
    data_rows: int = 0
    year_headers: bool = False
    unit: str | None = None  # a table printed in another unit by design (上海 预算: the 三公 table in 万元)


@dataclass(frozen=True)
class Relation:
    """One declared relation instance: a stable rule code, a generic kind and its arguments."""

    code: str
    kind: str
    args: dict[str, Any]
    origin: str  # "通用" or the format id that declares it
    id: str | None = None  # a name for this one instance (``id = "BJ307:基本支出"``), for ``[extends] exclude``

    def arg(self, name: str, default: Any = None) -> Any:
        return self.args.get(name, default)


@dataclass
class Format:
    """A publishing format (a format pack under schemas/formats/): its tables, titles and relations."""

    id: str
    name: str
    disclosure_kind: str
    unit: str
    template: str
    detect: list[str]
    tables: list[TableSpec]
    # the source prints every amount, zeros as 0.00: a blank amount beside a code is a conversion loss
    amounts_always_printed: bool = False
    # seed headers are garbled or shifted: the importer takes the template's columns in order
    import_by_position: bool = False
    # chosen only when one of its detect titles is printed (吉林 shares every table kind with 山东)
    detect_required: bool = False
    # the seed-text importer's layout hooks (validators/importing/<importer>.py); None: the generic one
    importer: str | None = None
    params: dict[str, Any] = field(default_factory=dict)  # [params]: parameters rules read (czcheck explain lists them)
    relations: tuple[Relation, ...] = ()
    folder: Path | None = None

    def param(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)

    def spec(self, kind: str) -> TableSpec | None:
        return next((t for t in self.tables if t.kind == kind), None)

    @property
    def kinds(self) -> list[str]:
        return [t.kind for t in self.tables]

    def relations_for(self, code: str) -> list[Relation]:
        return [r for r in self.relations if r.code == code]


Profile = Format  # the name used before format packs


_read_now: dict[Path, dict[str, Any]] | None = None  # while formats() loads the packs: each file read once


def _read_toml(path: Path) -> dict[str, Any]:
    from ..tomlcache import load  # parsed once, kept beside the file like a .pyc (tomllib only when not)

    if _read_now is not None and path in _read_now:
        return _read_now[path]  # a pack's relations.toml read again for each pack that extends it
    try:
        data = load(path)
    except ValueError as exc:  # tomllib.TOMLDecodeError, or bad UTF-8 (UnicodeDecodeError)
        raise FormatError(f"格式文件 {path} 不是有效的 TOML：{exc}") from exc
    if _read_now is not None:
        _read_now[path] = data
    return data


def _unknown(keys, allowed: set[str], where: Path) -> None:
    extra = sorted(set(keys) - allowed)
    if extra:
        raise FormatError(f"格式文件 {where} 含有未知的键：{'、'.join(extra)}")


def _relations(data: dict[str, Any], origin: str, where: Path) -> list[Relation]:
    out = []
    for i, r in enumerate(data.get("relation", [])):
        if "code" not in r or "kind" not in r:
            raise FormatError(f"{where} 第 {i + 1} 个 [[relation]] 缺少 code 或 kind")
        if "id" in r and not (isinstance(r["id"], str) and r["id"].strip()):
            raise FormatError(f"{where} 第 {i + 1} 个 [[relation]] 的 id 应为非空文字")
        args = {k: v for k, v in r.items() if k not in ("code", "kind", "id")}
        out.append(Relation(r["code"].upper(), r["kind"], args, origin, r.get("id")))
    return out


def _extends(rel: dict[str, Any], where: Path) -> tuple[str | None, list[str]]:
    """``extends = "<id>"`` or ``[extends] format = "<id>", exclude = [...]``: (format id, exclude entries)."""
    ext = rel.get("extends")
    if ext is None or isinstance(ext, str):
        return ext, []
    if not isinstance(ext, dict):
        raise FormatError(f"{where} 的 extends 应为格式 id，或 [extends] 表（format、exclude）")
    _unknown(ext, _EXTENDS_KEYS, where)
    exclude = ext.get("exclude", [])
    if not isinstance(ext.get("format"), str):
        raise FormatError(f"{where} 的 [extends] 缺少 format（所继承格式的 id）")
    if not isinstance(exclude, list) or not all(isinstance(e, str) for e in exclude):
        raise FormatError(f"{where} 的 [extends] exclude 应为文字列表（规则编号或勾稽关系 id）")
    return ext["format"], exclude


def _drop_inherited(inherited: list[Relation], exclude: list[str], base: str, where: Path) -> list[Relation]:
    """Leave out the inherited instances an ``[extends] exclude`` names: an entry is an instance ``id`` (that
    one instance) or a rule code (every inherited instance of it).  An entry that names nothing is refused."""
    ids = {r.id for r in inherited if r.id}
    codes = {r.code for r in inherited}
    unknown = [e for e in exclude if e not in ids and e.upper() not in codes]
    if unknown:
        raise FormatError(f"{where} 的 [extends] exclude 中的 {'、'.join(unknown)} 不是格式 {base} 的勾稽关系"
                          "（应为规则编号，或 [[relation]] 的 id）")
    drop = set(exclude)
    return [r for r in inherited if r.id not in drop and r.code not in {e.upper() for e in drop}]


@lru_cache(maxsize=None)
def common_relations() -> tuple[Relation, ...]:
    return tuple(_relations(_read_toml(COMMON_RELATIONS), "通用", COMMON_RELATIONS))


def _own_relations(folder: Path, origin: str, chain: list[str]) -> tuple[list[Relation], set[str]]:
    """A pack's relations.toml: its ``[[relation]]``s after those of the format it ``extends`` (by id: the
    上海 and 吉林 packs extend the 山东 one, each adding or excluding its own), and the common codes it
    ``exclude``s.  Every instance counts as declared by ``origin``, the format being loaded."""
    rel_path = folder / "relations.toml"
    if not rel_path.exists():
        return [], set()
    rel = _read_toml(rel_path)
    _unknown(rel, _RELATIONS_KEYS, rel_path)
    inherited: list[Relation] = []
    excluded = {c.upper() for c in rel.get("exclude", [])}
    base, drop = _extends(rel, rel_path)
    if base is not None:
        if base in chain:
            raise FormatError(f"{rel_path} 的 extends 形成循环：{' → '.join(chain + [base])}")
        base_folder = next((f for f in _format_folders() if _read_toml(f / "format.toml").get("id") == base), None)
        if base_folder is None:
            raise FormatError(f"{rel_path} 的 extends 指向的格式 {base} 不存在")
        inherited, base_excluded = _own_relations(base_folder, origin, chain + [base])
        inherited = _drop_inherited(inherited, drop, base, rel_path)
        excluded |= base_excluded
    own = inherited + _relations(rel, origin, rel_path)
    seen: set[str] = set()
    for r in own:
        if r.id is not None:
            if r.id in seen:
                raise FormatError(f"{rel_path}：勾稽关系 id {r.id} 重复")
            seen.add(r.id)
    return own, excluded


def load_format(folder: Path) -> Format:
    """Read one format folder.  Raises FormatError (Chinese) for a malformed pack."""
    path = folder / "format.toml"
    data = _read_toml(path)
    _unknown(data, _FORMAT_KEYS, path)
    for key in ("id", "name", "disclosure_kind", "unit", "table"):
        if key not in data:
            raise FormatError(f"格式文件 {path} 缺少必填项 {key}")
    specs = []
    for t in data["table"]:
        _unknown(t, _TABLE_KEYS, path)
        specs.append(TableSpec(**t))
    own, excluded = _own_relations(folder, data["id"], [])
    relations = tuple(r for r in common_relations() if r.code not in excluded) + tuple(own)
    return Format(
        id=data["id"], name=data["name"], disclosure_kind=data["disclosure_kind"], unit=data["unit"],
        template=data.get("template", ""), detect=data.get("detect", []), tables=specs,
        amounts_always_printed=data.get("amounts_always_printed", False),
        import_by_position=data.get("import_by_position", False),
        detect_required=data.get("detect_required", False), importer=data.get("importer"),
        params=data.get("params", {}), relations=relations, folder=folder,
    )


_extra_dirs: list[Path] = []


def add_format_dirs(dirs: list[str | Path]) -> None:
    """Make format folders outside the package known (czcheck.toml ``formats = [...]``)."""
    changed = False
    for d in dirs:
        p = Path(d)
        if p not in _extra_dirs:
            _extra_dirs.append(p)
            changed = True
    if changed:
        clear_caches()


def clear_caches() -> None:
    """Forget loaded formats (and the title index built from them): after the format folders change."""
    from . import _alias_index

    formats.cache_clear()
    _alias_index.cache_clear()


def _format_folders() -> list[Path]:
    roots = [BUILTIN] + [Path(p) for p in os.environ.get("CZCHECK_FORMATS", "").split(os.pathsep) if p] + _extra_dirs
    folders = []
    for root in roots:
        if (root / "format.toml").exists():
            folders.append(root)
        elif root.is_dir():
            folders.extend(sorted(p.parent for p in root.glob("*/format.toml")))
    return folders


@lru_cache(maxsize=None)
def formats() -> dict[str, Format]:
    global _read_now
    result: dict[str, Format] = {}
    _read_now = {}
    try:
        for folder in _format_folders():
            fmt = load_format(folder)
            result[fmt.id] = fmt  # a later folder may replace a built-in format of the same id
    finally:
        _read_now = None
    return result


profiles = formats


def detect_format(kinds_found: set[str], titles: set[str] | None = None) -> Format | None:
    """The format whose tables best cover the table kinds found in a workbook.

    Formats that share table kinds (山东 and 吉林 both have 收支总表) are told apart by their
    ``detect`` titles: each one found among the printed titles outweighs any number of kinds.
    """
    from . import norm

    found_titles = {norm(t) for t in titles or ()}
    best, best_score = None, 0
    for fmt in formats().values():
        score = sum(1 for t in fmt.tables if t.kind in kinds_found)
        hits = sum(1 for d in fmt.detect if any(norm(d) in t for t in found_titles)) if score else 0
        if fmt.detect_required and not hits:
            continue
        score += 100 * hits
        if score > best_score:
            best, best_score = fmt, score
    return best


detect_profile = detect_format
