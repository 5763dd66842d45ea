package config

import (
	"encoding"
	"fmt"
	"io/fs"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/internal/wire"
)

// Duration is a time.Duration written as Go writes it: "1.5s", "500ms",
// "2m".
type Duration time.Duration

// UnmarshalText parses the Go form.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 1.5s, 500ms or 2m", text)
	}
	if v < 0 {
		return fmt.Errorf("%q is negative", text)
	}
	*d = Duration(v)
	return nil
}

// MarshalText returns the String form.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// String returns the Go form without zero minutes or seconds ("10m", not
// "10m0s").
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Size is a number of bytes, written as a plain number or with a binary
// suffix: 512, 64K (or 64KiB), 256M (MiB), 2G (GiB), 1T (TiB).
type Size int64

var sizeSuffixes = []struct {
	suffix string
	shift  uint
}{
	{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10},
	{"T", 40}, {"G", 30}, {"M", 20}, {"K", 10},
}

// UnmarshalText parses a size.
func (s *Size) UnmarshalText(text []byte) error {
	str := strings.TrimSpace(string(text))
	shift := uint(0)
	for _, sf := range sizeSuffixes {
		if rest, ok := strings.CutSuffix(str, sf.suffix); ok {
			str, shift = strings.TrimSpace(rest), sf.shift
			break
		}
	}
	n, ok := wire.ParseDecimal(str)
	if !ok || n > (1<<62)>>shift {
		return fmt.Errorf("%q is not a size such as 1468, 64K, 256MiB or 2G", text)
	}
	*s = Size(n << shift)
	return nil
}

// MarshalText writes the size with the largest suffix that divides it.
func (s Size) MarshalText() ([]byte, error) {
	for _, sf := range sizeSuffixes[:4] {
		if unit := int64(1) << sf.shift; s != 0 && int64(s)%unit == 0 {
			return []byte(strconv.FormatInt(int64(s)/unit, 10) + sf.suffix), nil
		}
	}
	return []byte(strconv.FormatInt(int64(s), 10)), nil
}

// FileMode is a permission written in octal, as chmod takes it: 0644,
// 0o640, 600.
type FileMode fs.FileMode

// UnmarshalText parses the octal form.
func (m *FileMode) UnmarshalText(text []byte) error {
	str := strings.TrimPrefix(strings.TrimPrefix(string(text), "0o"), "0O")
	v, err := strconv.ParseUint(str, 8, 32)
	if err != nil || v > 0o777 {
		return fmt.Errorf("%q is not a permission in octal such as 0644", text)
	}
	*m = FileMode(v)
	return nil
}

// MarshalText writes the octal form, 0644.
func (m FileMode) MarshalText() ([]byte, error) { return fmt.Appendf(nil, "%#o", uint32(m)), nil }

// Access restricts a route to reads or to writes.
type Access uint8

// The access values of a route. The zero value lets both through, and
// leaves the decision to the handler (a dir refuses writes unless its
// write policy allows them).
const (
	AccessBoth Access = iota
	AccessRead
	AccessWrite
)

var accessText = [...]string{AccessBoth: "both", AccessRead: "read", AccessWrite: "write"}

// String returns "both", "read" or "write".
func (a Access) String() string {
	if int(a) < len(accessText) {
		return accessText[a]
	}
	return fmt.Sprintf("Access(%d)", uint8(a))
}

// UnmarshalText parses the String form.
func (a *Access) UnmarshalText(text []byte) error { return parseEnum(text, accessText[:], a) }

// MarshalText returns the String form.
func (a Access) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// Protocol is a protocol a route can be limited to.
type Protocol behaviour.Protocol

// UnmarshalText parses "tftp", "sftp", "scp" or "http" (which covers
// HTTPS).
func (p *Protocol) UnmarshalText(text []byte) error {
	for _, b := range []behaviour.Protocol{behaviour.TFTP, behaviour.SFTP, behaviour.SCP, behaviour.HTTP} {
		if string(text) == b.String() {
			*p = Protocol(b)
			return nil
		}
	}
	return fmt.Errorf("unknown protocol %q (want tftp, sftp, scp or http)", text)
}

// MarshalText returns the protocol's name.
func (p Protocol) MarshalText() ([]byte, error) { return []byte(behaviour.Protocol(p).String()), nil }

// LogFormat is the format of the logs.
type LogFormat uint8

// The log formats: the zero value is text.
const (
	LogText LogFormat = iota
	LogJSON
)

var logFormatText = [...]string{LogText: "text", LogJSON: "json"}

// String returns "text" or "json".
func (f LogFormat) String() string {
	if int(f) < len(logFormatText) {
		return logFormatText[f]
	}
	return fmt.Sprintf("LogFormat(%d)", uint8(f))
}

// UnmarshalText parses the String form.
func (f *LogFormat) UnmarshalText(text []byte) error { return parseEnum(text, logFormatText[:], f) }

// MarshalText returns the String form.
func (f LogFormat) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

