package config

import "github.com/filemux/filemux/handlers"

// Route sends the file names its pattern matches to one handler: set
// exactly one of dir, memory, template, http and s3.
type Route struct {
	// Name labels the route in logs and metrics; empty means the match
	// pattern.
	Name string `yaml:"name"`
	// Match is a regular expression (github.com/dlclark/regexp2, RE2
	// compatible) that must match the whole cleaned file name, which is
	// relative, with slashes, without "." or ".." ("boot/x", never
	// "/boot/x"), as a pattern registered in Go does: 'boot/.*' takes
	// every name under boot/, 'boot' only the name boot, '.*confg.*' any
	// name containing confg. Named groups such as (?<host>[^/]+) become
	// captures that templates, URLs, headers and actions can use.
	// Required.
	Match string `yaml:"match"`
	// Access limits the route to read (downloads), write (uploads) or
	// both. The other direction is refused with an access violation; a
	// write route also refuses SFTP remove, rename and rmdir, so that
	// clients cannot undo what was collected.
	Access Access `yaml:"access"`
	// Protocols limits the route to some of tftp, sftp, scp and http;
	// empty means all. On the others the route's names do not exist (an
	// HTTP client gets 404).
	Protocols []Protocol `yaml:"protocols"`
	// MaxSize bounds every transfer of the route, both ways; 0 means no
	// limit beyond the handler's and the daemon's own.
	MaxSize Size `yaml:"max_size"`
	// Dir serves a directory.
	Dir *Dir `yaml:"dir"`
	// Memory serves files kept in memory.
	Memory *Memory `yaml:"memory"`
	// Template renders a text/template per transfer.
	Template *Template `yaml:"template"`
	// HTTP serves files from an HTTP origin.
	HTTP *HTTP `yaml:"http"`
	// S3 serves the objects of an S3 bucket (AWS, MinIO, Ceph RGW,
	// versitygw, ...).
	S3 *S3 `yaml:"s3"`
	// Actions run once a transfer of the route ended, such as "a config
	// was uploaded".
	Actions []Action `yaml:"actions"`
	// AnonymousUploads lets HTTP uploads (PUT, POST) to the route through
	// without a login, for devices that cannot authenticate; without it an
	// HTTP upload needs a user of http.password_file or http.token_file.
	// Anyone who reaches the HTTP listener may then write what the route's
	// access and handler allow: keep such a route narrow (access: write,
	// write: create). It changes nothing for TFTP, which has no logins, nor
	// for SFTP and SCP, which always have one.
	AnonymousUploads bool `yaml:"anonymous_uploads"`
	// Listing lets HTTP clients list the route's directories (a GET of a
	// name ending in "/": HTML, or JSON with ?format=json), where the
	// handler lists (dir, memory). The directory's own name must match the
	// route: 'pub(/.*)?' lists pub/ and the directories under it, '.*'
	// the root too. Refused on a write-only route, whose uploads a listing
	// would show. Without it a directory is 404 over HTTP, as a missing
	// file is. SFTP lists whatever the route's handler lists, as before.
	Listing bool `yaml:"listing"`
}

// Dir serves the files under a directory, confined to it: the whole
// file name is looked up under root, so that with root /srv/backup the
// name backup/r1/x is /srv/backup/backup/r1/x. Uploads, when the write
// policy allows them, are atomic.
type Dir struct {
	// Root is the directory. Required.
	Root string `yaml:"root"`
	// Write says which uploads are accepted: none, create (new files
	// only), overwrite (existing files only) or any.
	Write handlers.WritePolicy `yaml:"write"`
	// FileMode is the permission of created files, reduced by the umask.
	FileMode FileMode `yaml:"file_mode"`
	// DirMode is the permission of created directories, reduced by the
	// umask.
	DirMode FileMode `yaml:"dir_mode"`
	// MaxSize bounds an upload; 0 means no limit.
	MaxSize Size `yaml:"max_size"`
	// MakeParents creates the missing directories of an upload's name.
	MakeParents bool `yaml:"make_parents"`
}

