package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/pgstate"
	"github.com/filemux/filemux/registry"
)

// BuildOptions are what Build needs from the program that serves.
type BuildOptions struct {
	// Actions runs the routes' completion actions; nil means a runner of
	// the route set's own, without a logger.
	Actions *handlers.Actions
	// State is the database the routes' postgres inventories query; nil
	// (filemux check) builds them without records, checking their keys
	// only.
	State *pgstate.State
}

// RouteSet is the routes of a File built into handlers, ready for
// registry.SetRoutes. It owns what they opened: Retire it when it no
// longer serves (after a reload swapped it out, or at shutdown).
type RouteSet struct {
	routes       []registry.Route
	infos        []routeInfo
	matchTimeout time.Duration
	gen          *generation
}

// routeInfo is what `filemux match` tells about a route.
type routeInfo struct {
	name, match string
	handler     string
	access      Access
	protocols   []Protocol
	anonymous   bool
	listing     bool
	http        *handlers.HTTP
	s3          *handlers.S3
	s3Write     handlers.WritePolicy
}

// Build opens what the routes name (directories, template files,
// inventories), builds their handlers and decorators (size caps, actions,
// access and protocol filters) and returns them in order, each registry
// route carrying the file:line of its match as Where. The error is an
// Errors value naming every key that failed.
func (f *File) Build(opts BuildOptions) (*RouteSet, error) {
	actions := opts.Actions
	if actions == nil {
		actions = &handlers.Actions{}
	}
	r := f.report()
	s := &RouteSet{matchTimeout: time.Duration(f.MatchTimeout), gen: &generation{}}
	for i := range f.Routes {
		path := indexPath("routes", i)
		h, info := f.buildRoute(r, path, &f.Routes[i], opts, actions, s.gen)
		s.routes = append(s.routes, registry.Route{Pattern: f.Routes[i].Match, Handler: h, Where: r.where(path + ".match")})
		s.infos = append(s.infos, info)
	}
	if err := r.errs.sorted(); err != nil {
		s.Retire()
		return nil, err
	}
	return s, nil
}

func (f *File) buildRoute(r *report, path string, rt *Route, opts BuildOptions, actions *handlers.Actions, g *generation) (behaviour.Handler, routeInfo) {
	info := routeInfo{name: rt.Name, match: rt.Match, access: rt.Access, protocols: rt.Protocols, anonymous: rt.AnonymousUploads, listing: rt.Listing}
	if info.name == "" {
		info.name = rt.Match
	}
	var h behaviour.Handler
	switch {
	case rt.Dir != nil:
		h, info.handler = f.buildDir(r, path+".dir", rt.Dir, g)
	case rt.Memory != nil:
		h, info.handler = f.buildMemory(r, path+".memory", rt.Memory)
	case rt.Template != nil:
		h, info.handler = f.buildTemplate(r, path+".template", rt, opts.State, g)
	case rt.HTTP != nil:
		info.http, info.handler = buildHTTP(r, path+".http", rt.HTTP)
		if info.http != nil {
			h = info.http
		}
	case rt.S3 != nil:
		info.s3, info.handler = f.buildS3(r, path+".s3", rt.S3)
		info.s3Write = rt.S3.Write
		if info.s3 != nil {
			h = info.s3
		}
	}
	if h == nil {
		return behaviour.Base{}, info
	}
	if rt.MaxSize > 0 {
		h = handlers.SizeCap(h, int64(rt.MaxSize))
	}
	h = wrapActions(r, path+".actions", h, rt.Actions, actions, f.dir)
	h = restrictProtocols(restrictAccess(h, rt.Access), rt.Protocols)
	return gateHTTP(track(h, g), rt), info
}

func (f *File) buildDir(r *report, path string, d *Dir, g *generation) (behaviour.Handler, string) {
	root := f.resolve(d.Root)
	dir, err := handlers.NewDir(root, handlers.DirConfig{
		Write: d.Write, FileMode: os.FileMode(d.FileMode), DirMode: os.FileMode(d.DirMode),
		MaxSize: int64(d.MaxSize), MakeParents: d.MakeParents,
	})
	if err != nil {
		r.at(path+".root", "%s", trimPackage(err))
		return nil, ""
	}
	g.own(dir)
	return dir, fmt.Sprintf("dir %s (write: %s)", root, d.Write)
}

