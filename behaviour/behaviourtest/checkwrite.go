package behaviourtest

import (
	"bytes"
	"errors"
	"hash/fnv"
	"math/rand/v2"

	"github.com/filemux/filemux/behaviour"
)

// checkWrites uploads to name once per chunk size (alternating a final Write
// with data and an empty one), once with random access, and once abandoned,
// one after the other, checking visibility around each commit.
func (k *kit) checkWrites(name string) {
	k.checkPrepare(behaviour.Write, name)
	var prev []byte
	for i, cs := range k.spec.ChunkSizes {
		c := k.config(cs, 0)
		c.emptyLast = i%2 == 1
		prev = k.checkUpload(name, k.upload(name, i+1), prev, c)
	}
	c := k.config(randomChunk, 0)
	c.random = true
	prev = k.checkUpload(name, k.upload(name, len(k.spec.ChunkSizes)+1), prev, c)
	k.checkAbandon(name, prev)
}

// checkUpload commits data to name and returns what name reads afterwards,
// or nil when that is unknown.
func (k *kit) checkUpload(name string, data, prev []byte, c *config) []byte {
	if k.spec.WriteReadBack {
		c.beforeCommit = func() {
			if got, ok := k.readBack(name); ok && visible(got, data, prev) {
				k.violate(behaviour.Write, name, RuleVisibleBeforeCommit, "a read before the final Write returned %d of the %d bytes being written (%s)", len(got), len(data), describe(c))
			}
		}
	}
	_, err := k.transfer(behaviour.Write, name, c, data)
	switch {
	case kitError(err):
		return prev
	case err != nil:
		k.violate(behaviour.Write, name, RuleAccept, "upload failed: %v (%s)", err, describe(c))
		return prev
	}
	if !k.spec.WriteReadBack {
		return data
	}
	got, ok := k.readBack(name)
	if !ok || !bytes.Equal(got, data) {
		k.violate(behaviour.Write, name, RuleReadBack, "after commit: %s (%s)", diff(got, data), describe(c))
	}
	if !ok {
		return nil
	}
	return got
}

// checkAbandon uploads half a file, aborts, and checks that name still reads
// as last committed.
func (k *kit) checkAbandon(name string, prev []byte) {
	data := k.upload(name, 0)
	c := k.config(512, 0)
	c.abortAfter = max(len(data)/2, 1)
	_, err := k.transfer(behaviour.Write, name, c, data)
	if !errors.Is(err, errAbortProbe) {
		if err != nil && !kitError(err) {
			k.violate(behaviour.Write, name, RuleAccept, "upload failed before the kit abandoned it: %v", err)
		}
		return
	}
	if !k.spec.WriteReadBack {
		return
	}
	got, ok := k.readBack(name)
	switch {
	case ok && visible(got, data, prev):
		k.violate(behaviour.Write, name, RuleVisibleAfterAbort, "after Abort a read returned %d bytes of the abandoned upload", len(got))
	case prev != nil && (!ok || !bytes.Equal(got, prev)):
		k.violate(behaviour.Write, name, RuleVisibleAfterAbort, "after Abort the file no longer reads as last committed: %s", diff(got, prev))
	}
}

// readBack reads name through the handler; ok is false when the read failed.
func (k *kit) readBack(name string) ([]byte, bool) {
	got, err := k.transfer(behaviour.Read, name, k.config(randomChunk, readLimit(k.spec.UploadSize, randomChunk)), nil)
	return got, err == nil
}

// visible reports whether got shows the start of data, which is being or
// was uploaded, rather than the earlier content prev.
func visible(got, data, prev []byte) bool {
	return len(got) > 0 && bytes.HasPrefix(data, got) && !bytes.HasPrefix(prev, got)
}

// upload returns the i-th test content for name: random bytes, distinct for
// every (name, i), the same in every run.
func (k *kit) upload(name string, i int) []byte {
	h := fnv.New64a()
	h.Write([]byte(name))
	r := rand.New(rand.NewPCG(h.Sum64(), uint64(i)))
	b := make([]byte, k.spec.UploadSize)
	for j := range b {
		b[j] = byte(r.Uint32())
	}
	return b
}
