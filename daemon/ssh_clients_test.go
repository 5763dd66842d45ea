package daemon_test

import (
	"testing"

	"github.com/filemux/filemux/daemon/daemontest"
)

// sshClient is one external client program, seen as a get and a put of
// one file each: remote names are relative to the served root, local ones
// to dir.
type sshClient struct {
	get func(t *testing.T, s *daemontest.SSHServer, dir, remote, local string) sshResult
	put func(t *testing.T, s *daemontest.SSHServer, dir, local, remote string) sshResult
}

// sshClients are the real clients every error path is tried with.
var sshClients = map[string]sshClient{
	"sftp": {
		get: func(t *testing.T, s *daemontest.SSHServer, dir, remote, local string) sshResult {
			return sftpBatch(t, s, dir, "get "+remote+" "+local+"\n")
		},
		put: func(t *testing.T, s *daemontest.SSHServer, dir, local, remote string) sshResult {
			return sftpBatch(t, s, dir, "put "+local+" "+remote+"\n")
		},
	},
	"scp": {
		get: func(t *testing.T, s *daemontest.SSHServer, dir, remote, local string) sshResult {
			return scpRun(t, s, dir, false, sshRemote(s, remote), local)
		},
		put: func(t *testing.T, s *daemontest.SSHServer, dir, local, remote string) sshResult {
			return scpRun(t, s, dir, false, local, sshRemote(s, remote))
		},
	},
	"scp-O": {
		get: func(t *testing.T, s *daemontest.SSHServer, dir, remote, local string) sshResult {
			return scpRun(t, s, dir, true, sshRemote(s, remote), local)
		},
		put: func(t *testing.T, s *daemontest.SSHServer, dir, local, remote string) sshResult {
			return scpRun(t, s, dir, true, local, sshRemote(s, remote))
		},
	},
	"curl-sftp": curlClient("sftp"),
	"curl-scp":  curlClient("scp"),
	"lftp": {
		get: func(t *testing.T, s *daemontest.SSHServer, dir, remote, local string) sshResult {
			return lftpRun(t, s, dir, "get "+remote+" -o "+local)
		},
		put: func(t *testing.T, s *daemontest.SSHServer, dir, local, remote string) sshResult {
			return lftpRun(t, s, dir, "put "+local+" -o "+remote)
		},
	},
}

func curlClient(scheme string) sshClient {
	return sshClient{
		get: func(t *testing.T, s *daemontest.SSHServer, dir, remote, local string) sshResult {
			return curlRun(t, s, dir, "-o", local, s.URL(scheme, remote))
		},
		put: func(t *testing.T, s *daemontest.SSHServer, dir, local, remote string) sshResult {
			return curlRun(t, s, dir, "-T", local, s.URL(scheme, remote))
		},
	}
}
