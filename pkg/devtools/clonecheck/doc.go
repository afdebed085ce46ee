// Package clonecheck holds the tests that keep a clone self-contained: every file the code and
// the docs cite is in the repository, every relative link of its Markdown files resolves, and the
// licence is the Apache License 2.0 the README names.
package clonecheck
