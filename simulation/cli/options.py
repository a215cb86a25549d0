"""Options shared by the commands that run the model: one way to set things everywhere."""

from __future__ import annotations

from typing import Annotated

import typer

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        metavar="PATH=VALUE",
        help="Override a scenario setting, e.g. --set world.grid.width=60 (repeatable).",
    ),
]


StepsOption = Annotated[
    int | None,
    typer.Option(
        min=1, help="Months to simulate (default: the scenario's or experiment's).", show_default=False
    ),
]

__all__ = ["SetOption", "StepsOption"]
