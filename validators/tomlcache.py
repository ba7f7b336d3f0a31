"""TOML files of the package (format packs, tables, codes), parsed once and kept like compiled modules.

tomllib is pure Python: the package's ~200 KB of TOML cost a single-file run about as much as
checking the file.  ``load(path)`` keeps what a successful parse returned in ``__pycache__`` beside the
file (or under PYTHONPYCACHEPREFIX), as marshal data with the file's size and modification time, and
uses it while those match: the policy Python applies to .pyc files (nothing is written when
PYTHONDONTWRITEBYTECODE is set or the folder is read-only).  Only plain values are kept (tables,
arrays, strings, numbers, booleans); a file holding dates is parsed every time.  Parse errors raise
tomllib.TOMLDecodeError as tomllib.load does, and are never kept.
"""

from __future__ import annotations

import marshal
import os
import sys
from pathlib import Path
from typing import Any

_TAG = f"{sys.implementation.cache_tag}-m{marshal.version}"
_MAGIC = b"czcheck-toml-1\n"


def _cache_path(path: Path) -> Path:
    import importlib.util

    # the name a module "<file>.toml.py" would have its .pyc at, with our own suffix
    pyc = importlib.util.cache_from_source(str(path) + ".py")
    return Path(pyc[: -len(".pyc")].rsplit(".", 1)[0] + f".{_TAG}.marshal")


def load(path: str | Path) -> dict[str, Any]:
    """The parsed TOML of ``path`` (a fresh object on every call)."""
    path = Path(path)
    stamp = _stamp(os.stat(path))  # a missing file raises here, as open() would
    cache: Path | None = None
    try:
        cache = _cache_path(path)
        with open(cache, "rb") as fh:
            kept = fh.read()
    except (OSError, ValueError, NotImplementedError):  # not kept yet (or no cache tag): parse
        kept = b""
    if kept.startswith(_MAGIC):
        try:
            size, mtime, data = marshal.loads(memoryview(kept)[len(_MAGIC):])
            if (size, mtime) == stamp and isinstance(data, dict):
                return data
        except (ValueError, EOFError, TypeError):
            pass  # damaged: parse again and rewrite
    import tomllib

    with open(path, "rb") as fh:
        stamp = _stamp(os.fstat(fh.fileno()))  # what is read is what the stamp describes
        raw = fh.read()
    data = tomllib.loads(raw.decode("utf-8"))  # as tomllib.load: bad UTF-8 raises UnicodeDecodeError
    if cache is not None and not sys.dont_write_bytecode:
        _keep(cache, stamp, data)
    return data


def _stamp(st: os.stat_result) -> tuple[int, int]:
    return st.st_size, st.st_mtime_ns


def _keep(cache: Path, stamp: tuple[int, int], data: dict[str, Any]) -> None:
    try:
        blob = _MAGIC + marshal.dumps((*stamp, data))
    except ValueError:
        return  # dates or times: not marshal data
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        tmp.write_bytes(blob)
        os.replace(tmp, cache)  # readers see the old file or the whole new one
    except OSError:
        pass  # a read-only install: parse every time
