# Casework. `make run` starts the embedded stack and the demo; `make test` passes the tests.
SHELL := /bin/bash
GO ?= go
DEMO_CASES ?= 200
DEMO_DAY ?= 3s

.PHONY: build run test test-server test-unit bench bench-scale bench-console bench-parked train chaos chaos-short test-integration lint stack stack-down clean

# the commit --version reports (the machine's GOFLAGS may turn the toolchain's stamp off)
COMMIT ?= $(shell git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
build:
	$(GO) build -ldflags "-X github.com/casework/casework/cli.commit=$(COMMIT)" -o bin/ ./worker ./starter ./agent ./api ./lab/cmd/bench ./lab/cmd/demo

# Start PostgreSQL and the Temporal dev server (installing the pinned CLI if missing),
# migrate, start the worker, run the demo, print the report; stay up until Ctrl-C
# (DEMO_EXIT=1 exits after the report).
run: build
	@scripts/run.sh

stack:
	@scripts/stack.sh up

stack-down:
	@scripts/stack.sh down

# Everything: unit, fuzz seed corpora, replay, compose file, and integration tests on the
# real dev server and PostgreSQL (started when missing); then the integration tests again
# on the production topology (the Temporal server on PostgreSQL, several shards).
test: build lint test-unit
	@scripts/chromium.sh
	@scripts/stack.sh up
	@source .dev/test-env && $(GO) test -count=1 -timeout 20m -tags integration ./itest/
	@$(MAKE) --no-print-directory chaos-short
	@$(MAKE) --no-print-directory test-server

# The integration tests on the production topology only.
test-server:
	@scripts/stack.sh up-server
	@source .dev/server-test-env && $(GO) test -count=1 -timeout 20m -tags integration ./itest/

# The fault run's short form (in make test): 100 cases, 3 worker kills, 1 PostgreSQL restart.
chaos-short: build
	@scripts/stack.sh up
	@scripts/stack.sh reset-db casework_bench
	@source .dev/bench-env && bin/bench chaos --cases 100 --kills 3 --pg-restarts 1 --temporal-restarts 0 --results ""

# The fault run: 500 cases, 10 worker kills, 2 PostgreSQL restarts, 1 Temporal restart;
# a verdict table, and results/chaos-dev-500.*.
chaos: build
	@scripts/stack.sh up
	@scripts/stack.sh reset-db casework_bench
	@source .dev/bench-env && bin/bench chaos

# The speed benchmark on the dev server, the book import (results/import-dev.*), the speed
# benchmark on the production topology, then on its scale-out (results/speed-*).
BENCH_FLAGS ?=
bench: build
	@scripts/stack.sh up
	@scripts/stack.sh reset-db casework_bench
	@source .dev/bench-env && bin/bench speed $(BENCH_FLAGS)
	@scripts/stack.sh reset-db casework_bench
	@source .dev/bench-env && bin/bench import
	@scripts/stack.sh up-server
	@scripts/stack.sh reset-db casework_bench
	@source .dev/server-bench-env && bin/bench speed $(BENCH_FLAGS)
	@$(MAKE) --no-print-directory bench-scale

# Scale-out: the production topology's Temporal as five processes (frontend, two history
# hosts, matching, worker) and two Casework worker processes (results/speed-server-split.*).
bench-scale: build
	@CASEWORK_SERVER_SERVICES=split scripts/stack.sh up-server
	@scripts/stack.sh reset-db casework_bench
	@source .dev/server-bench-env && CASEWORK_TOPOLOGY=server-split bin/bench speed --workers 2 --codec-cost=false $(BENCH_FLAGS)

# The propensity-to-pay score learnt from the UCI book's history (results/training-history.*).
UCI ?= data/uci-credit-default/default-of-credit-card-clients.csv
train: build
	@scripts/stack.sh up
	@source .dev/env && bin/starter migrate && bin/demo book $(UCI) .dev/demo-book.csv && \
	  bin/starter import .dev/demo-book.csv && bin/demo history $(UCI) .dev && \
	  bin/starter import-history .dev/demo-history.csv --outcomes .dev/demo-outcomes.csv --attributes .dev/demo-attributes.csv && \
	  bin/starter train --results results

# The web console's page loads on an idle server (results/console-dev.*).
bench-console: build
	@scripts/stack.sh up
	@scripts/stack.sh reset-db casework_bench
	@source .dev/bench-env && bin/bench console

# 20,000 cases parked at a human wait (about 15 minutes; results/parked-dev.*).
bench-parked: build
	@scripts/stack.sh up
	@scripts/stack.sh reset-db casework_bench
	@source .dev/bench-env && bin/bench parked

# The fast lane, first in make test: unit, replay and fuzz-seed tests with the race
# detector, no services (the integration tests build only with -tags integration).
test-unit:
	$(GO) test -count=1 -race -timeout 10m ./...

# vet, gofmt, staticcheck, workflowcheck (deterministic workflow code), errcheck (no error
# dropped silently; .errcheck-excludes says which writes may be) and revive (a doc comment on
# every exported name, a package comment on every package; revive.toml).
lint:
	$(GO) vet ./...
	$(GO) vet -tags integration ./itest/
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 -tags integration ./...
	$(GO) run go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0 ./workflows/... ./lab/perf/floor/...
	$(GO) run github.com/kisielk/errcheck@v1.30.0 -exclude .errcheck-excludes ./...
	$(GO) run github.com/kisielk/errcheck@v1.30.0 -exclude .errcheck-excludes -tags integration ./itest/
	$(GO) run github.com/mgechev/revive@v1.12.0 -config revive.toml ./...

clean:
	rm -rf bin
