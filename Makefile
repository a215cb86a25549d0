# The few verbs people need. `make demo` and `make test` work on a fresh machine.
.PHONY: setup demo test lint bench bench-sweep clean

setup:
	./scripts/bootstrap.sh

demo: setup
	.venv/bin/ocsim run scenarios/baseline.yaml --replications 3

test: setup
	.venv/bin/pytest -q

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

bench: setup
	.venv/bin/python benchmarks/bench_model.py

bench-sweep: setup
	.venv/bin/python benchmarks/bench_sweep.py

clean:
	rm -rf results/*.sqlite* .pytest_cache
