//go:build unix

package client_test

import (
	"bufio"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/internal/peers"
)

// erlangCallbackScript starts Erlang's tftp daemon with the callback module
// filemux_token (testdata/filemux_token.erl) on a port it picks, and prints
// the port.
const erlangCallbackScript = `{ok, P} = tftp:start([{port, 0}, {udp, [{ip, {127,0,0,1}}]}, {callback, {"", filemux_token, []}}]),
{ok, I} = tftp:info(P), {port, Port} = lists:keyfind(port, 1, I),
io:format("FILEMUX-PORT ~p~n", [Port]), receive stop -> ok end.`

// startErlangCallback compiles the callback module and starts the daemon in
// a process group of its own, stopped by the test's cleanup.
func startErlangCallback(t *testing.T) string {
	t.Helper()
	peers.Need(t, "erl", "erlc")
	dir := t.TempDir()
	src, err := filepath.Abs("testdata/filemux_token.erl")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("erlc", "-o", dir, src).CombinedOutput(); err != nil {
		t.Fatalf("erlc: %v\n%s", err, out)
	}
	cmd := exec.Command("erl", "-noshell", "-pa", dir, "-eval", erlangCallbackScript)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	port := make(chan string, 1)
	go func() {
		printed := regexp.MustCompile(`FILEMUX-PORT (\d+)`)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := printed.FindStringSubmatch(sc.Text()); m != nil {
				port <- m[1]
			}
		}
	}()
	select {
	case p := <-port:
		return "127.0.0.1:" + p
	case <-time.After(15 * time.Second):
		t.Fatal("the Erlang daemon did not start")
	}
	return ""
}

// TestErlangCallback: a real server (Erlang's daemon with a custom
// callback) answers an extra option; the client sends it and returns the
// server's answer, and the callback's refusal comes back with its code.
func TestErlangCallback(t *testing.T) {
	addr := startErlangCallback(t)
	c := &client.TFTP{Addr: addr, BlockSize: 1000, TSize: true, Options: []behaviour.Option{{Name: "token", Value: "s3cret"}}}
	got, res, err := c.ReadBytes(context.Background(), "router1.cfg")
	if err != nil || string(got) != "generated for router1.cfg\n" {
		t.Fatalf("got %q, %v", got, err)
	}
	if v, _ := res.Options.Get("token"); v != "accepted" || res.Size != int64(len(got)) || res.BlockSize != 1000 {
		t.Fatalf("negotiated %q, size %d", res.Options.String(), res.Size)
	}
	c.Options = nil
	_, _, err = c.ReadBytes(context.Background(), "router1.cfg")
	var se *client.ServerError
	if !errors.As(err, &se) || se.Code != behaviour.CodeAccessViolation || se.Message != "token required" {
		t.Fatalf("err = %v, want the callback's access violation", err)
	}
}
