# Premier — make run starts the gateway in front of the demo app; make test
# installs what the tests need and runs every test.
SHELL := /bin/bash
GO ?= go
BIN := bin
export GOFLAGS := -buildvcs=false

.PHONY: run build test deps check bench bench-growth chaos vet staticcheck fmt clean

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/premier .
	$(GO) build -o $(BIN)/demo-backend ./bench/backend

## run: the gateway on :8000 with configs/demo.yaml in front of the demo backend on :9001.
## The dashboard's token is $PREMIER_DASHBOARD_TOKEN, or a fresh random one when unset
## (without a token the dashboard is read-only); the login URL and token are printed.
run: build
	@token="$${PREMIER_DASHBOARD_TOKEN:-$$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')}"; \
	export PREMIER_DASHBOARD_TOKEN="$$token"; \
	echo "demo backend  http://127.0.0.1:9001"; \
	echo "gateway       http://127.0.0.1:8000   (try /api/users/42, /small, /slow?ms=1500)"; \
	echo "dashboard     http://127.0.0.1:8000/__premier/login"; \
	echo "token         $$token   (sign in with it; type it again to apply, roll back or purge)"; \
	echo "config        configs/demo.yaml (edits reload live; Ctrl-C stops both)"; \
	$(BIN)/demo-backend -listen 127.0.0.1:9001 -name demo & backend=$$!; \
	trap 'kill $$backend 2>/dev/null' EXIT INT TERM; \
	$(BIN)/premier -config configs/demo.yaml

## deps: system packages the tests use (redis-server, chromium, nginx), installed when missing.
deps:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

## test: vet, docs-check, the cross builds, the race-enabled suite, then the allocation
## tests (which need -race off) and the binary upgrades under load (files built with
## !race: the real binary, 64 connections).
test: deps
	$(GO) vet ./...
	@$(MAKE) --no-print-directory docs-check
	@$(MAKE) --no-print-directory cross
	$(GO) test -race -count=1 -timeout 20m ./...
	$(GO) test -count=1 -timeout 10m -run 'Alloc|^TestUpgrade' ./...

## docs-check: every complete YAML example (a ```yaml block starting with premier:)
## in README.md and docs/ passes premier -check, every relative link resolves, and
## docs/architecture.md's package graph matches go list (make docs-arch fixes that).
.PHONY: docs-check docs-arch
docs-check:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/premier .
	$(GO) run ./internal/docscheck/cmd -go $(GO) -premier $(BIN)/premier

## docs-arch: regenerate the package graph of docs/architecture.md from go list.
docs-arch:
	$(GO) run ./internal/docscheck/cmd -go $(GO) -write-arch

## cross: every package built once for each platform of CROSS_BUILD, and vetted (test
## files too) for the non-Linux ones, so a Unix-only system call outside a build-tagged
## file fails here, not on a user's machine. A release target may reuse CROSS_BUILD.
CROSS_BUILD := darwin/arm64 windows/amd64 linux/arm64
CROSS_VET := darwin/arm64 windows/amd64
.PHONY: cross
cross:
	@set -e; for p in $(CROSS_BUILD); do \
		echo "GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build ./..."; \
		GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build ./...; \
	done; \
	for p in $(CROSS_VET); do \
		echo "GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) vet ./..."; \
		GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) vet ./...; \
	done

## check: formatting, vet and staticcheck.
check: fmt vet staticcheck

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	@command -v staticcheck >/dev/null || $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2
	$$(command -v staticcheck || echo $$($(GO) env GOPATH)/bin/staticcheck) ./...

## bench: Go benchmarks of the hot path, then every workload of the suite against
## nginx and HAProxy (bench/run.sh --workloads all; BENCH_ARGS adds options, e.g.
## BENCH_ARGS="--rounds 5 --duration 10").
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./proxy/ ./proxy/route/ ./lb/ ./limiter/ ./cache/ ./resilience/
	bash bench/run.sh --workloads all $(BENCH_ARGS)

## bench-growth: the cost-growth tables, short by default: router match cost by rule
## count (Go), req/s and peak RSS by keep-alive connections, proxy CPU per request
## by backend count (BENCH_ARGS="--rounds 3 --duration 5" for figures to keep).
bench-growth:
	$(GO) test -run '^$$' -bench 'RouterGrowth' -benchmem ./proxy/route/
	bash bench/run.sh --conns "64 1000 10000" --rounds 1 --duration 3 $(BENCH_ARGS)
	bash bench/run.sh --backends "1 2 4 8 16" --rounds 1 --duration 3 $(BENCH_ARGS)

## screenshots: the dashboard's screenshots in docs/ (dashboard.png, route-detail.png,
## config-editor.png), taken in headless Chromium from the gateway and the demo backend
## under wrk load (bench/wrk/mix.lua) once SCREENSHOT_LOAD_SECONDS (300, the live
## chart's window) have passed; prints the request rate the gateway reported. Not part
## of make test.
.PHONY: screenshots
screenshots:
	bash bench/screenshots.sh

## chaos: kill/restart a backend and Redis, 20 SIGHUP reloads, then SIGUSR2 binary
## upgrades, each under load.
chaos:
	bash bench/chaos/run.sh

clean:
	rm -rf $(BIN)
