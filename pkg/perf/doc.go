// Package perf holds the broker's benchmarks against the floor set by the
// cryptography it cannot avoid (`make bench`), and the short load and fault
// tests that `make test` runs. The tools live below it: coldstart,
// loadgen, benchtable; the Node.js comparison endpoint in nodebaseline.
package perf
