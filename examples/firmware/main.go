// Command firmware serves a firmware image from memory to network devices,
// over TFTP with large blocks and windows (RFC 2348, RFC 7440) and, when
// given keys, over SFTP, next to its sha256 digest so that every download
// can be checked.
//
// Without -image it serves a generated stand-in, acme-7.1.bin (8 MiB).
//
//	go run ./examples/firmware -listen 127.0.0.1:6969
//	curl -O tftp://127.0.0.1:6969/acme-7.1.bin --tftp-blksize 1468
//	curl -s tftp://127.0.0.1:6969/acme-7.1.bin.sha256 | sha256sum -c
//
// With -sftp and -authorized-keys it serves SFTP too:
//
//	go run ./examples/firmware -sftp 127.0.0.1:2222 -authorized-keys ~/.ssh/id_ed25519.pub
//	sftp -P 2222 127.0.0.1:acme-7.1.bin
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/handlers"
	"golang.org/x/crypto/ssh"
)

// config is what run needs; main fills it from flags, tests from their own
// loopback setup.
type config struct {
	// Listen is the UDP address of the TFTP daemon; port 0 picks one.
	Listen string
	// Image is the firmware file to serve; empty means the demo image of
	// Version and Size.
	Image   string
	Version string
	Size    int
	// SFTP is the TCP address of the SFTP server; empty means no SFTP.
	SFTP string
	// HostKeyFile is the SSH host key, generated on first use.
	HostKeyFile string
	// AuthorizedKeysFile lists the keys that may log in (any user name);
	// AuthorizedKeys and HostKeys add keys kept elsewhere, as tests do.
	AuthorizedKeysFile string
	AuthorizedKeys     []ssh.PublicKey
	HostKeys           []ssh.Signer
	// Logger receives one line per transfer.
	Logger *slog.Logger
	// Grace is how long running transfers may finish once ctx is done;
	// 0 means 5 seconds.
	Grace time.Duration
	// Ready, when set, is called once both servers listen, with their
	// addresses (sftp is zero without SFTP).
	Ready func(tftp, sftp netip.AddrPort)
}

func main() {
	cfg := config{Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	flag.StringVar(&cfg.Listen, "listen", "127.0.0.1:6969", "UDP `address` to serve TFTP on (\":69\" needs privileges)")
	flag.StringVar(&cfg.Image, "image", "", "firmware `file` to serve (default: a generated demo image)")
	flag.StringVar(&cfg.Version, "version", "7.1", "`version` of the demo image")
	flag.IntVar(&cfg.Size, "size", 8<<20, "size of the demo image in `bytes`")
	flag.StringVar(&cfg.SFTP, "sftp", "", "TCP `address` to serve SFTP on (default: no SFTP)")
	flag.StringVar(&cfg.HostKeyFile, "host-key", filepath.Join(os.TempDir(), "filemux-firmware-host-key"), "SSH host key `file`, generated when missing")
	flag.StringVar(&cfg.AuthorizedKeysFile, "authorized-keys", "", "authorized_keys `file` of the SFTP users (a .pub file will do)")
	flag.Parse()
	cfg.Ready = func(tftp, sftp netip.AddrPort) {
		cfg.Logger.Info("serving firmware", "tftp", tftp, "sftp", sftp)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "firmware:", err)
		os.Exit(1)
	}
}

// run serves the image and its digest from memory until ctx is done.
func run(ctx context.Context, cfg config) error {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	img, name, err := loadImage(cfg.Image, cfg.Version, cfg.Size)
	if err != nil {
		return err
	}
	// The zero Memory is read-only: peers download, nobody uploads.
	store := &handlers.Memory{}
	store.Put(name, img)
	store.Put(name+".sha256", []byte(digestLine(img, name)))
	cfg.Logger.Info("firmware loaded", "name", name, "bytes", len(img))

	pc, err := net.ListenPacket("udp", cfg.Listen)
	if err != nil {
		return err
	}
	services := []daemon.Service{daemon.TFTPService(&daemon.TFTP{
		Handler: store,
		Logger:  cfg.Logger,
		// Devices that negotiate windowsize get up to 64 blocks in
		// flight: on a LAN, an image arrives many times faster.
		MaxWindowSize: 64,
		RefuseWrites:  true,
	}, pc)}
	var sftpAddr netip.AddrPort
	if cfg.SFTP != "" {
		ln, err := net.Listen("tcp", cfg.SFTP)
		if err != nil {
			pc.Close()
			return err
		}
		sftpAddr = ln.Addr().(*net.TCPAddr).AddrPort()
		services = append(services, daemon.SSHService(&daemon.SSH{
			Handler:            store,
			Logger:             cfg.Logger,
			HostKeyFile:        cfg.HostKeyFile,
			HostKeys:           cfg.HostKeys,
			AuthorizedKeysFile: cfg.AuthorizedKeysFile,
			AuthorizedKeys:     cfg.AuthorizedKeys,
		}, ln))
	}
	if cfg.Ready != nil {
		cfg.Ready(pc.LocalAddr().(*net.UDPAddr).AddrPort(), sftpAddr)
	}
	return daemon.Run(ctx, cfg.Grace, services...)
}
