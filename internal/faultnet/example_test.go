package faultnet_test

import (
	"fmt"
	"time"

	"github.com/filemux/filemux/internal/faultnet"
)

func ExampleWrap() {
	a, b := faultnet.Pipe()
	defer a.Close()
	defer b.Close()
	lossy := faultnet.Wrap(a, faultnet.Faults{Seed: 1, Drop: 1})
	_, _ = lossy.WriteTo([]byte("lost"), b.LocalAddr())
	fmt.Printf("%+v\n", lossy.Counts())
	// Output: {Written:1 Dropped:1 Duplicated:0 Reordered:0}
}

func ExampleNewNetwork() {
	n := faultnet.NewNetwork()
	server, _ := n.ListenPacket("udp", "127.0.0.1:69")
	client, _ := n.ListenPacket("udp", "127.0.0.1:0")
	defer server.Close()
	defer client.Close()
	_, _ = client.WriteTo([]byte("hello"), server.LocalAddr())
	buf := make([]byte, 16)
	_ = server.SetReadDeadline(time.Now().Add(time.Second))
	k, _, _ := server.ReadFrom(buf)
	fmt.Println(string(buf[:k]), server.LocalAddr())
	// Output: hello 127.0.0.1:69
}

func ExamplePipe() {
	a, b := faultnet.Pipe()
	defer a.Close()
	defer b.Close()
	_, _ = a.WriteTo([]byte("ping"), b.LocalAddr())
	buf := make([]byte, 16)
	k, _, _ := b.ReadFrom(buf)
	fmt.Println(string(buf[:k]))
	// Output: ping
}
