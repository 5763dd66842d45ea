package config

import (
	"errors"
	"math"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/dlclark/regexp2"
	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/sshkeys"
	"github.com/filemux/filemux/internal/tftp"
	"github.com/filemux/filemux/registry"
)

// validate checks what the types alone cannot: required keys, ranges,
// patterns, and how the keys of a route fit together.
func (f *File) validate(r *report) {
	if f.TFTP == nil && f.SFTP == nil && f.HTTP == nil {
		r.at("", "nothing to serve: configure tftp, sftp, http or several")
	}
	if f.TFTP != nil {
		f.TFTP.validate(r, "tftp")
	}
	if f.SFTP != nil {
		f.SFTP.validate(r, "sftp", f)
	}
	if f.HTTP != nil {
		f.HTTP.validate(r, "http", f)
	}
	if f.Metrics != nil {
		checkAddr(r, "metrics.listen", f.Metrics.Listen)
	}
	if f.State != nil {
		f.State.validate(r, "state")
	}
	if len(f.Routes) == 0 {
		r.at("routes", "at least one route is required")
	}
	seen := map[string]string{}
	for i := range f.Routes {
		path := indexPath("routes", i)
		f.Routes[i].validate(r, path, f)
		m := f.Routes[i].Match
		if first, ok := seen[m]; ok && m != "" {
			r.at(path+".match", "the same pattern as %s (at %s): this route would never match", first, r.where(first+".match"))
		} else {
			seen[m] = path
		}
	}
}

func (t *TFTP) validate(r *report, path string) {
	checkListen(r, path+".listen", t.Listen)
	checkRangeOrDefault(r, path+".max_blksize", t.MaxBlockSize, tftp.MinBlockSize, tftp.MaxBlockSize)
	checkRangeOrDefault(r, path+".max_windowsize", t.MaxWindowSize, 1, 65535)
	checkRange(r, path+".retries", max(0, int(t.Retries)), 0, 1000)
	checkRange(r, path+".first_reply_retries", max(0, int(t.FirstReplyRetries)), 0, 1000)
	checkRange(r, path+".max_transfers", t.MaxTransfers, 0, math.MaxInt32)
	checkRange(r, path+".max_per_client", t.MaxPerClient, 0, math.MaxInt32)
	checkRange(r, path+".max_unconfirmed", t.MaxUnconfirmed, 0, math.MaxInt32)
	checkRangeOrDefault(r, path+".unproven_max_blksize", t.UnprovenMaxBlockSize, tftp.MinBlockSize, tftp.MaxBlockSize)
	checkRange(r, path+".request_burst", t.RequestBurst, 0, math.MaxInt32)
	if t.Timeout != 0 && t.Timeout < Duration(10*time.Millisecond) {
		r.at(path+".timeout", "must be at least 10ms (or 0 for the default)")
	}
	if t.RequestRate < 0 || math.IsInf(t.RequestRate, 0) || math.IsNaN(t.RequestRate) {
		r.at(path+".request_rate", "must be a rate of 0 or more per second")
	}
}

func (s *SFTP) validate(r *report, path string, f *File) {
	checkListen(r, path+".listen", s.Listen)
	if s.HostKey == "" {
		r.at(path+".host_key", "required: the file of the server's host key (generated when missing)")
	}
	if s.AuthorizedKeys == "" && s.PasswordFile == "" {
		r.at(path, "no way to log in: set authorized_keys, password_file or both")
	}
	if s.AuthorizedKeys != "" {
		if _, err := sshkeys.LoadAuthorized(f.resolve(s.AuthorizedKeys)); err != nil {
			r.at(path+".authorized_keys", "%v", err)
		}
	}
	if s.PasswordFile != "" {
		if _, err := sshkeys.LoadPasswords(f.resolve(s.PasswordFile)); err != nil {
			r.at(path+".password_file", "%v", err)
		}
	}
	for key, v := range map[string]int{
		"max_auth_tries": s.MaxAuthTries, "keepalive_max": s.KeepAliveMax, "max_connections": s.MaxConnections,
		"max_per_address": s.MaxPerAddress, "max_sessions": s.MaxSessions, "max_handles": s.MaxHandles,
	} {
		checkRange(r, path+"."+key, v, 0, math.MaxInt32)
	}
}

func checkListen(r *report, path string, addrs []string) {
	if len(addrs) == 0 {
		r.at(path, "at least one address is required, such as \"0.0.0.0:69\"")
	}
	for i, a := range addrs {
		p := indexPath(path, i)
		checkAddr(r, p, a)
		if _, port, _ := net.SplitHostPort(a); port != "0" && slices.Index(addrs, a) < i {
			r.at(p, "%s is listed twice", a)
		}
	}
}

