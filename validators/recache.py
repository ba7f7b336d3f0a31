"""Compiled regular expressions kept between runs of the czcheck command (like .pyc files).

A single ``czcheck validate`` compiles about 300 regular expressions; Python compiles each in pure
Python (parse, then code generation) and keeps the result only for the process, which costs a
one-file run about as much as reading the file.  ``install()`` (called by cli.main only, never by a
library import) wraps ``re._compiler.compile`` so that the compiled form of a pattern string (the
final flags, the code list, the group names) is kept in ``__pycache__`` as marshal data, keyed by
the pattern, its flags, the Python cache tag and the regex engine's version (``_sre.MAGIC``), and
handed straight to ``_sre.compile`` next time.  What it builds is what ``re`` builds: the wrapper
reproduces the three lines of ``re._compiler.compile`` after parsing (tests/test_startup.py compares
the two on every pattern the engine compiles).  It is a no-op on a Python it was not checked on,
under PYTHONDONTWRITEBYTECODE, and for patterns given already parsed or with re.DEBUG.

The same file keeps the compiled code of the methods ``dataclasses`` generates (``__init__``,
``__repr__``, ``__eq__``, …: about 160 small functions compiled from source text at every start).
``dataclasses._create_fn`` is wrapped to build the same text, look its code object up by that text,
and exec it as the original does (tests/test_startup.py compares the functions both build).
"""

from __future__ import annotations

import marshal
import os
import sys
from pathlib import Path
from typing import Any

CHECKED_ON = ((3, 11),)  # the versions whose re._compiler.compile this mirrors (tested)
MAX_KEPT = 2000  # patterns built from data (escaped names) must not grow the file without end
_MAGIC = b"czcheck-re-2\n"

_kept: dict[tuple[Any, int], tuple] = {}  # (pattern, flags) -> compiled form
_kept_code: dict[str, Any] = {}  # generated dataclass source text -> its code object
_added = False
_path: Path | None = None


def _cache_file() -> Path:
    import importlib.util

    import _sre

    pyc = importlib.util.cache_from_source(str(Path(__file__).with_name("recache_data.py")))
    return Path(pyc).with_name(f"recache_data.{sys.implementation.cache_tag}-{_sre.MAGIC}.marshal")


def install() -> bool:
    """Wrap re's compiler with the kept compiled forms; True when installed."""
    global _path
    if _path is not None:
        return True
    if sys.version_info[:2] not in CHECKED_ON or sys.dont_write_bytecode:
        return False
    import re._compiler as compiler

    if getattr(compiler.compile, "__wrapped_by_czcheck__", False):
        return True
    try:
        _path = _cache_file()
        data = _path.read_bytes()
        if data.startswith(_MAGIC):
            patterns, code = marshal.loads(data[len(_MAGIC):])
            if isinstance(patterns, dict) and isinstance(code, dict):
                _kept.update(patterns)
                _kept_code.update(code)
    except (OSError, ValueError, EOFError, TypeError, NotImplementedError):
        pass  # nothing kept yet, or damaged: compile as usual and write it anew
    if _path is None:
        return False
    original = compiler.compile
    parser, sre = compiler._parser, compiler._sre

    def compile(p: Any, flags: int = 0) -> Any:
        global _added
        if not isinstance(p, (str, bytes)) or flags & compiler.SRE_FLAG_DEBUG:
            return original(p, flags)
        key = (p, int(flags))
        found = _kept.get(key)
        if found is None:
            parsed = parser.parse(p, flags)
            code = compiler._code(parsed, flags)
            groupindex = parsed.state.groupdict
            indexgroup = [None] * parsed.state.groups
            for name, i in groupindex.items():
                indexgroup[i] = name
            # the opcodes are int subclasses (named constants): kept as the plain ints _sre reads
            found = (int(flags | parsed.state.flags), [int(op) for op in code], parsed.state.groups - 1,
                     dict(groupindex), tuple(indexgroup))
            if len(_kept) < MAX_KEPT:
                _kept[key] = found
                _added = True
        final_flags, code, groups, groupindex, indexgroup = found
        return sre.compile(p, final_flags, list(code), groups, dict(groupindex), indexgroup)

    compile.__wrapped_by_czcheck__ = True  # type: ignore[attr-defined]
    compiler.compile = compile
    _install_dataclasses()
    import atexit

    atexit.register(save)
    return True


def _install_dataclasses() -> None:
    """Wrap ``dataclasses._create_fn`` (3.11) so that each generated method is compiled once."""
    import dataclasses

    original = getattr(dataclasses, "_create_fn", None)
    if original is None or getattr(original, "__wrapped_by_czcheck__", False):
        return
    missing = dataclasses.MISSING

    def _create_fn(name, args, body, *, globals=None, locals=None, return_type=missing):  # noqa: A002
        global _added
        # the text exactly as dataclasses._create_fn builds it (3.11)
        if locals is None:
            locals = {}
        return_annotation = ""
        if return_type is not missing:
            locals["_return_type"] = return_type
            return_annotation = "->_return_type"
        args = ",".join(args)
        body = "\n".join(f"  {b}" for b in body)
        txt = f" def {name}({args}){return_annotation}:\n{body}"
        local_vars = ", ".join(locals.keys())
        txt = f"def __create_fn__({local_vars}):\n{txt}\n return {name}"
        code = _kept_code.get(txt)
        if code is None:
            # as exec(txt) from dataclasses, a module without __future__ imports (unlike this one)
            code = compile(txt, "<string>", "exec", dont_inherit=True)
            if len(_kept_code) < MAX_KEPT:
                _kept_code[txt] = code
                _added = True
        ns: dict[str, Any] = {}
        exec(code, globals, ns)
        return ns["__create_fn__"](**locals)

    _create_fn.__wrapped_by_czcheck__ = True  # type: ignore[attr-defined]
    dataclasses._create_fn = _create_fn


def save() -> None:
    """Write the kept forms when this run compiled new ones (atomic; never fails the run)."""
    global _added
    if not _added or _path is None:
        return
    try:
        blob = _MAGIC + marshal.dumps((_kept, _kept_code))
        _path.parent.mkdir(parents=True, exist_ok=True)
        tmp = _path.with_name(f"{_path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(blob)
        os.replace(tmp, _path)
        _added = False
    except (OSError, ValueError):
        pass
