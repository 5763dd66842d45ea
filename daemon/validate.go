package daemon

import (
	"errors"
	"fmt"
)

// checks collects the configuration errors validate finds in one server's
// fields, each prefixed with the server type ("daemon: SSH.").
type checks struct {
	prefix string
	errs   []error
}

// check records the error format describes when bad holds.
func (c *checks) check(bad bool, format string, args ...any) {
	if bad {
		c.errs = append(c.errs, fmt.Errorf(c.prefix+format, args...))
	}
}

// add records err when it is not nil.
func (c *checks) add(err error) {
	if err != nil {
		c.errs = append(c.errs, err)
	}
}

// err joins what was recorded: nil when every check passed.
func (c *checks) err() error { return errors.Join(c.errs...) }
