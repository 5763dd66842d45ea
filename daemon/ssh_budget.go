package daemon

import "sync/atomic"

// sshBudget bounds the memory that the SFTP read-ahead windows and write
// reorder buffers of one server hold together, so that many sessions with
// many open files cannot exhaust it.
type sshBudget struct{ left atomic.Int64 }

func newSSHBudget(n int64) *sshBudget {
	b := &sshBudget{}
	b.left.Store(n)
	return b
}

// take reserves n bytes and reports whether they were available.
func (b *sshBudget) take(n int64) bool {
	if b.left.Add(-n) < 0 {
		b.left.Add(n)
		return false
	}
	return true
}

// give returns n bytes taken before.
func (b *sshBudget) give(n int64) { b.left.Add(n) }
