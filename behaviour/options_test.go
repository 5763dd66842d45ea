package behaviour_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/filemux/filemux/behaviour"
)

func names(o *behaviour.Options) []string {
	var out []string
	for name, value := range o.All() {
		out = append(out, name+"="+value)
	}
	return out
}

func TestOptionsCaseAndOrder(t *testing.T) {
	o := behaviour.NewOptions(
		behaviour.Option{Name: "TSize", Value: "0"},
		behaviour.Option{Name: "BLKSIZE", Value: "1468"},
		behaviour.Option{Name: "tsize", Value: "9"}, // a duplicate in another case
		behaviour.Option{Name: "windowSize", Value: "16"},
	)
	if got, want := names(&o), []string{"tsize=0", "blksize=1468", "windowsize=16"}; !slices.Equal(got, want) {
		t.Errorf("options %v, want %v", got, want)
	}
	if o.Len() != 3 {
		t.Errorf("Len() = %d, want 3", o.Len())
	}
	for _, name := range []string{"blksize", "BlkSize", "BLKSIZE"} {
		if v, ok := o.Get(name); !ok || v != "1468" || !o.Has(name) {
			t.Errorf("Get(%q) = %q, %v; want 1468", name, v, ok)
		}
	}
	if _, ok := o.Get("timeout"); ok || o.Has("timeout") {
		t.Error("Get of an absent option reports it present")
	}
	if o.Add("WINDOWSIZE", "8") {
		t.Error("Add of a duplicate differing in case succeeded")
	}
	if v, _ := o.Get("windowsize"); v != "16" {
		t.Errorf("refused Add changed the value to %q", v)
	}
	if !o.Add("Timeout", "5") || o.String() != "tsize=0 blksize=1468 windowsize=16 timeout=5" {
		t.Errorf("after Add: %q", o.String())
	}
}

func TestOptionsAllStops(t *testing.T) {
	o := behaviour.NewOptions(behaviour.Option{Name: "a", Value: "1"}, behaviour.Option{Name: "b", Value: "2"})
	n := 0
	for range o.All() {
		n++
		break
	}
	if n != 1 {
		t.Errorf("All yielded %d times after break", n)
	}
}

func TestOptionsSet(t *testing.T) {
	o := behaviour.NewOptions(behaviour.Option{Name: "blksize", Value: "1468"})
	if err := o.Set("BlkSize", "512"); err != nil {
		t.Fatalf("Set of a present option: %v", err)
	}
	if v, _ := o.Get("blksize"); v != "512" {
		t.Errorf("after Set: %q", v)
	}
	err := o.Set("windowsize", "16")
	var e *behaviour.Error
	if !errors.As(err, &e) || e.Code != behaviour.CodeOptionRefused || !errors.Is(err, behaviour.ErrOptionRefused) {
		t.Errorf("Set of an absent option: %v, want CodeOptionRefused", err)
	}
	if o.Has("windowsize") || o.Len() != 1 {
		t.Errorf("refused Set added the option: %q", o.String())
	}
}

func TestOptionsLower(t *testing.T) {
	o := behaviour.NewOptions(
		behaviour.Option{Name: "blksize", Value: "65464"},
		behaviour.Option{Name: "windowsize", Value: "4"},
		behaviour.Option{Name: "timeout", Value: "abc"},
	)
	tests := []struct {
		name   string
		limit  int64
		want   int64
		wantOK bool
		value  string
	}{
		{"blksize", 1468, 1468, true, "1468"},
		{"windowsize", 16, 4, true, "4"}, // never raised
		{"timeout", 5, 0, false, "abc"},
		{"tsize", 5, 0, false, ""},
	}
	for _, tt := range tests {
		v, ok := o.Lower(tt.name, tt.limit)
		if v != tt.want || ok != tt.wantOK {
			t.Errorf("Lower(%q, %d) = %d, %v; want %d, %v", tt.name, tt.limit, v, ok, tt.want, tt.wantOK)
		}
		if got, _ := o.Get(tt.name); got != tt.value {
			t.Errorf("after Lower(%q): value %q, want %q", tt.name, got, tt.value)
		}
	}
}

func TestOptionsDel(t *testing.T) {
	o := behaviour.NewOptions(behaviour.Option{Name: "a", Value: "1"}, behaviour.Option{Name: "b", Value: "2"}, behaviour.Option{Name: "c", Value: "3"})
	keep := o // a copy sharing the backing array must not see the removal
	o.Del("B")
	o.Del("absent")
	if got := o.String(); got != "a=1 c=3" {
		t.Errorf("after Del: %q", got)
	}
	if got := keep.String(); got != "a=1 b=2 c=3" {
		t.Errorf("Del changed a copy: %q", got)
	}
}

func TestOptionsClone(t *testing.T) {
	var empty behaviour.Options
	if c := empty.Clone(); c.Len() != 0 {
		t.Errorf("Clone of empty has %d options", c.Len())
	}
	o := behaviour.NewOptions(behaviour.Option{Name: "blksize", Value: "1468"}, behaviour.Option{Name: "tsize", Value: "0"})
	c := o.Clone()
	c.Set("blksize", "512")
	c.Add("timeout", "5")
	c.Del("tsize")
	o.Set("tsize", "9")
	if got := o.String(); got != "blksize=1468 tsize=9" {
		t.Errorf("original after changing the clone: %q", got)
	}
	if got := c.String(); got != "blksize=512 timeout=5" {
		t.Errorf("clone after changing the original: %q", got)
	}
}

func TestOptionsInt(t *testing.T) {
	o := behaviour.NewOptions(behaviour.Option{Name: "blksize", Value: "1468"}, behaviour.Option{Name: "timeout", Value: "-1"})
	if v, ok := o.Int("BLKSIZE"); v != 1468 || !ok {
		t.Errorf("Int(blksize) = %d, %v", v, ok)
	}
	if _, ok := o.Int("timeout"); ok {
		t.Error("Int of -1 succeeded")
	}
	if _, ok := o.Int("absent"); ok {
		t.Error("Int of an absent option succeeded")
	}
}