func (f *File) buildMemory(r *report, path string, m *Memory) (behaviour.Handler, string) {
	mem, err := handlers.NewMemoryWith(handlers.MemoryConfig{Write: m.Write, MaxFileSize: int64(m.MaxFileSize), MaxTotal: int64(m.MaxTotal)})
	if err != nil {
		r.at(path, "%s", trimPackage(err))
		return nil, ""
	}
	names := make([]string, 0, len(m.Files))
	for name := range m.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		clean, err := behaviour.CleanName(name)
		if err != nil {
			r.at(path+".files."+name, "%q is not a file name a client could ask for", name)
			continue
		}
		mem.Put(clean, []byte(m.Files[name]))
	}
	return mem, fmt.Sprintf("memory (write: %s, %d files)", m.Write, len(m.Files))
}

func (f *File) buildTemplate(r *report, path string, rt *Route, st *pgstate.State, g *generation) (behaviour.Handler, string) {
	t := rt.Template
	cfg := handlers.TemplateConfig{Text: t.Text, File: f.resolve(t.File), Key: t.Key, MaxSize: int64(t.MaxSize)}
	desc := "template (inline)"
	if t.File != "" {
		desc = "template " + cfg.File
		if b, err := os.ReadFile(cfg.File); err == nil {
			groups, _ := groupsOf(rt.Match)
			checkParams(r, path+".file", string(b), groups)
		}
	}
	switch {
	case t.Data != nil && t.Data.File != "":
		inv, err := handlers.LoadInventory(f.resolve(t.Data.File), t.Format, t.KeyField)
		if err != nil {
			r.at(path+".data", "%s", trimPackage(err))
			return nil, ""
		}
		cfg.Inventory = inv
		desc += fmt.Sprintf(" (data %s: %d records, key %s)", f.resolve(t.Data.File), inv.Len(), t.Key)
	case t.Data != nil && t.Data.Postgres != nil:
		records, d, ok := buildPostgresData(r, path+".data.postgres", t.Data.Postgres, st, g)
		if !ok {
			return nil, ""
		}
		cfg.Records = records
		desc += fmt.Sprintf(" (data postgres: %s, key %s)", d, t.Key)
	}
	h, err := handlers.NewTemplate(cfg)
	if err != nil {
		key := path + ".file"
		if t.Text != "" {
			key = path + ".text"
		}
		r.at(key, "%s", trimPackage(err))
		return nil, ""
	}
	return h, desc
}

// buildPostgresData runs the query of an inventory on st and keeps it
// up to date until the routes retire. Without st (check), it checks the
// keys only and gives no records.
func buildPostgresData(r *report, path string, p *PostgresData, st *pgstate.State, g *generation) (handlers.Records, string, bool) {
	if st == nil {
		return &handlers.Inventory{}, "not queried", true
	}
	ctx, cancel := context.WithTimeout(context.Background(), pgstate.DefaultQueryTimeout)
	defer cancel()
	inv, err := st.Inventory(ctx, pgstate.InventoryConfig{Query: p.Query, KeyColumn: p.KeyColumn, Watch: p.Watch, TTL: time.Duration(p.TTL)})
	if err != nil {
		key := path + ".query"
		if we, ok := errors.AsType[*pgstate.WatchError](err); ok {
			key, err = path+".watch", we
		}
		r.at(key, "%s", strings.TrimPrefix(err.Error(), "pgstate: "))
		return nil, "", false
	}
	g.own(inv)
	return inv, fmt.Sprintf("%d rows from %s", inv.Len(), st.Target()), true
}

func buildHTTP(r *report, path string, c *HTTP) (*handlers.HTTP, string) {
	header := http.Header{}
	for k, v := range c.Header {
		header.Set(k, v)
	}
	h, err := handlers.NewHTTP(handlers.HTTPConfig{
		URL: c.URL, Header: header, Timeout: time.Duration(c.Timeout),
		CacheSize: int64(c.CacheSize), CacheTTL: time.Duration(c.CacheTTL),
	})
	if err != nil {
		r.at(path+".url", "%s", trimPackage(err))
		return nil, ""
	}
	cache := "no cache"
	if c.CacheSize > 0 {
		size, _ := c.CacheSize.MarshalText()
		ttl, _ := c.CacheTTL.MarshalText()
		cache = fmt.Sprintf("cache %s for %s", size, ttl)
	}
	return h, fmt.Sprintf("http %s (%s)", c.URL, cache)
}

