package bootlab_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/internal/bootlab"
)

func TestWaitForMatchesCleanedConsole(t *testing.T) {
	m := bootlab.Start(t, bootlab.Config{
		Program: "/bin/sh",
		Args:    []string{"-c", `printf 'boot\033[2J\033[1;1Hing...\r ok\n'; sleep 60`},
	})
	got, err := m.WaitFor(regexp.MustCompile(`booting\.\.\. ok`), 10*time.Second)
	if err != nil || got != "booting... ok" {
		t.Fatalf("WaitFor = %q, %v; console %q", got, err, m.Console())
	}
	m.Stop()
	if !m.Exited() {
		t.Fatal("the machine runs after Stop")
	}
}

func TestWaitForTimesOut(t *testing.T) {
	m := bootlab.Start(t, bootlab.Config{Program: "/bin/sh", Args: []string{"-c", "echo nothing; sleep 60"}})
	start := time.Now()
	_, err := m.WaitFor(regexp.MustCompile(`never`), 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not match") {
		t.Fatalf("WaitFor = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("WaitFor took %v past a 300ms timeout", d)
	}
}

func TestWaitForSeesExit(t *testing.T) {
	m := bootlab.Start(t, bootlab.Config{Program: "/bin/sh", Args: []string{"-c", "echo bye"}})
	_, err := m.WaitFor(regexp.MustCompile(`never`), 10*time.Second)
	if !errors.Is(err, bootlab.ErrExited) {
		t.Fatalf("WaitFor = %v, want ErrExited", err)
	}
}

func TestLimitKillsTheMachine(t *testing.T) {
	m := bootlab.Start(t, bootlab.Config{Program: "/bin/sh", Args: []string{"-c", "sleep 60"}, Limit: 200 * time.Millisecond})
	deadline := time.Now().Add(10 * time.Second)
	for !m.Exited() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !m.Exited() {
		t.Fatal("the machine outlived its Limit")
	}
}

func TestClean(t *testing.T) {
	if got := bootlab.Clean("\x1b[0m\x1b[?25lDHCP\x1b[K ok\r\n"); got != "DHCP ok\n" {
		t.Fatalf("Clean = %q", got)
	}
}
