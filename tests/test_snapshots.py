"""Golden findings: the flattened findings of every shipped sample, reviewed when they change.

A change to the engine that changes any finding (code, severity, cells or message) of a sample fails here;
rerun with CZCHECK_UPDATE_SNAPSHOTS=1 to accept it, and review the diff of tests/snapshots/ in the commit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from validators.engine import validate_file

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "workbooks" / "samples").glob("*.xlsx"))
SNAPSHOTS = ROOT / "tests" / "snapshots"


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_sample_findings_match_their_snapshot(sample: Path):
    report = validate_file(sample)
    assert report.error is None, report.error
    got = report.flatten()
    path = SNAPSHOTS / f"{sample.stem}.json"
    if os.environ.get("CZCHECK_UPDATE_SNAPSHOTS") == "1":
        path.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert path.exists(), f"no snapshot for {sample.name}: run with CZCHECK_UPDATE_SNAPSHOTS=1 and review it"
    want = json.loads(path.read_text(encoding="utf-8"))
    assert got == want
