# ossbroker. The two commands: `make run` (local mode) and `make test`.
GO        ?= go
GOBIN     := $(shell $(GO) env GOPATH)/bin
STATICCHECK_VERSION := v0.8.2
FUZZTIME  ?= 30s
BENCHTIME ?= 1s

.PHONY: run test test-browser test-short build build-inspector zip deploy deploy-inspector rollback smoke token print-ram-policy print-bucket-cors print-bucket-lifecycle print-inspector-ram-policy lint bench fuzz load coldstart peakrss fcperf clean tools

## run: local mode, broker + local OSS server, no cloud account
run:
	$(GO) run ./pkg/devtools/localmode

# The npm folders of the tests that run Node (the browser tests, and .ci's pinned Serverless Devs CLI for
# the offline s deploy test, the Standard Webhooks library the inspector test runs); each is installed (npm ci) when its lock file is newer than its node_modules,
# and only where npm is installed (the tests then skip, saying so).
NPM_DIRS    := .ci pkg/devtools/localmode/webtest pkg/devtools/localmode/webtest/uppy5 pkg/devtools/localmode/webtest/uppy6 functions/inspector/verifytest
NPM_MODULES := $(addsuffix /node_modules/.package-lock.json,$(NPM_DIRS))

## test: every Go test (unit, integration over loopback, compiled-binary FC runtime test, and the
## real-browser tests: the demo page, Uppy 6 and 5, the README's snippets), with progress: each package's
## ok/FAIL line as it finishes, and on stderr what is still running (pkg/devtools/testprogress). Where Node is installed it first
## installs the pinned npm modules of those tests itself (npm ci), so only Chromium is left to install.
test: $(NPM_MODULES)
	@echo "go test -race -count=1 ./... (about 3 minutes on 2 cores; each package's result as it finishes):"
	@bash -o pipefail -c '$(GO) test -race -count=1 -json ./... 2>&1 | $(GO) run ./pkg/devtools/testprogress'
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo; \
	  echo "!!! SKIPPED: the real-browser tests (TestBrowser, TestUppy, TestReadmeSnippets in pkg/devtools/localmode)"; \
	  echo "!!! did not run: Chromium is not installed. Install it with: sudo apt-get install chromium"; \
	  echo "!!! .ci/run installs it and turns this skip into a failure (OSSBROKER_REQUIRE_BROWSER=1)."; \
	  echo; \
	elif ! command -v node >/dev/null; then \
	  echo; \
	  echo "!!! SKIPPED: the real-browser tests did not run: Node.js is not installed (sudo apt-get install nodejs npm)."; \
	  echo; \
	fi
	@if ! command -v kotlinc >/dev/null || [ ! -f /usr/share/java/okhttp.jar ] || [ ! -f /usr/share/java/com.android.json.jar ]; then \
	  echo; \
	  echo "!!! SKIPPED: README.md's Kotlin snippet (TestReadmeSnippets/*/kotlin in pkg/devtools/localmode) did not run:"; \
	  echo "!!! it needs sudo apt-get install kotlin libokhttp-java libandroid-json-java."; \
	  echo "!!! .ci/run installs them and turns this skip into a failure (OSSBROKER_REQUIRE_KOTLIN=1)."; \
	  echo; \
	fi
	@if [ "$$(id -u)" != 0 ]; then \
	  echo; \
	  echo "!!! SKIPPED: the FC-shaped run (TestShortRun in pkg/devtools/perf/fcshape) did not run: creating"; \
	  echo "!!! cgroups needs root (and cgroup v1 cpu, cpuacct, memory or v2 cpu, memory). Run it as root, or make fcperf."; \
	  echo; \
	fi
	@if [ ! -x .ci/node_modules/.bin/s ]; then \
	  echo; \
	  echo "!!! SKIPPED: the offline s deploy test (TestDeployOffline in pkg/devtools/deploycheck) did not run: it needs"; \
	  echo "!!! Node.js and npm (sudo apt-get install nodejs npm). .ci/run makes the skip a failure (OSSBROKER_REQUIRE_DEPLOY=1)."; \
	  echo; \
	fi

