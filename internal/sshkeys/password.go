package sshkeys

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// maxPasswordFile bounds the size of a password file.
const maxPasswordFile = 4 << 20

// Passwords holds bcrypt hashes by user name. The zero value holds none.
type Passwords struct {
	hashes map[string][]byte
}

// dummyHash is compared against when the user is unknown, so that the
// answer takes as long as for a known user and does not reveal which names
// exist: the bcrypt hash of random bytes nobody knows, made on first use.
var dummyHash = sync.OnceValue(func() []byte {
	h, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), bcrypt.DefaultCost)
	if err != nil {
		panic(err) // only for passwords over 72 bytes
	}
	return h
})

// ParsePasswords parses lines of "user:hash", where hash is a bcrypt hash
// ($2a$, $2b$ or $2y$, as htpasswd -B and `filemux passwd` write them).
// Blank lines and lines starting with # are skipped; anything else that
// does not parse is an error naming the line. A user listed twice is an
// error too.
func ParsePasswords(data []byte) (*Passwords, error) {
	p := &Passwords{hashes: make(map[string][]byte)}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if err := p.addLine(line); err != nil {
			return nil, fmt.Errorf("sshkeys: password file line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sshkeys: password file: %w", err)
	}
	return p, nil
}

func (p *Passwords) addLine(line string) error {
	user, hash, ok := strings.Cut(line, ":")
	switch {
	case !ok || user == "":
		return fmt.Errorf(`want "user:bcrypt-hash"`)
	case p.hashes[user] != nil:
		return fmt.Errorf("user %q is listed twice", user)
	}
	if _, err := bcrypt.Cost([]byte(hash)); err != nil {
		return fmt.Errorf("user %q: %w", user, err)
	}
	p.hashes[user] = []byte(hash)
	return nil
}

// LoadPasswords reads and parses a password file; see ParsePasswords.
func LoadPasswords(path string) (*Passwords, error) {
	data, err := readBounded(path, maxPasswordFile)
	if err != nil {
		return nil, err
	}
	return ParsePasswords(data)
}

// Set records hash as the password hash of user, replacing any other; it
// fails when hash is not a bcrypt hash.
func (p *Passwords) Set(user string, hash []byte) error {
	if _, err := bcrypt.Cost(hash); err != nil {
		return fmt.Errorf("sshkeys: user %q: %w", user, err)
	}
	if p.hashes == nil {
		p.hashes = make(map[string][]byte)
	}
	p.hashes[user] = bytes.Clone(hash)
	return nil
}

// Hash returns the password hash of user, and whether user has one.
func (p *Passwords) Hash(user string) ([]byte, bool) {
	hash, ok := p.hashes[user]
	return bytes.Clone(hash), ok
}

// Len returns the number of users.
func (p *Passwords) Len() int { return len(p.hashes) }

// Check reports whether password is the password of user. It spends a
// bcrypt comparison whether the user exists or not.
func (p *Passwords) Check(user string, password []byte) bool {
	hash, known := p.hashes[user]
	if !known {
		hash = dummyHash()
	}
	return bcrypt.CompareHashAndPassword(hash, password) == nil && known
}
