package behaviourtest

import (
	"bytes"
	"context"
	"fmt"

	"github.com/filemux/filemux/behaviour"
)

// readJobs returns the checks of one served file: one read per chunk size
// (the first also probing for data after io.EOF), one with random access,
// one taking the whole content, and Prepare.
func (k *kit) readJobs(name string, want []byte) []job {
	var js []job
	for i, cs := range k.spec.ChunkSizes {
		c := k.config(cs, readLimit(len(want), cs))
		c.probeEOF = i == 0
		js = append(js, job{behaviour.Read, name, "read, " + describe(c), func() { k.checkRead(name, want, c) }})
	}
	c := k.config(randomChunk, readLimit(len(want), randomChunk))
	c.random = true
	js = append(js, job{behaviour.Read, name, "read, " + describe(c), func() { k.checkRead(name, want, c) }})
	w := k.config(DefaultChunkSize, readLimit(len(want), DefaultChunkSize))
	w.whole, w.wholeOnly = true, true
	js = append(js, job{behaviour.Read, name, "read, " + describe(w), func() { k.checkRead(name, want, w) }})
	js = append(js, job{behaviour.Read, name, "Prepare", func() { k.checkPrepare(behaviour.Read, name) }})
	return js
}

// randomChunk is the piece length of random-access transfers: an SFTP
// client's usual request is larger, but smaller pieces make more of them.
const randomChunk = 1468

// readLimit bounds a read of a file of size want: far enough past its end to
// see that it does not stop.
func readLimit(want, chunk int) int64 { return int64(want) + int64(chunk) + 1<<16 }

func (k *kit) checkRead(name string, want []byte, c *config) {
	got, err := k.transfer(behaviour.Read, name, c, nil)
	switch {
	case kitError(err):
	case err != nil:
		k.violate(behaviour.Read, name, RuleAccept, "read failed: %v (%s)", err, describe(c))
	case !bytes.Equal(got, want):
		k.violate(behaviour.Read, name, RuleContent, "%s (%s)", diff(got, want), describe(c))
	}
}

// diff says where got first differs from want.
func diff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	return fmt.Sprintf("read %d bytes, want %d; first difference at offset %d", len(got), len(want), i)
}

func (k *kit) checkRefusal(access behaviour.Access, name string, want behaviour.Code) {
	c := k.config(DefaultChunkSize, DefaultMaxSize)
	var data []byte
	if access == behaviour.Write {
		data = k.upload(name, 0)
	}
	_, err := k.transfer(access, name, c, data)
	switch {
	case err == nil:
		k.violate(access, name, RuleRefusal, "accepted, want a refusal with code %d (%s)", want, want)
	case kitError(err):
	case behaviour.Classify(err).Code != want:
		got := behaviour.Classify(err).Code
		k.violate(access, name, RuleRefusal, "refused with code %d (%s), want %d (%s): %v", got, got, want, want, err)
	}
}

// checkPrepare calls Prepare as a client-side engine would, before a
// request, and checks the options it leaves.
func (k *kit) checkPrepare(access behaviour.Access, name string) {
	c := k.config(0, 0)
	t, err := newTransfer(c, access, name, k.spec.UploadSize)
	if err != nil {
		return
	}
	s := newSession(k.h, t, c)
	ctx, cancel := context.WithCancel(k.ctx)
	defer cancel()
	t.SetContext(ctx)
	k.within(t, func() {
		if s.d.Prepare(ctx) == nil {
			s.checkOptions("Prepare")
		}
	})
	k.keep(s.v.err())
}
