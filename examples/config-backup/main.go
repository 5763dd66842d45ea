// Command config-backup collects the running configurations that network
// devices push, by TFTP (`copy running-config tftp://server/sw1-confg`) or by
// legacy SCP (`copy running-config scp://user@server/sw1-confg`). Each upload
// of "<host>-confg" or "backup/<host>.cfg" is stored atomically as
// "<host>/<timestamp>.cfg" under the backup folder, earlier versions kept, and
// the log says what changed since the previous version, as a unified diff.
//
//	go run ./examples/config-backup -dir ./backups -listen 127.0.0.1:6969
//	curl -T running-config tftp://127.0.0.1:6969/sw1-confg
//	tftp 127.0.0.1 6969 -m binary -c put running-config backup/sw1.cfg
//
// With -ssh and -authorized-keys (or -passwords, an htpasswd -B file, as
// most network gear logs in with a password) it accepts SCP and SFTP uploads
// too:
//
//	go run ./examples/config-backup -ssh 127.0.0.1:2222 -authorized-keys ~/.ssh/id_ed25519.pub
//	scp -O -P 2222 running-config 127.0.0.1:sw1-confg
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
	"github.com/filemux/filemux/registry"
	"golang.org/x/crypto/ssh"
)

// The names devices push to; host becomes the folder of its versions.
const (
	ciscoName  = `(?<host>[A-Za-z0-9][A-Za-z0-9._-]{0,62})-confg`
	backupName = `backup/(?<host>[A-Za-z0-9][A-Za-z0-9._-]{0,62})\.cfg`
)

// DefaultMaxSize bounds one pushed config when config.MaxSize is 0.
const DefaultMaxSize int64 = 4 << 20

// config is what run needs; main fills it from flags, tests from their own
// loopback setup.
type config struct {
	// Dir is the backup folder; it must exist.
	Dir string
	// MaxSize bounds one upload; 0 means DefaultMaxSize.
	MaxSize int64
	// Listen is the UDP address of the TFTP daemon; port 0 picks one.
	Listen string
	// SSH is the TCP address of the SCP and SFTP server; empty means none.
	SSH string
	// HostKeyFile is the SSH host key, generated on first use.
	HostKeyFile string
	// AuthorizedKeysFile and PasswordFile say who may log in; the keys
	// fields add keys kept elsewhere, as tests do.
	AuthorizedKeysFile string
	PasswordFile       string
	AuthorizedKeys     []ssh.PublicKey
	HostKeys           []ssh.Signer
	// Logger receives one line per transfer and one per stored version.
	Logger *slog.Logger
	// Grace is how long running transfers may finish once ctx is done;
	// 0 means 5 seconds.
	Grace time.Duration
	// Ready, when set, is called once the servers listen, with their
	// addresses (ssh is zero without SSH).
	Ready func(tftp, ssh netip.AddrPort)
}

func main() {
	cfg := config{Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	flag.StringVar(&cfg.Dir, "dir", "backups", "backup `folder` (created if missing)")
	flag.StringVar(&cfg.Listen, "listen", "127.0.0.1:6969", "UDP `address` to serve TFTP on (\":69\" for devices; needs privileges)")
	flag.StringVar(&cfg.SSH, "ssh", "", "TCP `address` to accept SCP and SFTP on (default: none)")
	flag.StringVar(&cfg.HostKeyFile, "host-key", filepath.Join(os.TempDir(), "filemux-backup-host-key"), "SSH host key `file`, generated when missing")
	flag.StringVar(&cfg.AuthorizedKeysFile, "authorized-keys", "", "authorized_keys `file` of the devices")
	flag.StringVar(&cfg.PasswordFile, "passwords", "", "`file` of user:bcrypt-hash lines (htpasswd -B)")
	flag.Parse()
	cfg.Ready = func(tftp, ssh netip.AddrPort) {
		cfg.Logger.Info("collecting configs", "dir", cfg.Dir, "tftp", tftp, "ssh", ssh)
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		fmt.Fprintln(os.Stderr, "config-backup:", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "config-backup:", err)
		os.Exit(1)
	}
}

// run collects configs into cfg.Dir until ctx is done.
func run(ctx context.Context, cfg config) error {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	h, closeDir, err := collector(cfg)
	if err != nil {
		return err
	}
	defer closeDir()
	pc, err := net.ListenPacket("udp", cfg.Listen)
	if err != nil {
		return err
	}
	services := []daemon.Service{daemon.TFTPService(&daemon.TFTP{
		Handler:     h,
		Logger:      cfg.Logger,
		MaxSize:     cfg.MaxSize,
		RefuseReads: true,
	}, pc)}
	var sshAddr netip.AddrPort
	if cfg.SSH != "" {
		ln, err := net.Listen("tcp", cfg.SSH)
		if err != nil {
			pc.Close()
			return err
		}
		sshAddr = ln.Addr().(*net.TCPAddr).AddrPort()
		services = append(services, daemon.SSHService(&daemon.SSH{
			Handler:            h,
			Logger:             cfg.Logger,
			MaxSize:            cfg.MaxSize,
			HostKeyFile:        cfg.HostKeyFile,
			HostKeys:           cfg.HostKeys,
			AuthorizedKeysFile: cfg.AuthorizedKeysFile,
			AuthorizedKeys:     cfg.AuthorizedKeys,
			PasswordFile:       cfg.PasswordFile,
		}, ln))
	}
	if cfg.Ready != nil {
		cfg.Ready(pc.LocalAddr().(*net.UDPAddr).AddrPort(), sshAddr)
	}
	return daemon.Run(ctx, cfg.Grace, services...)
}

// collector returns the routes that store pushed configs in cfg.Dir, with
// the change log hooked to every upload, and a function that releases the
// folder.
func collector(cfg config) (*registry.Registry, func(), error) {
	dir, err := handlers.NewDir(cfg.Dir, handlers.DirConfig{
		Write:       handlers.WriteCreate, // a version, once stored, never changes
		MakeParents: true,                 // the first push of a host makes its folder
		FileMode:    0o640,                // configs hold secrets
		DirMode:     0o750,
		MaxSize:     cfg.MaxSize,
	})
	if err != nil {
		return nil, nil, err
	}
	root, err := os.OpenRoot(cfg.Dir)
	if err != nil {
		dir.Close()
		return nil, nil, err
	}
	changes := changeLog{root: root, log: cfg.Logger, maxSize: cfg.MaxSize}
	h := handlers.Observe(archive{dir: dir, now: time.Now}, handlers.Hooks{OnEnd: changes.onEnd})
	var r registry.Registry
	r.MustRegister(ciscoName, h)
	r.MustRegister(backupName, h)
	return &r, func() { root.Close(); dir.Close() }, nil
}
