package peers_test

import (
	"fmt"

	"github.com/filemux/filemux/internal/peers"
)

func ExampleSHA256() {
	fmt.Println(peers.SHA256([]byte("abc")))
	// Output: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
}

func ExampleClientKind_Supports() {
	fmt.Println(peers.Curl.Supports(peers.Request{BlockSize: 1468}))
	fmt.Println(peers.Curl.Supports(peers.Request{WindowSize: 16}))
	fmt.Println(peers.ATFTP.Supports(peers.Request{BlockSize: 1468, WindowSize: 16, TSize: true}))
	// Output:
	// <nil>
	// the client does not support this request: curl has no windowsize option
	// <nil>
}

func ExampleServerKind_String() {
	for _, k := range peers.ServerKinds {
		fmt.Println(k, k.Writable())
	}
	// Output:
	// tftpd-hpa true
	// atftpd true
	// dnsmasq false
	// erlang true
	// node-tftp true
	// pin-tftp true
}

func ExampleLookup() {
	_, err := peers.Lookup("no-such-program-filemux")
	fmt.Println(err)
	// Output: no-such-program-filemux not found on PATH or in the sbin directories
}
