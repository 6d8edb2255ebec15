# Benchmarks (bench/): ours vs a minimal kopf operator, each in its own process against the sandbox.
# Included by the top Makefile. `make bench-quick` is a smoke run; BENCH_ARGS passes options through.
BENCH_ARGS ?=
BENCH_PY := $(or $(wildcard $(BIN)/python),python3)

.PHONY: bench bench-quick bench-profile bench-deps

bench-deps: ## bench-only packages (pyinstrument) into bench/.deps, outside the venv
	$(BENCH_PY) -m pip install -q --target bench/.deps 'pyinstrument>=4.6'

bench: ## run the benchmarks (under ten minutes on 2 cores): table on stdout, JSON in bench/results/
	PYTHONPATH=operator:. $(BENCH_PY) -m bench $(BENCH_ARGS)

bench-quick: ## a small smoke run of every benchmark (about three minutes)
	PYTHONPATH=operator:. $(BENCH_PY) -m bench --quick $(BENCH_ARGS)

bench-profile: bench-deps ## the largest InferenceService run of ours under pyinstrument (bench/results/profile-*.txt)
	PYTHONPATH=operator:. $(BENCH_PY) -m bench --only none --profile $(BENCH_ARGS)
