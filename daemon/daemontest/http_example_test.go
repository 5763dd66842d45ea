package daemontest_test

import (
	"fmt"
	"io"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon/daemontest"
)

// In a test, pass t: the server is closed when the test ends.
func ExampleNewHTTP() {
	t := &exampleT{}
	defer t.end()

	srv := daemontest.NewHTTP(t, behaviour.Bytes([]byte("#!ipxe\nchain boot.efi\n")))

	resp, err := srv.Client().Get(srv.URL("boot.ipxe"))
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(resp.Status, " ", resp.ContentLength, "\n", string(body))
	// Output:
	// 200 OK 22
	// #!ipxe
	// chain boot.efi
}
