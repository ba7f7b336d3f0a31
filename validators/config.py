"""Reviewer configuration: czcheck.toml (or [tool.czcheck] in a pyproject.toml).

    select   = ["SZ", "表间", "WB601"]     # codes, code prefixes or families; default: all
    ignore   = ["WZ802"]                  # same forms; wins over select
    formats  = ["我的格式"]                # extra format-pack folders (relative to this file)

    [severity]                            # re-grade a code or a family: 错误 / 无法校验 / 提示 / 尾差
    WZ801 = "错误"

    [params.shandong-budget]              # per-format parameters, checked against what the rules declare
    sangong_equals_basic_items = false

Old codes (JS501 …) are accepted and mean the code that checks them now.  Every unknown key, code,
family, severity or parameter is an error with a Chinese message (``ConfigError``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .model import Severity

if TYPE_CHECKING:
    from .rules import Rule  # noqa: F401 - annotations only

CONFIG_NAMES = ("czcheck.toml", ".czcheck.toml")
_KEYS = {"select", "ignore", "severity", "params", "formats"}


class ConfigError(ValueError):
    """A configuration that cannot be used (Chinese message)."""


@dataclass
class Config:
    """A reviewer's configuration (czcheck.toml): codes selected and ignored, severities, parameters."""

    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    severities: dict[str, Severity] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # format id -> name -> value
    source: str | None = None

    @staticmethod
    def _matches(r: "Rule", patterns: list[str]) -> bool:
        for p in patterns:
            up = p.upper()
            if p == r.family or up == r.code or up in r.aliases or (len(up) < len(r.code) and r.code.startswith(up)):
                return True
        return False

    def enabled(self, r: "Rule") -> bool:
        if self.select is not None and not self._matches(r, self.select):
            return False
        return not self._matches(r, self.ignore)

    def severity(self, r: "Rule") -> Severity:
        for key in (r.code, *r.aliases, r.family):
            if key in self.severities:
                return self.severities[key]
        return r.severity

    def param(self, format_id: str | None, name: str) -> tuple[bool, Any]:
        """(True, value) when the reviewer set the parameter for this format, else (False, None)."""
        values = self.params.get(format_id or "", {})
        return (True, values[name]) if name in values else (False, None)


ENV = "CZCHECK_CONFIG"  # the configuration file of this run; worker processes inherit it
_active: Config | None = None


def active() -> Config:
    """The run's configuration: the file named by CZCHECK_CONFIG (set by the CLI), else the defaults."""
    global _active
    path = os.environ.get(ENV)
    if _active is None or _active.source != path:
        _active = load_config(path) if path else Config()
        _active.source = path
    return _active


def find_config(start: Path) -> Path | None:
    """czcheck.toml, or a pyproject.toml with [tool.czcheck], in ``start`` or a folder above it."""
    folder = start if start.is_dir() else start.parent
    for d in [folder, *folder.resolve().parents]:
        for name in CONFIG_NAMES:
            if (d / name).is_file():
                return d / name
        pyproject = d / "pyproject.toml"
        if pyproject.is_file() and _has_tool_section(pyproject):
            return pyproject
    return None


# Where a [tool.czcheck] table can begin in TOML: a [tool] or [tool.czcheck…] header (quotes, spaces,
# [[…]] allowed), or a root key tool.… / tool = {…}.  A file with none of these lines (and no \u escape
# that could spell a key) has no such table, and is not parsed: the project's own pyproject.toml
# (samples in a repository) would cost every run tomllib and a parse.
_TOOL_CZCHECK = re.compile(
    r"""^[ \t]*(?:\[\[?[ \t]*(?:"tool"|'tool'|tool)[ \t]*(?:\]|\.[ \t]*(?:"czcheck"|'czcheck'|czcheck)[ \t]*[\].])"""
    r"""|(?:"tool"|'tool'|tool)[ \t]*[.=])""",
    re.M,
)


def _has_tool_section(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if not _TOOL_CZCHECK.search(text) and "\\u" not in text and "\\U" not in text:
        return False
    import tomllib  # only for a pyproject.toml that may hold the table

    try:
        return "czcheck" in tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError:
        return False


def load_config(path: str | Path) -> Config:
    import tomllib

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"找不到配置文件：{path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"配置文件 {path} 不是有效的 TOML：{exc}") from None
    except OSError as exc:
        raise ConfigError(f"无法读取配置文件 {path}：{exc.strerror}") from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("czcheck", {})
    return parse_config(data, str(path), path.parent)


def parse_config(data: dict[str, Any], source: str = "配置", base: Path | None = None) -> Config:
    from . import schemas
    from .rules import all_rules

    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise ConfigError(f"{source}：未知的配置项 {'、'.join(unknown)}（可用：{'、'.join(sorted(_KEYS))}）")
    if "formats" in data:
        dirs = [(base / d) if base else Path(d) for d in _strings(data["formats"], "formats", source)]
        for d in dirs:
            if not d.is_dir():
                raise ConfigError(f"{source}：formats 中的文件夹不存在：{d}")
        from .schemas.formats import add_format_dirs

        add_format_dirs(dirs)
    rules = all_rules()
    families = {r.family for r in rules}

    def check_patterns(key: str) -> list[str]:
        values = _strings(data.get(key, []), key, source)
        for v in values:
            up = v.upper()
            if v in families or any(up == r.code or up in r.aliases or r.code.startswith(up) for r in rules):
                continue
            raise ConfigError(f"{source}：{key} 中的“{v}”既不是规则编号也不是规则类别（czcheck rules 列出全部规则）")
        return values

    select = check_patterns("select") if "select" in data else None
    ignore = check_patterns("ignore")
    severities: dict[str, Severity] = {}
    sev_table = data.get("severity", {})
    if not isinstance(sev_table, dict):
        raise ConfigError(f"{source}：severity 应为表，例如 [severity] WZ801 = \"错误\"")
    by_value = {s.value: s for s in Severity}
    for key, value in sev_table.items():
        if value not in by_value:
            raise ConfigError(f"{source}：severity.{key} 的级别“{value}”无效（可用：{'、'.join(by_value)}）")
        up = key.upper()
        if key in families:
            severities[key] = by_value[value]
        elif any(up == r.code or up in r.aliases for r in rules):
            severities[up] = by_value[value]
        else:
            raise ConfigError(f"{source}：severity 中的“{key}”既不是规则编号也不是规则类别")
    params: dict[str, dict[str, Any]] = {}
    declared = {name: (r.code, default) for r in rules for name, (default, _doc) in r.params.items()}
    known_formats = schemas.formats()
    for fmt_id, values in (data.get("params") or {}).items():
        if fmt_id not in known_formats:
            raise ConfigError(f"{source}：params.{fmt_id} 不是已知的格式（czcheck formats 列出全部格式）")
        if not isinstance(values, dict):
            raise ConfigError(f"{source}：params.{fmt_id} 应为表")
        for name, value in values.items():
            if name not in declared:
                raise ConfigError(f"{source}：params.{fmt_id}.{name} 不是任何规则声明的参数"
                                  f"（可用：{'、'.join(sorted(declared)) or '无'}）")
            default = declared[name][1]
            if type(value) is not type(default):
                raise ConfigError(f"{source}：params.{fmt_id}.{name} 的类型应与默认值 {default!r} 相同")
        params[fmt_id] = dict(values)
    return Config(select, ignore, severities, params, source)


def _strings(value: Any, key: str, source: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}：{key} 应为文字列表，例如 {key} = [\"WZ802\"]")
    return value
