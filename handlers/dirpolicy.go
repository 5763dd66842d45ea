package handlers

import "fmt"

// WritePolicy says which uploads a [Dir] accepts, in the manner of tftp-hpa's
// -c flag. The zero value, WriteNone, serves the directory read-only.
type WritePolicy uint8

// The write policies of a Dir.
const (
	// WriteNone refuses every upload and every change (tftp-hpa without -s writes).
	WriteNone WritePolicy = iota
	// WriteCreate accepts uploads of new files only and never replaces or
	// removes one: the safe setting for collecting configs from devices.
	WriteCreate
	// WriteOverwrite accepts uploads that replace existing files only, as
	// tftp-hpa does without -c.
	WriteOverwrite
	// WriteAny accepts every upload and change (tftp-hpa -c).
	WriteAny
)

var policyText = [...]string{
	WriteNone:      "none",
	WriteCreate:    "create",
	WriteOverwrite: "overwrite",
	WriteAny:       "any",
}

// String returns "none", "create", "overwrite" or "any".
func (p WritePolicy) String() string {
	if int(p) < len(policyText) {
		return policyText[p]
	}
	return fmt.Sprintf("WritePolicy(%d)", uint8(p))
}

// MarshalText returns the String form, so that configuration files can name
// a policy.
func (p WritePolicy) MarshalText() ([]byte, error) {
	if int(p) >= len(policyText) {
		return nil, fmt.Errorf("handlers: invalid write policy %d", uint8(p))
	}
	return []byte(p.String()), nil
}

// UnmarshalText parses the String form.
func (p *WritePolicy) UnmarshalText(text []byte) error {
	for i, s := range policyText {
		if string(text) == s {
			*p = WritePolicy(i)
			return nil
		}
	}
	return fmt.Errorf("handlers: unknown write policy %q (want none, create, overwrite or any)", text)
}

// creates reports whether new names may appear.
func (p WritePolicy) creates() bool { return p == WriteCreate || p == WriteAny }

// replaces reports whether existing files may change or disappear.
func (p WritePolicy) replaces() bool { return p == WriteOverwrite || p == WriteAny }
