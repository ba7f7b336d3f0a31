"""Bounded fuzzing in CI: the reader (random grids), the amount parser and title matching never
crash.  The budget is a few seconds; benchmarks/fuzz_long.py runs the same properties for longer.
Set CZCHECK_FUZZ_EXAMPLES to change the number of examples per property."""

from __future__ import annotations

import os
from decimal import Decimal

from hypothesis import HealthCheck, given, settings

from hostile.strategies import amount_inputs, grids, title_inputs
from validators import schemas
from validators.amounts import try_amount
from validators.reading import disclosure_from_grids
from validators.rules import run_rules

EXAMPLES = int(os.environ.get("CZCHECK_FUZZ_EXAMPLES", "60"))
BOUNDED = settings(
    max_examples=EXAMPLES, deadline=None, derandomize="CZCHECK_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check_amount(raw) -> None:
    amount, problem = try_amount(raw)
    assert (amount is None) or (problem is None)
    if amount is not None:
        assert isinstance(amount, Decimal) and amount.is_finite()
    if problem is not None:
        assert isinstance(problem, str) and problem and len(problem) < 200


def check_title(text) -> None:
    kind = schemas.match_title(text)
    assert kind is None or kind in schemas.table_kinds()


def check_reader(gs) -> None:
    disclosure = disclosure_from_grids(gs, source="fuzz")
    for table in disclosure.all_tables():
        for row in table.rows:
            for value in row.values.values():
                assert value.amount is None or value.amount.is_finite()
    for finding in run_rules(disclosure):
        assert finding.message
        assert "无法在本工作簿上完成" not in finding.message, finding.message


@BOUNDED
@given(amount_inputs)
def test_amount_parser_never_raises(raw):
    check_amount(raw)


@BOUNDED
@given(title_inputs)
def test_title_matching_never_raises(text):
    check_title(text)


@BOUNDED
@given(grids)
def test_reader_and_rules_never_crash_on_random_grids(gs):
    check_reader(gs)
