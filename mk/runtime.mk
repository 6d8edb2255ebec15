# Runtimes: the model server, its benchmark, Prometheus for the analysis test.
.PHONY: prometheus bench-serving test-runtime

prometheus: ## install the Prometheus server (root + apt-get) when missing, for the analysis test
	scripts/install-prometheus.sh

bench-serving: venv ## requests/s and p99: our model server vs MLServer 1.7.1, same artifact and load
	@$(BIN)/python -c "import mlserver_sklearn" 2>/dev/null || $(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/serving/bench_server.py $(BENCH_ARGS)

test-runtime: venv prometheus ## the serving, metrics and runtime integration tests
	$(BIN)/pytest -q tests/unit/serving tests/unit/metrics tests/integration/runtime tests/unit/test_dockerfiles.py
