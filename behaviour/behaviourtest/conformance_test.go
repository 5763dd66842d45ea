package behaviourtest_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"testing/fstest"
	"testing/iotest"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
)

// files is content of assorted sizes: empty, one byte, exactly one and two
// default blocks, and larger than the largest chunk.
var files = map[string][]byte{
	"empty":          {},
	"one":            []byte("x"),
	"block":          bytes.Repeat([]byte("b"), 512),
	"dir/two-blocks": bytes.Repeat([]byte("0123456789abcdef"), 64),
	"dir/large":      pattern(70001),
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func TestGoodHandlersPass(t *testing.T) {
	mapFS := fstest.MapFS{}
	for name, b := range files {
		mapFS[name] = &fstest.MapFile{Data: b}
	}
	content := []byte("the same for every name")
	tests := []struct {
		name string
		h    behaviour.Handler
		spec behaviourtest.Spec
	}{
		{"Bytes", behaviour.Bytes(content), behaviourtest.Spec{
			Reads:        map[string][]byte{"a": content, "b/c": content, `win\path`: content},
			RefuseReads:  map[string]behaviour.Code{"../x": behaviour.CodeAccessViolation},
			RefuseWrites: map[string]behaviour.Code{"a": behaviour.CodeAccessViolation},
		}},
		{"ReadFunc with unknown size", behaviour.ReadFunc(func(_ context.Context, t *behaviour.Transfer) (io.Reader, error) {
			b, ok := files[t.Name]
			if !ok {
				return nil, behaviour.ErrNotFound
			}
			return iotest.HalfReader(bytes.NewReader(b)), nil
		}), behaviourtest.Spec{
			Reads:       files,
			RefuseReads: map[string]behaviour.Code{"missing": behaviour.CodeNotFound},
		}},
		{"WriteFunc store", newStore(files), behaviourtest.Spec{
			Reads:         files,
			Writes:        []string{"up/a", "up/b", "up/c"},
			WriteReadBack: true,
			RefuseReads:   map[string]behaviour.Code{"missing": behaviour.CodeNotFound},
		}},
		{"WriteFunc alone", behaviour.WriteFunc(func(_ context.Context, _ *behaviour.Transfer, r io.Reader) error {
			_, err := io.Copy(io.Discard, r)
			return err
		}), behaviourtest.Spec{
			Writes:      []string{"sink"},
			RefuseReads: map[string]behaviour.Code{"sink": behaviour.CodeAccessViolation},
		}},
		{"FS", behaviour.FS(mapFS), behaviourtest.Spec{
			Reads:        files,
			RefuseReads:  map[string]behaviour.Code{"missing": behaviour.CodeNotFound, "dir": behaviour.CodeAccessViolation},
			RefuseWrites: map[string]behaviour.Code{"one": behaviour.CodeAccessViolation},
		}},
		{"Base embedding with random access", &blobs{files: clone(files)}, behaviourtest.Spec{
			Reads:         files,
			Writes:        []string{"up/a", "up/b"},
			WriteReadBack: true,
			Protocol:      behaviour.SFTP,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := behaviourtest.TestHandler(tt.h, tt.spec); err != nil {
				t.Errorf("TestHandler: %v", err)
			}
		})
	}
}

func clone(m map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestSpecMismatchFails proves the content checks can fail: a good handler
// checked against the wrong expectations.
func TestSpecMismatchFails(t *testing.T) {
	err := behaviourtest.TestHandler(behaviour.Bytes([]byte("abc")), behaviourtest.Spec{
		Reads:        map[string][]byte{"f": []byte("abd")},
		RefuseReads:  map[string]behaviour.Code{"g": behaviour.CodeNotFound},
		Writes:       []string{"h"},
		RefuseWrites: map[string]behaviour.Code{"i": behaviour.CodeDiskFull},
	})
	for _, want := range []string{
		`read "f": content: read 3 bytes, want 3; first difference at offset 2`,
		`read "g": refusal: accepted, want a refusal with code 1`,
		`write "h": accept: upload failed: file is read-only`,
		`write "i": refusal: refused with code 2 (access violation), want 3`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("TestHandler error lacks %q; got:\n%v", want, err)
		}
	}
}
