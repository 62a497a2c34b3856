# Every command a person runs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO        ?= go
ARCH      ?= arm64
HOSTARCH  := $(shell $(GO) env GOARCH)
GOBIN     := $(shell $(GO) env GOPATH)/bin
# aws-lambda-rie runs the real bootstrap binaries locally, without Docker. This pseudo-version
# is the one the Go module proxy serves.
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
export PATH := $(GOBIN):$(PATH)
GOFLAGS_BUILD := -trimpath -tags lambda.norpc -ldflags='-s -w'
BIN       := bin/$(ARCH)
FUNCTIONS := provision drift

# Tests that need moto_server or aws-lambda-rie carry this build tag; make unit runs the rest.
INTEGRATION := integration

.PHONY: help build test unit lint cfn-lint vet staticcheck bench bench-scale demo rie fuzz clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-24s %s\n", $$1, $$2}'

build: $(FUNCTIONS:%=$(BIN)/%/bootstrap) ## build both functions for linux/$(ARCH) into $(BIN) (ARCH=amd64 for an x86 host)

$(BIN)/%/bootstrap: FORCE
	CGO_ENABLED=0 GOOS=linux GOARCH=$(ARCH) $(GO) build $(GOFLAGS_BUILD) -o $@ ./functions/$*

# sam build runs these with ARTIFACTS_DIR set (BuildMethod: makefile); they always build arm64,
# the architecture template.yaml deploys.
build-ProvisionFunction: ## what sam build runs for ProvisionFunction
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(GOFLAGS_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/provision

build-DriftFunction: ## what sam build runs for DriftFunction
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(GOFLAGS_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/drift

test: lint rie ## lint, then every test with the race detector (unit, integration on moto_server, end to end)
	$(GO) test -race -count=1 -tags $(INTEGRATION) -timeout 20m ./...

demo: rie ## the whole product on a local emulator: real bootstrap binaries, moto_server, SageMaker stand-in
	$(GO) run ./cmd/demo

rie: ## install the pinned aws-lambda-rie when it is missing
	@command -v aws-lambda-rie >/dev/null 2>&1 || $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

unit: ## the fast tests: every test without the integration tag (no moto_server, no aws-lambda-rie)
	$(GO) test -count=1 ./...

lint: vet staticcheck cfn-lint ## gofmt, go vet, staticcheck and cfn-lint
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi

vet:
	$(GO) vet -tags $(INTEGRATION) ./...

staticcheck: ## staticcheck, the version go.mod pins as a tool
	$(GO) tool staticcheck -tags $(INTEGRATION) ./...

cfn-lint: ## lint template.yaml and member.yaml offline
	cfn-lint template.yaml member.yaml

bench: ## benchmarks against moto_server (figures go to docs/benchmarks.md)
	$(GO) test -tags $(INTEGRATION) -run=NONE -bench=. -benchtime=20x -timeout 60m ./internal/provision
	$(GO) test -tags $(INTEGRATION) -run=NONE -bench=. -benchtime=1x -timeout 60m ./internal/drift
	$(MAKE) --no-print-directory build ARCH=arm64
	ls -l bin/arm64/provision/bootstrap bin/arm64/drift/bootstrap

bench-scale: rie ## the drift bootstrap sweeping 100,000 repositories on moto (about an hour; docs/benchmarks.md)
	$(GO) test -tags $(INTEGRATION) -run=NONE -bench=Sweep -benchtime=1x -timeout 150m ./test/scale

FUZZTIME ?= 1m
FUZZ_TARGETS := ./internal/projectevent:FuzzDecode ./internal/naming:FuzzProjectNamespace ./internal/lifecycle:FuzzEqual \
  ./internal/access:FuzzEqual
fuzz: ## run each fuzz target for FUZZTIME (default 1m); the seeds run in make test already
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "== $${t#*:} ($${t%%:*}) for $(FUZZTIME)"; \
	  $(GO) test -run=NONE -fuzz="^$${t#*:}$$" -fuzztime=$(FUZZTIME) $${t%%:*}; \
	done

clean: ## remove build output
	rm -rf bin

FORCE:
