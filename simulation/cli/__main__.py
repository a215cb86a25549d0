"""``python -m simulation.cli``: the same as the ``ocsim`` command."""

from simulation.cli import main

main()
