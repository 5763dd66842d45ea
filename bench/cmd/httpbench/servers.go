package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/filemux/filemux/bench/internal/cgroup"
	"github.com/filemux/filemux/internal/peers"
)

// server is one HTTP server under test, running.
type server struct {
	name  string
	base  string // http://127.0.0.1:PORT
	cmd   *exec.Cmd
	kinds []kind // the routes the workloads use
	// cg counts the CPU of the server's processes; nil where the machine
	// has no writable cgroup2, and /proc serves instead.
	cg *cgroup.Cgroup
}

// kind is a way a server serves the files: filemux has two routes.
type kind struct {
	label  string // appended to the server's name
	prefix string // of the path
}

// target is one server route the workloads run against.
type target struct {
	name   string
	server *server
	prefix string
}

func (t target) url(name string) string { return t.server.base + t.prefix + "/" + name }

// cpu returns the CPU time the server's processes have used so far.
func (s *server) cpu() time.Duration {
	if s.cg != nil {
		return s.cg.CPU()
	}
	return processCPU(s.cmd.Process.Pid)
}

// track moves the server's processes (nginx's master and workers) into a
// cgroup of their own, when the machine has a writable cgroup2.
func (s *server) track() {
	cg, err := cgroup.New("httpbench", strings.ReplaceAll(s.name, " ", "-"))
	if err != nil {
		return
	}
	pid := s.cmd.Process.Pid
	for _, p := range append([]int{pid}, children(pid)...) {
		if err := cg.Add(p); err != nil {
			cg.Remove()
			return
		}
	}
	s.cg = cg
}

// method says how cpu measures the server.
func (s *server) method() string {
	if s.cg != nil {
		return "cgroup cpu.stat (usage_usec)"
	}
	return "/proc/PID/stat utime+stime of the process and its children (10 ms ticks)"
}

func (s *server) close() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	if s.cg != nil {
		s.cg.Remove()
	}
}

// startServers starts the servers named in only (all when empty) on root.
func startServers(dir, root, httpserve, only string, logf func(string, ...any)) ([]*server, error) {
	mem := bigName + "," + smallName
	all := []struct {
		name  string
		start func() (*server, error)
	}{
		{"filemux", func() (*server, error) {
			return startHTTPServe("filemux", httpserve, []kind{{"Dir", ""}, {"Memory", "/mem"}}, "-root", root, "-mem", mem)
		}},
		{"filemux-nocontent", func() (*server, error) {
			return startHTTPServe("filemux without the capability", httpserve, []kind{{"Dir", ""}, {"Memory", "/mem"}},
				"-root", root, "-mem", mem, "-content=false")
		}},
		{"nginx", func() (*server, error) { return startNginx(nginxName, dir, root, true) }},
		{"nginx-nopush", func() (*server, error) { return startNginx(nginxNoPushName, dir, root, false) }},
		{"fileserver", func() (*server, error) {
			return startHTTPServe("http.FileServer", httpserve, []kind{{"", ""}}, "-fileserver", "-root", root)
		}},
	}
	var srvs []*server
	for _, a := range all {
		if only != "" && !strings.Contains(","+only+",", ","+a.name+",") {
			continue
		}
		logf("starting %s", a.name)
		s, err := a.start()
		if err != nil {
			return srvs, fmt.Errorf("%s: %w", a.name, err)
		}
		s.track()
		srvs = append(srvs, s)
	}
	return srvs, nil
}

// targetsOf lists every route of every server.
func targetsOf(srvs []*server) []target {
	var ts []target
	for _, s := range srvs {
		for _, k := range s.kinds {
			name := s.name
			if k.label != "" {
				name += " " + k.label
			}
			ts = append(ts, target{name: name, server: s, prefix: k.prefix})
		}
	}
	return ts
}

// startHTTPServe runs the httpserve binary and waits for its "listening
// on" line.
func startHTTPServe(name, bin string, kinds []kind, args ...string) (*server, error) {
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{name: name, cmd: cmd, kinds: kinds}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	if err != nil || !strings.HasPrefix(line, "listening on ") {
		s.close()
		return nil, fmt.Errorf("httpserve did not start: %q %v", line, err)
	}
	s.base = "http://" + addr
	return s, nil
}

// startNginx runs nginx in the foreground with a config of its own in dir:
// Debian's defaults for static files (sendfile on, tcp_nopush on unless
// nopush is false, one worker per CPU), no access log (filemux logs
// nothing either), and the listen backlog Go uses (somaxconn), so that a
// storm's connections queue alike.
func startNginx(name, dir, root string, nopush bool) (*server, error) {
	path, err := peers.Lookup(peers.ProgNginx)
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	ndir := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
	if err := os.MkdirAll(ndir, 0o755); err != nil {
		return nil, err
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	push := "on"
	if !nopush {
		push = "off"
	}
	conf := fmt.Sprintf(`%s
daemon off;
worker_processes auto;
pid %[2]s/nginx.pid;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path %[2]s/body;
	proxy_temp_path %[2]s/proxy;
	fastcgi_temp_path %[2]s/fastcgi;
	uwsgi_temp_path %[2]s/uwsgi;
	scgi_temp_path %[2]s/scgi;
	default_type application/octet-stream;
	sendfile on;
	tcp_nopush %[6]s;
	keepalive_timeout 65;
	server {
		listen 127.0.0.1:%[4]d backlog=%[5]d;
		root %[3]s;
	}
}
`, user, ndir, root, port, somaxconn(), push)
	cfile := filepath.Join(ndir, "nginx.conf")
	if err := os.WriteFile(cfile, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(path, "-p", ndir, "-e", filepath.Join(ndir, "error.log"), "-c", cfile)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{name: name, base: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, kinds: []kind{{"", ""}}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			s.close()
			log, _ := os.ReadFile(filepath.Join(ndir, "error.log"))
			return nil, fmt.Errorf("nginx did not start: %v\n%s", err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The workers are forked after the socket is bound: wait for them.
	for len(children(cmd.Process.Pid)) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	return s, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func somaxconn() int {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		return 4096
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 4096
	}
	return n
}

// clockTicks is USER_HZ, the unit of the CPU times in /proc/PID/stat.
const clockTicks = 100

// processCPU returns user + system time of pid, of its live children
// (nginx's workers) and of the children it has waited for.
func processCPU(pid int) time.Duration {
	ticks := statTicks(pid)
	for _, c := range children(pid) {
		ticks += statTicks(c)
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// statTicks reads utime + stime + cutime + cstime of /proc/PID/stat.
func statTicks(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	// Fields after the command: state(3) ... utime(14) stime(15)
	// cutime(16) cstime(17), numbered from 1 as in proc(5).
	f := strings.Fields(s[i+1:])
	if len(f) < 15 {
		return 0
	}
	num := func(k int) int64 { n, _ := strconv.ParseInt(f[k-3], 10, 64); return n }
	return num(14) + num(15) + num(16) + num(17)
}

// children lists the live children of pid, from every thread's list.
func children(pid int) []int {
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	var pids []int
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				pids = append(pids, n)
			}
		}
	}
	return pids
}
