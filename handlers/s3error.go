package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/minio/minio-go/v7"

	"github.com/filemux/filemux/behaviour"
)

// Failures of the S3 handler. Their messages reach peers, so they never
// name the endpoint, bucket or key; the causes do, for logs.
var (
	errStore        = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "store error"}
	errStoreChanged = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "file changed while read"}
	errStoreShort   = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "store error", Err: errors.New("handlers: s3: the object ended before its size")}
	errTooBigCopy   = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "file too large to rename"}
)

// storeError maps a failed store request to a protocol error: the store's
// error code when it answered, the transfer's end or a timeout when the
// context says so, else an undefined error.
func storeError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var be *behaviour.Error
	if errors.As(err, &be) {
		return be
	}
	resp := minio.ToErrorResponse(err)
	switch resp.Code {
	case "NoSuchKey", "NotFound":
		return behaviour.ErrNotFound.With(err)
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled":
		return behaviour.ErrAccessViolation.With(err)
	case "PreconditionFailed":
		return errStoreChanged.With(err)
	case "EntityTooLarge":
		return behaviour.ErrDiskFull.With(err)
	}
	switch resp.StatusCode {
	case http.StatusNotFound:
		return behaviour.ErrNotFound.With(err)
	case http.StatusForbidden:
		return behaviour.ErrAccessViolation.With(err)
	}
	if ctx != nil && ctx.Err() != nil {
		if c := behaviour.Classify(context.Cause(ctx)); c != nil {
			return c.With(err)
		}
	}
	return errStore.With(err)
}

// isCode reports whether err is the store's answer code.
func isCode(err error, code string) bool { return minio.ToErrorResponse(err).Code == code }
