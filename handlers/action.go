package handlers

import (
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"strings"
	"text/template"
	"time"
)

// ActionTrigger says which endings of a transfer fire an [Action].
type ActionTrigger uint8

// The triggers of an Action. The zero value fires on success.
const (
	// ActionOnSuccess fires once a transfer succeeded: a device's config
	// was uploaded and committed, a file was served completely.
	ActionOnSuccess ActionTrigger = iota
	// ActionOnFailure fires once a transfer failed, including those the
	// handler refused at Open.
	ActionOnFailure
	// ActionAlways fires once per transfer, whatever its ending.
	ActionAlways
)

var triggerText = [...]string{
	ActionOnSuccess: "success",
	ActionOnFailure: "failure",
	ActionAlways:    "always",
}

// String returns "success", "failure" or "always".
func (a ActionTrigger) String() string {
	if int(a) < len(triggerText) {
		return triggerText[a]
	}
	return fmt.Sprintf("ActionTrigger(%d)", uint8(a))
}

// MarshalText returns the String form, so that configuration files can
// name a trigger.
func (a ActionTrigger) MarshalText() ([]byte, error) {
	if int(a) >= len(triggerText) {
		return nil, fmt.Errorf("handlers: invalid action trigger %d", uint8(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText parses the String form.
func (a *ActionTrigger) UnmarshalText(text []byte) error {
	for i, s := range triggerText {
		if string(text) == s {
			*a = ActionTrigger(i)
			return nil
		}
	}
	return fmt.Errorf("handlers: unknown action trigger %q (want success, failure or always)", text)
}

func (a ActionTrigger) fires(ok bool) bool {
	return a == ActionAlways || (a == ActionOnSuccess) == ok
}

// DefaultActionTimeout bounds one action when Action.Timeout is 0.
const DefaultActionTimeout = 30 * time.Second

// Action is something to do once a transfer ended, such as archiving a
// config a device uploaded or telling a provisioning system about it. Set
// exactly one of Run and Post.
type Action struct {
	// On says which endings fire the action; the zero value is success.
	On ActionTrigger
	// Run is a command and its arguments, run directly, never through a
	// shell. Run[0] is the program, an absolute path or a name looked up
	// in PATH when the action is set up; it is fixed text. The arguments
	// are text/templates executed with the [ActionEvent], such as
	// "/srv/archive/{{.Params.host}}.cfg". The command also finds the
	// event in its environment (see ActionEvent.Env). Mind that a peer
	// chooses the name: an argument that is only {{.Name}} may look like
	// an option to the program.
	Run []string
	// Dir is the working directory of the program; empty means the
	// process's own.
	Dir string
	// Post is an http or https URL to which the event is POSTed as JSON.
	Post string
	// Timeout bounds the command or the request; a command still running
	// is killed. 0 means DefaultActionTimeout.
	Timeout time.Duration
}

// action is an Action checked and ready to fire.
type action struct {
	Action
	program string
	args    []*template.Template
}

func (a Action) compile() (*action, error) {
	switch {
	case a.On > ActionAlways:
		return nil, fmt.Errorf("handlers: action: invalid trigger %d", uint8(a.On))
	case (len(a.Run) == 0) == (a.Post == ""):
		return nil, errors.New("handlers: action: set exactly one of Run and Post")
	case a.Timeout < 0:
		return nil, fmt.Errorf("handlers: action: negative Timeout %v", a.Timeout)
	}
	c := &action{Action: a}
	if a.Timeout == 0 {
		c.Timeout = DefaultActionTimeout
	}
	if a.Post != "" {
		return c, checkPostURL(a.Post)
	}
	return c, c.compileRun()
}

func checkPostURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("handlers: action: Post %q is not an absolute http or https URL", s)
	}
	return nil
}

func (c *action) compileRun() error {
	if strings.Contains(c.Run[0], "{{") {
		return fmt.Errorf("handlers: action: the program %q must be fixed text, not a template", c.Run[0])
	}
	path, err := exec.LookPath(c.Run[0])
	if err != nil {
		return fmt.Errorf("handlers: action: %w", err)
	}
	c.program = path
	for i, arg := range c.Run[1:] {
		tmpl, err := template.New(fmt.Sprintf("argument %d", i+1)).Option("missingkey=error").Parse(arg)
		if err != nil {
			return fmt.Errorf("handlers: action: %w", err)
		}
		c.args = append(c.args, tmpl)
	}
	return nil
}
