package daemon_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// The network engineer's case: devices push their configs to the root
// (`copy running-config scp://...`), engineers fetch rendered ones, all
// through registry routes, with no route for the root itself.
func TestSSHRegistryRoutes(t *testing.T) {
	var mu sync.Mutex
	pushed := map[string]string{}
	var reg registry.Registry
	reg.MustRegister(`configs/(?<host>[^/]+)`, handlers.Template("hostname {{.Params.host}}\n"))
	reg.MustRegister(`(?<host>[^/]+)-confg`, behaviour.WriteFunc(func(_ context.Context, t *behaviour.Transfer, r io.Reader) error {
		b, err := io.ReadAll(r)
		mu.Lock()
		pushed[t.Param("host")+" by "+t.User+" over "+t.Protocol.String()] = string(b)
		mu.Unlock()
		return err
	}))
	s := daemontest.NewSSH(t, &reg)
	local := t.TempDir()
	cfg := sshWriteFile(t, local, "sw1-confg", []byte("interface Gi0/1\n"))

	if res := sftpBatch(t, s, local, "ls /\nget configs/sw9 rendered\nput sw1-confg\n"); res.code != 0 {
		t.Fatalf("sftp: %v", res)
	}
	if b, _ := os.ReadFile(filepath.Join(local, "rendered")); string(b) != "hostname sw9\n" {
		t.Errorf("rendered %q", b)
	}
	if res := scpRun(t, s, local, false, cfg, sshRemote(s, "")); res.code != 0 {
		t.Errorf("scp to the root: %v", res)
	}
	if res := scpRun(t, s, local, true, cfg, sshRemote(s, "")); res.code != 0 {
		t.Errorf("scp -O to the root: %v", res)
	}
	if res := curlRun(t, s, local, "-T", cfg, s.URL("scp", "sw2-confg")); res.code != 0 {
		t.Errorf("curl scp upload: %v", res)
	}
	mu.Lock()
	for _, key := range []string{"sw1 by tester over sftp", "sw1 by tester over scp", "sw2 by tester over scp"} {
		if pushed[key] != "interface Gi0/1\n" {
			t.Errorf("%s: %q (all: %q)", key, pushed[key], pushed)
		}
	}
	mu.Unlock()
	if res := sftpBatch(t, s, local, "get configs/a/b x\n"); res.code == 0 {
		t.Errorf("a name no route matches was served")
	}
	if res := scpRun(t, s, local, true, cfg, sshRemote(s, "elsewhere/x")); res.code == 0 {
		t.Errorf("an upload no route takes succeeded")
	}
}
