"""Posterior ensembles in the results database: a calibration's accepted particles and weights.

An ensemble is written (replaced) after every finished generation, so an interrupted
calibration leaves the posterior of its last generation, marked ``running`` until it finishes.
``load_posterior`` returns one column per parameter plus ``weight`` (summing to 1).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, insert, select, update

from simulation.storage.schema import ensemble_particles, ensembles
from simulation.storage.store import ResultsStore


def _now() -> datetime:
    return datetime.now(UTC)


def ensemble_record(store: ResultsStore, name: str) -> dict[str, Any] | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(ensembles).where(ensembles.c.name == name)).mappings().first()
    if row is None:
        return None
    record = dict(row)
    record["spec"] = json.loads(record["spec"])
    record["parameters"] = json.loads(record["parameters"])
    return record


def save_ensemble(
    store: ResultsStore,
    name: str,
    *,
    header: Mapping[str, Any],
    particles: pd.DataFrame | None = None,
) -> int:
    """Create or update an ensemble; with ``particles`` (columns: parameters, weight, distance),
    replace its particles in the same transaction. Returns the ensemble id."""
    values = dict(header)
    for key in ("spec", "parameters"):
        if key in values and not isinstance(values[key], str):
            values[key] = json.dumps(values[key], sort_keys=True)
    values["updated_at"] = _now()
    with store.engine.begin() as conn:
        found = conn.execute(select(ensembles.c.id).where(ensembles.c.name == name)).scalar_one_or_none()
        if found is None:
            inserted = conn.execute(
                insert(ensembles).values(name=name, created_at=values["updated_at"], **values)
            )
            ensemble_id = int(inserted.inserted_primary_key[0])
        else:
            ensemble_id = int(found)
            conn.execute(update(ensembles).where(ensembles.c.id == ensemble_id).values(**values))
        if particles is not None:
            conn.execute(delete(ensemble_particles).where(ensemble_particles.c.ensemble_id == ensemble_id))
            names = [c for c in particles.columns if c not in ("weight", "distance")]
            rows = [
                {
                    "ensemble_id": ensemble_id,
                    "particle": i,
                    "weight": float(record["weight"]),
                    "distance": None if pd.isna(record.get("distance")) else float(record["distance"]),
                    "parameters": json.dumps({n: _plain(record[n]) for n in names}),
                }
                for i, record in enumerate(particles.to_dict("records"))
            ]
            if rows:
                conn.execute(insert(ensemble_particles), rows)
    return ensemble_id


def _plain(value: Any) -> float | int:
    """JSON-ready: integers stay integers (whole-number settings), the rest are floats."""
    return int(value) if isinstance(value, int | np.integer) else float(value)


def delete_ensemble(store: ResultsStore, name: str) -> None:
    with store.engine.begin() as conn:
        found = conn.execute(select(ensembles.c.id).where(ensembles.c.name == name)).scalar_one_or_none()
        if found is not None:
            conn.execute(delete(ensemble_particles).where(ensemble_particles.c.ensemble_id == found))
            conn.execute(delete(ensembles).where(ensembles.c.id == found))


def list_ensembles(store: ResultsStore) -> pd.DataFrame:
    """One row per ensemble: name, status, parameters, particles, generations, final epsilon, ..."""
    columns: Sequence = [
        ensembles.c.name,
        ensembles.c.status,
        ensembles.c.scenario,
        ensembles.c.parameters,
        ensembles.c.particles,
        ensembles.c.generations,
        ensembles.c.final_epsilon,
        ensembles.c.simulations,
        ensembles.c.created_at,
        ensembles.c.updated_at,
        ensembles.c.history_url,
    ]
    frame = store.query_frame(select(*columns).order_by(ensembles.c.name))
    frame["parameters"] = [[p["path"] for p in json.loads(text)] for text in frame["parameters"]]
    return frame


def posterior_frame(store: ResultsStore, name: str) -> pd.DataFrame | None:
    record = ensemble_record(store, name)
    if record is None:
        return None
    query = (
        select(ensemble_particles.c.particle, ensemble_particles.c.weight, ensemble_particles.c.parameters)
        .where(ensemble_particles.c.ensemble_id == record["id"])
        .order_by(ensemble_particles.c.particle)
    )
    rows = store.query_frame(query)
    paths = [p["path"] for p in record["parameters"]]
    values = pd.DataFrame.from_records([json.loads(t) for t in rows["parameters"]], columns=paths)
    values["weight"] = rows["weight"].to_numpy(dtype=float)
    values.index = pd.RangeIndex(len(values), name="particle")
    values.attrs.update(ensemble=name, status=record["status"], final_epsilon=record["final_epsilon"])
    return values


def finished_ensemble(db_url: str | None, name: str) -> tuple[dict[str, Any], pd.DataFrame]:
    """Ensemble ``name``'s record and posterior; LookupError if there is none or it has no
    finished generation yet (what the report and the predictive check both need)."""
    with ResultsStore(db_url) as store:
        record = ensemble_record(store, name)
        posterior = posterior_frame(store, name)
    if record is None or posterior is None:
        raise LookupError(f"no ensemble named {name!r}")
    if posterior.empty:
        raise LookupError(f"ensemble {name!r} has no finished generation yet")
    return record, posterior


def load_posterior(db_url: str | None, name: str) -> pd.DataFrame:
    """A named posterior ensemble: one column per parameter (dotted path) plus ``weight``."""
    with ResultsStore(db_url) as store:
        frame = posterior_frame(store, name)
        if frame is None:
            known = ", ".join(list_ensembles(store)["name"]) or "none"
            raise LookupError(f"no ensemble named {name!r} in {store.display_url}; ensembles: {known}")
    return frame
