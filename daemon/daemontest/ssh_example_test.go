package daemontest_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/pkg/sftp"
)

// In a test, pass the test's *testing.T; the server stops when the test
// ends. An Example has none, so this one stands in for it.
func ExampleNewSSH() {
	t := &sshExampleTB{}
	defer t.cleanup()

	greeter := behaviour.ReadFunc(func(_ context.Context, tr *behaviour.Transfer) (io.Reader, error) {
		return strings.NewReader("hello " + tr.User + ", this is " + tr.Name + "\n"), nil
	})
	s := daemontest.NewSSH(t, greeter)

	conn, err := s.Dial() // as daemontest.SSHUser, with the generated key
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer conn.Close()
	client, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer client.Close()
	f, err := client.Open("motd")
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer f.Close()
	_, _ = io.Copy(os.Stdout, f)

	// OpenSSH's tools log in with the same key and check the host key:
	//   sftp -P PORT <s.OpenSSHOptions()...> tester@127.0.0.1
	fmt.Println(len(s.OpenSSHOptions()) > 0, s.KeyFile != "", s.URL("sftp", "motd") != "")
	// Output:
	// hello tester, this is motd
	// true true true
}

// sshExampleTB is the testing.TB of an Example: cleanups run at its end
// and failures panic.
type sshExampleTB struct {
	testing.TB
	cleanups []func()
	dirs     []string
}

func (t *sshExampleTB) Helper()                   {}
func (t *sshExampleTB) Cleanup(f func())          { t.cleanups = append(t.cleanups, f) }
func (t *sshExampleTB) Errorf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }
func (t *sshExampleTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }

func (t *sshExampleTB) TempDir() string {
	dir, err := os.MkdirTemp("", "daemontest-example")
	if err != nil {
		panic(err)
	}
	t.dirs = append(t.dirs, dir)
	return dir
}

func (t *sshExampleTB) cleanup() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
	for _, d := range t.dirs {
		os.RemoveAll(d)
	}
}
