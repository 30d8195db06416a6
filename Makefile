# closeout — run `make help` for the targets.

GO        ?= go
BIN       ?= bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0-dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS   := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
OPA       := $(GO) run github.com/open-policy-agent/opa@v1.22.2
CONFTEST_VERSION ?= v0.71.1
CONFTEST_BIN := $(BIN)/conftest
# The conftest comparison test runs when bin/conftest exists (`make $(CONFTEST_BIN)`, as .ci/run does).
CONFTEST_ENV = CONFTEST="$${CONFTEST:-$(if $(wildcard $(CONFTEST_BIN)),$(abspath $(CONFTEST_BIN)))}"
DEMO_OUT  ?= out/demo
FUZZTIME  ?= 5m
CORPUS_N  ?= 10000

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build bin/closeout
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/closeout ./cmd/closeout

.PHONY: release
release: ## Release artefacts in dist/ for VERSION=vX.Y.Z: binaries per platform, checksums, pinned Kubernetes manifests with IMAGE_DIGEST
	VERSION=$(VERSION) tools/release.sh

.PHONY: test
test: lint ## Run every test: Go, Rego (OPA tester, in-process) and CLI scripts; lists the checks skipped for a missing tool
	@mkdir -p out && rm -f out/test-skips.txt
	@status=0; $(CONFTEST_ENV) CLOSEOUT_SKIPS=$(abspath out/test-skips.txt) $(GO) test -count=1 ./... || status=$$?; \
	if [ -s out/test-skips.txt ]; then echo; echo "skipped for a missing tool:"; sort -u out/test-skips.txt | sed 's/^/  /'; fi; \
	exit $$status

.PHONY: lint
lint: ## go vet, gofmt and opa fmt checks, no build output tracked (Rego strict compile runs in the tests)
	tools/check-tracked.sh
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) test -count=1 -run 'TestRegoIsFormatted|TestEmbeddedMetadata|TestEveryPolicyFileHasTests' ./policies

.PHONY: fmt
fmt: ## Format Go (gofmt) and Rego (opa fmt)
	gofmt -w $$(git ls-files '*.go')
	$(OPA) fmt -w policies

.PHONY: docs
docs: build ## Regenerate docs/policies.md (the policies' METADATA) and docs/reference.md (the schemas, checklist, statuses, exit codes)
	$(BIN)/closeout policy doc -o docs/policies.md
	chmod 644 docs/policies.md
	UPDATE_GOLDEN=1 go test ./docs -run TestReferenceIsCurrent

.PHONY: corpus
corpus: ## Regenerate testdata/corpus (the policy-diff corpus) from the scenario snapshots
	rm -rf testdata/corpus
	$(GO) run ./tools/gencorpus -sections -dir testdata/corpus testdata/snapshots/*.json testdata/snapshots/tenant/*.json

.PHONY: demo
demo: build ## The three jobs on a fake tenant: verify three accounts, two nights of scan with diff and history, a policy diff; reports in out/demo
	$(GO) build -o $(BIN)/closeout-fake ./cmd/closeout-fake
	BIN=$(BIN) DEMO_OUT=$(DEMO_OUT) tools/demo.sh

.PHONY: bench
bench: ## Benchmark policy evaluation (snapshots/s, one worker and all)
	$(GO) test -run '^$$' -bench . -benchmem ./policies

.PHONY: bench-verify
bench-verify: ## Round trips of one account's collection (Graph and Exchange) at 0 and 100 ms per request against the fake tenant
	$(GO) test -run '^$$' -bench BenchmarkAccountRoundTrips -benchtime 5x ./collectors

.PHONY: bench-history
bench-history: ## Recording a run of 10,000 accounts x 40 findings in a history file (time, peak heap)
	$(GO) test -run '^$$' -bench BenchmarkRecord -benchmem -benchtime 3x ./history

.PHONY: bench-incremental
bench-incremental: ## scan --since on 10,000 generated accounts, 1% changed across every kind: its findings against a full scan's, and the share of Exchange cmdlets and Graph units it spends (about 12 minutes)
	$(GO) test -run '^$$' -bench BenchmarkIncremental -benchtime 1x -timeout 60m ./scan

.PHONY: bench-scan
bench-scan: build ## closeout scan of 10,000 fake accounts under Microsoft's budgets (wall time against the floor), and its peak RSS at 10,000 and 100,000
	$(GO) build -o $(BIN)/closeout-fake ./cmd/closeout-fake
	BIN=$(BIN) tools/bench-scan.sh

.PHONY: bench-rss
bench-rss: build ## Peak memory of check over 10,000 and 100,000 accounts of JSON Lines
	@mkdir -p out/bench
	@for n in 10000 100000; do \
		$(GO) run ./tools/gencorpus -n $$n testdata/snapshots/*.json > out/bench/corpus-$$n.jsonl; \
		/usr/bin/time -f "$$n accounts: %e s, peak RSS %M KiB" $(BIN)/closeout check -f json -o out/bench/results-$$n.json out/bench/corpus-$$n.jsonl || true; \
	done

$(CONFTEST_BIN):
	GOBIN=$(abspath $(BIN)) $(GO) install github.com/open-policy-agent/conftest@$(CONFTEST_VERSION)

.PHONY: conftest-check
conftest-check: $(CONFTEST_BIN) ## Check that conftest gives the same denies and warnings on the scenario snapshots
	CONFTEST=$(abspath $(CONFTEST_BIN)) $(GO) test -count=1 -run TestConftestGivesSameDenies -v ./policies

.PHONY: bench-conftest
bench-conftest: build $(CONFTEST_BIN) ## Accounts/s of closeout check and conftest over the same library and corpus
	tools/bench-conftest.sh $(BIN)/closeout $(CONFTEST_BIN) 2000

.PHONY: fuzz
fuzz: ## Fuzz the snapshot loader and engine, the attestation and waiver parsers and the collectors' answers, FUZZTIME each (default 5m)
	$(GO) test -run '^$$' -fuzz FuzzLoadEvaluate -fuzztime $(FUZZTIME) -fuzzminimizetime 100x -parallel 1 ./policies
	$(GO) test -run '^$$' -fuzz FuzzParseAttestations -fuzztime $(FUZZTIME) ./snapshot
	$(GO) test -run '^$$' -fuzz FuzzParseWaivers -fuzztime $(FUZZTIME) ./results
	$(GO) test -run '^$$' -fuzz FuzzAnyAnswer -fuzztime $(FUZZTIME) ./collectors

.PHONY: clean
clean: ## Remove build and demo output
	rm -rf $(BIN) out
