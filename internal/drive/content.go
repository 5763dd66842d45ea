package drive

import (
	"os"
	"sync/atomic"

	"github.com/filemux/filemux/behaviour"
)

// Content is the whole content of a transfer's read (behaviour.ContentOf),
// for an engine that sends it without Read or ReadAt. The engine reports
// what it sent with Sent; the driver tells the handler
// (behaviour.Content.Sent) before the ending, EndRead or Abort, so that a
// decorator counting the transfer's bytes has them all by then.
type Content struct {
	d      *Driver
	c      behaviour.Content
	unsent atomic.Int64 // sent by the engine, not yet told to the handler
}

// Content asks the handler's chain for the whole content of the open
// read, under the deadline with its panic contained. It offers none after
// a failure or the ending, for a transfer of unknown size, nor one that
// breaks behaviour.Content's rules: both or neither of File and Bytes set,
// or Bytes of another length than the size. The engine uses it until it calls EndRead or
// Abort, and ends the read with EndRead.
func (d *Driver) Content() (*Content, bool) {
	if d.ended.Load() || d.failure() != nil {
		return nil, false
	}
	var c behaviour.Content
	var ok bool
	if err := d.Call("Content", func() error { c, ok = behaviour.ContentOf(d.h, d.t); return nil }); err != nil || !ok {
		return nil, false
	}
	if (c.File == nil) == (c.Bytes == nil) {
		return nil, false
	}
	if size, known := d.t.Size(); !known || (c.Bytes != nil && int64(len(c.Bytes)) != size) {
		return nil, false
	}
	dc := &Content{d: d, c: c}
	d.mu.Lock()
	d.content = dc
	d.mu.Unlock()
	return dc, true
}

// File returns the content's file, or nil when it is bytes.
func (c *Content) File() *os.File { return c.c.File }

// Bytes returns the content's bytes, or nil when it is a file. The engine
// must not change them.
func (c *Content) Bytes() []byte { return c.c.Bytes }

// Sent records n more bytes sent from the content. It is safe from any
// goroutine.
func (c *Content) Sent(n int64) {
	if n > 0 {
		c.unsent.Add(n)
	}
}

// tellSent hands the bytes the engine sent to the handler's Sent, once
// per ending. A panic in it is contained and returned.
func (d *Driver) tellSent() error {
	d.mu.Lock()
	c := d.content
	d.mu.Unlock()
	if c == nil || c.c.Sent == nil {
		return nil
	}
	n := c.unsent.Swap(0)
	if n == 0 {
		return nil
	}
	return d.contain("Sent", func() error { c.c.Sent(n); return nil })
}
