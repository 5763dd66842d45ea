package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/filemux/filemux/behaviour"
)

// errTemplateRender is what the peer sees when a template fails to
// execute: the cause may name the template and its source, so it stays in
// the log.
var errTemplateRender = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "cannot render file"}

// errRenderTooBig is the cause of a render stopped at the size limit.
var errRenderTooBig = errors.New("render exceeds the size limit")

// missingKeyText is how text/template reports a map key that missingkey=error
// refuses. text/template exports no error for it, so it is matched by text;
// should the text change, such errors fall back to errTemplateRender, still
// refused.
const missingKeyText = "map has no entry for key"

// render executes the template for t into memory, within the size limit.
func (h *templateHandler) render(ctx context.Context, t *behaviour.Transfer) ([]byte, error) {
	rec, err := h.record(t)
	if err != nil {
		return nil, err
	}
	w := &renderBuffer{ctx: ctx, limit: h.maxSize}
	if err := h.tmpl.Execute(w, templateData(t, rec)); err != nil {
		return nil, renderError(err)
	}
	return w.buf, nil
}

// record selects the inventory record of t, or refuses with not found.
func (h *templateHandler) record(t *behaviour.Transfer) (map[string]any, error) {
	if h.inv == nil {
		return nil, nil
	}
	key := t.Param(h.key)
	if h.key == KeyPeer {
		key = peerKey(t.Peer)
	}
	rec, ok := h.inv.Lookup(key)
	if !ok {
		return nil, behaviour.ErrNotFound.With(fmt.Errorf("no inventory record for %s %q", h.key, key))
	}
	return rec, nil
}

// peerKey writes the peer's address as inventories write it: IPv4 as
// IPv4 even when it arrived on an IPv6 socket, without a zone.
func peerKey(ap netip.AddrPort) string {
	if !ap.IsValid() {
		return ""
	}
	return ap.Addr().Unmap().WithZone("").String()
}

func unmapped(ap netip.AddrPort) netip.AddrPort {
	if !ap.IsValid() {
		return ap
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func templateData(t *behaviour.Transfer, rec map[string]any) TemplateData {
	params := make(map[string]string, len(t.Params))
	for _, p := range t.Params {
		params[p.Name] = p.Value
	}
	return TemplateData{
		Name:     t.Name,
		Params:   params,
		Peer:     unmapped(t.Peer),
		Local:    unmapped(t.Local),
		Data:     rec,
		Transfer: t,
	}
}

// renderError classifies an execution error; its text stays in the cause.
func renderError(err error) error {
	switch {
	case errors.Is(err, errRenderTooBig):
		return behaviour.ErrDiskFull.With(err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return behaviour.Classify(err)
	case strings.Contains(err.Error(), missingKeyText):
		return behaviour.ErrNotFound.With(err)
	}
	return errTemplateRender.With(err)
}

// renderBuffer collects a render, refusing to grow past limit, and stops
// it when the transfer's context ends. A template that loops without
// writing cannot be stopped: text/template has no context.
type renderBuffer struct {
	ctx   context.Context
	buf   []byte
	limit int64
}

func (b *renderBuffer) Write(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	if int64(len(p)) > b.limit-int64(len(b.buf)) {
		return 0, fmt.Errorf("%w of %d bytes", errRenderTooBig, b.limit)
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}