func (d *Dir) defaults() {
	d.FileMode = FileMode(handlers.DefaultFileMode)
	d.DirMode = FileMode(handlers.DefaultDirMode)
}

// Memory keeps files in memory, lost when filemux stops: a scratch area
// for tests and demos.
type Memory struct {
	// Write says which uploads are accepted: none, create, overwrite or
	// any.
	Write handlers.WritePolicy `yaml:"write"`
	// MaxFileSize bounds one file; off means no limit.
	MaxFileSize Limit `yaml:"max_file_size"`
	// MaxTotal bounds all the files together; off means no limit.
	MaxTotal Limit `yaml:"max_total"`
	// Files are files present from the start, by name, with their
	// content.
	Files map[string]string `yaml:"files"`
}

func (m *Memory) defaults() {
	m.MaxFileSize = Limit(handlers.DefaultMemoryMaxFile)
	m.MaxTotal = Limit(handlers.DefaultMemoryMaxTotal)
}

// Template renders a text/template for every download, such as a
// device's running-config from its name. The template sees .Name (the
// cleaned file name), .Params (the named captures), .Peer and .Local
// (addresses; .Peer.Addr is the client's IP) and .Data (the inventory
// record). A missing record, or a key the record lacks, is "file not
// found", never a half-rendered file. Uploads are refused.
type Template struct {
	// File is the template file. Set file or text.
	File string `yaml:"file"`
	// Text is the template itself, inline.
	Text string `yaml:"text"`
	// Data is where the records the template renders from come from: an
	// inventory file (YAML, JSON or CSV), or a PostgreSQL query.
	Data *Data `yaml:"data"`
	// Key selects the record of a transfer: the name of a capture of
	// match whose value is the record's key, or peer for the client's IP
	// address. Required with data.
	Key string `yaml:"key"`
	// Format is the inventory file's format, yaml, json or csv; empty
	// means the extension of data says.
	Format handlers.InventoryFormat `yaml:"format"`
	// KeyField names the field that holds each record's key in a list or
	// CSV inventory.
	KeyField string `yaml:"key_field"`
	// MaxSize bounds one rendered file.
	MaxSize Size `yaml:"max_size"`
}

func (t *Template) defaults() {
	t.KeyField = handlers.DefaultInventoryKey
	t.MaxSize = Size(handlers.DefaultTemplateMaxSize)
}

// HTTP serves files from an HTTP origin: GET for downloads, PUT for
// uploads, with a cache so that many clients fetching the same file cost
// the origin one request. Requests carry the client's address and the
// captures as headers (X-Filemux-Peer, X-Filemux-Param-<name>).
type HTTP struct {
	// URL is the origin URL of a file, a template that sees .Name,
	// .Params, .Peer and .Local (names and captures URL-escaped), such as
	// "http://artifacts.internal/boot/{{.Params.file}}". It must start
	// with http:// or https://. Required.
	URL string `yaml:"url"`
	// Timeout bounds each wait on the origin. It must stay under twice
	// tftp.timeout, or the TFTP daemon gives up on the call first.
	Timeout Duration `yaml:"timeout"`
	// CacheSize bounds the downloads kept in memory; 0 turns the cache
	// off.
	CacheSize Size `yaml:"cache_size"`
	// CacheTTL is how long a cached download is served before the origin
	// is asked again.
	CacheTTL Duration `yaml:"cache_ttl"`
	// Header holds extra request headers, such as Authorization.
	Header map[string]string `yaml:"header"`
}

func (h *HTTP) defaults() {
	h.Timeout = Duration(handlers.DefaultHTTPTimeout)
	h.CacheSize = 64 << 20
	h.CacheTTL = Duration(handlers.DefaultHTTPCacheTTL)
}

