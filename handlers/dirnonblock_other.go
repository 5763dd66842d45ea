//go:build !unix

package handlers

// openNonblock is a no-op where FIFOs do not block an open.
const openNonblock = 0
