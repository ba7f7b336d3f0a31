"""The rule catalogue.  One rule = one stable code, a Chinese name, a family, a default severity,
the tables it requires, and a docstring with four parts: 检查内容, 依据, 错误示例, 正确示例.

A rule is a function ``(ctx) -> Iterable[Finding]`` registered with ``@rule``.  Rules never
touch openpyxl or xlwings; they read the Disclosure only.
"""

from __future__ import annotations

import inspect
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterable

from ..model import Disclosure, Finding, Severity, Table
from ..reading.tables import odd_rows  # the rows that may hold such Values, without building the others


DOC_PARTS = ("检查内容", "依据", "错误示例", "正确示例")


@dataclass
class Rule:
    """A rule of the catalogue: code, name, family, default severity and what it needs."""

    code: str
    name: str
    family: str
    severity: Severity
    requires: tuple[str, ...]
    func: Callable[["Context"], Iterable[Finding]]
    aliases: tuple[str, ...] = ()  # earlier codes folded into this one (czcheck explain still finds them)
    docstring: str | None = None  # declared rules carry their documentation as data (schemas/codes.toml)
    module: str = ""
    params: dict[str, tuple[Any, str]] = field(default_factory=dict)  # name -> (default, Chinese description)

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.docstring if self.docstring is not None else self.func.__doc__ or "")

    @property
    def declared(self) -> bool:
        """Checked by the generic relation kinds from the format packs' relations.toml."""
        return self.docstring is not None

    def doc_part(self, part: str) -> str:
        lines = self.doc.splitlines()
        out, inside = [], False
        for line in lines:
            head = line.rstrip("：:").strip()
            if head in DOC_PARTS:
                inside = head == part
                continue
            if inside:
                out.append(line)
        return "\n".join(out).strip()


RULES: dict[str, Rule] = {}
REDIRECTS: dict[str, str] = {}  # old code -> the code that checks it now


def rule(code: str, name: str, family: str, requires: tuple[str, ...] = (), severity: Severity = Severity.ERROR,
         aliases: tuple[str, ...] = (), params: dict[str, tuple[Any, str]] | None = None):
    """Register a rule.  ``params``: name -> (default, Chinese description); a format's [params] or the
    reviewer's czcheck.toml may set them, ``ctx.param(name)`` reads them."""

    def register(func):
        add_rule(Rule(code, name, family, severity, tuple(requires), func, tuple(aliases), module=func.__module__,
                      params=dict(params or {})))
        return func

    return register


def add_rule(r: Rule) -> None:
    if r.code in RULES or r.code in REDIRECTS:
        raise ValueError(f"duplicate rule code {r.code}")
    RULES[r.code] = r
    for alias in r.aliases:
        if alias in RULES or alias in REDIRECTS:
            raise ValueError(f"alias {alias} of {r.code} is already a code")
        REDIRECTS[alias] = r.code


class Context:
    """What a rule sees: the disclosure and helpers that build findings consistently."""

    def __init__(self, disclosure: Disclosure, rule: Rule, recorder: Callable | None = None,
                 blocked: dict[str, list[str]] | None = None, config: Any = None, memo: dict | None = None):
        self.disclosure = disclosure
        self.rule = rule
        self._recorder = recorder
        self.blocked = blocked if blocked is not None else {}
        self.config = config
        # what rules derive from the disclosure for one run of the catalogue (relations: amounts by column),
        # shared by the rules of that run and dropped with it: the disclosure is not changed during a run,
        # but may be between runs (tests edit amounts)
        self.memo = memo if memo is not None else {}
        self.severity = config.severity(rule) if config else rule.severity  # after configuration

    def param(self, name: str) -> Any:
        """A declared parameter: the reviewer's czcheck.toml, else the format's [params], else the default."""
        default = self.rule.params[name][0]  # KeyError: the rule did not declare it (a czcheck bug)
        fmt = self.disclosure.format
        if self.config is not None:
            found, value = self.config.param(fmt.id if fmt else None, name)
            if found:
                return value
        return fmt.param(name, default) if fmt is not None else default

    def table(self, kind: str) -> Table | None:
        return self.disclosure.table(kind)

    def record(self, check) -> None:
        if self._recorder is not None:
            self._recorder(check)

    def finding(self, severity: Severity | None = None, **kw) -> Finding:
        return Finding(code=self.rule.code, severity=severity or self.severity, rule_name=self.rule.name, **kw)


_ZERO = Decimal(0)


