package tftp

import (
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/wire"
)

func opts(kv ...string) behaviour.Options {
	var o behaviour.Options
	for i := 0; i+1 < len(kv); i += 2 {
		o.Add(kv[i], kv[i+1])
	}
	return o
}

func TestServerOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   Opcode
		in   behaviour.Options
		lim  Limits
		want string
		code behaviour.Code // when an error is expected
	}{
		{"unknown dropped", OpRRQ, opts("foo_blksize_bar", "512", "rollover", "0"), Limits{}, "", 0},
		{"blksize kept", OpRRQ, opts("blksize", "1468"), Limits{}, "blksize=1468", 0},
		{"blksize leading zeros normalised", OpRRQ, opts("blksize", "01468"), Limits{}, "blksize=1468", 0},
		{"blksize clamped to RFC max", OpRRQ, opts("blksize", "65465"), Limits{}, "blksize=65464", 0},
		{"blksize huge clamped", OpRRQ, opts("blksize", "999999999999999999"), Limits{}, "blksize=65464", 0},
		{"blksize clamped to limit", OpRRQ, opts("blksize", "9000"), Limits{MaxBlockSize: 1468}, "blksize=1468", 0},
		{"blksize 7 dropped", OpRRQ, opts("blksize", "7"), Limits{}, "", 0},
		{"blksize 8 kept", OpRRQ, opts("blksize", "8"), Limits{}, "blksize=8", 0},
		{"blksize +512 dropped", OpRRQ, opts("blksize", "+512"), Limits{}, "", 0},
		{"blksize -1 dropped", OpRRQ, opts("blksize", "-1"), Limits{}, "", 0},
		{"blksize abc dropped", OpRRQ, opts("blksize", "abc"), Limits{}, "", 0},
		{"blksize 19 digits dropped", OpRRQ, opts("blksize", "1234567890123456789"), Limits{}, "", 0},
		{"blksize with space dropped", OpRRQ, opts("blksize", " 512"), Limits{}, "", 0},
		{"timeout 0 dropped", OpRRQ, opts("timeout", "0"), Limits{}, "", 0},
		{"timeout 256 dropped", OpRRQ, opts("timeout", "256"), Limits{}, "", 0},
		{"timeout 255 kept", OpRRQ, opts("timeout", "255"), Limits{}, "timeout=255", 0},
		{"timeout outside limits dropped", OpRRQ, opts("timeout", "30"), Limits{MaxTimeout: 10 * time.Second}, "", 0},
		{"timeout below min dropped", OpRRQ, opts("timeout", "1"), Limits{MinTimeout: 2 * time.Second}, "", 0},
		{"windowsize 0 dropped", OpRRQ, opts("windowsize", "0"), Limits{}, "", 0},
		{"windowsize 65536 clamped", OpRRQ, opts("blksize", "8", "windowsize", "65536"), Limits{MaxWindowSize: 65535}, "blksize=8 windowsize=65535", 0},
		{"windowsize default cap", OpRRQ, opts("windowsize", "1000"), Limits{}, "windowsize=64", 0},
		{"windowsize capped by memory", OpRRQ, opts("blksize", "65464", "windowsize", "1000"), Limits{MaxWindowSize: 65535}, "blksize=65464 windowsize=256", 0},
		{"RRQ tsize 0 kept", OpRRQ, opts("tsize", "0"), Limits{}, "tsize=0", 0},
		{"RRQ tsize 5 dropped", OpRRQ, opts("tsize", "5"), Limits{}, "", 0},
		{"WRQ tsize kept", OpWRQ, opts("tsize", "123456"), Limits{}, "tsize=123456", 0},
		{"WRQ tsize over MaxSize", OpWRQ, opts("tsize", "1001"), Limits{MaxSize: 1000}, "", behaviour.CodeDiskFull},
		{"WRQ tsize at MaxSize", OpWRQ, opts("tsize", "1000"), Limits{MaxSize: 1000}, "tsize=1000", 0},
		{"order kept", OpRRQ, opts("windowsize", "8", "tsize", "0", "blksize", "512"), Limits{}, "windowsize=8 tsize=0 blksize=512", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ServerOptions(Request{Op: tc.op, Filename: "f", Mode: behaviour.Octet, Options: tc.in}, tc.lim)
			if tc.code != 0 {
				if codeOf(err) != tc.code {
					t.Fatalf("error %v, want code %d", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want {
				t.Fatalf("offered %q, want %q", got.String(), tc.want)
			}
			assertNotLarger(t, tc.in, got)
		})
	}
}

// assertNotLarger checks RFC 2347: no option the peer did not ask for, no
// numeric value larger than it asked for.
func assertNotLarger(t *testing.T, asked, answered behaviour.Options) {
	t.Helper()
	for name, value := range answered.All() {
		want, ok := asked.Get(name)
		if !ok {
			t.Fatalf("answered unrequested option %s", name)
		}
		v, _ := wire.ParseDecimal(value)
		w, wok := wire.ParseDecimal(want)
		if name != OptTSize && wok && v > w {
			t.Fatalf("answered %s=%s to %s", name, value, want)
		}
	}
}

func TestAccept(t *testing.T) {
	base := Params{Timeout: 2 * time.Second, Retries: 4}
	for _, tc := range []struct {
		name      string
		op        Opcode
		suggested behaviour.Options
		accepted  behaviour.Options
		size      int64
		oack      string
		check     func(Params) bool
		refused   bool
	}{
		{"nothing asked", OpRRQ, opts(), opts(), 10, "", func(p Params) bool {
			return p.BlockSize == 512 && p.WindowSize == 1 && p.Timeout == 2*time.Second && p.Retries == 4
		}, false},
		{"all accepted", OpRRQ, opts("blksize", "1468", "windowsize", "16", "timeout", "3"), opts("blksize", "1468", "windowsize", "16", "timeout", "3"), -1, "blksize=1468 windowsize=16 timeout=3",
			func(p Params) bool { return p.BlockSize == 1468 && p.WindowSize == 16 && p.Timeout == 3*time.Second }, false},
		{"handler lowered blksize", OpRRQ, opts("blksize", "1468"), opts("blksize", "1024"), -1, "blksize=1024", func(p Params) bool { return p.BlockSize == 1024 }, false},
		{"handler dropped all", OpRRQ, opts("blksize", "1468", "tsize", "0"), opts(), 99, "", func(p Params) bool { return p.BlockSize == 512 && !p.HasTSize }, false},
		{"RRQ tsize answered with size", OpRRQ, opts("tsize", "0"), opts("tsize", "0"), 4096, "tsize=4096", func(p Params) bool { return p.HasTSize && p.TSize == 4096 }, false},
		{"RRQ tsize unknown size dropped", OpRRQ, opts("tsize", "0"), opts("tsize", "0"), -1, "", func(p Params) bool { return !p.HasTSize }, false},
		{"RRQ tsize empty file dropped", OpRRQ, opts("tsize", "0"), opts("tsize", "0"), 0, "", func(p Params) bool { return !p.HasTSize }, false},
		{"WRQ tsize echoed", OpWRQ, opts("tsize", "777"), opts("tsize", "777"), -1, "tsize=777", func(p Params) bool { return p.HasTSize && p.TSize == 777 }, false},
		{"handler added option", OpRRQ, opts("blksize", "1468"), opts("blksize", "1468", "windowsize", "4"), -1, "", nil, true},
		{"handler raised blksize", OpRRQ, opts("blksize", "1468"), opts("blksize", "9000"), -1, "", nil, true},
		{"handler lowered blksize below 8", OpRRQ, opts("blksize", "1468"), opts("blksize", "4"), -1, "", nil, true},
		{"handler made blksize non-numeric", OpRRQ, opts("blksize", "1468"), opts("blksize", "big"), -1, "", nil, true},
		{"handler changed timeout", OpRRQ, opts("timeout", "5"), opts("timeout", "4"), -1, "", nil, true},
		{"handler windowsize 0", OpRRQ, opts("windowsize", "8"), opts("windowsize", "0"), -1, "", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Request{Op: tc.op, Filename: "f", Mode: behaviour.Netascii}
			p, oack, err := Accept(r, tc.suggested, tc.accepted, tc.size, base)
			if tc.refused {
				if codeOf(err) != behaviour.CodeOptionRefused {
					t.Fatalf("error %v, want an option refusal", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if oack.String() != tc.oack {
				t.Errorf("OACK %q, want %q", oack.String(), tc.oack)
			}
			if p.Mode != behaviour.Netascii || !tc.check(p) {
				t.Errorf("params %+v", p)
			}
			assertNotLarger(t, tc.suggested, oack)
		})
	}
}

func TestLimitsNegotiateEndToEnd(t *testing.T) {
	raw := req(OpRRQ, "f", "octet", "BLKSIZE", "65535", "windowsize", "abc", "tsize", "0", "timeout", "0", "mystery", "1")
	r, err := ParseRequest(raw)
	if err != nil {
		t.Fatal(err)
	}
	offer, err := ServerOptions(r, Limits{MaxBlockSize: 1428})
	if err != nil {
		t.Fatal(err)
	}
	p, oack, err := Accept(r, offer, offer.Clone(), 100, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if oack.String() != "blksize=1428 tsize=100" || p.BlockSize != 1428 || p.WindowSize != 1 {
		t.Fatalf("OACK %q, params %+v", oack.String(), p)
	}
}

func TestUploadSize(t *testing.T) {
	opts := behaviour.NewOptions(behaviour.Option{Name: "TSIZE", Value: "1234"})
	if n, ok := UploadSize(OpWRQ, opts); !ok || n != 1234 {
		t.Errorf("WRQ tsize 1234: %d, %v", n, ok)
	}
	if _, ok := UploadSize(OpRRQ, opts); ok {
		t.Error("an RRQ's tsize announced a size")
	}
	if _, ok := UploadSize(OpWRQ, behaviour.Options{}); ok {
		t.Error("a WRQ without tsize announced a size")
	}
}
