package behaviour

import (
	"context"
	"net/netip"
)

// Protocol names the protocol a transfer arrived on.
type Protocol uint8

// The protocols filemux serves.
const (
	TFTP Protocol = iota + 1
	SFTP
	SCP
	// HTTP is a request to daemon.HTTP, over HTTP or HTTPS.
	HTTP
)

// String returns "tftp", "sftp", "scp" or "http".
func (p Protocol) String() string { return enumName(p, "tftp", "sftp", "scp", "http") }

// Access says which way the data of a transfer flows, seen from the side
// whose Handler is called: Read means the handler produces the file, Write
// means it consumes it.
type Access uint8

// The two directions of a transfer.
const (
	Read Access = iota + 1
	Write
)

// String returns "read" or "write".
func (a Access) String() string { return enumName(a, "read", "write") }

// Mode is the TFTP transfer mode. SFTP, SCP and HTTP transfers are always Octet.
type Mode uint8

// The transfer modes of RFC 1350 that filemux serves (mail is obsolete and refused).
const (
	Octet Mode = iota + 1
	Netascii
)

// String returns "octet" or "netascii".
func (m Mode) String() string { return enumName(m, "octet", "netascii") }

// enumName is the String of the enums above, which count from 1: the name of
// v among names, or "unknown".
func enumName[E ~uint8](v E, names ...string) string {
	if v == 0 || int(v) > len(names) {
		return "unknown"
	}
	return names[v-1]
}

// OpenFlags are the SFTP open flags of a write, for handlers whose policy
// depends on them. TFTP and SCP writes carry Create|Truncate.
type OpenFlags uint8

// The open flags of SFTP (draft-ietf-secsh-filexfer-02, SSH_FXF_*).
const (
	FlagAppend OpenFlags = 1 << iota
	FlagCreate
	FlagTruncate
	FlagExclusive
)

// FlagReplace is set on the Transfer of a rename that replaces an existing
// target, as rename(2) does: SFTP's posix-rename@openssh.com, which
// OpenSSH's sftp uses for its rename command. Without it a Renamer refuses
// an existing target, as SFTP version 3's RENAME asks.
const FlagReplace OpenFlags = 1 << 7

// Param is one named capture of the route that matched a transfer.
type Param struct {
	Name  string
	Value string
}

// Transfer is one request for one file, from its Open to its ending. Engines
// fill it before calling the Handler; the Handler reads it, may lower
// Options, may set the size and keeps its own state in State.
type Transfer struct {
	Protocol Protocol
	Access   Access
	// RequestedName is the file name exactly as the peer sent it.
	RequestedName string
	// Name is RequestedName after CleanName: relative, slash-separated and
	// free of traversal. Dispatch and handlers use Name.
	Name  string
	Mode  Mode
	Flags OpenFlags
	// Options are the protocol options (RFC 2347) under negotiation.
	Options Options
	// Peer is the remote address; Local the local address the request arrived on.
	Peer  netip.AddrPort
	Local netip.AddrPort
	// User is the authenticated SSH or HTTP user name; empty for TFTP and
	// for HTTP requests without credentials.
	User string
	// Pattern is the pattern of the route that matched, and Params its named
	// captures, set by the registry.
	Pattern string
	Params  []Param
	// State is the handler's own per-transfer state (Erlang's State). Engines
	// look at it only for the random-access capabilities (io.ReaderAt,
	// io.WriterAt).
	State any

	size      int64
	sizeKnown bool
	ctx       context.Context
	values    []keyValue
}

type keyValue struct{ key, val any }

// Param returns the value of the named capture, or "" when there is none.
func (t *Transfer) Param(name string) string {
	for _, p := range t.Params {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// Size returns the size of the file and whether it is known. On an upload
// it is the size the peer announced before Open (TFTP's tsize, SCP's file
// record, the client's own file), so handlers read it here rather than
// from t.Options. On a read, Open sets it.
func (t *Transfer) Size() (int64, bool) { return t.size, t.sizeKnown }

// SetSize records the size of the file; a negative size makes it unknown.
func (t *Transfer) SetSize(n int64) { t.size, t.sizeKnown = max(n, 0), n >= 0 }

// Context returns the context of the transfer: cancelled when the transfer is
// abandoned or a call overruns its deadline. It is context.Background() until
// an engine sets one.
func (t *Transfer) Context() context.Context {
	if t.ctx == nil {
		return context.Background()
	}
	return t.ctx
}

// SetContext sets the context returned by Context. Engines call it before Open.
func (t *Transfer) SetContext(ctx context.Context) { t.ctx = ctx }

// Value returns what a dispatcher or decorator stored under key with
// SetValue, or nil. Keys compare with ==; use an unexported type, as for
// context keys, so that layers never collide.
func (t *Transfer) Value(key any) any {
	for _, kv := range t.values {
		if kv.key == key {
			return kv.val
		}
	}
	return nil
}

// SetValue stores val under key for the life of the transfer. It lets
// layers such as the registry and decorators keep per-transfer state of their
// own without touching State, which belongs to the handler.
func (t *Transfer) SetValue(key, val any) {
	for i := range t.values {
		if t.values[i].key == key {
			t.values[i].val = val
			return
		}
	}
	t.values = append(t.values, keyValue{key, val})
}
