//go:build !race

package behaviourtest_test

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
