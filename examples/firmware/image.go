package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// demoImage returns the stand-in firmware the program serves when no image
// file is given: a header naming the version, then size bytes in all from a
// generator keyed by the version, so every run (and the test) builds the same
// image without a binary in the repository.
func demoImage(version string, size int) []byte {
	b := make([]byte, size)
	_, _ = rand.NewChaCha8(sha256.Sum256([]byte("filemux firmware " + version))).Read(b)
	copy(b, fmt.Sprintf("FILEMUX DEMO FIRMWARE %s\n", version))
	return b
}

// loadImage returns the image file path and the name to serve it under
// (its base name), or the demo image for version when path is empty.
func loadImage(path, version string, size int) ([]byte, string, error) {
	if path == "" {
		return demoImage(version, size), "acme-" + version + ".bin", nil
	}
	b, err := os.ReadFile(path)
	return b, filepath.Base(path), err
}

// digestLine is the ".sha256" file of an image, as sha256sum prints it, so
// that `sha256sum -c` checks a download.
func digestLine(img []byte, name string) string {
	sum := sha256.Sum256(img)
	return hex.EncodeToString(sum[:]) + "  " + name + "\n"
}
