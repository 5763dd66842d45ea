package peers

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Names of the programs that Need and Lookup know beyond those on PATH.
const (
	// ProgATFTPD is atftpd, unpacked by .ci/run (FILEMUX_ATFTPD).
	ProgATFTPD = "atftpd"
	// ProgNodeTFTP is the directory of the node tftp module
	// (FILEMUX_NODE_TFTP); it needs the program node as well.
	ProgNodeTFTP = "node-tftp"
	// ProgRoot is not a program: it stands for running as root, which
	// tftpd-hpa's chroot and dnsmasq's port 69 need.
	ProgRoot = "root"
)

// defaultPeersDir is where .ci/run puts the peers that apt-get cannot
// install beside the others.
const defaultPeersDir = "/opt/filemux-peers"

// Strict reports whether missing peers fail tests instead of skipping them:
// the environment variable CI is "true".
func Strict() bool { return os.Getenv("CI") == "true" }

// Need skips the test when one of the named programs (see Lookup) is
// missing, or fails it when Strict is true, so that CI cannot pass by
// skipping.
func Need(t testing.TB, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := Lookup(name); err != nil {
			if Strict() {
				t.Fatalf("peers: %s is required with CI=true: %v (.ci/run installs it)", name, err)
			} else {
				t.Skipf("peers: skipping, %s is not available: %v (run .ci/run to install the real peers)", name, err)
			}
		}
	}
}

// Lookup returns the path of the named program: ProgATFTPD, ProgNodeTFTP,
// ProgPostgres, ProgRoot or a command on PATH or in /usr/sbin or /sbin.
func Lookup(name string) (string, error) {
	switch name {
	case ProgATFTPD:
		return lookupFile(os.Getenv("FILEMUX_ATFTPD"), filepath.Join(peersDir(), "atftpd/usr/sbin/atftpd"), "atftpd")
	case ProgNodeTFTP:
		return lookupNodeTFTP()
	case ProgPostgres:
		return lookupFile(postgresBin(os.Getenv("FILEMUX_POSTGRES_BIN")), filepath.Join(defaultPostgresBin, "postgres"), "postgres")
	case ProgVersitygw:
		return lookupFile(os.Getenv("FILEMUX_VERSITYGW"), filepath.Join(peersDir(), "versitygw/versitygw"), "versitygw")
	case ProgRoot:
		if os.Geteuid() != 0 {
			return "", errors.New("not running as root")
		}
		return "/", nil
	}
	return lookupFile("", "", name)
}

func peersDir() string {
	if d := os.Getenv("FILEMUX_PEERS_DIR"); d != "" {
		return d
	}
	return defaultPeersDir
}

// lookupFile tries an explicit path (from the environment), a default path,
// then the command name on PATH and in the sbin directories.
func lookupFile(explicit, fallback, name string) (string, error) {
	if explicit != "" {
		if isExecutable(explicit) {
			return explicit, nil
		}
		return "", fmt.Errorf("%s is not an executable file", explicit)
	}
	if fallback != "" && isExecutable(fallback) {
		return fallback, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH or in the sbin directories", name)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// lookupNodeTFTP finds the node tftp module directory: FILEMUX_NODE_TFTP,
// the .ci/run location, or a tftp directory on NODE_PATH.
func lookupNodeTFTP() (string, error) {
	if _, err := lookupFile("", "", "node"); err != nil {
		return "", err
	}
	dirs := []string{os.Getenv("FILEMUX_NODE_TFTP"), filepath.Join(peersDir(), "node/node_modules/tftp")}
	for _, p := range filepath.SplitList(os.Getenv("NODE_PATH")) {
		dirs = append(dirs, filepath.Join(p, "tftp"))
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "package.json")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("the node tftp module was not found (FILEMUX_NODE_TFTP, " +
		filepath.Join(peersDir(), "node/node_modules/tftp") + " or NODE_PATH)")
}

// postgresBin is the postgres program in the directory dir, or "".
func postgresBin(dir string) string {
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, "postgres")
}
