package behaviour

import "os"

// Content is the whole content of an open read transfer in a form an
// engine can send without reading it through the handler: an open file
// that the kernel copies to the socket itself (sendfile(2)), or bytes in
// memory written to it as they are. It is what Read would return, all of
// it: bytes 0 to the transfer's size of File, or Bytes. Exactly one of
// File and Bytes is set.
//
// The engine only reads the content, from any offset, moving File's offset
// as it pleases (Seek, or the kernel's sendfile); it never writes, closes
// or keeps it, and uses it no more once the transfer has its ending, which
// stays the handler's: the random-access ending Read(t, nil) answering
// io.EOF, or Abort. So a handler whose Read closes its file at the ending
// closes it there as ever.
type Content struct {
	// File holds the content from offset 0 to the transfer's size.
	File *os.File
	// Bytes is the content; neither the engine nor the handler changes it
	// while the transfer runs.
	Bytes []byte
	// Sent, when not nil, is told the bytes the engine sent from the
	// content, in one call or more, all before the transfer's ending. A
	// decorator that counts the bytes of its transfers wraps it.
	Sent func(n int64)
}

// ContentSource is implemented by handlers that hand an engine the whole
// content of an open read transfer (see [Content] and [ContentOf]). Dir
// offers its open file, Memory its bytes.
type ContentSource interface {
	Content(t *Transfer) (Content, bool)
}

// ContentOf returns the whole content of an open read transfer, for an
// engine that sends it without Read or ReadAt (the HTTP server hands a
// file to sendfile(2) this way). It is looked for like [ReaderAt], through
// Unwrap, but fails closed: the first handler in the chain h, h.Unwrap(),
// ... that implements ContentSource or [RandomReader] decides, and one
// that implements RandomReader but not ContentSource offers no content.
// A decorator that changes, caps, meters or paces the bytes of a transfer
// must already implement RandomReader, or random reads would slip past it;
// by that alone it hides the content too, unless it implements
// ContentSource to say how it lets it through (counting it with Sent, say).
// A chain that ends without one offers none: t.State is never looked at.
//
// Engines that use it end the transfer as for random access, with Read(t,
// nil) answering io.EOF, after their last use of the content; they call
// Sent before the ending.
func ContentOf(h Handler, t *Transfer) (Content, bool) {
	for h != nil {
		switch c := h.(type) {
		case ContentSource:
			return c.Content(t)
		case RandomReader:
			return Content{}, false
		}
		w, ok := h.(Wrapper)
		if !ok {
			break
		}
		h = w.Unwrap()
	}
	return Content{}, false
}
