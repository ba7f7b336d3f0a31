"""Profile parameters (the [params] table of a profile TOML), as a rule reads them."""

from __future__ import annotations

from typing import Any

from ..model import Disclosure


def param(d: Disclosure, name: str, default: Any = None) -> Any:
    return d.format.param(name, default) if d.format is not None else default
