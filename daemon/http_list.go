package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// errHTTPNoListing is the refusal of a directory whose listing the route
// does not allow, or whose handler cannot list: not found, with the text
// of any missing file, so that a 404 does not tell a directory from
// nothing.
var errHTTPNoListing = behaviour.ErrNotFound.With(errors.New("http: no listing of this directory"))

// errHTTPRedirect ends a directory request answered with a redirect to its
// name with a trailing slash: a response without a body.
var errHTTPRedirect = errors.New("http: directory redirected to its name with a slash")

// wantsDirectory reports whether a GET or HEAD names a directory by its
// form: the root, or a path ending in "/".
func (x *httpTransfer) wantsDirectory(r *http.Request) bool {
	return x.t.Name == "." || strings.HasSuffix(r.URL.Path, "/")
}

// isDirectory reports whether the handler's stat says the name is a
// directory (false when it has no stat).
func (x *httpTransfer) isDirectory() bool {
	fi, ok := x.stat()
	return ok && fi.IsDir()
}

// listingAllowed asks the Listings field about the transfer's name.
func (x *httpTransfer) listingAllowed() bool {
	return x.s.cfg.listings != nil && x.s.cfg.listings(x.t.Name)
}

// serveDirectory answers a GET or HEAD of a directory, OnRequest already
// asked: 404 unless Listings allows the name; a redirect to the name with
// a slash when the request had none (slash false), as net/http's
// FileServer does; otherwise the listing, through the handler's Lister.
// It ends the transfer.
func (x *httpTransfer) serveDirectory(w http.ResponseWriter, r *http.Request, slash bool) {
	if !x.listingAllowed() {
		x.refusedDirectory(w, errHTTPNoListing)
		return
	}
	if !slash {
		loc := httpDirLocation(x.t.Name)
		if q := r.URL.RawQuery; q != "" {
			loc += "?" + q
		}
		w.Header().Set("Location", loc)
		w.WriteHeader(http.StatusMovedPermanently)
		x.finish(errHTTPRedirect)
		return
	}
	var infos []fs.FileInfo
	err := x.d.Call("List", func() (err error) {
		infos, err = behaviour.List(x.t.Context(), x.s.cfg.handler, &x.t)
		return err
	})
	if errors.Is(err, behaviour.ErrUnsupported) {
		err = errHTTPNoListing
	}
	if err != nil {
		x.refusedDirectory(w, err)
		return
	}
	x.finish(x.sendListing(w, r, x.listEntries(infos)))
}

// refusedDirectory answers and reports a directory request refused before
// any of a listing: as a refused Open.
func (x *httpTransfer) refusedDirectory(w http.ResponseWriter, err error) {
	x.mu.Lock()
	x.done = true
	x.mu.Unlock()
	x.s.untrack(x)
	x.report(OutcomeRefused, err)
	httpError(w, err)
}

// httpDirLocation is the absolute path of a directory with a trailing
// slash, each component percent-encoded. It is built from the cleaned
// name, so that it cannot start with "//" (another host).
func httpDirLocation(name string) string {
	if name == "." {
		return "/"
	}
	var b strings.Builder
	for part := range strings.SplitSeq(name, "/") {
		b.WriteString("/")
		b.WriteString(url.PathEscape(part))
	}
	b.WriteString("/")
	return b.String()
}

// httpEntry is one line of a listing.
type httpEntry struct {
	Name  string     `json:"name"`
	Type  string     `json:"type"`            // "file", "dir" or "other"
	Size  *int64     `json:"size,omitempty"`  // files only
	MTime *time.Time `json:"mtime,omitempty"` // when the handler knows it
	dir   bool
}

