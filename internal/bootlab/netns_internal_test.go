package bootlab

import (
	"os"
	"slices"
	"testing"
)

func TestStaleNetns(t *testing.T) {
	live := map[int]bool{100: true, 200: true}
	names := []string{
		"filemux-boot-100-1", // a live run: kept
		"filemux-boot-300-1", // dead: swept
		"filemux-boot-300-2", // dead: swept
		"filemux-boot-42-7",  // this process: kept
		"filemux-boot-0-1",   // no such PID: kept
		"filemux-boot-300",   // not NewNetns's shape: kept
		"filemux-boot-x-1",   // idem
		"xfilemux-boot-300-1",
		"filemux-boot-300-1-extra",
		"other-netns",
		"filemux-boot-99999999999999999999-1", // overflows: kept
	}
	got := staleNetns(names, 42, func(pid int) bool { return live[pid] })
	if want := []string{"filemux-boot-300-1", "filemux-boot-300-2"}; !slices.Equal(got, want) {
		t.Fatalf("staleNetns = %q, want %q", got, want)
	}
}

func TestAliveSeesInitAndSelf(t *testing.T) {
	if !alive(1) || !alive(os.Getpid()) {
		t.Errorf("alive(1) = %v, alive(self) = %v; want both true", alive(1), alive(os.Getpid()))
	}
}
