package peers

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// command is how to run one client transfer, and how to read its outcome.
type command struct {
	prog string
	args []string
	env  []string
	// code extracts the TFTP error code from the output and exit status,
	// or -1.
	code func(out string, exit int) int
	// failed tells a failure that the exit status hides (tftp-hpa exits
	// 0 after an ERROR).
	failed func(out string) bool
}

func commandFor(c ClientKind, r Request, upload bool) (command, error) {
	switch c {
	case Curl:
		return curlCommand(r, upload), nil
	case TFTPHPA:
		return tftpHPACommand(r, upload), nil
	case ATFTP:
		return atftpCommand(r, upload), nil
	case Busybox:
		return busyboxCommand(r, upload), nil
	case ErlangFile, ErlangBinary:
		return erlangCommand(r, upload, c == ErlangBinary), nil
	case NodeClient:
		return nodeCommand(r, upload)
	}
	return command{}, fmt.Errorf("no command for %v", c)
}

func commandTransfer(ctx context.Context, c ClientKind, r Request, upload bool) Result {
	cmd, err := commandFor(c, r, upload)
	if err != nil {
		return Result{Err: err, Code: -1, Exit: -1}
	}
	path, err := Lookup(cmd.prog)
	if err != nil {
		return Result{Err: err, Code: -1, Exit: -1}
	}
	out, exit, err := runCommand(ctx, path, cmd.args, cmd.env)
	res := Result{Output: out, Exit: exit, Code: -1}
	if cmd.code != nil {
		res.Code = cmd.code(out, exit)
	}
	switch {
	case ctx.Err() != nil:
		res.Err = fmt.Errorf("%v did not finish within %v: %s", c, r.Timeout, tail(out))
	case err != nil:
		res.Err = fmt.Errorf("%v: %v: %s", c, err, tail(out))
	case cmd.failed != nil && cmd.failed(out):
		res.Err = fmt.Errorf("%v reported a failure: %s", c, tail(out))
	}
	return res
}

// runCommand runs a client in a process group of its own, killed whole
// when ctx ends, and returns its combined output and exit status.
func runCommand(ctx context.Context, path string, args, env []string) (string, int, error) {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.SysProcAttr = processAttr()
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	exit := -1
	if cmd.ProcessState != nil {
		exit = cmd.ProcessState.ExitCode()
	}
	return out.String(), exit, err
}

// tail keeps the end of a client's output for an error message.
func tail(out string) string {
	out = strings.TrimSpace(out)
	if len(out) > 2000 {
		out = "..." + out[len(out)-2000:]
	}
	return out
}

func hostPort(r Request) []string {
	return []string{r.Server.Addr().String(), strconv.Itoa(int(r.Server.Port()))}
}

func curlCommand(r Request, upload bool) command {
	args := []string{"-sS", "--path-as-is", "--max-time", strconv.Itoa(int(r.Timeout.Seconds()))}
	if r.NoOptions {
		args = append(args, "--tftp-no-options")
	}
	if r.BlockSize != 0 {
		args = append(args, "--tftp-blksize", strconv.Itoa(r.BlockSize))
	}
	if upload {
		args = append(args, "-T", r.Local)
	} else {
		args = append(args, "-o", r.Local)
	}
	args = append(args, "tftp://"+r.Server.String()+"/"+escapePath(r.Remote))
	return command{prog: "curl", args: args, code: curlCode}
}

// escapePath escapes each segment of a name for a URL, keeping the slashes.
func escapePath(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// curlCode maps curl's TFTP exit statuses (68 not found ... 74 no such user)
// to the codes of the server's ERROR.
func curlCode(_ string, exit int) int {
	if exit >= 68 && exit <= 74 {
		return exit - 67
	}
	return -1
}

func tftpHPACommand(r Request, upload bool) command {
	args := []string{"-m", "binary"}
	args = append(args, hostPort(r)...)
	if upload {
		args = append(args, "-c", "put", r.Local, r.Remote)
	} else {
		args = append(args, "-c", "get", r.Remote, r.Local)
	}
	return command{
		prog: "tftp", args: args,
		code: matchCode(regexp.MustCompile(`Error code (\d+)`)),
		failed: func(out string) bool {
			return strings.Contains(out, "Error code") || strings.Contains(out, "timed out")
		},
	}
}

func atftpCommand(r Request, upload bool) command {
	args := []string{"--get"}
	if upload {
		args[0] = "--put"
	}
	args = append(args, "-r", r.Remote, "-l", r.Local)
	if r.BlockSize != 0 {
		args = append(args, "--option", "blksize "+strconv.Itoa(r.BlockSize))
	}
	if r.WindowSize != 0 {
		args = append(args, "--option", "windowsize "+strconv.Itoa(r.WindowSize))
	}
	if r.TSize {
		args = append(args, "--option", "tsize")
	}
	return command{prog: "atftp", args: append(args, hostPort(r)...)}
}

func busyboxCommand(r Request, upload bool) command {
	args := []string{"tftp", "-g"}
	if upload {
		args[1] = "-p"
	}
	args = append(args, "-r", r.Remote, "-l", r.Local)
	if r.BlockSize != 0 {
		args = append(args, "-b", strconv.Itoa(r.BlockSize))
	}
	return command{
		prog: "busybox", args: append(args, hostPort(r)...),
		code: matchCode(busyboxCodeRE),
	}
}

var busyboxCodeRE = regexp.MustCompile(`server error: \((\d+)\)`)

// matchCode returns a code extractor for the first group of re.
func matchCode(re *regexp.Regexp) func(string, int) int {
	return func(out string, _ int) int {
		m := re.FindStringSubmatch(out)
		if m == nil {
			return -1
		}
		n, err := strconv.Atoi(m[1])
		if err != nil {
			return -1
		}
		return n
	}
}
