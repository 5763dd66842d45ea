package tftp

// BatchSender is implemented by transports that can send several datagrams
// with one system call. The sender hands it a whole window at once; a
// transport without it gets one Send per block.
type BatchSender interface {
	// SendBatch sends the datagrams in order, as Send would each one. The
	// engine reuses them after SendBatch returns.
	SendBatch(bs [][]byte) error
}

// sendAll sends bs through tr, in one batch when tr can.
func sendAll(tr Transport, bs [][]byte) error {
	if b, ok := tr.(BatchSender); ok && len(bs) > 1 {
		return b.SendBatch(bs)
	}
	for _, p := range bs {
		if err := tr.Send(p); err != nil {
			return err
		}
	}
	return nil
}
