package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// DefaultMaxActions bounds the actions running at once when
// Actions.MaxRunning is 0.
const DefaultMaxActions = 8

// Actions fires completion actions for the handlers it wraps: "a config
// was uploaded, archive it and tell the provisioning system". Each action
// runs on a goroutine of its own once its transfer ended, so that a slow
// command never delays the answer to the peer; at most MaxRunning run at
// once, the others wait their turn. Failures are logged, never reported
// to the peer: the transfer had ended already.
//
// Configure Actions with its fields before the first Wrap; the zero value
// is ready to use. Wait waits for the actions fired so far, as a daemon
// shutting down should. Actions is safe for concurrent use.
type Actions struct {
	// Logger receives one record per action run, with its failure and the
	// start of its output; nil discards them.
	Logger *slog.Logger
	// Client posts the events; nil means a client of Actions' own.
	Client *http.Client
	// MaxRunning bounds the actions running at once; 0 means
	// DefaultMaxActions.
	MaxRunning int

	once sync.Once
	sem  chan struct{}
	wg   sync.WaitGroup
}

// Wrap returns a Handler that serves what h serves and fires the actions
// of list as its transfers end: exactly once per transfer whose Open was
// called, for the actions whose trigger matches (built on [Observe]). It
// fails when an action is invalid: neither or both of Run and Post, a
// program not found, an argument template that does not parse, a Post that
// is not an absolute http or https URL.
func (a *Actions) Wrap(h behaviour.Handler, list ...Action) (behaviour.Handler, error) {
	compiled := make([]*action, 0, len(list))
	for _, ac := range list {
		c, err := ac.compile()
		if err != nil {
			return nil, err
		}
		compiled = append(compiled, c)
	}
	a.once.Do(a.init)
	return Observe(h, Hooks{OnEnd: func(o Outcome) { a.fire(o, compiled) }}), nil
}

func (a *Actions) init() {
	a.sem = make(chan struct{}, cmpOrInt(a.MaxRunning, DefaultMaxActions))
	if a.Client == nil {
		a.Client = &http.Client{}
	}
	if a.Logger == nil {
		a.Logger = slog.New(slog.DiscardHandler)
	}
}

func cmpOrInt(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// Wait waits for every action fired so far to finish.
func (a *Actions) Wait() { a.wg.Wait() }

func (a *Actions) fire(o Outcome, list []*action) {
	var e *ActionEvent
	for _, c := range list {
		if !c.On.fires(o.OK()) {
			continue
		}
		if e == nil {
			ev := eventOf(o)
			e = &ev
		}
		a.wg.Add(1)
		go a.run(c, *e)
	}
}

func (a *Actions) run(c *action, e ActionEvent) {
	defer a.wg.Done()
	a.sem <- struct{}{}
	defer func() { <-a.sem }()
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	attrs := []any{"file", e.Name, "peer", e.Peer, "outcome", e.Outcome}
	var out []byte
	var err error
	if c.Post != "" {
		attrs = append(attrs, "post", c.Post)
		err = a.post(ctx, c.Post, e)
	} else {
		attrs = append(attrs, "program", c.program)
		out, err = c.command(ctx, e)
	}
	if len(out) > 0 {
		attrs = append(attrs, "output", string(out))
	}
	if err != nil {
		a.Logger.Warn("action failed", append(attrs, "err", err)...)
		return
	}
	a.Logger.Info("action ran", attrs...)
}

// maxActionOutput bounds the output of a command kept for the log.
const maxActionOutput = 4 << 10

// command runs the program with the event in its arguments and
// environment, and returns the start of its output.
func (c *action) command(ctx context.Context, e ActionEvent) ([]byte, error) {
	args := make([]string, len(c.args))
	for i, tmpl := range c.args {
		var b strings.Builder
		if err := tmpl.Execute(&b, e); err != nil {
			return nil, err
		}
		args[i] = b.String()
	}
	cmd := exec.CommandContext(ctx, c.program, args...)
	cmd.Env = append(os.Environ(), e.Env()...)
	cmd.Dir = c.Dir
	out := &cappedBuffer{max: maxActionOutput}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("killed after %v: %w", c.Timeout, err)
	}
	return out.Bytes(), err
}

func (a *Actions) post(ctx context.Context, url string, e ActionEvent) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.Client.Do(req)
	if err != nil {
		return err
	}
	discard(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the endpoint answered %s", resp.Status)
	}
	return nil
}

// cappedBuffer keeps the first max bytes written to it and discards the
// rest, so that a chatty command cannot fill the memory.
type cappedBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *cappedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.TrimSpace(b.buf.Bytes())
}
