package client

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// trustError classes a failure to verify an HTTPS server's certificate as
// the SSH host-key classes, the other failure to trust a server: a
// certificate for another name is [ErrHostKeyMismatch]; one that no CA
// the client trusts (CAFile, or the system's roots) vouches for, or that
// has expired or is otherwise invalid, is [ErrHostKeyUnknown]. Nothing
// was sent to the server. Other errors are returned as they are.
func trustError(err error) error {
	var host x509.HostnameError
	var authority x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &host):
		return fmt.Errorf("%w: the HTTPS server's certificate is not for %s (%w)", ErrHostKeyMismatch, host.Host, host)
	case errors.As(err, &authority):
		return fmt.Errorf("%w: the HTTPS server's certificate is signed by no CA the client trusts (%w)", ErrHostKeyUnknown, authority)
	case errors.As(err, &invalid):
		return fmt.Errorf("%w: the HTTPS server's certificate is invalid (%w)", ErrHostKeyUnknown, invalid)
	case errors.As(err, &verify):
		return fmt.Errorf("%w: the HTTPS server's certificate does not verify (%w)", ErrHostKeyUnknown, verify)
	}
	return err
}
