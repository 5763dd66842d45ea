package peers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ProgPostgres is the PostgreSQL server, Debian's postgresql-15: Lookup
// finds its postgres program (FILEMUX_POSTGRES_BIN names the directory of
// postgres, initdb and pg_ctl; /usr/lib/postgresql/15/bin by default).
const ProgPostgres = "postgres"

const defaultPostgresBin = "/usr/lib/postgresql/15/bin"

// Postgres is a real PostgreSQL server on loopback, shared by the tests of
// one test process that use it at the same time: the first PostgresDB
// starts it, the cleanup of the last stops it and removes its files.
// The server runs as a child of the test process (postgres in the
// foreground, as the postgres user when the tests run as root), so that it
// dies with the test binary even when that is killed (its directory under
// os.TempDir, filemux-pg-*, is then left behind).
type Postgres struct {
	// Port is the TCP port on 127.0.0.1.
	Port int
	// Dir holds the data directory (Dir/data), the socket and the log.
	Dir string

	bin  string
	cred *syscall.Credential

	mu   sync.Mutex
	proc *process
}

var pgShared struct {
	mu   sync.Mutex
	srv  *Postgres
	refs int
	seq  int
}

// PostgresDB returns the test process's PostgreSQL server, started if need
// be (see Need: missing, the test is skipped, or fails under CI=true), and
// the DSN of a database created for this test alone. The server stops when
// the last test using it ends.
func PostgresDB(t testing.TB) (*Postgres, string) {
	t.Helper()
	Need(t, ProgPostgres)
	pgShared.mu.Lock()
	defer pgShared.mu.Unlock()
	if pgShared.srv == nil {
		srv, err := startPostgres()
		if err != nil {
			t.Fatalf("peers: postgres: %v", err)
		}
		pgShared.srv = srv
	}
	srv := pgShared.srv
	pgShared.refs++
	t.Cleanup(releasePostgres)
	pgShared.seq++
	name := fmt.Sprintf("t%d_%d", os.Getpid(), pgShared.seq)
	if err := srv.exec("create database " + name); err != nil {
		t.Fatalf("peers: postgres: create database: %v", err)
	}
	return srv, srv.DSN(name)
}

func releasePostgres() {
	pgShared.mu.Lock()
	defer pgShared.mu.Unlock()
	pgShared.refs--
	if pgShared.refs > 0 || pgShared.srv == nil {
		return
	}
	srv := pgShared.srv
	pgShared.srv = nil
	// Stop, not a kill: a postmaster killed with SIGKILL leaves its shared
	// memory segments behind. Stop kills it by its id when it must.
	if srv.Stop() != nil {
		_ = srv.kill()
	}
	_ = os.RemoveAll(srv.Dir)
}

// DSN returns the URL of database name, as the superuser postgres over
// TCP without a password (the server trusts loopback).
func (p *Postgres) DSN(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, name)
}

func startPostgres() (*Postgres, error) {
	path, err := Lookup(ProgPostgres)
	if err != nil {
		return nil, err
	}
	p := &Postgres{bin: filepath.Dir(path)}
	if os.Geteuid() == 0 {
		if p.cred, err = postgresUser(); err != nil {
			return nil, err
		}
	}
	if p.Dir, err = os.MkdirTemp("", "filemux-pg-"); err != nil {
		return nil, err
	}
	if err := p.initdb(); err != nil {
		_ = os.RemoveAll(p.Dir)
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		p.Port, err = freePort()
		if err == nil {
			err = p.Start()
		}
		if err == nil || attempt == 4 {
			break
		}
	}
	if err != nil {
		_ = os.RemoveAll(p.Dir)
		return nil, err
	}
	return p, nil
}

// postgresUser is the credential of the postgres user, which initdb and
// postgres need when the tests run as root.
func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (p *Postgres) initdb() error {
	if p.cred != nil {
		if err := os.Chown(p.Dir, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			return err
		}
	}
	cmd := exec.Command(filepath.Join(p.bin, "initdb"), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "-D", filepath.Join(p.Dir, "data"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Dir = p.Dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	return nil
}

// Start starts the server again after Stop, on the same port and data.
func (p *Postgres) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc != nil && !p.proc.exited() {
		return errors.New("already running")
	}
	cmd := exec.Command(filepath.Join(p.bin, "postgres"), "-D", filepath.Join(p.Dir, "data"),
		"-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-k", p.Dir, "-c", "fsync=off", "-c", "max_connections=200")
	cmd.Dir = p.Dir
	proc := &process{cmd: cmd, out: newTailBuffer(256 << 10), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = proc.out, proc.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() {
		proc.err = cmd.Wait()
		close(proc.done)
	}()
	p.proc = proc
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		if err := p.ping(ctx); err == nil {
			return nil
		}
		select {
		case <-proc.done:
			return fmt.Errorf("postgres exited: %v\n%s", proc.err, proc.out.String())
		case <-ctx.Done():
			_ = p.killLocked()
			return fmt.Errorf("postgres did not answer: %v\n%s", ctx.Err(), proc.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop stops the server as `pg_ctl stop -m immediate` does (the backends
// quit at once, without a checkpoint), and waits until it has exited;
// after 10 seconds it kills the process group by its id.
func (p *Postgres) Stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == nil || p.proc.exited() {
		return nil
	}
	cmd := exec.Command(filepath.Join(p.bin, "pg_ctl"), "-D", filepath.Join(p.Dir, "data"), "-m", "immediate", "-w", "-t", "10", "stop")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	out, err := cmd.CombinedOutput()
	select {
	case <-p.proc.done:
	case <-time.After(10 * time.Second):
		_ = p.killLocked()
		return fmt.Errorf("pg_ctl stop: %v\n%s", err, out)
	}
	return waitGroupGone(p.proc.cmd.Process.Pid)
}

func (p *Postgres) kill() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.killLocked()
}

func (p *Postgres) killLocked() error {
	if p.proc == nil {
		return nil
	}
	return p.proc.stop()
}

func (p *Postgres) ping(ctx context.Context) error {
	c, err := pgx.Connect(ctx, p.DSN("postgres"))
	if err != nil {
		return err
	}
	return c.Close(ctx)
}

func (p *Postgres) exec(sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, p.DSN("postgres"))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, sql)
	return err
}

// freePort is a loopback TCP port nothing listened on a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
