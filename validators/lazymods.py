"""Standard-library modules the czcheck command binds at import but rarely uses, loaded on first use.

``dataclasses`` imports ``inspect`` (which imports ast, dis, tokenize …) for one call, made only for a
dataclass without a docstring; ``schemas/formats.py`` imports ``tomllib`` to name its error class in an
``except`` clause, while the package's TOML is read from the kept copies (tomlcache.py); ``zipfile``
imports ``shutil``, ``bz2`` and ``lzma`` for extracting and for compression methods a workbook does not
use.  Together about 9 ms of a one-file run (``-X importtime``).  ``install()`` (cli.main only, never a
library import) puts an empty module object for each into ``sys.modules``, with the module's own spec,
so that ``import inspect`` binds it; the first attribute asked of it runs the module's code into that
same object (a PEP 562 module ``__getattr__``, removed once the code has run; other threads asking
meanwhile wait), so every later use sees the real module.
``importlib.util.LazyLoader`` cannot serve: on 3.11 an ``import`` statement of a lazy module reads
``__spec__``, which loads it.
"""

from __future__ import annotations

import sys
from typing import Any

MODULES = ("inspect", "tomllib", "shutil", "bz2", "lzma")
_NEEDS = {"bz2": "_bz2", "lzma": "_lzma"}  # deferred only when their C part exists (zipfile tests "if bz2")

_deferred: dict[str, Any] = {}  # name -> the __getattr__ that loads it


def install(names: tuple[str, ...] = MODULES) -> list[str]:
    """Defer each module not imported yet; the names deferred."""
    import importlib.util

    done = []
    for name in names:
        if name in sys.modules or (name in _NEEDS and importlib.util.find_spec(_NEEDS[name]) is None):
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            continue
        module = importlib.util.module_from_spec(spec)
        module.__dict__["__getattr__"] = _deferred[name] = _loader(module, spec)
        sys.modules[name] = module
        done.append(name)
    return done


def _loader(module: Any, spec: Any):
    import _thread

    lock = _thread.RLock()  # one thread runs the module's code; another asking meanwhile waits for it
    running = []

    def __getattr__(attr: str) -> Any:
        with lock:
            if running:  # asked by the module's own code while it runs: not defined yet, as in an import
                raise AttributeError(f"partially initialized module {spec.name!r} has no attribute {attr!r}")
            if module.__dict__.get("__getattr__") is __getattr__:
                running.append(True)
                try:
                    spec.loader.exec_module(module)
                except BaseException:
                    sys.modules.pop(spec.name, None)  # as after a failed import: the next import tries again
                    raise
                finally:
                    running.clear()
                    if module.__dict__.get("__getattr__") is __getattr__:
                        del module.__dict__["__getattr__"]  # from here on the module answers for itself
        return getattr(module, attr)

    return __getattr__


def deferred(name: str) -> bool:
    """True while ``name`` is deferred and nothing has used it yet."""
    module = sys.modules.get(name)
    return module is not None and name in _deferred and module.__dict__.get("__getattr__") is _deferred[name]
