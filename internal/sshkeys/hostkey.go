package sshkeys

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/crypto/ssh"
)

// Kind is the algorithm of a host key.
type Kind uint8

// The host key kinds filemux generates.
const (
	// Ed25519 is the default host key.
	Ed25519 Kind = iota + 1
	// RSA is for old network gear that knows no other (3072 bits).
	RSA
)

// maxKeyFile bounds what Load reads: a private key is a few KiB.
const maxKeyFile = 1 << 20

// RSABits is the size of the RSA host keys Generate makes.
const RSABits = 3072

// String returns "ed25519" or "rsa".
func (k Kind) String() string {
	switch k {
	case Ed25519:
		return "ed25519"
	case RSA:
		return "rsa"
	}
	return "unknown"
}

// ErrKeyPermissions is returned for a private key file that others than
// its owner may read or write: OpenSSH refuses such keys too.
var ErrKeyPermissions = errors.New("sshkeys: private key file is accessible by others (want mode 0600)")

// Generate returns a new private key of the given kind.
func Generate(kind Kind) (crypto.Signer, error) {
	switch kind {
	case Ed25519:
		_, key, err := ed25519.GenerateKey(rand.Reader)
		return key, err
	case RSA:
		return rsa.GenerateKey(rand.Reader, RSABits)
	}
	return nil, fmt.Errorf("sshkeys: unknown key kind %d", kind)
}

// LoadOrGenerate returns the host key stored at path. When the file does not
// exist it generates a key of the given kind and saves it there first (see
// Save); created then reports true, so that the caller can log the new
// fingerprint. An existing file must hold an unencrypted private key that
// only its owner can access.
func LoadOrGenerate(path string, kind Kind) (signer ssh.Signer, created bool, err error) {
	signer, err = Load(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return signer, false, err
	}
	key, err := Generate(kind)
	if err != nil {
		return nil, false, err
	}
	if err := Save(path, key); err != nil {
		if errors.Is(err, fs.ErrExist) { // another process won the race: use its key
			signer, err = Load(path)
			return signer, false, err
		}
		return nil, false, err
	}
	signer, err = ssh.NewSignerFromKey(key)
	return signer, err == nil, err
}

// Load reads an unencrypted private key in any format ssh.ParsePrivateKey
// knows (OpenSSH, PKCS#1, PKCS#8, SEC 1). The error wraps fs.ErrNotExist
// when the file is missing.
func Load(path string) (ssh.Signer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %v", ErrKeyPermissions, path, fi.Mode().Perm())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile))
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("sshkeys: %s: %w", path, err)
	}
	return signer, nil
}

// Save writes key to path as an OPENSSH PRIVATE KEY with mode 0600. It
// never replaces an existing file (the error then wraps fs.ErrExist), and
// the file appears complete or not at all: the key is written to a
// temporary file in the same directory and linked into place.
func Save(path string, key crypto.Signer) error {
	block, err := ssh.MarshalPrivateKey(key, "filemux host key")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".filemux-hostkey-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := writeKey(tmp, block); err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}

func writeKey(f *os.File, block *pem.Block) error {
	err := f.Chmod(0o600)
	if err == nil {
		err = pem.Encode(f, block)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
