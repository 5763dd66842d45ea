package behaviour_test

import (
	"context"
	"testing"

	"github.com/filemux/filemux/behaviour"
)

func TestTransferParam(t *testing.T) {
	tr := &behaviour.Transfer{Params: []behaviour.Param{{Name: "host", Value: "sw1"}, {Name: "ext", Value: ""}, {Name: "host", Value: "later"}}}
	for name, want := range map[string]string{"host": "sw1", "ext": "", "absent": "", "HOST": ""} {
		if got := tr.Param(name); got != want {
			t.Errorf("Param(%q) = %q, want %q", name, got, want)
		}
	}
	if got := (&behaviour.Transfer{}).Param("host"); got != "" {
		t.Errorf("Param without captures = %q", got)
	}
}

func TestTransferSize(t *testing.T) {
	var tr behaviour.Transfer
	if n, ok := tr.Size(); n != 0 || ok {
		t.Errorf("zero Transfer: Size() = %d, %v; want unknown", n, ok)
	}
	for _, tt := range []struct {
		set   int64
		n     int64
		known bool
	}{{0, 0, true}, {1 << 40, 1 << 40, true}, {-1, 0, false}, {5, 5, true}, {-1 << 62, 0, false}} {
		tr.SetSize(tt.set)
		if n, ok := tr.Size(); n != tt.n || ok != tt.known {
			t.Errorf("SetSize(%d): Size() = %d, %v; want %d, %v", tt.set, n, ok, tt.n, tt.known)
		}
	}
}

type keyA struct{}
type keyB struct{}

func TestTransferValues(t *testing.T) {
	var tr behaviour.Transfer
	if tr.Value(keyA{}) != nil {
		t.Error("Value on a fresh transfer is not nil")
	}
	tr.SetValue(keyA{}, 1)
	tr.SetValue(keyB{}, "b")
	tr.SetValue(keyA{}, 2)
	if tr.Value(keyA{}) != 2 || tr.Value(keyB{}) != "b" {
		t.Errorf("values %v, %v; want 2, b", tr.Value(keyA{}), tr.Value(keyB{}))
	}
	if tr.Value("keyA") != nil {
		t.Error("a key of another type found a value")
	}
	if tr.State != nil {
		t.Error("SetValue touched State")
	}
}

func TestTransferContext(t *testing.T) {
	var tr behaviour.Transfer
	if tr.Context() != context.Background() {
		t.Error("Context() without SetContext is not Background")
	}
	ctx, cancel := context.WithCancel(context.Background())
	tr.SetContext(ctx)
	cancel()
	if tr.Context().Err() == nil {
		t.Error("Context() is not the context set")
	}
}

func TestEnumStrings(t *testing.T) {
	tests := []struct {
		got  interface{ String() string }
		want string
	}{
		{behaviour.TFTP, "tftp"}, {behaviour.SFTP, "sftp"}, {behaviour.SCP, "scp"}, {behaviour.HTTP, "http"},
		{behaviour.Protocol(0), "unknown"}, {behaviour.Protocol(5), "unknown"},
		{behaviour.Read, "read"}, {behaviour.Write, "write"}, {behaviour.Access(9), "unknown"},
		{behaviour.Octet, "octet"}, {behaviour.Netascii, "netascii"}, {behaviour.Mode(0), "unknown"},
	}
	for _, tt := range tests {
		if tt.got.String() != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.got, tt.got.String(), tt.want)
		}
	}
}
