package daemon_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// sshClientTimeout bounds every run of an external client.
const sshClientTimeout = 2 * time.Minute

// sshNeed skips the test when prog is missing, or fails it when CI=true.
func sshNeed(t testing.TB, prog string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required with CI=true: %v (.ci/run installs it)", prog, err)
		}
		t.Skipf("skipping: %s is not installed: %v", prog, err)
	}
	return p
}

// sshResult is what an external client did.
type sshResult struct {
	code           int
	stdout, stderr string
}

func (r sshResult) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
}

// sshRun runs a client in dir with stdin and returns how it ended.
func sshRun(t testing.TB, dir, stdin, prog string, args ...string) sshResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sshClientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "HOME="+dir, "LC_ALL=C")
	err := cmd.Run()
	res := sshResult{stdout: out.String(), stderr: errOut.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", prog, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish in %v: %v", prog, sshClientTimeout, res)
	}
	return res
}

func sshRandom(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func sshSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// sshFileSum returns the sha256 of a local file, or "" when it is missing.
func sshFileSum(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return sshSum(b)
}

// sshDir returns a writable Dir over a new temporary directory.
func sshDir(t testing.TB) (*handlers.Dir, string) {
	t.Helper()
	root := t.TempDir()
	d, err := handlers.NewDir(root, handlers.DirConfig{Write: handlers.WriteAny, MakeParents: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, root
}

// sshOpenSSHPort returns the port option of sftp and scp.
func sshOpenSSHPort(s *daemontest.SSHServer) []string {
	return []string{"-P", strconv.Itoa(int(s.Addr().Port()))}
}

// sshTarget returns "user@127.0.0.1".
func sshTarget(s *daemontest.SSHServer) string { return s.User + "@" + s.Addr().Addr().String() }

// sshSpy wraps a handler and checks the contract's endings: one Open, then
// exactly one ending (the final Read or Write returning nil, or Abort), and
// nothing after it. It sees through to the wrapped handler's capabilities.
type sshSpy struct {
	h behaviour.Handler
	behaviour.PassMutations

	mu         sync.Mutex
	opens      int
	successes  int
	aborts     int
	violations []string
	ended      map[string]int // endings by name
}

type sshSpyKey struct{}

// sshSpyState is the spy's record of one transfer.
type sshSpyState struct {
	ended bool
}

func newSSHSpy(h behaviour.Handler) *sshSpy {
	return &sshSpy{h: h, PassMutations: behaviour.PassMutations{Next: h}, ended: make(map[string]int)}
}

func (s *sshSpy) Unwrap() behaviour.Handler { return s.h }

func (s *sshSpy) Prepare(ctx context.Context, t *behaviour.Transfer) error {
	return s.h.Prepare(ctx, t)
}

func (s *sshSpy) Open(ctx context.Context, t *behaviour.Transfer) error {
	err := s.h.Open(ctx, t)
	if err == nil {
		s.mu.Lock()
		s.opens++
		s.mu.Unlock()
		t.SetValue(sshSpyKey{}, &sshSpyState{})
	}
	return err
}

func (s *sshSpy) state(t *behaviour.Transfer, call string) *sshSpyState {
	st, _ := t.Value(sshSpyKey{}).(*sshSpyState)
	if st == nil {
		s.violate("%s of %q without Open", call, t.Name)
		return &sshSpyState{}
	}
	if st.ended {
		s.violate("%s of %q after its ending", call, t.Name)
	}
	return st
}

func (s *sshSpy) violate(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

func (s *sshSpy) end(t *behaviour.Transfer, st *sshSpyState, abort bool) {
	st.ended = true
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended[t.Name]++
	if abort {
		s.aborts++
	} else {
		s.successes++
	}
}

func (s *sshSpy) Read(t *behaviour.Transfer, p []byte) (int, error) {
	st := s.state(t, "Read")
	n, err := s.h.Read(t, p)
	if errors.Is(err, io.EOF) {
		s.end(t, st, false)
	}
	return n, err
}

func (s *sshSpy) Write(t *behaviour.Transfer, p []byte, last bool) error {
	st := s.state(t, "Write")
	err := s.h.Write(t, p, last)
	if last && err == nil {
		s.end(t, st, false)
	}
	return err
}

func (s *sshSpy) Abort(t *behaviour.Transfer, err error) {
	st := s.state(t, "Abort")
	defer s.end(t, st, true) // even when Abort panics
	s.h.Abort(t, err)
}

// counts returns opens, successful endings and aborts.
func (s *sshSpy) counts() (opens, successes, aborts int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opens, s.successes, s.aborts
}

// check fails the test on any violation, or when some opened transfer has
// not ended (after waiting a little for endings in flight).
func (s *sshSpy) check(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		o, ok, ab := s.counts()
		if o == ok+ab || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.violations {
		t.Error("contract: " + v)
	}
	if s.opens != s.successes+s.aborts {
		t.Errorf("contract: %d opens but %d successes and %d aborts", s.opens, s.successes, s.aborts)
	}
}

// waitCounts waits until the spy has seen the given endings.
func (s *sshSpy) waitCounts(t testing.TB, successes, aborts int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, ok, ab := s.counts()
		if ok == successes && ab == aborts {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("endings: %d successes and %d aborts, want %d and %d", ok, ab, successes, aborts)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sshWriteFile writes a local file.
func sshWriteFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// sshSequential hides the random access of a handler, so that the SFTP
// server must use its read-ahead window and reorder buffer. The other
// capabilities stay reachable.
type sshSequential struct {
	behaviour.Handler
	behaviour.PassMutations
}

func sequential(h behaviour.Handler) sshSequential {
	return sshSequential{h, behaviour.PassMutations{Next: h}}
}

func (s sshSequential) Unwrap() behaviour.Handler { return s.Handler }

func (sshSequential) ReaderAt(*behaviour.Transfer) (io.ReaderAt, bool) { return nil, false }
func (sshSequential) WriterAt(*behaviour.Transfer) (io.WriterAt, bool) { return nil, false }

// sshVirtual serves every name of files as a reader of unknown size, and
// takes uploads under "up/" into uploads, without any capability.
type sshVirtual struct {
	files map[string][]byte

	mu      sync.Mutex
	uploads map[string][]byte
}

func newSSHVirtual(files map[string][]byte) *sshVirtual {
	return &sshVirtual{files: files, uploads: make(map[string][]byte)}
}

func (v *sshVirtual) handler() behaviour.Handler {
	var reg registry.Registry
	reg.MustRegister(`up/.*`, behaviour.WriteFunc(func(_ context.Context, t *behaviour.Transfer, r io.Reader) error {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		v.mu.Lock()
		v.uploads[t.Name] = b
		v.mu.Unlock()
		return nil
	}))
	reg.MustRegister(`.*`, behaviour.ReadFunc(func(_ context.Context, t *behaviour.Transfer) (io.Reader, error) {
		b, ok := v.files[t.Name]
		if !ok {
			return nil, behaviour.ErrNotFound
		}
		return io.MultiReader(bytes.NewReader(b)), nil // no Len: the size is unknown
	}))
	return &reg
}

func (v *sshVirtual) upload(name string) ([]byte, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	b, ok := v.uploads[name]
	return b, ok
}
