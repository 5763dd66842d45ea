// Command httpserve serves a directory over HTTP for the benchmark
// (bench/http.sh) and for trying clients by hand, either with filemux's
// daemon.HTTP or with Go's http.FileServer:
//
//	go run ./bench/cmd/httpserve -addr 127.0.0.1:8080 -root /srv/www -mem big.bin
//	go run ./bench/cmd/httpserve -fileserver -addr 127.0.0.1:8081 -root /srv/www
//
// filemux serves through a registry, as the daemon does from a config: the
// route mem/.+ is a Memory holding a copy of each file named by -mem (as
// mem/NAME), and every other name goes to a Dir of -root. Each route's
// handler is wrapped as the config wraps a read-only route (ReadOnly, then
// Observe, which counts the bytes of every transfer).
//
// With -cpuprofile FILE it profiles the server until it is stopped, for
// `go tool pprof`. It prints "listening on ADDR" once it serves, and stops
// on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "httpserve:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:0", "TCP address to listen on")
	root := flag.String("root", ".", "directory to serve")
	mem := flag.String("mem", "", "comma-separated files of -root to serve from memory as mem/NAME")
	fileServer := flag.Bool("fileserver", false, "serve -root with Go's http.FileServer instead of filemux")
	content := flag.Bool("content", true, "let the daemon send the handlers' whole contents (sendfile, large writes)")
	verbose := flag.Bool("v", false, "log every transfer to stderr")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file until SIGINT or SIGTERM")
	flag.Parse()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	var srv interface {
		Serve(net.Listener) error
		Shutdown(context.Context) error
	}
	if *fileServer {
		srv = &http.Server{Handler: http.FileServer(http.Dir(*root)), ReadHeaderTimeout: 10 * time.Second}
	} else {
		d, closeFn, err := filemux(*root, *mem, *content, *verbose)
		if err != nil {
			return err
		}
		defer closeFn()
		srv = d
	}
	if *cpuProfile != "" {
		stop, err := profileCPU(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	go stopOnSignal(srv.Shutdown)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, daemon.ErrServerClosed) && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// filemux returns the daemon serving root and the files of mem from
// memory, routed by a registry.
func filemux(root, mem string, content, verbose bool) (*daemon.HTTP, func(), error) {
	dir, err := handlers.NewDir(root, handlers.DirConfig{})
	if err != nil {
		return nil, nil, err
	}
	store, err := handlers.NewMemoryWith(handlers.MemoryConfig{MaxFileSize: -1, MaxTotal: -1})
	if err != nil {
		return nil, nil, err
	}
	for _, name := range strings.Split(mem, ",") {
		if name == "" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			return nil, nil, err
		}
		store.Put("mem/"+name, data)
	}
	var ended atomic.Int64 // what the config's generation counts
	route := func(h behaviour.Handler) behaviour.Handler {
		h = handlers.ReadOnly(h)
		if !content {
			h = noContent{h}
		}
		return handlers.Observe(h, handlers.Hooks{OnEnd: func(handlers.Outcome) { ended.Add(1) }})
	}
	reg := &registry.Registry{}
	reg.MustRegister(`mem/.+`, route(store))
	reg.MustRegister(`.+`, route(dir))
	d := &daemon.HTTP{
		Handler: reg,
		// The storm opens 500 connections from one address at once.
		MaxConnections: 4000, MaxPerAddress: 4000,
	}
	if verbose {
		d.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return d, func() { dir.Close() }, nil
}

// noContent hides the whole content of the handler it wraps
// (behaviour.ContentOf) and lets everything else through.
type noContent struct{ behaviour.Handler }

func (n noContent) Unwrap() behaviour.Handler { return n.Handler }

func (noContent) Content(*behaviour.Transfer) (behaviour.Content, bool) {
	return behaviour.Content{}, false
}

// profileCPU starts a CPU profile written to path; the returned function
// ends it.
func profileCPU(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// stopOnSignal shuts the server down on SIGINT or SIGTERM, giving running
// transfers a second to finish.
func stopOnSignal(shutdown func(context.Context) error) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = shutdown(ctx)
}
