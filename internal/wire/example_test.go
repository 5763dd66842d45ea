package wire_test

import (
	"fmt"
	"io"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/wire"
)

func ExampleCheckAccepted() {
	suggested := behaviour.NewOptions(behaviour.Option{Name: "blksize", Value: "1468"})
	accepted := suggested.Clone()
	accepted.Add("windowsize", "64") // a handler may not add an option
	err := wire.CheckAccepted(suggested, accepted)
	fmt.Printf("%d (%v): %s\n", wire.TFTPCode(err), wire.TFTPCode(err), behaviour.PeerMessage(err))
	fmt.Println(wire.CheckAccepted(suggested, suggested), err)
	// Output:
	// 8 (option refused): option not requested
	// <nil> option not requested: handler added option "windowsize"
}

func ExampleParseDecimal() {
	for _, s := range []string{"512", "+512", "-1", "abc", ""} {
		v, ok := wire.ParseDecimal(s)
		fmt.Println(s, v, ok)
	}
	// Output:
	// 512 512 true
	// +512 0 false
	// -1 0 false
	// abc 0 false
	//  0 false
}

func ExampleSFTPStatus() {
	fmt.Println(wire.SFTPStatus(nil), wire.SFTPStatus(io.EOF), wire.SFTPStatus(behaviour.ErrNotFound), wire.SFTPStatus(behaviour.ErrUnsupported))
	// Output: 0 1 2 8
}
