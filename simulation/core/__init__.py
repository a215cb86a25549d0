"""The model core: the world, its agents and submodels, the levers that move their decisions, the
indicators recorded each month and the parameters every decision reads.

It knows nothing of storage, the CLI, plots or executors; everything around it imports from here.
"""
