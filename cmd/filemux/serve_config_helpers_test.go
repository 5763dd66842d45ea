package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/filemux/filemux/internal/peers"
	"golang.org/x/crypto/ssh"
)

// lockedBuffer collects a process's output while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// configured is a running "filemux serve --config".
type configured struct {
	cmd                 *exec.Cmd
	tftp, sftp, metrics string // addresses from the banner
	http                string // "http://ADDR" or "https://ADDR" from the banner
	logs                *lockedBuffer
	exited              chan error
}

// startConfigured runs the built command with --config path and extra
// flags, and waits for its banner. The test's cleanup kills it.
func startConfigured(t *testing.T, path string, flags ...string) *configured {
	t.Helper()
	cmd := exec.Command(filemuxBin, append([]string{"serve", "--config", path}, flags...)...)
	cmd.Dir = filepath.Dir(path)
	s := &configured{cmd: cmd, logs: &lockedBuffer{}, exited: make(chan error, 1)}
	cmd.Stderr = s.logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.banner(sc.Text(), ready)
		}
		_, _ = io.Copy(io.Discard, out)
		s.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-s.exited
		if t.Failed() {
			t.Logf("filemux serve logs:\n%s", s.logs.String())
		}
	})
	select {
	case <-ready:
	case err := <-s.exited:
		t.Fatalf("filemux serve exited: %v\n%s", err, s.logs.String())
	case <-time.After(10 * time.Second):
		t.Fatal("filemux serve printed no banner")
	}
	return s
}

// banner reads one line of the banner.
func (s *configured) banner(line string, ready chan struct{}) {
	switch {
	case strings.HasPrefix(line, "filemux: serving TFTP on "):
		s.tftp = strings.TrimPrefix(line, "filemux: serving TFTP on ")
	case strings.HasPrefix(line, "filemux: serving SFTP and SCP on "):
		s.sftp = strings.TrimPrefix(line, "filemux: serving SFTP and SCP on ")
	case strings.HasPrefix(line, "filemux: serving HTTP on "):
		s.http = "http://" + strings.TrimPrefix(line, "filemux: serving HTTP on ")
	case strings.HasPrefix(line, "filemux: serving HTTPS on "):
		s.http = "https://" + strings.TrimPrefix(line, "filemux: serving HTTPS on ")
	case strings.HasPrefix(line, "filemux: metrics on "):
		s.metrics = strings.TrimSuffix(strings.TrimPrefix(line, "filemux: metrics on http://"), "/metrics")
	case strings.HasPrefix(line, "Press Ctrl-C"):
		close(ready)
	}
}

// signal sends sig to the server.
func (s *configured) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// wait waits for the server to exit and returns its exit status.
func (s *configured) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-s.exited:
		s.exited <- nil
		return s.cmd.ProcessState.ExitCode()
	case <-time.After(limit):
		t.Fatalf("filemux serve did not exit within %v", limit)
		return -1
	}
}

// waitLog waits until the logs hold text.
func (s *configured) waitLog(t *testing.T, text string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.logs.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("the logs never said %q", text)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// curl runs curl with args and returns its output.
func curl(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "curl", append([]string{"-sS"}, args...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, &curlError{err, stderr.String()}
	}
	return out, nil
}

type curlError struct {
	err    error
	stderr string
}

func (e *curlError) Error() string { return e.err.Error() + ": " + strings.TrimSpace(e.stderr) }

// writeConfig writes files (the configuration as filemux.yaml among them)
// into a new directory and returns the configuration's path.
func writeConfig(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, p, []byte(content))
	}
	return filepath.Join(dir, "filemux.yaml")
}

// metric scrapes the admin address and returns the value of one sample.
func metric(t *testing.T, addr, sample string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	return -1
}

// sshKey writes a new ed25519 key pair in OpenSSH's format and returns
// the private key's path and the public key's authorized_keys line.
func sshKey(t *testing.T) (string, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "filemux e2e")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	pub := string(ssh.MarshalAuthorizedKey(signer.PublicKey()))
	writeFile(t, path+".pub", []byte(pub))
	return path, pub
}

// needCurl skips without curl, or fails in CI.
func needCurl(t *testing.T) { peers.Need(t, "curl") }
