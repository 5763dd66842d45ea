package client

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// Algorithm is a digest algorithm for checking a downloaded file.
type Algorithm uint8

// The digests a [Checksum] can use: the ones firmware vendors publish.
const (
	MD5 Algorithm = iota + 1
	SHA1
	SHA256
)

var algorithmNames = [...]string{MD5: "md5", SHA1: "sha1", SHA256: "sha256"}

// String returns "md5", "sha1" or "sha256".
func (a Algorithm) String() string {
	if a >= MD5 && a <= SHA256 {
		return algorithmNames[a]
	}
	return fmt.Sprintf("Algorithm(%d)", uint8(a))
}

// New returns a new hash of the algorithm, or nil for an unknown one.
func (a Algorithm) New() hash.Hash {
	switch a {
	case MD5:
		return md5.New()
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	}
	return nil
}

// Checksum is the expected digest of a file. The zero value checks nothing.
type Checksum struct {
	Algorithm Algorithm
	Sum       []byte
}

// ParseChecksum returns the checksum of algorithm a whose digest is the
// hexadecimal text sum (as md5sum and sha256sum print it; case does not
// matter). It fails on bad hex or a digest of the wrong length.
func ParseChecksum(a Algorithm, sum string) (Checksum, error) {
	h := a.New()
	if h == nil {
		return Checksum{}, fmt.Errorf("client: unknown digest algorithm %v", a)
	}
	b, err := hex.DecodeString(strings.TrimSpace(sum))
	if err != nil || len(b) != h.Size() {
		return Checksum{}, fmt.Errorf("client: %s digest must be %d hexadecimal digits", a, 2*h.Size())
	}
	return Checksum{Algorithm: a, Sum: b}, nil
}

// IsZero reports whether the checksum checks nothing.
func (c Checksum) IsZero() bool { return c.Algorithm == 0 }

// String returns "algorithm:hex", or "" for the zero value.
func (c Checksum) String() string {
	if c.IsZero() {
		return ""
	}
	return c.Algorithm.String() + ":" + hex.EncodeToString(c.Sum)
}

func (c Checksum) validate() error {
	if c.IsZero() {
		return nil
	}
	h := c.Algorithm.New()
	if h == nil {
		return fmt.Errorf("client: Checksum.Algorithm %v is unknown", c.Algorithm)
	}
	if len(c.Sum) != h.Size() {
		return fmt.Errorf("client: Checksum.Sum has %d bytes, %s needs %d", len(c.Sum), c.Algorithm, h.Size())
	}
	return nil
}

// verifier hashes a download and compares the digest at its end.
type verifier struct {
	want Checksum
	h    hash.Hash
}

func newVerifier(c Checksum) *verifier {
	if c.IsZero() {
		return nil
	}
	return &verifier{want: c, h: c.Algorithm.New()}
}

func (v *verifier) write(p []byte) { v.h.Write(p) }

// check returns an error when the digest differs from the expected one.
func (v *verifier) check() error {
	got := v.h.Sum(nil)
	if bytes.Equal(got, v.want.Sum) {
		return nil
	}
	return integrityError(&IntegrityError{Algorithm: v.want.Algorithm, Want: v.want.Sum, Got: got})
}