// S3 serves the objects of a bucket of an S3-compatible store: the file
// NAME is the object PREFIX/NAME. Reads are cached in memory; uploads,
// when write allows them, become visible only once complete, and a
// failed one leaves nothing in the bucket. The credentials come from
// access_key_file and secret_key_file, or else from the environment's
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; they are never logged.
type S3 struct {
	// Endpoint is the store's URL, scheme and host only, such as
	// "https://s3.eu-west-1.amazonaws.com". Required.
	Endpoint string `yaml:"endpoint"`
	// Bucket is the bucket. Required.
	Bucket string `yaml:"bucket"`
	// Prefix is put before every file name to make its key: with prefix
	// boot, the file x is the object boot/x.
	Prefix string `yaml:"prefix"`
	// Region is the bucket's region; empty asks the store.
	Region string `yaml:"region"`
	// AccessKeyFile holds the access key id; set it with
	// secret_key_file, or neither.
	AccessKeyFile string `yaml:"access_key_file"`
	// SecretKeyFile holds the secret key, readable by filemux alone.
	SecretKeyFile string `yaml:"secret_key_file"`
	// CAFile holds PEM certificate authorities trusted for an https
	// endpoint besides the system's.
	CAFile string `yaml:"ca_file"`
	// Write says which uploads are accepted: none, create (new keys
	// only, with a conditional write), overwrite or any.
	Write handlers.WritePolicy `yaml:"write"`
	// Instance names this filemux among the bucket's writers, so that at
	// start it aborts only the incomplete uploads its own earlier run
	// left; keep it stable and unique per instance: two instances of one
	// name abort each other's running uploads when either restarts. Empty
	// means state.instance, or else the host name.
	Instance string `yaml:"instance"`
	// MaxSize bounds an upload; 0 means no limit.
	MaxSize Size `yaml:"max_size"`
	// PartSize is the part size of multipart uploads, at least 5MiB.
	PartSize Size `yaml:"part_size"`
	// Timeout bounds each store request that carries no file data.
	Timeout Duration `yaml:"timeout"`
	// Cache keeps downloads in memory.
	Cache S3Cache `yaml:"cache"`
}

// S3Cache is the read cache of an s3 route: objects by key and ETag, so
// that many clients fetching one object cost the store one GET.
type S3Cache struct {
	// Size bounds the objects kept; 0 turns the cache off.
	Size Size `yaml:"size"`
	// TTL is how long a cached object is served before the store is asked
	// (one HEAD) whether it changed.
	TTL Duration `yaml:"ttl"`
	// Dir keeps the cached objects in files of this directory instead of
	// memory, size bounding them on disk; the files are unlinked at once,
	// so nothing is left after a crash.
	Dir string `yaml:"dir"`
}

func (s *S3) defaults() {
	s.PartSize = handlers.DefaultS3PartSize
	s.Timeout = Duration(handlers.DefaultS3Timeout)
	s.Cache = S3Cache{Size: 64 << 20, TTL: Duration(handlers.DefaultS3CacheTTL)}
}

// Action runs once a transfer ended: a program, run without a shell, or
// a JSON event POSTed to a URL. Set exactly one of run and post. Actions
// run in the background; their failures are logged.
type Action struct {
	// On says which endings fire the action: success, failure or always.
	On handlers.ActionTrigger `yaml:"on"`
	// Run is a program and its arguments, such as
	// ["/usr/local/bin/archive", "{{.Params.host}}"]. The program is
	// fixed; the arguments are templates over the event (.Name, .Params,
	// .Peer, .PeerIP, .Bytes, .Outcome, ...), which the program also finds
	// in FILEMUX_* environment variables (FILEMUX_NAME,
	// FILEMUX_PARAM_HOST, ...). It runs in the directory of the
	// configuration file, so that relative paths mean the same in its
	// arguments as in the rest of the file.
	Run []string `yaml:"run"`
	// Post is an http or https URL that receives the event as JSON.
	Post string `yaml:"post"`
	// Timeout bounds the program, killed when it runs longer, or the
	// request.
	Timeout Duration `yaml:"timeout"`
}

func (a *Action) defaults() { a.Timeout = Duration(handlers.DefaultActionTimeout) }
