# The few verbs people need. `make demo` and `make test` work on a fresh machine.
.PHONY: setup demo test check lint docs upgrade bench bench-sweep clean

setup:
	./scripts/bootstrap.sh

demo: setup
	.venv/bin/ocsim run scenarios/baseline.yaml --replications 3

test: setup
	.venv/bin/pytest -q

# the fast tier for everyday work: everything but the replicated model runs (under 3 minutes)
check: setup
	.venv/bin/pytest -q -m "not slow"

# refresh requirements.lock: the newest versions pyproject.toml allows (then run make test)
upgrade: setup
	.venv/bin/python -m pip install --quiet pip-tools
	.venv/bin/pip-compile --quiet --no-header --no-annotate --extra dev --strip-extras \
	  --no-emit-index-url --no-emit-find-links --output-file requirements.lock.new pyproject.toml
	{ head -n 2 requirements.lock; cat requirements.lock.new; } > requirements.lock.tmp
	mv requirements.lock.tmp requirements.lock && rm requirements.lock.new
	./scripts/bootstrap.sh

# regenerate the docs that are generated from the code (tests check they are current)
docs: setup
	.venv/bin/python -m simulation.core.parameters
	.venv/bin/python -m simulation.core.indicators
	.venv/bin/python -m simulation.core.levers.docs

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

bench: setup
	.venv/bin/python benchmarks/bench_model.py

bench-sweep: setup
	.venv/bin/python benchmarks/bench_sweep.py

clean:
	rm -rf results/*.sqlite* .pytest_cache
