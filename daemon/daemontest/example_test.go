package daemontest_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	pin "github.com/pin/tftp/v3"
)

// exampleT stands in for the *testing.T a real test passes to NewTFTP.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (t *exampleT) Helper()                           {}
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *exampleT) Errorf(format string, args ...any) { fmt.Printf(format+"\n", args...) }
func (t *exampleT) end() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// In a test, pass t: the daemon is closed when the test ends.
func ExampleNewTFTP() {
	t := &exampleT{}
	defer t.end()

	srv := daemontest.NewTFTP(t, behaviour.Bytes([]byte("boot menu\n")),
		func(d *daemon.TFTP) { d.RefuseWrites = true })

	c, err := pin.NewClient(srv.Addr().String())
	if err != nil {
		t.Fatalf("%v", err)
	}
	wt, err := c.Receive("pxelinux.cfg/default", "octet")
	if err != nil {
		t.Fatalf("%v", err)
	}
	var got bytes.Buffer
	if _, err := wt.WriteTo(&got); err != nil {
		t.Fatalf("%v", err)
	}
	fmt.Print(got.String())
	fmt.Println(srv.Addr().Addr(), srv.URL("x")[:16])
	// Output:
	// boot menu
	// 127.0.0.1 tftp://127.0.0.1
}
