//go:build race

package behaviourtest_test

// raceEnabled reports whether the race detector is on: it fails a test that
// races by itself, whatever the kit reports.
const raceEnabled = true
