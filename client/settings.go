package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/tftp"
)

// settings are a TFTP's fields checked, with defaults applied and the
// server's address resolved, fixed for one transfer.
type settings struct {
	c      *TFTP
	server netip.AddrPort
	local  netip.AddrPort
	base   tftp.Params
	// suggest are the options every request of this client asks for;
	// tsize is added per transfer.
	suggest behaviour.Options
}

var reservedOptions = []string{tftp.OptBlockSize, tftp.OptWindowSize, tftp.OptTimeout, tftp.OptTSize}

func (c *TFTP) settings(ctx context.Context) (*settings, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	s := &settings{c: c, base: tftp.DefaultParams()}
	if c.Mode != 0 {
		s.base.Mode = c.Mode
	}
	s.base.Timeout = cmpOr(c.Timeout, DefaultTimeout)
	s.base.Retries = max(cmpOr(c.Retries, DefaultRetries), 0)
	var err error
	if s.local, err = parseLocal(c.LocalAddr); err != nil {
		return nil, err
	}
	if s.server, err = resolve(ctx, c.Addr, s.local.Addr()); err != nil {
		return nil, err
	}
	s.suggest = c.suggestions()
	return s, nil
}

func cmpOr[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Validate reports every field that is out of range, as the transfers
// would, without sending anything (the server's name is not looked up).
func (c *TFTP) Validate() error { return c.validate() }

func (c *TFTP) validate() error {
	var errs []error
	check := func(bad bool, format string, args ...any) {
		if bad {
			errs = append(errs, fmt.Errorf("client: TFTP."+format, args...))
		}
	}
	check(c.Addr == "", "Addr is empty")
	check(c.BlockSize != 0 && (c.BlockSize < tftp.MinBlockSize || c.BlockSize > tftp.MaxBlockSize),
		"BlockSize %d is outside %d..%d", c.BlockSize, tftp.MinBlockSize, tftp.MaxBlockSize)
	check(c.WindowSize < 0 || c.WindowSize > 65535, "WindowSize %d is outside 1..65535", c.WindowSize)
	check(c.Timeout < 0, "Timeout %v is negative", c.Timeout)
	check(c.Mode != 0 && c.Mode != behaviour.Octet && c.Mode != behaviour.Netascii, "Mode %v is not octet or netascii", c.Mode)
	check(c.MaxSize < 0, "MaxSize %d is negative", c.MaxSize)
	if err := c.Verify.validate(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.validateOptions()...)
	return errors.Join(errs...)
}

func (c *TFTP) validateOptions() []error {
	var errs []error
	var seen behaviour.Options
	for _, o := range c.Options {
		switch {
		case o.Name == "" || strings.IndexByte(o.Name, 0) >= 0 || strings.IndexByte(o.Value, 0) >= 0:
			errs = append(errs, fmt.Errorf("client: TFTP.Options: option %q=%q is empty or holds a NUL", o.Name, o.Value))
		case isReserved(o.Name):
			errs = append(errs, fmt.Errorf("client: TFTP.Options: %q is set by its own field", o.Name))
		case !seen.Add(o.Name, o.Value):
			errs = append(errs, fmt.Errorf("client: TFTP.Options: %q appears twice", o.Name))
		}
	}
	return errs
}

func isReserved(name string) bool {
	for _, r := range reservedOptions {
		if strings.EqualFold(name, r) {
			return true
		}
	}
	return false
}

// suggestions are the options of every request: blksize, windowsize and
// timeout as configured, then the extra options.
func (c *TFTP) suggestions() behaviour.Options {
	var o behaviour.Options
	if c.BlockSize > 0 {
		o.Add(tftp.OptBlockSize, strconv.Itoa(c.BlockSize))
	}
	if c.WindowSize > 1 {
		o.Add(tftp.OptWindowSize, strconv.Itoa(c.WindowSize))
	}
	if c.Timeout%time.Second == 0 && c.Timeout >= time.Second && c.Timeout <= 255*time.Second {
		o.Add(tftp.OptTimeout, strconv.Itoa(int(c.Timeout/time.Second)))
	}
	for _, x := range c.Options {
		o.Add(x.Name, x.Value)
	}
	return o
}

func parseLocal(s string) (netip.AddrPort, error) {
	if s == "" {
		return netip.AddrPort{}, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(a, 0), nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("client: TFTP.LocalAddr %q is not an IP address or IP:port", s)
	}
	return ap, nil
}

// resolve turns addr into an address and port, looking the host up when it
// is a name and preferring the family of the local address when one is set.
func resolve(ctx context.Context, addr string, local netip.Addr) (netip.AddrPort, error) {
	host, port, err := splitHostPort(addr)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return netip.AddrPortFrom(a.Unmap(), port), nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("client: %w", err)
	}
	best := addrs[0]
	for _, a := range addrs {
		if local.IsValid() && a.Unmap().Is4() == local.Unmap().Is4() {
			best = a
			break
		}
	}
	return netip.AddrPortFrom(best.Unmap(), port), nil
}

func splitHostPort(addr string) (string, uint16, error) {
	if a, err := netip.ParseAddr(addr); err == nil {
		return a.String(), DefaultPort, nil // a bare IPv6 address has colons but no port
	}
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		host, portText = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]"), strconv.Itoa(DefaultPort)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil || port == 0 || host == "" {
		return "", 0, fmt.Errorf("client: TFTP.Addr %q is not host or host:port", addr)
	}
	return host, uint16(port), nil
}

// listen opens the transfer's socket, in the server's address family.
func (s *settings) listen() (*net.UDPConn, error) {
	network := "udp4"
	if !s.server.Addr().Is4() {
		network = "udp6"
	}
	var laddr *net.UDPAddr
	if s.local.IsValid() {
		laddr = net.UDPAddrFromAddrPort(s.local)
	}
	pc, err := net.ListenUDP(network, laddr)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	return pc, nil
}
