// Package doccheck keeps the repository's comments in Go's doc syntax (https://go.dev/doc/comment).
// It has no code, only a test that walks every .go file of the module (node_modules, testdata,
// hidden folders and generated files aside) and fails on:
//
//   - a Markdown backtick in any comment: go doc prints it literally; write the name plainly, in
//     quotes, as a doc link or in an indented code block;
//   - a comment line of prose wider than [ProseWidth] columns, or any line holding a comment (a
//     code block in a comment, a comment after code) wider than [LineWidth] columns, a tab
//     counting [TabWidth];
//   - a doc comment link in brackets that go doc cannot resolve, which it prints with its brackets.
//
// It lives with the developer tools because it checks the source, not the product.
package doccheck

// The widths the test holds comments to.
const (
	ProseWidth = 100
	LineWidth  = 120
	TabWidth   = 4
)
