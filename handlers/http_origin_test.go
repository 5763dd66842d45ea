package handlers_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// origin is an HTTP file store for the HTTP handler's tests: GET, HEAD and
// PUT on paths, counting the requests and keeping the last headers seen.
type origin struct {
	*httptest.Server

	mu       sync.Mutex
	files    map[string][]byte
	header   http.Header
	length   int64
	paths    []string
	gets     atomic.Int32
	heads    atomic.Int32
	puts     atomic.Int32
	chunked  bool          // GETs stream without Content-Length
	delay    time.Duration // before the response headers
	status   int           // when set, every answer
	hold     chan struct{} // when set, GET bodies stop half-way until it closes
	headLen  string        // when set, the Content-Length of every HEAD
	early    bool          // PUTs are answered before their body is read
	answered chan struct{} // told of each early answer
}

func newOrigin(t *testing.T) *origin {
	o := &origin{files: map[string][]byte{}}
	o.Server = httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(o.Close)
	return o
}

func (o *origin) put(path string, b []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.files[path] = b
}

func (o *origin) get(path string) ([]byte, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	b, ok := o.files[path]
	return b, ok
}

func (o *origin) lastHeader() http.Header {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.header.Clone()
}

func (o *origin) lastLength() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.length
}

func (o *origin) lastPath() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.paths) == 0 {
		return ""
	}
	return o.paths[len(o.paths)-1]
}

func (o *origin) serve(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.header = r.Header.Clone()
	o.length = r.ContentLength
	o.paths = append(o.paths, r.URL.RawPath+"|"+r.URL.Path+"|"+r.URL.RawQuery)
	o.mu.Unlock()
	if o.delay > 0 {
		select {
		case <-time.After(o.delay):
		case <-r.Context().Done():
			return
		}
	}
	if o.status != 0 {
		w.WriteHeader(o.status)
		return
	}
	switch r.Method {
	case http.MethodGet:
		o.gets.Add(1)
		o.serveGet(w, r)
	case http.MethodHead:
		o.heads.Add(1)
		o.serveHead(w, r)
	case http.MethodPut:
		o.puts.Add(1)
		o.servePut(w, r)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func (o *origin) serveHead(w http.ResponseWriter, r *http.Request) {
	b, ok := o.get(r.URL.Path)
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	if o.headLen != "" {
		w.Header().Set("Content-Length", o.headLen)
	}
}

func (o *origin) serveGet(w http.ResponseWriter, r *http.Request) {
	b, ok := o.get(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if !o.chunked {
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	} else {
		w.(http.Flusher).Flush() // or the server adds a Content-Length to a short body
	}
	half := len(b) / 2
	_, _ = w.Write(b[:half])
	if o.hold != nil {
		w.(http.Flusher).Flush()
		<-o.hold
	}
	_, _ = w.Write(b[half:])
}

// answerEarly says 200 before reading the body, on the raw connection:
// Go's server would read the body before answering.
func (o *origin) answerEarly(w http.ResponseWriter) {
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	_ = rw.Flush()
	if o.answered != nil {
		o.answered <- struct{}{}
	}
	time.Sleep(300 * time.Millisecond) // the client sees the answer before the close
}

func (o *origin) servePut(w http.ResponseWriter, r *http.Request) {
	if o.early {
		o.answerEarly(w)
		return
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return // a broken-off upload is never stored
	}
	o.put(r.URL.Path, b)
	w.WriteHeader(http.StatusCreated)
}
