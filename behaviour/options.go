package behaviour

import (
	"fmt"
	"iter"
	"strconv"
	"strings"
)

// The names of the TFTP options filemux negotiates, as they appear in
// Transfer.Options. Options compare without regard to case, so
// t.Options.Int(OptTSize) finds a peer's "TSIZE" too.
const (
	// OptBlockSize is the block size in bytes (RFC 2348, 8..65464).
	OptBlockSize = "blksize"
	// OptTimeout is the retransmission timeout in seconds (RFC 2349).
	OptTimeout = "timeout"
	// OptTSize is the transfer size (RFC 2349): the size an upload
	// announces, or a download's question whose answer is t.Size().
	OptTSize = "tsize"
	// OptWindowSize is the number of blocks per acknowledgement (RFC 7440).
	OptWindowSize = "windowsize"
)

// Option is one protocol option: a name and its value.
type Option struct {
	Name  string
	Value string
}

// Options is an ordered list of protocol options whose names compare without
// regard to case (RFC 2347). Names are kept in lower case; values as given.
// The zero value is an empty list ready to use.
type Options struct {
	list []Option
}

// NewOptions returns options holding the given name and value pairs in order.
// A later duplicate of a name (in any case) is ignored.
func NewOptions(opts ...Option) Options {
	var o Options
	for _, op := range opts {
		o.Add(op.Name, op.Value)
	}
	return o
}

// Len returns the number of options.
func (o *Options) Len() int { return len(o.list) }

// All yields the options in order.
func (o *Options) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, op := range o.list {
			if !yield(op.Name, op.Value) {
				return
			}
		}
	}
}

// Get returns the value of the named option and whether it is present.
func (o *Options) Get(name string) (string, bool) {
	if i := o.index(name); i >= 0 {
		return o.list[i].Value, true
	}
	return "", false
}

// Has reports whether the named option is present.
func (o *Options) Has(name string) bool { return o.index(name) >= 0 }

// Int returns the value of the named option as a decimal number. ok is false
// when the option is absent or its value is not a plain non-negative decimal.
func (o *Options) Int(name string) (v int64, ok bool) {
	s, present := o.Get(name)
	if !present {
		return 0, false
	}
	return parseDecimal(s)
}

// Add appends an option. It reports false, and changes nothing, when an
// option of that name is already present. Engines build the peer's
// suggestions with Add; a handler that adds an option is refused by the
// engine.
func (o *Options) Add(name, value string) bool {
	if o.index(name) >= 0 {
		return false
	}
	o.list = append(o.list, Option{Name: strings.ToLower(name), Value: value})
	return true
}

// Set changes the value of an option that is present. Setting an absent
// option is refused with ErrOptionRefused: options can only be dropped or
// changed, never added.
func (o *Options) Set(name, value string) error {
	i := o.index(name)
	if i < 0 {
		return &Error{Code: CodeOptionRefused, Message: "option not requested", Err: fmt.Errorf("set of absent option %q", name)}
	}
	o.list[i].Value = value
	return nil
}

// Lower caps a numeric option at limit and returns its value afterwards.
// ok is false when the option is absent or not numeric.
func (o *Options) Lower(name string, limit int64) (v int64, ok bool) {
	i := o.index(name)
	if i < 0 {
		return 0, false
	}
	if v, ok = parseDecimal(o.list[i].Value); !ok {
		return 0, false
	}
	if v > limit {
		v = limit
		o.list[i].Value = strconv.FormatInt(v, 10)
	}
	return v, true
}

// Del drops the named option; dropping an absent option does nothing.
func (o *Options) Del(name string) {
	if i := o.index(name); i >= 0 {
		o.list = append(o.list[:i:i], o.list[i+1:]...)
	}
}

// Clone returns a copy that shares nothing with o.
func (o *Options) Clone() Options {
	if o.list == nil {
		return Options{}
	}
	return Options{list: append([]Option(nil), o.list...)}
}

// String formats the options as "name=value name=value" for logs.
func (o *Options) String() string {
	var b strings.Builder
	for i, op := range o.list {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(op.Name)
		b.WriteByte('=')
		b.WriteString(op.Value)
	}
	return b.String()
}

func (o *Options) index(name string) int {
	for i := range o.list {
		if strings.EqualFold(o.list[i].Name, name) {
			return i
		}
	}
	return -1
}

// parseDecimal parses a plain non-negative decimal number: digits only (no
// sign, no spaces), at most 18 of them so that it cannot overflow.
func parseDecimal(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}
