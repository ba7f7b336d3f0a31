"""Profile parameters (the [params] table of a profile TOML), as a rule reads them."""

from __future__ import annotations

from typing import Any

from .. import schemas
from ..model import Disclosure


def param(d: Disclosure, name: str, default: Any = None) -> Any:
    profile = schemas.profiles().get(d.profile or "")
    return profile.param(name, default) if profile else default
