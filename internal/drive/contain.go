package drive

import "runtime/debug"

// PanicFunc receives a recovered panic: the call that panicked, the value
// and the stack. Engines log it; it must not reach the peer.
type PanicFunc func(call string, value any, stack []byte)

// Contain runs fn, a handler call named call that belongs to no transfer
// (stat, list, mkdir), turning a panic into an internal error that it
// reports to onPanic (which may be nil).
func Contain(call string, onPanic PanicFunc, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if onPanic != nil {
				onPanic(call, r, debug.Stack())
			}
			err = panicked(call, r)
		}
	}()
	return fn()
}