// listEntries turns the handler's descriptions into the listing's lines,
// sorted by name (bytewise). Entries whose full name NamePolicy would
// refuse (control characters, "..", a slash, too long...) are left out:
// a link to them could not be followed.
func (x *httpTransfer) listEntries(infos []fs.FileInfo) []httpEntry {
	out := make([]httpEntry, 0, len(infos))
	for _, fi := range infos {
		if fi == nil {
			continue
		}
		name := fi.Name()
		if name == "" || strings.ContainsAny(name, "/\\") {
			continue
		}
		full := name
		if x.t.Name != "." {
			full = x.t.Name + "/" + name
		}
		if clean, err := x.s.cfg.names.Clean(full); err != nil || clean != full {
			continue
		}
		e := httpEntry{Name: name, Type: "other"}
		switch {
		case fi.IsDir():
			e.Type, e.dir = "dir", true
		case fi.Mode().IsRegular():
			e.Type = "file"
			size := fi.Size()
			e.Size = &size
		}
		if mt := fi.ModTime(); !mt.IsZero() {
			mt = mt.UTC().Truncate(time.Second)
			e.MTime = &mt
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b httpEntry) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// httpWantsJSON reports whether a listing is asked for as JSON: the query
// format=json, or application/json among the Accept header's types.
func httpWantsJSON(r *http.Request) bool {
	if r.URL.Query().Get("format") == "json" {
		return true
	}
	for _, v := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(v, ",") {
			if t, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && t == "application/json" {
				return true
			}
		}
	}
	return false
}

// sendListing renders the listing, as JSON or HTML, and sends it with its
// Content-Length; a HEAD gets the header alone.
func (x *httpTransfer) sendListing(w http.ResponseWriter, r *http.Request, entries []httpEntry) error {
	var body bytes.Buffer
	h := w.Header()
	h.Set("Vary", "Accept")
	h.Set("Cache-Control", "no-cache")
	if httpWantsJSON(r) {
		h.Set("Content-Type", "application/json; charset=utf-8")
		if err := json.NewEncoder(&body).Encode(entries); err != nil {
			return x.listingFailed(w, err)
		}
	} else {
		h.Set("Content-Type", "text/html; charset=utf-8")
		if err := httpListingPage.Execute(&body, httpPage(x.t.Name, entries)); err != nil {
			return x.listingFailed(w, err)
		}
	}
	h.Set("Content-Length", strconv.Itoa(body.Len()))
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return errHTTPNoBody
	}
	x.writeSoon()
	n, err := w.Write(body.Bytes())
	x.bytes.Add(int64(n))
	if err != nil {
		x.cutResponse = true
		return x.writeFailed(err)
	}
	return nil
}

func (x *httpTransfer) listingFailed(w http.ResponseWriter, err error) error {
	httpError(w, err)
	return err
}

// httpPageData is what the HTML listing shows.
type httpPageData struct {
	Path    string
	Parent  bool
	Entries []httpPageEntry
}

type httpPageEntry struct {
	Name, Href, Size, MTime string
}

func httpPage(name string, entries []httpEntry) httpPageData {
	p := httpPageData{Path: "/", Parent: name != "."}
	if name != "." {
		p.Path = "/" + name + "/"
	}
	for _, e := range entries {
		pe := httpPageEntry{Name: e.Name, Href: "./" + url.PathEscape(e.Name), Size: "-", MTime: "-"}
		if e.dir {
			pe.Name += "/"
			pe.Href += "/"
		}
		if e.Size != nil {
			pe.Size = strconv.FormatInt(*e.Size, 10)
		}
		if e.MTime != nil {
			pe.MTime = e.MTime.Format("2006-01-02 15:04:05Z")
		}
		p.Entries = append(p.Entries, pe)
	}
	return p
}

// httpListingPage is the HTML listing; html/template escapes every name.
// The links are "./" and the percent-encoded name, so that a name with a
// colon is never taken for a scheme.
var httpListingPage = template.Must(template.New("listing").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Index of {{.Path}}</title></head>
<body>
<h1>Index of {{.Path}}</h1>
<table>
<thead><tr><th>Name</th><th>Size</th><th>Modified (UTC)</th></tr></thead>
<tbody>
{{- if .Parent}}
<tr><td><a href="../">../</a></td><td>-</td><td>-</td></tr>
{{- end}}
{{- range .Entries}}
<tr><td><a href="{{.Href}}">{{.Name}}</a></td><td>{{.Size}}</td><td>{{.MTime}}</td></tr>
{{- end}}
</tbody>
</table>
</body></html>
`))

// errHTTPDirectory is open's answer for a read whose Open failed on a
// directory.
var errHTTPDirectory = errors.New("http: a directory")