func (f *File) buildS3(r *report, path string, c *S3) (*handlers.S3, string) {
	cfg := handlers.S3Config{
		Endpoint: c.Endpoint, Bucket: c.Bucket, Prefix: c.Prefix, Region: c.Region,
		CAFile: f.resolve(c.CAFile), AccessKeyFile: f.resolve(c.AccessKeyFile), SecretKeyFile: f.resolve(c.SecretKeyFile),
		Write: c.Write, Instance: c.Instance, MaxSize: int64(c.MaxSize), PartSize: int64(c.PartSize),
		Timeout: time.Duration(c.Timeout), CacheSize: int64(c.Cache.Size), CacheTTL: time.Duration(c.Cache.TTL),
		CacheDir: f.resolve(c.Cache.Dir),
	}
	if cfg.Instance == "" && f.State != nil {
		cfg.Instance = f.State.Instance // one name per instance, where the file gives one
	}
	if c.AccessKeyFile == "" && (os.Getenv("AWS_ACCESS_KEY_ID") == "" || os.Getenv("AWS_SECRET_ACCESS_KEY") == "") {
		r.at(path, "no credentials: set access_key_file and secret_key_file, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in filemux's environment")
		return nil, ""
	}
	h, err := handlers.NewS3(cfg)
	if err != nil {
		r.at(path, "%s", trimPackage(err))
		return nil, ""
	}
	cache := "no cache"
	if c.Cache.Size > 0 {
		size, _ := c.Cache.Size.MarshalText()
		ttl, _ := c.Cache.TTL.MarshalText()
		cache = fmt.Sprintf("cache %s for %s", size, ttl)
		if c.Cache.Dir != "" {
			cache += " in " + cfg.CacheDir
		}
	}
	return h, fmt.Sprintf("s3 %s bucket %s prefix %q (write: %s, %s)", c.Endpoint, c.Bucket, c.Prefix, c.Write, cache)
}

// wrapActions adds the completion actions of a route; each one is
// checked alone first, so that an error names the action at fault.
func wrapActions(r *report, path string, h behaviour.Handler, list []Action, actions *handlers.Actions, dir string) behaviour.Handler {
	if len(list) == 0 {
		return h
	}
	converted := make([]handlers.Action, len(list))
	failed := false
	for i, a := range list {
		converted[i] = handlers.Action{On: a.On, Run: a.Run, Dir: dir, Post: a.Post, Timeout: time.Duration(a.Timeout)}
		if _, err := actions.Wrap(behaviour.Base{}, converted[i]); err != nil {
			r.at(indexPath(path, i), "%s", trimPackage(err))
			failed = true
		}
	}
	if failed {
		return h
	}
	wrapped, err := actions.Wrap(h, converted...)
	if err != nil {
		r.at(path, "%s", trimPackage(err))
		return h
	}
	return wrapped
}

// Routes returns the registry routes, in order.
func (s *RouteSet) Routes() []registry.Route { return append([]registry.Route(nil), s.routes...) }

// Name returns the name of the route registered for pattern, as
// registry.Match reports it: the route's name, or else its match. It
// returns "" when the set has no such route.
func (s *RouteSet) Name(pattern string) string {
	for i, rt := range s.routes {
		if rt.Pattern == pattern {
			return s.infos[i].name
		}
	}
	return ""
}

// Retire releases what the routes opened once their running transfers
// have ended; it returns at once. Call it once, when the set no longer
// serves.
func (s *RouteSet) Retire() { s.gen.retire() }

// S3Stats returns the stats of the s3 routes, by route name.
func (s *RouteSet) S3Stats() map[string]handlers.S3Stats {
	stats := map[string]handlers.S3Stats{}
	for _, info := range s.infos {
		if info.s3 != nil {
			stats[info.name] = info.s3.Stats()
		}
	}
	return stats
}

// CheckConditional checks, on every s3 route with write create, that the
// store refuses a conditional write over an existing key (see
// handlers.S3.CheckConditional); the first route whose store does not is
// the error.
func (s *RouteSet) CheckConditional(ctx context.Context) error {
	for _, info := range s.infos {
		if info.s3 == nil || info.s3Write != handlers.WriteCreate {
			continue
		}
		if err := info.s3.CheckConditional(ctx); err != nil {
			return fmt.Errorf("route %s: %w", info.name, err)
		}
	}
	return nil
}

// AbortStale aborts, on every s3 route that takes uploads, the incomplete
// multipart uploads an earlier run of this instance left (a crash, kill
// -9), logging what it did. Call it at start, before serving: it would
// abort this run's own uploads too. A store that does not answer is
// logged and left for the next start.
func (s *RouteSet) AbortStale(ctx context.Context, logger *slog.Logger) {
	for _, info := range s.infos {
		if info.s3 == nil || info.s3Write == handlers.WriteNone {
			continue
		}
		n, err := info.s3.AbortStale(ctx)
		switch {
		case err != nil:
			logger.Warn("s3: incomplete uploads of an earlier run not all aborted", "route", info.name, "aborted", n, "err", err)
		case n > 0:
			logger.Info("s3: aborted the incomplete uploads of an earlier run", "route", info.name, "aborted", n)
		}
	}
}
