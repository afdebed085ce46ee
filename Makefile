# ossbroker. The two commands: `make run` (local mode) and `make test`.
GO        ?= go
GOBIN     := $(shell $(GO) env GOPATH)/bin
STATICCHECK_VERSION := v0.8.2
FUZZTIME  ?= 30s
BENCHTIME ?= 1s

.PHONY: run test test-browser test-short build zip deploy lint bench fuzz load clean tools

## run: local mode, broker + local OSS server, no cloud account
run:
	$(GO) run ./functions/broker -dev

## test: every Go test (unit, integration over loopback, compiled-binary FC runtime test, and the
## real-browser test of the demo page when Chromium and functions/broker/webtest/node_modules are there)
test:
	$(GO) test -race -count=1 ./...
	@if [ ! -x /usr/bin/chromium ] || [ ! -f functions/broker/webtest/node_modules/playwright-core/package.json ]; then \
	  echo; \
	  echo "!!! SKIPPED: the real-browser test (TestBrowser in functions/broker) did not run: it needs /usr/bin/chromium"; \
	  echo "!!! and functions/broker/webtest/node_modules: apt-get install chromium; (cd functions/broker/webtest && npm ci)."; \
	  echo "!!! .ci/run installs both and turns this skip into a failure (OSSBROKER_REQUIRE_BROWSER=1)."; \
	  echo; \
	fi

## test-browser: only the real-browser test, verbose (screenshot in functions/broker/webtest/out/)
test-browser:
	$(GO) test -count=1 -v -run '^TestBrowser$$' ./functions/broker

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
