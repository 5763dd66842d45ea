package client

// sink delivers a download to the local handler (a tftp.Sink): it counts the
// bytes, enforces MaxSize, feeds the digest and checks it before the final
// write, so that a mismatch commits nothing.
type sink struct{ x *transfer }

func (k sink) Write(p []byte, last bool) error {
	x := k.x
	x.bytes += int64(len(p))
	if m := x.s.c.MaxSize; m > 0 && x.bytes > m {
		return tooLarge()
	}
	if x.verify != nil {
		x.verify.write(p)
		if last {
			if err := x.verify.check(); err != nil {
				return err
			}
		}
	}
	if err := x.d.Write(p, last); err != nil {
		return err
	}
	x.report()
	return nil
}

// source reads an upload from the local handler (a tftp.Source) through
// the driver, which fails a stuck handler or a count out of range.
type source struct{ x *transfer }

func (s source) Read(p []byte) (int, error) {
	x := s.x
	n, err := x.d.Read(p)
	x.bytes += int64(n)
	if n > 0 || x.d.Ended() {
		x.report()
	}
	return n, err
}
