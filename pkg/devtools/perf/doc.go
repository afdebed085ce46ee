// Package perf holds the broker's benchmarks against the floor set by the
// cryptography it cannot avoid ("make bench"), and the short load and fault
// tests that "make test" runs. The tools live below it: coldstart,
// loadgen, benchtable; the Node.js comparison endpoint in nodebaseline.
//
// # Figures
//
// Configuration is package [github.com/ossbroker/ossbroker/pkg/config].
//
// A presign is a few HMACs and a token check; the benchmarks measure the broker against that floor,
// and the load, cold-start and fault runs check that it holds up. Commands:
//
//	make bench      # all Go benchmarks (-benchmem), then benchtable's path / floor table below
//	make load       # npm ci of the Node.js baseline, 64 clients x 20 s per run (loadgen),
//	                # then the fault tests
//	make coldstart  # coldstart: 15 cold starts of each binary under the emulated FC runtime API
//	make peakrss    # peakrss: peak RSS of the compiled function for 1-32 MiB requests,
//	                # with and without a token
//	make fcperf     # fcshape: CPU, latency, peak memory and OOM kills in a cgroup shaped
//	                # like s.yaml's FC instance (root and cgroups needed)
//
// "make test" runs the short forms: pkg/devtools/perf/fcshape (30 presigns and health checks, a
// few uploads and large bodies: it checks that figures come out and that nothing was OOM-killed;
// it skips, saying why, where cgroups cannot be created), pkg/devtools/perf/load (a few clients
// for ~1 s of presigns and of 64 KiB uploads, bare and through the trigger emulation, every
// upload read back) and the fault tests in pkg/devtools/perf (a few seconds). Speed is reported,
// never asserted.
//
// Machine for every figure here: 2 cores ("nproc"), "Intel(R) Xeon(R) Processor" (/proc/cpuinfo),
// 24 GiB, Go 1.26.8 linux/amd64, Node 20.20, nothing else running (load average ~1.5). Runs on this
// machine vary by 10-20 % from one to the next; where it matters, several runs are given.
//
// # Path against floor (make bench)
//
//   - presign: one HTTPTriggerEvent JSON (a POST /v1/presign as FC sends it) through the FC runtime
//     SDK's own handler wrapper (fc.NewHandler(...).Invoke, what fc.Start runs per invocation),
//     pkg/fchttp, the broker, and the SDK's encoding of the HTTPTriggerResponse. Floor: the token's
//     signature check alone ("hmac" / rsa.VerifyPKCS1v15 / ecdsa.Verify over the signing input)
//     plus the V4 signature alone with a cached signing key (SHA-256 of the canonical request, HMAC
//     of the string to sign; the four key-derivation HMACs are paid once per day and secret, so
//     they are not in the floor: with them the V4 part is 5.3 µs, not 1.0 µs).
//   - direct upload: the same for PUT /v1/objects/… with a base64 body, stored in an in-process OSS
//     server (ossemu over loopback, whose own receive/MD5/store work counts in the path). Floor:
//     base64-decoding plus MD5 of the same bytes.
//
// The table "make bench" prints (pkg/devtools/perf/benchtable):
//
//	path                 ns/op     allocs/op  B/op      floor                                floor ns/op  path / floor
//	presign HS256        25.5 µs   102        10737     verify HS256 + V4 sign (cached key)  2.2 µs       11.69x
//	presign RS256        75.0 µs   107        12369     verify RS256 + V4 sign (cached key)  47.3 µs      1.59x
//	presign ES256        170.3 µs  119        11757     verify ES256 + V4 sign (cached key)  121.0 µs     1.41x
//	presign JWKS         85.2 µs   113        12625     verify JWKS + V4 sign (cached key)   55.9 µs      1.52x
//	direct upload 64KiB  927.6 µs  490        440794    base64 decode + MD5                  163.5 µs     5.67x
//	direct upload 1MiB   9.80 ms   515        5734982   base64 decode + MD5                  2.55 ms      3.85x
//	direct upload 5MiB   44.89 ms  514        33595693  base64 decode + MD5                  13.91 ms     3.23x
//
// Floors alone: verify HS256 1.1 µs, RS256 46.2 µs, ES256 120.0 µs, JWKS (RS256) 54.9 µs; V4
// signature with a cached key 1.0 µs, with the four key-derivation HMACs 5.3 µs.
//
// The presign path, HS256, over the project's history (same benchmark; absolute times ±15 % run to
// run, the allocation counts exact):
//
//   - the SDK's Presign, encoding/json everywhere: HS256: 67.4 µs; allocs: 350; RS256: 127.5 µs;
//     ES256: 179.0 µs
//   - V4 presigner with a cached signing key (pkg/storage/presign.go): HS256: 46.5 µs; allocs: 174;
//     RS256: 87.0 µs; ES256: 180.7 µs
//   - event decoded by pkg/fcevent, claims split by hand, presign answer by
//     pkg/internal/jsonstring, common request body by decodePresign: HS256: 25.5 µs; allocs: 102;
//     RS256: 75.0 µs; ES256: 170.3 µs
//
// What each step removed:
//
//   - V4 presign without the SDK. The SDK's Presign marshals the request by reflection, signs a
//     whole http.Request through its client pipeline, re-parses its own query and derives the
//     signing key (four HMACs) on every call. PresignPut builds the canonical request, string to
//     sign and URL directly, with the signing key cached per (secret, date). presign_test.go proves
//     it byte-for-byte equal to the SDK's own signer.SignerV4 for the same inputs and second,
//     recomputes every signature with ossemu's independent pure functions and checks the OSS Go
//     SDK's published V4 vectors. PutObject stays on the SDK.
//   - The FC event without reflection. The SDK hands a handler that takes []byte the event JSON
//     untouched, so fchttp.Handler takes the bytes and decodes them with pkg/fcevent: 1.8 µs and 6
//     allocations for a typical event against encoding/json's 10.5 µs and 56 ("go test -bench .
//     ./pkg/fcevent/"). fcevent takes a fast path only for well-formed events of the expected shape
//     and hands anything else (unknown or differently-cased keys, duplicates, nulls, odd numbers)
//     to json.Unmarshal, which is then the only source of the value and the error; table tests and
//     fuzzing (over 2 million inputs per decoder) check it equals encoding/json on every input. The
//     response stays a struct: returned as json.RawMessage, the SDK would re-scan it byte by byte,
//     which measured slower (7.6 µs for a presign answer) than its own encoding of the struct (3.5
//     µs).
//   - golang-jwt's claims: the payload object is split into its members without reflection
//     (auth.members, relying on encoding/json having validated it first) and integer dates are read
//     without json.Number; both are fuzzed against what they replace.
//   - The broker's own JSON: the single-presign answer is written by pkg/internal/jsonstring
//     (byte-equal to json.Marshal, tested), and the common single-presign body ("key", contentType,
//     contentMD5, "overwrite", contentLength, expiresIn, no escapes) is read by decodePresign,
//     which falls back to the strict encoding/json decoder for anything else and is fuzzed against
//     it.
//   - Direct upload: one body buffer of exactly Content-Length, and the SDK's upload CRC64 pass is
//     off (the broker always sends Content-MD5, which OSS checks before storing).
//
// The 1.5x aim is met for ES256 (1.41x) but not for HS256 (11.7x): its floor, 2.2 µs, is less than
// what cannot be removed around it: golang-jwt decoding the token's header into a map (~2 µs), the
// SDK's reflective call and response encoding (~4 µs), building an http.Request (~2 µs) and the
// event itself (~2 µs). RS256 and JWKS are at 1.5-1.6x, about the same 25-30 µs on a larger floor.
//
// # Load (make load)
//
// pkg/devtools/perf/loadgen, 64 concurrent closed-loop clients, 20 s per run after 3 s of
// unmeasured presigns per target, at most 2 000 000 requests per run, loopback only, the load
// generator on the same 2 cores. Presigns send
// {"key":"exampledir/photos/cat.png","contentType":"image/png"} with an HS256 token; uploads PUT 64
// KiB of distinct bytes to distinct keys. Any non-2xx is a failure. "local" is the compiled
// function in local mode (pkg/devtools/localmode, LOG_LEVEL=warn): HTTP trigger → FC3 event JSON →
// the fc-runtime-go-sdk's own handler wrapper (fc.NewHandler, exactly what fc.Start runs per
// invocation) → adapter → broker, ossemu with a folder store; "bare" is the broker's http.Handler
// on a plain net/http server with ossemu in memory; "node" is
// pkg/devtools/perf/nodebaseline/server.js (Node 20, "jose" 5.9.6 HS256 verify, ali-oss 6.23.0
// signatureUrlV4 with Content-Type and x-oss-forbid-overwrite, one process), checked once by
// PUTting through a URL it signed. Each client holds one keep-alive connection and works like
// "wrk": the presign request is serialized once and its bytes re-sent, and responses are read by a
// small strict parser (status line, Content-Length or chunked body; anything else is a failure).
// -nethttp-client uses Go's http.Client instead.
//
//	target  scenario       requests  non-2xx / errors  throughput   p50       p99        notes
//	local   presign        481351    0                 24065 req/s  2.43 ms   10.02 ms
//	local   upload 64 KiB  23177     0                 1158 req/s   53.25 ms  110.75 ms  (1)
//	bare    presign        752795    0                 37635 req/s  1.53 ms   5.22 ms
//	bare    upload 64 KiB  43501     0                 2173 req/s   26.48 ms  76.82 ms   (1)
//	node    presign        153562    0                 7672 req/s   6.91 ms   18.59 ms   (2)
//
//	(1) every stored upload read back, all exact
//	(2) a URL it signed was accepted by ossemu
//
// Presign throughput against Node.js, same machine, same run: local mode 3.14x, bare broker 4.91x.
// The margin over the 3x bar is small, so here is every run of the final code:
//
//   - "make load", the table above: local: 24 065; node: 7 672; local / node: 3.14x
//   - "make load", again: local: 19 617; node: 6 423; local / node: 3.05x
//   - "loadgen -targets local,node -uploads=false": local: 23 917 / 24 453; node: 7 656 / 7 608;
//     local / node: 3.12x / 3.21x
//   - "wrk -t2 -c64 -d20s" (Debian's wrk 4.1, a POST script; local mode and the Node server started
//     by hand), two rounds: local: 19 207 / 19 851; node: 6 334 / 6 550; local / node: 3.03x /
//     3.03x
//   - loadgen -nethttp-client: local: 16 346; node: 6 345; local / node: 2.58x
//
// The load generator shares the two cores with the server. Measured from /proc during a local-mode
// run, the plain connection used 0.31 of a core at 19 400 presigns/s (16 µs of CPU per request) and
// Go's http.Client 0.74 of a core at 12 500/s (59 µs: its two goroutines per connection and their
// hand-offs). That takes more from the server that uses both cores than from Node, which uses one;
// with http.Client the ratio is 2.58x. wrk, written in C, agrees with the plain-connection
// generator.
//
// CPU per presign, from the same /proc readings: local mode ~83 µs (1.6 cores at 19 400/s), Node
// ~150 µs (one core at 6 800/s). Local mode costs about half of Node's CPU per request, and uses
// both cores. Where local mode's CPU goes (under load, cpu profile): net/http serving the trigger
// ~27 %, the FC emulation (event and response JSON, the SDK's reflective call and response
// encoding, the adapter) ~38 %, the broker ~26 % (of which golang-jwt ~12 %), the rest the garbage
// collector and the runtime. Before this round local mode did 9 309 presigns/s against Node's 5 245
// (1.78x, Go's http.Client); the event codec, the broker's JSON, the GC setting and the load
// generator each moved it, by figures too close to the run-to-run noise to rank.
//
// GC: the binary sets GOGC 400 unless GOGC or GOMEMLIMIT is set (see Configuration): in-process,
// the same stack did 17 761 presigns/s at GOGC 100 and 22 843 at 400 ("GOGC=… go run
// ./pkg/devtools/perf/loadgen -targets inproc -uploads=false -duration 8s").
//
// The direct-upload gap between local and bare is the 64 KiB body carried base64-encoded in the
// event JSON and back, and local mode's folder store.
//
// # Cold start (make coldstart)
//
// Both binaries built as "make build" does (CGO_ENABLED=0 -trimpath -ldflags "-s -w"), started 15
// times each (interleaved, after one warm-up) under pkg/devtools/fcemu's runtime API; the time is
// from just before "exec" to the first response (a GET /healthz event) posted back. The broker gets
// an HS256 secret and a RAM key pair: no network at start (only JWT_JWKS_URL fetches at cold start,
// bounded by 3 s and by a 5 s start-up context; a failed fetch does not stop start-up).
//
//	binary                                                      cold start median (15 runs)  min     max
//	./functions/broker                                          3.5 ms                       2.9 ms  4.5 ms
//	./pkg/devtools/perf/coldstart/minimal (fc.Start + a 200 handler)  2.5 ms                       2.3 ms  3.1 ms
//
// The broker answers its first request 1.0 ms after the minimal function does. Binary sizes change
// with every dependency, so none is quoted here: make coldstart prints each binary's size next to
// its times.
//
// # Peak memory (make peakrss)
//
// pkg/devtools/perf/peakrss builds the function as "make build" does and, for each request, starts
// a fresh process under pkg/devtools/fcemu's runtime API (the SDK's real fc.Start loop) with
// FC_FUNCTION_MEMORY_SIZE set as FC sets it, delivers one event, checks the status and reads the
// process's peak RSS (VmHWM in /proc/<pid>/status); direct uploads are stored in an in-process OSS
// server. "SDK floor" is the same event delivered to the smallest possible function, fc.Start with
// a []byte handler that reads nothing (pkg/devtools/perf/peakrss/floor): what the SDK costs before
// any of the broker's code runs. Largest of 3 runs each, "go run ./pkg/devtools/perf/peakrss -n 3
// -memory 128" (MiB; before = the code before the body-decoding fix):
//
//	request (PUT /v1/objects/…)                                         event  status  before  after  SDK floor
//	idle (GET /healthz)                                                 0      200     9.2     9.3    6.6
//	1 MiB, no token                                                     1.3    401     15.7    13.4   11.0
//	5 MiB, no token                                                     6.7    401     37.6    26.0   23.4
//	31 MiB, no token                                                    41.3   401     147.1   133.6  135.8
//	32 MiB, no token (the largest body FC takes)                        42.7   401     149.1   133.6  135.8
//	1 MiB, token (stored)                                               1.3    201     16.8    14.6   11.0
//	5 MiB, token (stored; the default MAX_DIRECT_UPLOAD_BYTES)          6.7    201     42.9    31.3   23.4
//	31 MiB, token (413)                                                 41.3   413     146.7   133.5  135.7
//	32 MiB, token (413)                                                 42.7   413     149.0   133.6  135.8
//	20 MiB, token, MAX_DIRECT_UPLOAD_BYTES=20MiB (stored)               26.7   201     109.3   74.9   71.7
//	24 MiB - 4 KiB, no token (an event just under 32 MiB)               32.0   401     101.7   74.5   71.8
//	32 MiB text/plain of '"' (a JSON string, \" escapes), no token      64.0   401     266.4   235.2  263.9
//	32 MiB text/plain of byte 0x01 (\u0001 escapes), no token           192.0  401     591.0   462.8  520.4
//
// What changed: the event's strings now point into the buffer the SDK hands over
// (fcevent.DecodeEventOwned; before, the whole event was copied first), and a base64 body is
// decoded only as the handler reads it, with Content-Length known from the encoded length. So a
// request refused on its headers (no or a bad token, an unknown route, a declared length over the
// route's limit: 413 for a direct upload over MAX_DIRECT_UPLOAD_BYTES or a JSON body over its 64
// KiB / 1 MiB) costs no copy of its body, and a direct upload or webhook is read once into one
// buffer of its size (TestRefusedBodiesCostNothing sweeps every route; pkg/fchttp's
// TestUnreadBodyCostsNothing counts the bytes allocated).
//
// What holds 128 MB back: the SDK's own read of the event. fc-runtime-go-sdk reads each event from
// the runtime API into a bytes.Buffer that doubles as it fills, so an event over 32 MiB (any binary
// body over 24 MiB: base64 adds a third) ends in a 64 MiB buffer, allocated and zeroed while the 32
// MiB one is still being copied, with the smaller ones not yet collected: 136 MiB peak for the
// floor function, which never even looks at the event. The broker now stays at that floor (133.6
// MiB, its soft memory limit collects a little harder), but no code of the function's runs before
// that read, so no change of the broker's brings the largest binary body FC takes under 128 MB, let
// alone under the 115 MB that 10 % spare would allow; tightening the garbage collector (GOMEMLIMIT
// 40 MiB) still measured about 122 MiB. s.yaml therefore asks for 192 MB ("memorySize: 192", the
// next size FC offers): the worst binary request peaks at 138.3 MiB there ("-memory 192", so
// GOMEMLIMIT is 134 MiB), 28 % spare. If FC's 32 MB limit bounds the event rather than the body
// (its pages say "body"), the worst event is the 32.0 MiB row, 74.5 MiB, and 128 MB would hold it
// with 42 % spare.
//
// Text bodies are the exception no size covers: FC base64-encodes only binary bodies and sends text
// ones as a JSON string, where " takes 2 bytes and a control byte 6, so a 32 MiB text/plain body
// can make an event of up to 192 MiB, and the SDK alone then peaks at 264-520 MiB. How FC escapes
// such bodies, and whether it takes them at all, is not documented (the local trigger sends every
// valid UTF-8 text body as a JSON string). Built-in runtimes serve one request per instance, so
// such a request can at worst end its own instance, and the broker has neither stored nor signed
// anything for it by then.
//
// # In an FC-shaped instance (make fcperf)
//
// pkg/devtools/perf/fcshape builds the function as "make build" does and runs it the way FC runs
// and bills it: under pkg/devtools/fcemu's runtime API (the SDK's real fc.Start loop), in a cgroup
// (v1 cpu, cpuacct and memory, or v2) shaped like the instance s.yaml asks for: a CPU quota of its
// cpu (0.15 vCPU: 15 ms per 100 ms period), a memory limit of its memorySize (192 MB), no swap,
// and FC_FUNCTION_MEMORY_SIZE set. Each request gets a fresh process in a fresh cgroup, a warm-up,
// then invocations one at a time: CPU per invocation is the cgroup's CPU time over them (only the
// function's process is in it), latency is the runtime API's wall time per invocation, peak memory
// is the cgroup's (memory.max_usage_in_bytes, memory.peak on v2) over the process's life, and OOM
// kills are the cgroup's count (memory.oom_control, memory.events). The same events go to
// pkg/devtools/perf/coldstart/minimal (fc.Start with a handler that answers 200), the floor, also
// with GOMAXPROCS=1. The machine is shared: CPU figures vary by 20-30 % between runs, so each is
// the median (min-max) of 3 processes, and several runs are given where they decide something.
//
// "go run ./pkg/devtools/perf/fcshape -runs 3" (make fcperf runs 5), after the changes below:
//
//	request (192 MB, 0.15 vCPU)   function    CPU / invocation         p50      p99      peak       OOM
//	presign                       broker      465 µs (342-488)         0.57 ms  67 ms    18.5 MiB   0
//	presign                       minimal     248 µs (216-274)         0.28 ms  70 ms    7.5 MiB    0
//	presign                       minimal, 1  220 µs (206-302)         0.28 ms  52 ms    6.5 MiB    0
//	GET /healthz                  broker      299 µs (245-326)         0.39 ms  68 ms    18.5 MiB   0
//	GET /healthz                  minimal     357 µs (224-453)         0.49 ms  65 ms    7.2 MiB    0
//	1 MiB direct upload           broker      7.3 ms (6.8-7.6)         55 ms    215 ms   23.5 MiB   0
//	1 MiB direct upload           minimal     14.5 ms (14.0-16.7)      97 ms    302 ms   12.6 MiB   0
//	5 MiB direct upload           broker      33.2 ms (32.7-33.8)      268 ms   934 ms   69.9 MiB   0
//	5 MiB direct upload           minimal     43.5 ms (39.3-44.0)      297 ms   489 ms   33.7 MiB   0
//	32 MiB binary, token (413)    broker      52.7 ms (41.9-59.7)      368 ms   400 ms   131.8 MiB  0
//	32 MiB binary, token (413)    minimal     -                        -        -        192 MiB    3 (killed)
//	32 MiB binary, no token (401) broker      52.7 ms (49.6-134.4)     313 ms   420 ms   131.8 MiB  0
//	32 MiB binary, no token (401) minimal     -                        -        -        192 MiB    3 (killed)
//
// ("minimal, 1" is the minimal function with GOMAXPROCS=1.) Presign medians over the four runs
// after both changes: 339, 352, 465 and 530 µs (lowest single processes 334-344 µs), against
// 248-269 µs for the minimal function: 1.3-1.9x, not the 1.2x aimed at. A perf profile of the
// broker serving presigns in the cgroup ("perf record -g" on the process, built with symbols)
// says where it goes: the handler (pkg/fchttp, the broker, the access log line) is about a fifth
// of the samples; the rest is the SDK's invoke loop (an HTTP GET of the next event and a POST of
// the response over net/http, the SDK's two log lines per invocation, its reflection-based call)
// and the Go runtime, which the minimal function pays too. The largest single item is the
// runtime's sysmon thread (15 % of the samples): each invocation's first system call wakes it
// from its idle sleep, and it then polls every 20 µs until the process is idle again, longer when
// the quota stretches the invocation. Within the handler: token check about 6 %, the access log
// line about 4 %, the V4 signature about 2 %. The access log line is kept: it is the one record of
// each request, and without it ("-env LOG_LEVEL=warn") the lowest presign process measured 291 µs
// against 302 µs with it in the same session (medians 333 and 443 µs: within the noise).
//
// The wall time of anything heavier than a presign is its CPU time divided by the 0.15 vCPU share
// (a 1 MiB direct upload: 7 ms of CPU, 55 ms of wall time), and p99 is the quota running out:
// back to back, a process uses its 15 ms within the 100 ms period and waits for the next one. FC
// bills an active instance's wall time by its configured vCPU and memory, so per million requests
// at 192 MB and 0.15 vCPU: presigns 510 s, 77 vCPU-s, 96 GB-s; 1 MiB direct uploads 55 000 s, 8
// 250 vCPU-s, 10 300 GB-s.
//
// What changed, each measured with the tool before and after (presign and health check, 3
// processes per run, two or three runs each, interleaved):
//
//   - GOMAXPROCS=1 on at most one vCPU (pkg/cpulimit, in both functions; an operator's GOMAXPROCS
//     wins). Go reads the cgroup's quota but rounds a limit under 2 up to 2, so on 0.15 vCPU the
//     runtime scheduled for two CPUs: more thread wake-ups and futex calls per invocation. Presign
//     medians 479 and 446 µs (391-526) -> 370 and 382 µs (311-559); health check 479 and 405 µs
//     -> 277 and 306 µs. The minimal function shows the same: 240-272 µs -> 190-220 µs.
//   - pkg/fchttp runs each invocation on one long-lived goroutine. The SDK starts a new goroutine
//     per invocation, whose small stack was grown by copying as deep as the handler goes, every
//     time: 7.1 % of a presign's samples, 3.5 % after (what is left is the SDK's own part).
//     Presign medians 387, 421, 407 µs (lowest 348-355) -> 530, 352, 339 µs (lowest 334-344):
//     about 4 %, within the noise of the medians but steady in the minima and in the profile.
//
// Memory, proved in the limit: at 192 MB nothing is OOM-killed; every legitimate request stays
// under 40 % of the limit (presigns 10 %, a 5 MiB direct upload, the default
// MAX_DIRECT_UPLOAD_BYTES, 36-39 %), under the 70 % aimed at; the largest binary body FC takes
// peaks at 131.8 MiB, 69 %, and gets its 413 (with a token) or 401 (without). The minimal
// function, which decodes the event into the SDK's own events.HTTPTriggerEvent with
// encoding/json, is OOM-killed at 192 MB by that body. At 128 MB and 0.1 vCPU ("-memory 128 -cpu
// 0.1", GOMEMLIMIT 90 MiB):
//
//	request (128 MB, 0.1 vCPU)    function    CPU / invocation         p50      p99      peak       OOM
//	presign                       broker      349 µs (305-380)         0.46 ms  84 ms    18.8 MiB   0
//	1 MiB direct upload           broker      7.5 ms (6.9-7.8)         82 ms    197 ms   23.6 MiB   0
//	5 MiB direct upload           broker      35.3 ms (33.8-36.3)      327 ms   1215 ms  75.7 MiB   0
//	32 MiB binary, token (413)    broker      527 ms (514-529)         5.4 s    5.5 s    123.4 MiB  0
//	32 MiB binary, no token (401) broker      524 ms (511-532)         5.3 s    5.6 s    123.5 MiB  0
//	32 MiB binary, either         minimal     -                        -        -        128 MiB    3 (killed)
//
// The broker survives the largest body at 128 MB, but at 96 % of the limit, with the garbage
// collector running against its soft limit for ten times the CPU and 5-6 s of wall time. (The
// peak RSS that peakrss reads for it, 133.6 MiB without a limit, counts differently: RSS includes
// the binary's mapped file pages, which the kernel may reclaim under a limit.) s.yaml keeps 192
// MB: 4 % spare is no margin
// for an event FC frames a little differently, and 192 MB costs 1.5x the GB-seconds of 128 MB
// but is also allowed 0.15 vCPU instead of 0.1, which shortens every invocation that does work.
//
// # Faults (pkg/devtools/perf/faults_test.go, jwks_faults_test.go; in make test and make load)
//
// OSS is reached through the SDK with OSS_CONNECT_TIMEOUT (dial, default 3 s) and
// OSS_REQUEST_TIMEOUT (each read or write, default 20 s), at most two attempts; on top, each direct
// upload is bounded as a whole by 2 x (connect + request) and by the invocation's FC deadline less
// 1 s, so the broker answers its own 504 JSON before FC would cut it off (with the defaults the SDK
// alone could take 46 s, past a 30 s function timeout). Tested with 200 ms / 400 ms timeouts, a
// stand-in in front of a real ossemu, channels instead of sleeps:
//
//   - stopped (connection refused): broker answers: 502 storage_unavailable, at once; stored?: no
//   - accepts and never answers (256 KiB body): broker answers: 504 storage_unavailable within the
//     bound; stored?: no
//   - hangs after reading the body: broker answers: 504 within the bound; stored?: no
//   - slow (answers after the broker gave up): broker answers: 504 within the bound; stored?: may
//     still complete at OSS: a 504 means "unknown", never "stored"
//   - 500 / 503 (OSS XML error): broker answers: 502 after the SDK's retry; stored?: no
//   - drops the connection after the body: broker answers: 502; stored?: no
//   - hangs, function deadline 2.5 s, deployed timeouts: broker answers: 504 before the deadline;
//     stored?: no
//
// After each fault the stand-in switches back to the real server and the next upload gets 201 with
// exactly its bytes (for "stopped", an OSS server starts on the same port). No failed write is ever
// answered 2xx; presigning needs no network and keeps working while OSS is down. JWKS
// (JWT_JWKS_URL, 3 s HTTP timeout, tested with a 300 ms client): when the IdP fails or hangs after
// a good fetch, tokens with a cached "kid" still pass and an unknown "kid" gets 401 within the
// timeout; when it is down or hanging at cold start, start-up is bounded and succeeds, and once it
// is back a token fetches the set and passes. Left as is (pkg/auth): after a failed refetch for an
// unknown "kid", the next refetch is rate-limited to once per 5 minutes, so a token arriving while
// the IdP is still down delays recovery until then (or the hourly refresh).
package perf
