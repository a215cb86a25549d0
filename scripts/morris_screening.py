"""Morris elementary effects of a stored Morris sweep on the baseline patterns.

Usage (after ``ocsim sweep experiments/screening_baseline_morris.yaml``)::

    python scripts/morris_screening.py [--db URL] [--experiment NAME] [--window 25 60]

For every pattern indicator: the mean over the window and over replications at each design point,
then SALib's Morris mu* (mean absolute elementary effect) and sigma, divided by the indicator's
standard deviation across points so indicators in different units compare. A parameter's score
is its largest scaled mu* over the indicators; the table is sorted by it.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from SALib.analyze import morris

from simulation.experiments.design import salib_problem
from simulation.experiments.schema import ExperimentSpec
from simulation.storage import ResultsStore
from simulation.storage.ledger import load_experiment_record

PATTERNS = (
    "illicit_price",
    "illicit_volume",
    "controlled_cells",
    "active_ocgs",
    "violence",
    "homicides",
    "ocg_members",
    "new_victims",
    "corrupt_officials",
)


def screening(db: str | None, experiment: str, window: tuple[int, int]) -> pd.DataFrame:
    with ResultsStore(db) as store:
        record = load_experiment_record(store, experiment)
        if record is None:
            raise SystemExit(f"no experiment {experiment!r} in {store.display_url}")
        spec = ExperimentSpec.model_validate(record["spec"])
        frame = store.load_metrics(experiment=experiment)
    problem = salib_problem(spec)
    names = problem["names"]
    frame = frame[frame["step"].between(*window)]
    per_run = frame.groupby(["point", "replication"])[[*names, *PATTERNS]].mean()
    per_point = per_run.groupby("point").mean().sort_index()
    x = per_point[names].to_numpy()
    scores = {}
    for indicator in PATTERNS:
        y = per_point[indicator].to_numpy()
        spread = y.std(ddof=1)
        result = morris.analyze(problem, x, y, num_levels=spec.design.levels, print_to_console=False, seed=1)
        scores[indicator] = np.asarray(result["mu_star"]) / spread if spread > 0 else np.zeros(len(names))
    table = pd.DataFrame(scores, index=names)
    table.insert(0, "max", table.max(axis=1))
    return table.sort_values("max", ascending=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None)
    parser.add_argument("--experiment", default="screening_baseline_morris")
    parser.add_argument("--window", nargs=2, type=int, default=(25, 60))
    args = parser.parse_args()
    table = screening(args.db, args.experiment, tuple(args.window))
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.precision", 2):
        print(f"Morris mu* / sd across points, months {args.window[0]}-{args.window[1]}:")
        print(table)


if __name__ == "__main__":
    main()
