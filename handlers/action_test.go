package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// need skips a test whose external program is missing, or fails it when
// CI is "true".
func need(t *testing.T, program string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", program, err)
		}
		t.Skipf("%s is not installed: %v", program, err)
	}
	return path
}

// buildHelper builds testdata/actionhelper, a real program for actions to
// run without a shell.
func buildHelper(t *testing.T) string {
	t.Helper()
	goTool := need(t, "go")
	out := filepath.Join(t.TempDir(), "actionhelper")
	cmd := exec.Command(goTool, "build", "-o", out, "./testdata/actionhelper")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the helper: %v\n%s", err, b)
	}
	return out
}

// logLines returns the lines of the helper's log, sorted.
func logLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	slices.Sort(lines)
	return lines
}

// TestActionsFireOncePerUpload uploads configs through the real chain
// (registry, actions, directory) and counts the runs of a real program.
func TestActionsFireOncePerUpload(t *testing.T) {
	helper := buildHelper(t)
	logs := t.TempDir()
	okLog, failLog := filepath.Join(logs, "ok"), filepath.Join(logs, "fail")
	dir, err := handlers.NewDir(t.TempDir(), handlers.DirConfig{Write: handlers.WriteCreate, MakeParents: true})
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	var actions handlers.Actions
	_, err = actions.Wrap(dir,
		handlers.Action{Run: []string{helper, okLog, "{{.Params.host}}", "{{.Access}}"}},
		handlers.Action{On: handlers.ActionOnFailure, Run: []string{filepath.Base(helper), failLog}},
	)
	if err == nil {
		t.Fatal("a program name that is not in PATH was accepted")
	}
	h, err := actions.Wrap(dir,
		handlers.Action{Run: []string{helper, okLog, "{{.Params.host}}", "{{.Access}}"}},
		handlers.Action{On: handlers.ActionOnFailure, Run: []string{helper, failLog}},
	)
	if err != nil {
		t.Fatal(err)
	}
	var reg registry.Registry
	reg.MustRegister(`backup/(?<host>[^/]+)/.+`, h)

	const uploads = 20
	var wg sync.WaitGroup
	for i := range uploads {
		wg.Go(func() {
			name := fmt.Sprintf("backup/sw-%02d/running.cfg", i)
			if err := behaviourtest.Write(context.Background(), &reg, name, bytes.Repeat([]byte("!"), 100+i), behaviourtest.ChunkSize(512)); err != nil {
				t.Errorf("upload %s: %v", name, err)
			}
		})
	}
	wg.Wait()
	// A second upload of a name the policy refuses to replace, and an
	// upload the peer abandons: two failures.
	if err := behaviourtest.Write(context.Background(), &reg, "backup/sw-00/running.cfg", []byte("again")); !errors.Is(err, behaviour.ErrFileExists) {
		t.Errorf("replacing upload: %v, want file exists", err)
	}
	tr, _ := behaviourtest.NewTransfer(behaviour.Write, "backup/sw-99/half.cfg")
	if err := reg.Open(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	_ = reg.Write(tr, []byte("half"), false)
	reg.Abort(tr, errors.New("peer sent ERROR"))
	actions.Wait()

	ok := logLines(t, okLog)
	if len(ok) != uploads {
		t.Fatalf("success action ran %d times for %d uploads:\n%s", len(ok), uploads, strings.Join(ok, "\n"))
	}
	for i, line := range ok {
		want := fmt.Sprintf("success|backup/sw-%02d/running.cfg|sw-%02d|%d|0|sw-%02d write", i, i, 100+i, i)
		if line != want {
			t.Errorf("run %d saw %q, want %q", i, line, want)
		}
	}
	fail := logLines(t, failLog)
	want := []string{"failure|backup/sw-00/running.cfg|sw-00|0|6|", "failure|backup/sw-99/half.cfg|sw-99|4|0|"}
	if !slices.Equal(fail, want) {
		t.Errorf("failure action runs:\n%s\nwant:\n%s", strings.Join(fail, "\n"), strings.Join(want, "\n"))
	}
}

func TestActionsRunCp(t *testing.T) {
	cp := need(t, "cp")
	root, archive := t.TempDir(), t.TempDir()
	dir, err := handlers.NewDir(root, handlers.DirConfig{Write: handlers.WriteAny})
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	var actions handlers.Actions
	h, err := actions.Wrap(dir, handlers.Action{Run: []string{cp, root + "/{{.Name}}", archive + "/{{.Params.host}}.cfg"}})
	if err != nil {
		t.Fatal(err)
	}
	var reg registry.Registry
	reg.MustRegister(`(?<host>[a-z0-9-]+)-confg`, h)
	cfg := []byte("hostname edge-3\n")
	if err := behaviourtest.Write(context.Background(), &reg, "edge-3-confg", cfg); err != nil {
		t.Fatal(err)
	}
	actions.Wait()
	if got, err := os.ReadFile(filepath.Join(archive, "edge-3.cfg")); err != nil || !bytes.Equal(got, cfg) {
		t.Errorf("archived copy: %q, %v", got, err)
	}
}

func TestActionsPost(t *testing.T) {
	var mu sync.Mutex
	var events []handlers.ActionEvent
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e handlers.ActionEvent
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&e) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}))
	defer hook.Close()
	mem := handlers.NewMemory()
	var actions handlers.Actions
	h, err := actions.Wrap(mem, handlers.Action{On: handlers.ActionAlways, Post: hook.URL + "/events"})
	if err != nil {
		t.Fatal(err)
	}
	var reg registry.Registry
	reg.MustRegister(`cfg/(?<host>.+)`, h)
	if err := behaviourtest.Write(context.Background(), &reg, "cfg/r1", []byte("abc"), behaviourtest.Protocol(behaviour.SFTP), behaviourtest.User("ops")); err != nil {
		t.Fatal(err)
	}
	if _, err := behaviourtest.Read(context.Background(), &reg, "cfg/missing"); !errors.Is(err, behaviour.ErrNotFound) {
		t.Fatal(err)
	}
	actions.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 2 {
		t.Fatalf("%d events posted, want 2: %+v", len(events), events)
	}
	slices.SortFunc(events, func(a, b handlers.ActionEvent) int { return strings.Compare(a.Outcome, b.Outcome) })
	up, miss := events[1], events[0]
	if up.Outcome != "success" || up.Access != "write" || up.Protocol != "sftp" || up.User != "ops" || up.Name != "cfg/r1" ||
		up.Params["host"] != "r1" || up.Bytes != 3 || up.PeerIP != "127.0.0.1" || up.Pattern != "cfg/(?<host>.+)" || up.Code != 0 {
		t.Errorf("upload event: %+v", up)
	}
	if miss.Outcome != "failure" || miss.Access != "read" || miss.Code != int(behaviour.CodeNotFound) || miss.Error != "file not found" {
		t.Errorf("failed read event: %+v", miss)
	}
}

// syncBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestActionsTimeoutAndFailureLogged(t *testing.T) {
	helper := buildHelper(t)
	var logs syncBuffer
	actions := handlers.Actions{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	h, err := actions.Wrap(behaviour.Bytes([]byte("x")),
		handlers.Action{Run: []string{helper, filepath.Join(t.TempDir(), "log"), "sleep"}, Timeout: 200 * time.Millisecond},
		handlers.Action{Run: []string{helper}}, // exits 2 with its usage
	)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := behaviourtest.Read(context.Background(), h, "x"); err != nil {
		t.Fatal(err)
	}
	actions.Wait()
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Wait returned after %v: the slow action was not killed at its timeout", d)
	}
	out := logs.String()
	if !strings.Contains(out, "killed after 200ms") || !strings.Contains(out, "usage: actionhelper") || strings.Count(out, "action failed") != 2 {
		t.Errorf("logs:\n%s", out)
	}
}

func TestActionsInvalid(t *testing.T) {
	var actions handlers.Actions
	for _, a := range []handlers.Action{
		{},
		{Run: []string{"/bin/true"}, Post: "http://x/"},
		{Run: []string{"/nonexistent/program"}},
		{Run: []string{"{{.Name}}"}},
		{Run: []string{"true", "{{.Name"}},
		{Post: "ftp://x/"},
		{Post: "/relative"},
		{Post: "http://x/", Timeout: -1},
		{Post: "http://x/", On: 9},
	} {
		if _, err := actions.Wrap(behaviour.Base{}, a); err == nil {
			t.Errorf("Wrap accepted %+v", a)
		}
	}
}

func TestActionTriggerText(t *testing.T) {
	for _, tr := range []handlers.ActionTrigger{handlers.ActionOnSuccess, handlers.ActionOnFailure, handlers.ActionAlways} {
		b, err := tr.MarshalText()
		var back handlers.ActionTrigger
		if err != nil || back.UnmarshalText(b) != nil || back != tr || string(b) != tr.String() {
			t.Errorf("%v: round trip gave %v (%v)", tr, back, err)
		}
	}
	var tr handlers.ActionTrigger
	if err := tr.UnmarshalText([]byte("sometimes")); err == nil {
		t.Error("an unknown trigger parsed")
	}
	if _, err := handlers.ActionTrigger(7).MarshalText(); err == nil {
		t.Error("an invalid trigger marshalled")
	}
}
