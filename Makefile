# Second Bloom marketplace. `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
PKGS := ./...

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: ## Run the server on the in-memory store with demo data on port 3000 (Ctrl-C stops it cleanly)
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/server ./cmd/server
	@# exec: the server itself receives Ctrl-C, shuts down and exits 0, so make reports no error
	@# (go run would exit 1 after an interrupt whatever the server's status).
	DEMO_DATA=$${DEMO_DATA:-true} exec ./bin/server

.PHONY: build
build: ## Build the binaries into bin/
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/ ./cmd/...

.PHONY: test
test: ## Run every test with -race (Postgres tests skip loudly when it is unreachable, fail under CI=true)
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 20m $(PKGS)
	@$(MAKE) --no-print-directory test-alerts

.PHONY: test-alerts
test-alerts: ## Unit-test the Prometheus alert rules with promtool (required under CI=true)
	@if [ ! -f deploy/prometheus/alerts.yml ]; then echo "no alert rules yet"; \
	elif command -v promtool >/dev/null; then promtool test rules deploy/prometheus/alerts_test.yml; \
	elif [ "$$CI" = "true" ]; then echo "promtool is required in CI (apt-get install prometheus)"; exit 1; \
	else echo "promtool not installed: alert-rule tests skipped (apt-get install prometheus)"; fi

.PHONY: cover
cover: ## Print test coverage per package
	@set -o pipefail; $(GO) test -count=1 -coverprofile=coverage.out $(PKGS) | awk '/coverage:/ { \
		pkg = ($$1 == "ok" || $$1 == "FAIL") ? $$2 : $$1; cov = "n/a"; \
		for (i = 1; i <= NF; i++) { if ($$i ~ /%$$/) cov = $$i; if ($$i == "[no") cov = "no-statements" } \
		print pkg, cov }' | column -t
	@echo "total: $$($(GO) tool cover -func=coverage.out | tail -1 | awk '{print $$3}')"

.PHONY: cover-all
cover-all: ## Coverage of domain, app and adapters by the whole suite (acceptance included), per package
	@$(GO) test -count=1 -coverpkg=./domain/...,./app/...,./adapters/... -coverprofile=coverage-all.out $(PKGS) >/dev/null
	@awk -F'[: ]' 'NR > 1 { key = $$1 ":" $$2; n = $$(NF-1); if (!(key in stmts)) { stmts[key] = n; pkg[key] = $$1 } \
		if ($$NF > 0) hit[key] = 1 } \
		END { for (k in stmts) { p = pkg[k]; sub(/\/[^\/]*$$/, "", p); sub(/^github.com\/secondbloom\/marketplace\//, "", p); \
		t[p] += stmts[k]; if (k in hit) c[p] += stmts[k]; g = p; sub(/\/.*/, "", g); gt[g] += stmts[k]; if (k in hit) gc[g] += stmts[k] } \
		for (p in t) printf "%-28s %5.1f%%\n", p, 100 * c[p] / t[p] | "sort"; close("sort"); \
		for (g in gt) printf "all of %-21s %5.1f%%\n", g, 100 * gc[g] / gt[g] }'  coverage-all.out

.PHONY: generate
generate: ## Regenerate the mocks from the ports and the API client from the served openapi.json
	$(GO) generate ./ports/... ./acceptance/apiclient/...

GENERATED := mocks acceptance/apiclient/client.gen.go acceptance/apiclient/openapi.json

.PHONY: check-generate
check-generate: generate ## Fail if generated code (mocks, API client) is out of date
	@git diff --exit-code -- $(GENERATED) || (echo "generated code is stale: run make generate and commit"; exit 1)
	@test -z "$$(git status --porcelain -- $(GENERATED))" || (echo "untracked generated files: run make generate and commit"; git status --porcelain -- $(GENERATED); exit 1)

.PHONY: vendor-apidocs
vendor-apidocs: ## Re-vendor the /api/docs renderer (swagger-ui-dist, version pinned in the script) from npm
	adapters/http/apidocs/vendor.sh

.PHONY: lint
lint: ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)
	$(GO) vet $(PKGS)

.PHONY: bench
bench: ## Run the benchmarks
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

.PHONY: bench-http
bench-http: ## Load the server and a bare Fiber handler side by side on a scratch database; writes docs/PERFORMANCE.md (BENCH_FLAGS=-quick for a smoke check)
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/ ./cmd/server ./cmd/seed ./cmd/benchbare ./cmd/benchhttp
	./bin/benchhttp $(BENCH_FLAGS)

.PHONY: migrate
migrate: ## Apply database migrations to DATABASE_URL
	$(GO) run ./cmd/server migrate
