package peers

import "syscall"

// processAttr puts a peer in its own process group and kills it when the
// test binary dies, so that no server outlives the test that started it.
func processAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
