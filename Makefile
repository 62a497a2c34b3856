# Every command a person runs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO        ?= go
ARCH      ?= arm64
GOFLAGS_BUILD := -trimpath -tags lambda.norpc -ldflags='-s -w'
BIN       := bin/$(ARCH)
FUNCTIONS := provision drift

.PHONY: help build test unit lint cfn-lint vet bench clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-24s %s\n", $$1, $$2}'

build: $(FUNCTIONS:%=$(BIN)/%/bootstrap) ## build both functions for linux/$(ARCH) (ARCH=amd64 for this host)

$(BIN)/%/bootstrap: FORCE
	CGO_ENABLED=0 GOOS=linux GOARCH=$(ARCH) $(GO) build $(GOFLAGS_BUILD) -o $@ ./functions/$*

# sam build runs these with ARTIFACTS_DIR set (BuildMethod: makefile); they always build arm64,
# the architecture template.yaml deploys.
build-ProvisionFunction: ## what sam build runs for ProvisionFunction
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(GOFLAGS_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/provision

build-DriftFunction: ## what sam build runs for DriftFunction
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(GOFLAGS_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/drift

test: lint ## lint, then every test (unit, integration against moto_server, end to end)
	$(GO) test -count=1 ./...

unit: ## the fast tests only (no moto_server)
	$(GO) test -count=1 -short ./...

lint: vet cfn-lint ## gofmt, go vet and cfn-lint
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi

vet:
	$(GO) vet ./...

cfn-lint: ## lint template.yaml offline
	cfn-lint template.yaml

bench: ## benchmarks against moto_server (figures go to docs/benchmarks.md)
	$(GO) test -run=NONE -bench=. -benchtime=20x ./internal/...

clean: ## remove build output
	rm -rf bin

FORCE:
