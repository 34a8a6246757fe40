# crmgraph: `make run` (embedded mode, everything local) and `make test` (real services).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ROUTER := router-config
SERVICES := scripts/services.sh

.PHONY: help install hive-router lint-rust run services services-stop services-status migrate seed schema bench bench-subscriptions bench-webhooks bench-graph bench-reports haproxy soak k8s-check chaos \
        schema-check lint test test-unit fuzz clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(ROUTER)/node_modules/.installed: $(ROUTER)/package.json $(ROUTER)/package-lock.json
	cd $(ROUTER) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(BIN)/.installed $(ROUTER)/node_modules/.installed  ## create .venv, install Python and npm dependencies

# The native router: Hive Router 0.2.0 with our plugins (router-native/), built by
# scripts/build-hive-router.sh into ~/.cache/crmgraph/hive-router/<version>-crmgraph-<hash of
# router-native>/ (crmgraph.native_router.binary()), once per version of the crate: quick
# when it is built already. The first build takes 15-30 minutes (nice); `make run` does not
# wait for it.
hive-router: $(BIN)/.installed  ## build the native router with our plugins once (cached by source hash; CRMGRAPH_ROUTER=hive-router)
	scripts/build-hive-router.sh

run: install  ## embedded mode: SQLite, in-memory pub/sub; router with GraphiQL on :4000
	scripts/run.sh

services:  ## start PostgreSQL, Redis and Neo4j under .run/ (installs them when missing)
	$(SERVICES) start

services-stop:  ## stop the services started by `make services`
	$(SERVICES) stop

services-status:
	$(SERVICES) status

migrate: $(BIN)/.installed  ## apply migrations to DATABASE_URL (default: the embedded SQLite file)
	$(BIN)/crmgraph migrate

seed: migrate  ## load the demo tenant when it is empty
	$(BIN)/crmgraph seed

schema: install  ## regenerate schema/*.graphql from the code and recompose the supergraph
	$(BIN)/crmgraph schema --out schema
	cd $(ROUTER) && node compose.mjs

lint: $(BIN)/.installed  ## ruff and mypy --strict, and rustfmt on router-native (clippy: make lint-rust)
	$(BIN)/ruff check src subgraphs tests bench scaleout
	$(BIN)/ruff format --check src subgraphs tests bench scaleout
	$(BIN)/mypy src subgraphs scaleout bench/chaos
	if command -v cargo >/dev/null; then cargo fmt --manifest-path router-native/Cargo.toml --check; fi

# Not in `make lint`: clippy checks the dependencies once first (minutes), then seconds.
lint-rust:  ## clippy (warnings are errors) and rustfmt on router-native, the native router's plugins
	cargo fmt --manifest-path router-native/Cargo.toml --check
	nice cargo clippy --manifest-path router-native/Cargo.toml --locked --all-targets \
	    --target-dir $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/crmgraph/hive-router/clippy-target -- -D warnings

# The scale-out layout's balancer (scaleout/haproxy.py): Debian's package.
haproxy:
	command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || \
	    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy)

# deploy/k8s is current and passes deploy/validate (Go; built once into ~/.cache/crmgraph).
k8s-check: $(BIN)/.installed
	$(BIN)/python -m scaleout.manifests --check
	$(BIN)/python -m scaleout.manifests --validate

test: install services lint hive-router haproxy k8s-check  ## start the real services, lint, build the native router once, run every test
	set -a && eval "$$($(SERVICES) env)" && set +a && $(BIN)/pytest -q

# The fuzzers (tests/fuzz and the REST shim's schemathesis run) with a long budget; `make
# test` runs them with a small one. Larger: CRMGRAPH_FUZZ_EXAMPLES=1000 CRMGRAPH_FUZZ_SECONDS=3600.
CRMGRAPH_FUZZ_EXAMPLES ?= 200
CRMGRAPH_FUZZ_SECONDS ?= 900
fuzz: install services hive-router  ## the fuzzers with a long budget, against both routers (README, Reliability: fuzzing)
	set -a && eval "$$($(SERVICES) env)" && set +a && \
	    CRMGRAPH_FUZZ_EXAMPLES=$(CRMGRAPH_FUZZ_EXAMPLES) CRMGRAPH_FUZZ_SECONDS=$(CRMGRAPH_FUZZ_SECONDS) \
	    $(BIN)/pytest -q -s tests/fuzz tests/e2e/test_openapi_conformance.py

test-unit: $(BIN)/.installed  ## the tests that need no services
	$(BIN)/pytest -q tests/unit

clean:  ## remove the virtualenv, node_modules and .run (stop services first)
	rm -rf $(VENV) $(ROUTER)/node_modules .run

bench: install services hive-router  ## wrk through the full stack, then the fan-out; results in bench/results/ (bench/README.md)
	command -v wrk >/dev/null || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk)
	$(BIN)/python -c "import matplotlib" 2>/dev/null || $(BIN)/pip install --quiet -e '.[dev,bench]'
	set -a && eval "$$($(SERVICES) env)" && set +a && $(BIN)/python bench/run.py
	$(MAKE) bench-subscriptions
	$(MAKE) bench-webhooks
	$(MAKE) bench-graph
	$(MAKE) bench-reports

bench-subscriptions: install services  ## 1,000 WebSocket subscribers through the router (Go client, issue 5)
	set -a && eval "$$($(SERVICES) env)" && set +a && $(BIN)/python bench/subscriptions.py

bench-webhooks: install services  ## signed Zoho webhooks in at a sustained rate: time to 202, 202 to committed
	$(BIN)/python -c "import matplotlib" 2>/dev/null || $(BIN)/pip install --quiet -e '.[dev,bench]'
	set -a && eval "$$($(SERVICES) env)" && set +a && $(BIN)/python bench/webhooks_in.py \
	    --rate $${BENCH_WEBHOOK_RATE:-100} --seconds $${BENCH_WEBHOOK_SECONDS:-30} \
	    --workers $${BENCH_WEBHOOK_WORKERS:-1}

bench-graph: install services  ## hierarchy of 10,000 accounts, attribution over 100,000 touchpoints: Neo4j beside SQL
	set -a && eval "$$($(SERVICES) env)" && set +a && $(BIN)/python bench/graph.py --progress

bench-reports: install services  ## forecast, analytics and the sales reports over 200,000 deals, p95 (issue 15)
	$(BIN)/python -c "import matplotlib" 2>/dev/null || $(BIN)/pip install --quiet -e '.[dev,bench]'
	set -a && eval "$$($(SERVICES) env)" && set +a && $(BIN)/python bench/reports.py $(BENCH_REPORTS_ARGS)

soak: install services haproxy  ## the scale-out layout under load, sampled each minute (SOAK_ARGS="--minutes 3 --subscribers 50")
	set -a && eval "$$($(SERVICES) env)" && set +a && $(BIN)/python -m scaleout.soak $(SOAK_ARGS)

chaos: install haproxy  ## full stack on private services, mixed load and faults, then the loss checker (CHAOS_SECONDS, CHAOS_FAULTS, CHAOS_COPIES)
	$(BIN)/python -m bench.chaos --seconds $${CHAOS_SECONDS:-300} --faults $${CHAOS_FAULTS:-20} \
	    --copies $${CHAOS_COPIES:-2}
