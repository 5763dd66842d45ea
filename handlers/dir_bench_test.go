package handlers_test

import (
	"context"
	"io"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
)

// BenchmarkDirRead reads a 64 MiB file through a Dir with the buffer
// lengths of a TFTP block on Ethernet and the largest TFTP block.
func BenchmarkDirRead(b *testing.B) {
	root := b.TempDir()
	const size = 64 << 20
	writeFile(b, filepath.Join(root, "image"), pattern(size, 1))
	d, err := handlers.NewDir(root, handlers.DirConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	for _, block := range []int{1468, 65464} {
		b.Run(strconv.Itoa(block), func(b *testing.B) {
			buf := make([]byte, block)
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				readAll(b, d, buf)
			}
		})
	}
}

func readAll(b *testing.B, d *handlers.Dir, buf []byte) {
	t := &behaviour.Transfer{Access: behaviour.Read, Name: "image"}
	if err := d.Open(context.Background(), t); err != nil {
		b.Fatal(err)
	}
	for {
		_, err := d.Read(t, buf)
		if err == io.EOF {
			return
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}