func checkAddr(r *report, path, addr string) {
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		r.at(path, "%q is not an address host:port such as \"0.0.0.0:69\" or \"[::]:69\"", addr)
	}
}

func checkRange(r *report, path string, v, lo, hi int) {
	if v < lo || v > hi {
		r.at(path, "%d is outside %d..%d", v, lo, hi)
	}
}

// checkRangeOrDefault is checkRange for a key whose 0 means the default,
// as the daemon's field does.
func checkRangeOrDefault(r *report, path string, v, lo, hi int) {
	if v != 0 && (v < lo || v > hi) {
		r.at(path, "%d is outside %d..%d", v, lo, hi)
	}
}

// handlerKeys are the keys that choose a route's handler.
var handlerKeys = []string{"dir", "memory", "template", "http", "s3"}

func (rt *Route) handlers() []string {
	var set []string
	for i, on := range []bool{rt.Dir != nil, rt.Memory != nil, rt.Template != nil, rt.HTTP != nil, rt.S3 != nil} {
		if on {
			set = append(set, handlerKeys[i])
		}
	}
	return set
}

func (rt *Route) validate(r *report, path string, f *File) {
	groups, ok := rt.validatePattern(r, path, f)
	switch set := rt.handlers(); len(set) {
	case 0:
		r.at(path, "no handler: set one of %s", strings.Join(handlerKeys, ", "))
	case 1:
	default:
		r.at(path+"."+set[1], "a route has one handler, and %s is set too", set[0])
	}
	seen := map[Protocol]bool{}
	for i, p := range rt.Protocols {
		if seen[p] {
			r.at(indexPath(path+".protocols", i), "%s is listed twice", behaviour.Protocol(p))
		}
		seen[p] = true
	}
	rt.validateAccess(r, path)
	rt.validateHTTP(r, path, f)
	if !ok {
		return // captures are unknown: checking references would mislead
	}
	if rt.Template != nil {
		rt.Template.validate(r, path+".template", groups, f)
	}
	if rt.HTTP != nil {
		rt.HTTP.validate(r, path+".http", groups, rt.budget(f))
	}
	for i := range rt.Actions {
		rt.Actions[i].validate(r, indexPath(path+".actions", i), groups)
	}
	if rt.Dir != nil && rt.Dir.Root == "" {
		r.at(path+".dir.root", "required: the directory to serve")
	}
	if rt.S3 != nil {
		rt.S3.validate(r, path+".s3", rt.budget(f))
	}
}

