package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/filemux/filemux/behaviour"
)

// Failures of the HTTP handler. Their messages reach peers, so they never
// hold the URL; the causes do, for logs.
var (
	errOrigin        = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "origin error"}
	errOriginTimeout = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "timed out", Err: errors.New("handlers: http: the origin did not answer in time")}
	// errOriginEarly: the origin answered an upload before taking all of it.
	errOriginEarly = errOrigin.With(errors.New("handlers: http: the origin answered before the upload ended"))
	// errUncacheable: the download's size is unknown before its body or
	// larger than the cache; it is fetched per transfer.
	errUncacheable = errors.New("handlers: http: download not cacheable")
)

// statusError maps an origin's answer other than 2xx to a protocol error.
func statusError(resp *http.Response) error {
	cause := fmt.Errorf("handlers: http: %s %s: %s", resp.Request.Method, resp.Request.URL.Redacted(), resp.Status)
	switch resp.StatusCode {
	case http.StatusNotFound, http.StatusGone:
		return behaviour.ErrNotFound.With(cause)
	case http.StatusUnauthorized, http.StatusForbidden:
		return behaviour.ErrAccessViolation.With(cause)
	case http.StatusRequestEntityTooLarge:
		return behaviour.ErrDiskFull.With(cause)
	}
	return errOrigin.With(cause)
}

// transportError maps a failed request or body read: the handler's own
// timeout, the transfer's end, or an origin that cannot be reached.
func transportError(ctx context.Context, err error) error {
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errOriginTimeout):
		return errOriginTimeout.With(err)
	case cause != nil:
		return behaviour.Classify(cause)
	}
	return errOrigin.With(err)
}
