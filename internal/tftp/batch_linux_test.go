package tftp

import "testing"

// TestPrepareGSOFirstShort checks how a window is cut into segmented sends:
// a short first one, so that the peer gets the window's first datagrams
// before the kernel has cut the rest, then sends as large as allowed, with
// every datagram in exactly one of them, in order.
func TestPrepareGSOFirstShort(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes []int
		runs  []int
	}{
		{"64 full blocks and a short one", append(repeatInt(1472, 64), 100), []int{firstSegments, 44, 13}},
		{"a window of 16", repeatInt(1472, 16), []int{firstSegments, 8}},
		{"large blocks", repeatInt(30_004, 5), []int{2, 2, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			window := makeWindow(tc.sizes, 0)
			m := &mmsg{}
			if !m.prepareGSO(window) {
				t.Fatal("prepareGSO declined")
			}
			if len(m.msgs) != len(tc.runs) {
				t.Fatalf("%d segmented sends, want %d", len(m.msgs), len(tc.runs))
			}
			next := 0
			for i, msg := range m.msgs {
				if int(msg.Hdr.Iovlen) != tc.runs[i] {
					t.Errorf("send %d carries %d datagrams, want %d", i, msg.Hdr.Iovlen, tc.runs[i])
				}
				for j := range int(msg.Hdr.Iovlen) {
					iov := m.iovs[next+j]
					if iov.Base != &window[next+j][0] || int(iov.Len) != len(window[next+j]) {
						t.Fatalf("send %d, datagram %d is not window[%d]", i, j, next+j)
					}
				}
				next += int(msg.Hdr.Iovlen)
			}
			if next != len(window) {
				t.Fatalf("the sends carry %d datagrams, want %d", next, len(window))
			}
		})
	}
}
