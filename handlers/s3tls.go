package handlers

import (
	"crypto/x509"
	"errors"
	"net/http"
)

// certErrors hands minio-go an unknown certificate authority as the bare
// x509.UnknownAuthorityError it recognises as final. Go wraps it in a
// tls.CertificateVerificationError, which minio-go takes for a passing
// failure and retries until the request's timeout, hiding the cause
// behind "deadline exceeded".
type certErrors struct{ next http.RoundTripper }

func (c certErrors) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	var unknown x509.UnknownAuthorityError
	if err != nil && errors.As(err, &unknown) {
		return nil, unknown
	}
	return resp, err
}
