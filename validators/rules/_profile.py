"""Profile parameters (the [params] table of a profile TOML), read by rules that need them."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from typing import Any

from .. import schemas
from ..model import Disclosure


@lru_cache(maxsize=None)
def _params_by_profile() -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(schemas.HERE.glob("*.toml")):
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        if "id" in data:
            out[data["id"]] = data.get("params", {})
    return out


def param(d: Disclosure, name: str, default: Any = None) -> Any:
    return _params_by_profile().get(d.profile or "", {}).get(name, default)
