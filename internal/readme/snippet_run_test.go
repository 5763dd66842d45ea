package readme

import (
	"context"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/filemux/filemux/daemon"
)

// The function below is README's second Go snippet, verbatim:
// TestGoSnippetIsVerbatim fails when it and README part ways.

func serveUntilSignal(tftpd *daemon.TFTP, sshd *daemon.SSH) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pc, err := net.ListenPacket("udp", ":69")
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", ":2222")
	if err != nil {
		pc.Close()
		return err
	}
	// Both stop when either stops by itself; running transfers get 10 s.
	return daemon.Run(ctx, 10*time.Second, daemon.TFTPService(tftpd, pc), daemon.SSHService(sshd, ln))
}

// serveUntilSignal binds fixed ports and waits for a signal, so it is
// compiled, not run.
var _ = serveUntilSignal
