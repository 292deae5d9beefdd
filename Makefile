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

run: build ## serve in dev mode: on DATABASE_URL, or on a private PostgreSQL in .taskbridge-dev/ (see README)
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/taskbridge-dev ./dev/run
	./bin/taskbridge-dev

migrate: build ## apply migrations with TASKBRIDGE_MIGRATE_DATABASE_URL
	./$(BIN) migrate up

# Every stage runs even when an earlier one fails, so one failure cannot hide
# another stage's result; the failed stages are listed at the end and make
# exits non-zero.
TEST_STAGES := lint test-go test-race fuzz-short widget-check test-browser test-conformance

test: ## everything CI checks: every stage, then the list of those that failed
	@failed=""; \
	for stage in $(TEST_STAGES); do \
	  echo "==> make $$stage"; \
	  $(MAKE) --no-print-directory $$stage || failed="$$failed $$stage"; \
	done; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed"; exit 1; fi; \
	echo "make test: every stage passed ($(TEST_STAGES))"

# Go test output goes through tools/testreport: go test's usual output, then
# every skipped test with its reason. With CI set, a skip that
# .ci/allowed-skips does not name for the stage fails it.
TESTREPORT := bin/testreport

.PHONY: test-tools
test-tools: ## build what the Go test stages run: the reporter, and caddy (TestCaddyfileAdapts)
	$(GO) -C tools build -o ../$(TESTREPORT) ./testreport
	$(GO) tool -modfile=tools/go.mod -n caddy >/dev/null

test-go: test-tools ## all Go tests against a real PostgreSQL (see dev/testdb), and the dev tools' own tests
	$(GO) test -json -count=1 $(PKGS) | ./$(TESTREPORT) -stage test-go
	$(GO) -C tools test -json -count=1 ./... | ./$(TESTREPORT) -stage test-go

test-race: test-tools ## the short tests again under the race detector
	$(GO) test -json -count=1 -short -race $(PKGS) | ./$(TESTREPORT) -stage test-race

lint: ## gofmt, go vet, staticcheck, gosec, gitleaks
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) tool -modfile=tools/go.mod staticcheck $(PKGS)
	$(GO) -C tools vet ./...
	$(GO) -C tools tool staticcheck ./...
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

test-browser: ## board, consent pages and the official TypeScript MCP clients (v2 at 2026-07-28, v1) in headless chromium against the real server (installs npm deps and chromium)
	GO=$(GO) web/widget/scripts/test-browser.sh

.PHONY: test-conformance
test-conformance: ## MCP conformance: server scenarios and the OAuth authorization suite (installs Node 22 and the pinned suite from npm)
	GO=$(GO) internal/mcpapi/conformance/run.sh

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
	$(GO) test -count=1 -v ./dev/e2e/

.PHONY: docs
docs: ## regenerate docs/configuration.md from internal/config (checked by go test)
	$(GO) run ./cmd/taskbridge config docs --write docs/configuration.md
