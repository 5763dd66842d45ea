package main

import (
	"io"
	"log/slog"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/filemux/filemux/handlers"
)

const (
	// maxDiffEdits bounds the work of one diff (see diffLines).
	maxDiffEdits = 2000
	// diffContext is the number of unchanged lines shown around changes.
	diffContext = 2
)

// changeLog is the completion hook: after each stored upload it compares
// the new version with the one before it and logs what changed.
type changeLog struct {
	root    *os.Root // the backup folder, read-only use
	log     *slog.Logger
	maxSize int64 // the largest upload, so the largest version
}

// onEnd is the handlers.Hooks OnEnd of the archive. It runs before the
// engine acknowledges the final block, so a device (or a test) that sees its
// upload succeed finds the change logged already.
func (c changeLog) onEnd(o handlers.Outcome) {
	name := stored(o.Transfer)
	if !o.OK() || name == "" {
		return
	}
	host := path.Dir(name)
	prev := c.previous(host, path.Base(name))
	cur, err := c.read(name)
	if err != nil {
		c.log.Error("reading the new version", "version", name, "err", err)
		return
	}
	attrs := []any{"host", host, "version", name, "bytes", o.Bytes, "peer", o.Transfer.Peer, "protocol", o.Transfer.Protocol.String()}
	if prev == "" {
		c.log.Info("first config of host", attrs...)
		return
	}
	old, err := c.read(path.Join(host, prev))
	if err != nil {
		c.log.Error("reading the previous version", "version", prev, "err", err)
		return
	}
	attrs = append(attrs, "previous", path.Join(host, prev))
	c.logDiff(old, cur, attrs)
}

// logDiff logs the change from old to cur, or that there is none.
func (c changeLog) logDiff(old, cur string, attrs []any) {
	script, ok := diffLines(lines(old), lines(cur), maxDiffEdits)
	switch {
	case !ok:
		c.log.Warn("config rewritten: too many changes to show", attrs...)
	case old == cur:
		c.log.Info("config unchanged", attrs...)
	default:
		removed, added := changed(script)
		attrs = append(attrs, "removed", removed, "added", added, "diff", unified(script, diffContext))
		c.log.Info("config changed", attrs...)
	}
}

// changed counts the removed and inserted lines of a script.
func changed(script []edit) (removed, added int) {
	for _, e := range script {
		switch e.op {
		case remove:
			removed++
		case insert:
			added++
		}
	}
	return removed, added
}

// previous returns the base name of the latest version of host before
// version, or "". Temporary upload files start with a dot and never end in
// ".cfg" alone, so only committed versions count.
func (c changeLog) previous(host, version string) string {
	f, err := c.root.Open(host)
	if err != nil {
		return ""
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return ""
	}
	slices.Sort(names)
	prev := ""
	for _, n := range names {
		if n < version && strings.HasSuffix(n, ".cfg") && !strings.HasPrefix(n, ".") {
			prev = n
		}
	}
	return prev
}

// read returns the content of a stored version.
func (c changeLog) read(name string) (string, error) {
	f, err := c.root.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, c.maxSize))
	return string(b), err
}