func parseEnum[T ~uint8](text []byte, names []string, dst *T) error {
	for i, name := range names {
		if string(text) == name {
			*dst = T(i)
			return nil
		}
	}
	return fmt.Errorf("unknown value %q (want %s)", text, strings.Join(names, ", "))
}

// PortPolicy chooses the local port of each TFTP transfer: "random" (a
// port of the system's choice per transfer, RFC 1350), "single" (every
// transfer on the listening port, for firewalls, NAT and containers) or a
// range "LO-HI".
type PortPolicy struct{ daemon.PortPolicy }

// UnmarshalText parses the policy with daemon.ParsePortPolicy.
func (p *PortPolicy) UnmarshalText(text []byte) error {
	return parseInto(&p.PortPolicy, daemon.ParsePortPolicy, text, "random, single or a range LO-HI")
}

// parseInto is the UnmarshalText of a value the daemon package parses:
// parse's result goes into dst, and its error becomes what want says a
// value looks like.
func parseInto[T any](dst *T, parse func(string) (T, error), text []byte, want string) error {
	v, err := parse(string(text))
	if err != nil {
		return fmt.Errorf("%q is not %s", text, want)
	}
	*dst = v
	return nil
}

// MarshalText returns the form ParsePortPolicy reads.
func (p PortPolicy) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Network is a network in CIDR notation, "10.20.0.0/16" or
// "2001:db8::/48"; a bare address is the network of that address alone.
type Network struct{ netip.Prefix }

// UnmarshalText parses a network or an address.
func (n *Network) UnmarshalText(text []byte) error {
	p, err := netip.ParsePrefix(string(text))
	if err != nil {
		a, aerr := netip.ParseAddr(string(text))
		if aerr != nil || a.Zone() != "" {
			return fmt.Errorf("%q is not a network such as 10.20.0.0/16 or an address", text)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	n.Prefix = p.Masked()
	return nil
}

// MarshalText returns the network in CIDR notation.
func (n Network) MarshalText() ([]byte, error) { return []byte(n.String()), nil }

// Off is the word a file writes for a count or a duration turned off
// (daemon.Never in Go): retries: off sends no packet again, idle_timeout:
// off never closes an idle connection. 0 means the default, as the zero
// value of the daemon's field does.
const Off = "off"

// Count is a number, or off (daemon.Never): retries, ban_threshold. 0
// means the default.
type Count int

// UnmarshalText parses a number of 0 or more, or off.
func (c *Count) UnmarshalText(text []byte) error {
	if string(text) == Off {
		*c = daemon.Never
		return nil
	}
	n, ok := wire.ParseDecimal(string(text))
	if !ok || n > math.MaxInt32 {
		return fmt.Errorf("%q is not a number of 0 or more, or %s", text, Off)
	}
	*c = Count(n)
	return nil
}

// MarshalText returns the number, or off.
func (c Count) MarshalText() ([]byte, error) {
	if c < 0 {
		return []byte(Off), nil
	}
	return strconv.AppendInt(nil, int64(c), 10), nil
}

// Interval is a duration, or off (daemon.Never): idle_timeout,
// keepalive_interval. 0 means the default.
type Interval time.Duration

// UnmarshalText parses a duration as Duration does, or off.
func (i *Interval) UnmarshalText(text []byte) error {
	return unmarshalOff[Interval, Duration](i, text, "a duration such as 1.5s, 500ms or 2m")
}

// MarshalText returns the duration as Duration writes it, or off.
func (i Interval) MarshalText() ([]byte, error) { return marshalOff[Interval, Duration](i) }

// Limit is a size, or off for no limit (a negative value in Go): a
// memory route's max_file_size and max_total. 0 means the default.
type Limit Size

// UnmarshalText parses a size as Size does, or off.
func (l *Limit) UnmarshalText(text []byte) error {
	return unmarshalOff[Limit, Size](l, text, "a size such as 1468, 64K, 256MiB or 2G")
}

// MarshalText returns the size as Size writes it, or off.
func (l Limit) MarshalText() ([]byte, error) { return marshalOff[Limit, Size](l) }

// unmarshalOff is the UnmarshalText of a value of type V, or off
// (daemon.Never): Interval and Limit. want says what V takes.
func unmarshalOff[T ~int64, V ~int64, PV interface {
	*V
	encoding.TextUnmarshaler
}](dst *T, text []byte, want string) error {
	if string(text) == Off {
		*dst = daemon.Never
		return nil
	}
	var v V
	if err := PV(&v).UnmarshalText(text); err != nil {
		return fmt.Errorf("%q is not %s, or %s", text, want, Off)
	}
	*dst = T(v)
	return nil
}

// marshalOff is the MarshalText of unmarshalOff's values: off for a
// negative one.
func marshalOff[T ~int64, V interface {
	~int64
	encoding.TextMarshaler
}](v T) ([]byte, error) {
	if v < 0 {
		return []byte(Off), nil
	}
	return V(v).MarshalText()
}
