//go:build !unix

package main

import "os"

// terminalWidth reports no terminal: the progress bar is a unix nicety.
func terminalWidth(*os.File) (int, bool) { return 0, false }
