# ossbroker. The two commands: `make run` (local mode) and `make test`.
GO        ?= go
GOBIN     := $(shell $(GO) env GOPATH)/bin
STATICCHECK_VERSION := v0.8.2
FUZZTIME  ?= 30s
BENCHTIME ?= 1s

.PHONY: run test test-short build zip deploy lint bench fuzz load clean tools

## run: local mode, broker + local OSS server, no cloud account
run:
	$(GO) run ./functions/broker -dev

## test: every Go test (unit, integration over loopback, compiled-binary FC runtime test)
test:
	$(GO) test -race -count=1 ./...

## build: the FC3 code package binary, dist/main (linux/amd64, static)
build:
	mkdir -p dist
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags "-s -w" -o dist/main ./functions/broker

## zip: dist/ossbroker.zip, the code package (main at the root, exec bit kept)
zip: build
	cd dist && rm -f ossbroker.zip && zip -q -X ossbroker.zip main

## deploy: s deploy (Serverless Devs; builds first through s.yaml's pre-deploy action)
deploy:
	s deploy -y

$(GOBIN)/staticcheck:
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## lint: gofmt, go vet and staticcheck
lint: $(GOBIN)/staticcheck
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...

## bench: Go benchmarks with allocations
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

## fuzz: every fuzz target for FUZZTIME each (default 30s)
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

clean:
	rm -rf dist .data
