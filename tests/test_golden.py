"""The model core gives the recorded numbers, bit for bit (tests/golden/record.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.golden.record import FIXTURE, golden_metrics

pytestmark = pytest.mark.slow


def test_every_shipped_scenario_reproduces_its_golden_metrics_exactly():
    recorded = pd.read_parquet(FIXTURE)
    now = golden_metrics()
    assert list(now.columns) == list(recorded.columns), "the indicators recorded changed"
    for (scenario, seed), expected in recorded.groupby(["scenario", "seed"], sort=False):
        got = now[(now["scenario"] == scenario) & (now["seed"] == seed)]
        pd.testing.assert_frame_equal(
            got.reset_index(drop=True),
            expected.reset_index(drop=True),
            check_exact=True,
            obj=f"{scenario} seed {seed}",
        )