def odd_values(ctx: Context, t: Table) -> list:
    """The Values of ``t`` that are unreadable (``problem``) or negative, row by row in each row's column
    order: one pass over the table's cells per run of the catalogue (``ctx.memo``), shared by RD001
    (unreadable) and WZ801 (negative).  Read only."""
    memo = getattr(ctx, "memo", None)
    if memo is None:  # a context made by hand: nothing is kept
        memo = {}
    key = ("odd_values", id(t))
    kept = memo.get(key)
    if kept is None or kept[0] is not t.rows:
        kept = memo[key] = (t.rows, [v for r in odd_rows(t.rows) for v in r.values.values() if v.problem or v.number < _ZERO])
    return kept[1]


_loaded = False
_loading = threading.Lock()  # a Dask worker's threads may ask for the catalogue at the same moment


def _load_all() -> None:
    """Import every module of this package (each registers its rules); a module that registers none fails."""
    global _loaded
    if _loaded:
        return
    with _loading:
        if _loaded:
            return
        import importlib

        names = [n for n in _module_names() if not n.startswith("_")]  # _x: helpers
        for name in names:
            importlib.import_module(f"{__name__}.{name}")
        registered = {r.module for r in RULES.values()}
        silent = [n for n in names if f"{__name__}.{n}" not in registered]
        if silent:
            raise RuntimeError(f"rule modules that register no rule: {', '.join(silent)}")
        _loaded = True


def _module_names() -> list[str]:
    """The modules of this package, sorted, as pkgutil.iter_modules lists them.  A plain folder of .py
    files (every install) is listed directly: pkgutil asks inspect for each name, and inspect costs a
    one-file run more than listing (tests/test_startup.py holds both lists equal)."""
    import os

    try:
        files = os.listdir(__path__[0]) if len(__path__) == 1 else []
    except OSError:
        files = []
    if "__init__.py" in files and all(f.endswith(".py") or f == "__pycache__" for f in files):
        return sorted({f.rsplit(".", 1)[0] for f in files if f.endswith(".py") and f != "__init__.py" and f.count(".") == 1})
    import pkgutil

    return sorted(m.name for m in pkgutil.iter_modules(__path__))


def all_rules() -> list[Rule]:
    _load_all()
    from .relations import register_format_codes

    register_format_codes()  # format packs added later (czcheck.toml formats = [...]) may bring codes
    return [RULES[c] for c in sorted(RULES)]


def get_rule(code: str) -> Rule | None:
    all_rules()
    code = code.upper()
    return RULES.get(REDIRECTS.get(code, code))


def run_rules(disclosure: Disclosure, select: Iterable[str] | None = None, config=None, recorder: Callable | None = None) -> list[Finding]:
    """Run the catalogue and return findings sorted by place.

    ``config`` (validators.config.Config) selects, ignores and re-grades rules; ``select`` is a shortcut
    for a list of codes or families.  ``recorder`` receives every evaluated relation (a ``Check``).
    """
    from .reading import missing_tables_findings

    if config is None:
        config = _Everything(set(select) if select is not None else None)
    findings: list[Finding] = []
    blocked: dict[str, list[str]] = {}
    memo: dict = {}
    for r in all_rules():
        if not config.enabled(r):
            continue
        missing = [k for k in r.requires if disclosure.table(k) is None]
        if missing:
            for k in missing:
                blocked.setdefault(k, []).append(r.code)
            continue
        ctx = Context(disclosure, r, recorder, blocked, config, memo)
        try:
            findings.extend(r.func(ctx))
        except (ArithmeticError, KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            findings.append(
                ctx.finding(
                    Severity.UNVERIFIABLE,
                    message=f"规则 {r.code} 无法在本工作簿上完成（{type(exc).__name__}），请检查表格结构",
                )
            )
    if config.enabled(RULES["RD002"]):
        findings.extend(missing_tables_findings(disclosure, blocked))
    return sort_findings(findings)


class _Everything:
    """The configuration when none is given: every rule (or the ``select`` codes) at its own severity."""

    def __init__(self, select: set[str] | None):
        self.select = select

    def enabled(self, r: Rule) -> bool:
        return self.select is None or r.code in self.select or bool(self.select & set(r.aliases))

    def severity(self, r: Rule) -> Severity:
        return r.severity

    def param(self, format_id: str | None, name: str) -> tuple[bool, Any]:
        return False, None


def sort_findings(findings: list[Finding]) -> list[Finding]:
    def key(f: Finding):
        c = f.cells[0] if f.cells else None
        return (f.severity.rank, c.sheet if c else "", c.row if c else 0, c.col if c else 0, f.code)

    return sorted(findings, key=key)
