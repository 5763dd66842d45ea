package daemon_test

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/handlers"
)

// Revoking a token: remove it from the token file and call ReloadAuth
// (filemux serve does on SIGHUP). The next upload with it is refused,
// on the connection it used before too.
func ExampleHTTP_ReloadAuth() {
	dir, err := os.MkdirTemp("", "filemux-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte("switch-1:0123456789abcdef-token\n"), 0o600); err != nil {
		log.Fatal(err)
	}
	d := &daemon.HTTP{Handler: handlers.NewMemory(), TokenFile: tokens}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = d.Serve(ln) }()
	defer d.Close()
	put := func(name string) int {
		req, _ := http.NewRequest("PUT", "http://"+ln.Addr().String()+"/"+name, strings.NewReader("running-config\n"))
		req.Header.Set("Authorization", "Bearer 0123456789abcdef-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	fmt.Println("before:", put("before.cfg"))

	if err := os.WriteFile(tokens, []byte("# switch-1 revoked\n"), 0o600); err != nil {
		log.Fatal(err)
	}
	fmt.Println("reload:", d.ReloadAuth())
	fmt.Println("after:", put("after.cfg"))
	// Output:
	// before: 201
	// reload: <nil>
	// after: 401
}