func (s *S3) validate(r *report, path string, budget time.Duration) {
	if s.Endpoint == "" {
		r.at(path+".endpoint", "required: the store's URL, such as \"https://s3.eu-west-1.amazonaws.com\"")
	}
	if s.Bucket == "" {
		r.at(path+".bucket", "required: the bucket of the files")
	}
	if (s.AccessKeyFile == "") != (s.SecretKeyFile == "") {
		r.at(path, "set both access_key_file and secret_key_file, or neither (then AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
	}
	switch {
	case s.Timeout <= 0:
		r.at(path+".timeout", "must be more than 0")
	case budget > 0 && time.Duration(s.Timeout) >= budget:
		r.at(path+".timeout", "%v is not shorter than the TFTP daemon's budget for one handler call, %v (twice tftp.timeout): the daemon would give up first", time.Duration(s.Timeout), budget)
	}
}

// validatePattern compiles the pattern as the registry will and returns
// its named groups.
func (rt *Route) validatePattern(r *report, path string, f *File) ([]string, bool) {
	key := path + ".match"
	if rt.Match == "" {
		r.at(key, "required: a pattern for the file names of the route")
		return nil, false
	}
	groups, err := groupsOf(rt.Match)
	if err != nil {
		r.at(key, "invalid pattern: %v", err)
		return nil, false
	}
	scratch := registry.Registry{MatchTimeout: time.Duration(f.MatchTimeout)}
	if err := scratch.SetRoutes([]registry.Route{{Pattern: rt.Match, Handler: behaviour.Base{}, Where: r.where(key)}}); err != nil {
		var pe *registry.PatternError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		if errors.Is(err, registry.ErrAnchor) {
			r.at(key, "invalid pattern: it does not stay one expression when anchored to the whole name (a trailing comment?)")
		} else {
			r.at(key, "invalid pattern: %v", err)
		}
		return nil, false
	}
	return groups, true
}

// groupsOf returns the named groups of a pattern, in order.
func groupsOf(pattern string) ([]string, error) {
	re, err := regexp2.Compile(pattern, regexp2.RE2)
	if err != nil {
		return nil, err
	}
	var groups []string
	for _, g := range re.GetGroupNames() {
		if _, err := strconv.Atoi(g); err != nil {
			groups = append(groups, g)
		}
	}
	return groups, nil
}

func (rt *Route) validateAccess(r *report, path string) {
	if rt.Access != AccessWrite {
		return
	}
	switch {
	case rt.Template != nil:
		r.at(path+".access", "write, but a template is read-only")
	case rt.S3 != nil && rt.S3.Write == handlers.WriteNone:
		r.at(path+".s3.write", "none, so every upload of this write route is refused: set create, overwrite or any")
	case rt.HTTP == nil && rt.Dir != nil && rt.Dir.Write == handlers.WriteNone:
		r.at(path+".dir.write", "none, so every upload of this write route is refused: set create, overwrite or any")
	case rt.Memory != nil && rt.Memory.Write == handlers.WriteNone:
		r.at(path+".memory.write", "none, so every upload of this write route is refused: set create, overwrite or any")
	}
}

// budget is the longest a handler call may take on this route: twice the
// TFTP timeout when TFTP reaches the route, else no bound.
func (rt *Route) budget(f *File) time.Duration {
	if f.TFTP == nil || (len(rt.Protocols) > 0 && !slices.Contains(rt.Protocols, Protocol(behaviour.TFTP))) {
		return 0
	}
	return f.TFTP.handlerBudget()
}

func (t *Template) validate(r *report, path string, groups []string, f *File) {
	if (t.File == "") == (t.Text == "") {
		r.at(path, "set exactly one of file and text")
	}
	switch {
	case t.Data != nil && t.Key == "":
		r.at(path+".key", "required with data: the capture of match that names a record, or peer")
	case t.Data == nil && t.Key != "":
		r.at(path+".key", "set, but there is no data to look %s up in", t.Key)
	case t.Key != "" && t.Key != handlers.KeyPeer && !slices.Contains(groups, t.Key):
		r.at(path+".key", "%q is neither peer nor a named group of match (%s)", t.Key, groupList(groups))
	}
	if t.Data != nil {
		t.Data.validate(r, path+".data", f)
	}
	if t.Text != "" {
		checkParams(r, path+".text", t.Text, groups)
	}
}

func (h *HTTP) validate(r *report, path string, groups []string, budget time.Duration) {
	if h.URL == "" {
		r.at(path+".url", "required: the origin URL of a file, such as \"http://artifacts.internal/{{.Name}}\"")
	} else {
		checkParams(r, path+".url", h.URL, groups)
	}
	switch {
	case h.Timeout <= 0:
		r.at(path+".timeout", "must be more than 0")
	case budget > 0 && time.Duration(h.Timeout) >= budget:
		r.at(path+".timeout", "%v is not shorter than the TFTP daemon's budget for one handler call, %v (twice tftp.timeout): the daemon would give up first", time.Duration(h.Timeout), budget)
	}
}

func (a *Action) validate(r *report, path string, groups []string) {
	if (len(a.Run) == 0) == (a.Post == "") {
		r.at(path, "set exactly one of run and post")
		return
	}
	if a.Post != "" {
		return
	}
	if a.Run[0] == "" {
		r.at(indexPath(path+".run", 0), "the program is empty")
	}
	for i, arg := range a.Run[1:] {
		checkParams(r, indexPath(path+".run", i+1), arg, groups)
	}
}

// checkParams reports the {{.Params.x}} of a template whose x is not a
// named group of the route's pattern, and templates that do not parse.
func checkParams(r *report, path, text string, groups []string) {
	tmpl, err := template.New(path).Parse(text)
	if err != nil {
		r.at(path, "%s", trimTemplateErr(err))
		return
	}
	for _, name := range paramRefs(tmpl.Tree.Root) {
		if !slices.Contains(groups, name) {
			r.at(path, ".Params.%s is not a named group of match (%s)", name, groupList(groups))
		}
	}
}

func trimTemplateErr(err error) string {
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, "template: ") {
		return "template: " + rest
	}
	return msg
}

func groupList(groups []string) string {
	if len(groups) == 0 {
		return "it has none"
	}
	return "its groups: " + strings.Join(groups, ", ")
}

// paramRefs returns the x of every .Params.x in a template's tree.
func paramRefs(n parse.Node) []string {
	var refs []string
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.FieldNode:
			if len(n.Ident) >= 2 && n.Ident[0] == "Params" {
				refs = append(refs, n.Ident[1])
			}
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		}
	}
	walk(n)
	return refs
}

// resolve makes a path of the file relative to the file's directory.
func (f *File) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(f.dir, p)
}