%/node_modules/.package-lock.json: %/package-lock.json %/package.json
	@if command -v npm >/dev/null; then \
	  echo "npm ci in $*"; (cd $* && npm ci --no-audit --no-fund --loglevel=error); \
	else echo "npm is not installed: not installing $*'s modules"; fi

## test-browser: only the real-browser test, verbose (screenshot in pkg/devtools/localmode/webtest/out/)
test-browser:
	$(GO) test -count=1 -v -run '^TestBrowser$$' ./pkg/devtools/localmode

## build: the FC3 code package, dist/code/ holding only the binary main (linux/amd64, static)
build:
	rm -rf dist/code
	mkdir -p dist/code
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags "-s -w" -o dist/code/main ./functions/broker

## build-inspector: the inspector function's code package binary, dist-inspector/main
build-inspector:
	mkdir -p dist-inspector
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags "-s -w" -o dist-inspector/main ./functions/inspector

## zip: dist/ossbroker.zip, the code package (main at the root, exec bit kept)
zip: build
	cd dist/code && rm -f ../ossbroker.zip && zip -q -X ../ossbroker.zip main

# Serverless Devs: S is the s CLI, S_ACCESS the credential alias (`s config add -a <alias>`),
# FC_ALIAS the alias the HTTP trigger serves (s.yaml vars.alias; a test checks they agree).
S        ?= s
S_ACCESS ?= default
FC_ALIAS := prod
RELEASE  ?= $(shell git describe --always --dirty 2>/dev/null || date -u +%Y%m%dT%H%M%SZ)

## deploy: build (s.yaml pre-deploy), deploy the function (LATEST), publish it as a new version,
## point the alias prod at that version, then the HTTP trigger at prod. S_ACCESS=<alias> picks the credentials.
deploy:
	$(S) broker deploy -y -a $(S_ACCESS) --function
	$(S) broker version publish -a $(S_ACCESS) --description "$(RELEASE)"
	$(S) broker alias publish -a $(S_ACCESS) --alias-name $(FC_ALIAS) --version-id latest
	$(S) broker deploy -y -a $(S_ACCESS) --trigger --skip-actions
	@echo; echo "Released: the alias $(FC_ALIAS) serves the version above. The trigger URL: $(S) broker info -a $(S_ACCESS) (triggers, httpTrigger.urlInternet)."
	@echo "Check it: make smoke URL=<trigger URL> TOKEN=<JWT>. Undo it: make rollback VERSION=<previous version id>."

## rollback: point the alias prod back at VERSION (one fc3 call; `s version list` shows the ids)
rollback:
	@test -n "$(VERSION)" || { echo "usage: make rollback VERSION=<id>  (versions: $(S) broker version list -a $(S_ACCESS); serving now: $(S) broker alias get -a $(S_ACCESS) --alias-name $(FC_ALIAS))" >&2; exit 2; }
	$(S) broker alias publish -a $(S_ACCESS) --alias-name $(FC_ALIAS) --version-id $(VERSION)

## deploy-inspector: build and deploy the OSS-triggered inspector function (s.yaml resource inspector) with
## its OSS trigger and async retry configuration, on LATEST (README, Notifications and the inspector function)
deploy-inspector:
	$(S) inspector deploy -y -a $(S_ACCESS)

## smoke: check a deployed function end to end (presign, upload through the URL, CORS preflights, a key
## outside the prefix), pass/fail table with request ids:
## make smoke URL=<trigger URL> TOKEN=<JWT> [ORIGIN=<page origin>] [SMOKE_PREFIX=<the caller's prefix>]
SMOKE_PREFIX ?= exampledir/
smoke:
	@$(GO) run ./pkg/devtools/smoke -url '$(URL)' -token '$(TOKEN)' -origin '$(ORIGIN)' -prefix '$(SMOKE_PREFIX)'

# The deployer's printers and token read .env (README, Deploy), as s does: a value set in the shell wins.
WITHENV := $(GO) run ./pkg/devtools/withenv --

