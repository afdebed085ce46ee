//go:build !race

package objectkey

const raceEnabled = false
