package daemon_test

import (
	"fmt"

	"github.com/filemux/filemux/daemon"
)

// MaxStartups is written as OpenSSH writes it.
func ExampleParseSSHStartups() {
	for _, s := range []string{"10:30:100", "20", "100:30:10", "10:30"} {
		v, err := daemon.ParseSSHStartups(s)
		fmt.Println(v, err)
	}
	// Output:
	// 10:30:100 <nil>
	// 20:100:20 <nil>
	// 0:0:0 daemon: max startups 100:30:10: want 1 <= start <= full and a rate of 0 to 100
	// 0:0:0 daemon: max startups "10:30" is not start:rate:full or a number
}
