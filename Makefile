# Premier — make run starts the gateway in front of the demo app; make test
# installs what the tests need and runs every test.
SHELL := /bin/bash
GO ?= go
BIN := bin
export GOFLAGS := -buildvcs=false

.PHONY: run build test deps check bench bench-growth chaos vet staticcheck fmt clean static dist

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

## Release builds: a static binary (no cgo, no libc), paths trimmed, the
## version and commit stamped (premier -version prints them). The Dockerfile's
## build command is this one (TestDockerfile compares them).
VERSION ?= $(shell git describe --tags --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
VERSION := $(VERSION)
COMMIT := $(COMMIT)
STATIC_LDFLAGS = -s -w -X github.com/premier-gateway/premier/proxy.Version=$(VERSION) -X main.commit=$(COMMIT)
STATIC_BUILD = CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=false -ldflags '$(STATIC_LDFLAGS)'

## static: the release build for this machine's platform, as bin/premier-static.
STATIC_OUT ?= $(BIN)/premier-static
static:
	$(STATIC_BUILD) -o $(STATIC_OUT) .

## dist: release archives in $(DIST)/ for each platform of DIST_PLATFORMS,
## premier-VERSION-OS-ARCH.tar.gz (.zip for Windows), each holding the binary,
## README.md, LICENSE when there is one, the example configs, the systemd unit
## and the logrotate snippet; then SHA256SUMS over the archives (check with
## sha256sum -c SHA256SUMS). TestDist builds linux/amd64 and runs it.
DIST ?= dist
DIST_PLATFORMS ?= linux/amd64 linux/arm64 darwin/arm64 windows/amd64
DIST_FILES = README.md $(wildcard LICENSE) $(wildcard configs/*.yaml) packaging/systemd/premier.service packaging/logrotate/premier
SHA256SUM ?= $(shell command -v sha256sum >/dev/null && echo sha256sum || echo shasum -a 256)
dist:
	@set -e; rm -rf $(DIST); mkdir -p $(DIST)/.stage; \
	for p in $(DIST_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; name=premier-$(VERSION)-$$os-$$arch; stage=$(DIST)/.stage/$$name; \
		exe=premier; if [ $$os = windows ]; then exe=premier.exe; fi; \
		mkdir -p $$stage; \
		echo "GOOS=$$os GOARCH=$$arch $(STATIC_BUILD) -o $$stage/$$exe ."; \
		GOOS=$$os GOARCH=$$arch $(STATIC_BUILD) -o $$stage/$$exe .; \
		for f in $(DIST_FILES); do mkdir -p $$stage/$$(dirname $$f); cp $$f $$stage/$$f; done; \
		if [ $$os = windows ]; then \
			(cd $(DIST)/.stage && zip -qrX ../$$name.zip $$name); \
		else \
			tar -C $(DIST)/.stage --sort=name --owner=0 --group=0 --numeric-owner -cf - $$name | gzip -9n > $(DIST)/$$name.tar.gz; \
		fi; \
	done; \
	rm -rf $(DIST)/.stage; \
	cd $(DIST) && $(SHA256SUM) premier-* > SHA256SUMS && cat SHA256SUMS

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
	rm -rf $(BIN) $(DIST)
