"""Shared fixtures: repository paths, the shipped samples, the seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "workbooks" / "samples"
TEMPLATES = ROOT / "workbooks" / "templates"
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def sample_paths() -> list[Path]:
    paths = sorted(SAMPLES.glob("*.xlsx"))
    assert paths, "no sample workbooks under workbooks/samples"
    return paths


@pytest.fixture(scope="session")
def yantai() -> Path:
    return SAMPLES / "yantai-2024-budget.xlsx"


@pytest.fixture(scope="session")
def zibo() -> Path:
    return SAMPLES / "zibo-2024-budget.xlsx"


@pytest.fixture(scope="session")
def template_path() -> Path:
    return TEMPLATES / "shandong-budget-template.xlsx"


def seed(prefix: str) -> Path:
    found = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not found:
        pytest.skip(f"seed {prefix} not available at {SEEDS}")
    return found[0]