## print-ram-policy, print-bucket-cors, print-bucket-lifecycle, print-inspector-ram-policy: the documents
## the bucket and the roles need (README, Deploy), for the configuration in .env and the shell
print-ram-policy:
	@$(WITHENV) $(GO) run ./functions/broker -print-ram-policy
print-bucket-cors:
	@$(WITHENV) $(GO) run ./functions/broker -print-bucket-cors
print-bucket-lifecycle:
	@$(WITHENV) $(GO) run ./functions/broker -print-bucket-lifecycle
print-inspector-ram-policy:
	@$(WITHENV) $(GO) run ./functions/inspector -print-ram-policy

## token: a JWT for an HS256 deployment, signed with JWT_HS256_SECRET from .env or the shell (never
## printed): make token SUB=<subject> [TTL=1h] [SCOPE="upload"]. With an identity provider, get one from it.
TTL   ?= 1h
SCOPE ?=
token:
	@$(GO) run ./pkg/devtools/token -sub '$(SUB)' -ttl '$(TTL)' -scope '$(SCOPE)'

$(GOBIN)/staticcheck:
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## lint: gofmt, go vet and staticcheck
lint: $(GOBIN)/staticcheck
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...

## bench: Go benchmarks with allocations, then pkg/devtools/perf's path / floor table (README, Performance)
bench:
	@mkdir -p dist
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./... > dist/bench.txt || { cat dist/bench.txt; exit 1; }
	@cat dist/bench.txt
	@echo; echo "path / floor, $$(nproc) cores,$$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $$($(GO) env GOVERSION):"
	@$(GO) run ./pkg/devtools/perf/benchtable < dist/bench.txt

## load: 64 clients x 20 s of presigns and 64 KiB direct uploads against local mode, the bare handler
## and the Node.js baseline (loopback only), every stored upload read back; then the OSS/JWKS fault tests
load:
	cd pkg/devtools/perf/nodebaseline && npm ci --no-audit --no-fund
	$(GO) run ./pkg/devtools/perf/loadgen -clients 64 -duration 20s
	$(GO) test -count=1 -v -run '^Test(OSS|JWKS)' ./pkg/devtools/perf/

## coldstart: median process start -> first response under the emulated FC runtime API, broker vs minimal fc.Start
coldstart:
	$(GO) run ./pkg/devtools/perf/coldstart -n 15

## peakrss: peak RSS of the compiled function for 1 to 32 MiB requests, with and without a token, under the
## emulated FC runtime API with FC_FUNCTION_MEMORY_SIZE=128 (README, Performance)
peakrss:
	$(GO) run ./pkg/devtools/perf/peakrss -n 3

## fcperf: CPU per invocation, latency, cgroup peak memory and OOM kills of the compiled function in a cgroup
## shaped like s.yaml's instance (cpu quota, memorySize limit), beside a minimal fc.Start function; needs root
## and cgroups (README, Performance). FCPERF_ARGS adds flags, e.g. FCPERF_ARGS='-memory 128 -cpu 0.1'.
fcperf:
	$(GO) run ./pkg/devtools/perf/fcshape -n 1000 -runs 5 $(FCPERF_ARGS)

## fuzz: every fuzz target for FUZZTIME each (default 30s). Go 1.26's fuzzer can end a run with a bare
## "context deadline exceeded" as FUZZTIME runs out (go.dev/issue/75804, fixed in Go 1.27): such a run,
## with no failing input written, is reported as that flake; anything else fails.
fuzz:
	@set -e; log=$$(mktemp); trap 'rm -f $$log' EXIT; \
	for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; \
	    if $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime=200x $$pkg > $$log 2>&1; then \
	      tail -n 3 $$log; \
	    else \
	      cat $$log; \
	      if grep -q 'context deadline exceeded' $$log && ! grep -q 'Failing input written' $$log; then \
	        echo "== $$t: the fuzzer's end-of-run flake (go.dev/issue/75804), no failing input; counted as run"; \
	      else exit 1; fi; \
	    fi; \
	  done; \
	done

clean:
	rm -rf dist dist-inspector .data
