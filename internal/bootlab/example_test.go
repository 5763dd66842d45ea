package bootlab_test

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/filemux/filemux/internal/bootlab"
)

// Clean turns a firmware's screen drawing into lines a test can match.
func ExampleClean() {
	fmt.Printf("%q\n", bootlab.Clean("\x1b[2J\x1b[1;1HiPXE initialising devices...\x1b[0m ok\r\n"))
	// Output:
	// "iPXE initialising devices... ok\n"
}

// exampleT stands in for the *testing.T a real test passes to Start.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (t *exampleT) Helper()                           {}
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Failed() bool                      { return false }
func (t *exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *exampleT) end() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// A test starts the machine, waits for a console line with a deadline and
// leaves the kill to the cleanup. Here a shell stands in for QEMU.
func ExampleStart() {
	t := &exampleT{}
	defer t.end()

	m := bootlab.Start(t, bootlab.Config{
		Program: "/bin/sh",
		Args:    []string{"-c", `echo "tftp://10.0.2.2:6969/boot.ipxe... ok"; sleep 60`},
		Limit:   time.Minute,
	})
	line, err := m.WaitFor(regexp.MustCompile(`boot\.ipxe\.\.\. ok`), 10*time.Second)
	fmt.Println(line, err)
	// Output:
	// boot.ipxe... ok <nil>
}
