package daemon_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	mathbig "math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string // its certificate, PEM
}

func newTestCA(t *testing.T, dir, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: mathbig.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{cert: cert, key: key, file: filepath.Join(dir, name+".pem")}
	writePEM(t, ca.file, "CERTIFICATE", der)
	return ca
}

// issue writes a certificate for 127.0.0.1 and its key into certFile and
// keyFile.
func (ca *testCA) issue(t *testing.T, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: mathbig.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", kder)
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// tlsClient trusts ca only and speaks HTTP/2 when offered.
func tlsClient(ca *testCA) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func TestHTTPSAndReload(t *testing.T) {
	dir := t.TempDir()
	ca1, ca2 := newTestCA(t, dir, "ca1"), newTestCA(t, dir, "ca2")
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	ca1.issue(t, certFile, keyFile)
	s := daemontest.NewHTTP(t, behaviour.Bytes([]byte("secure\n")), func(d *daemon.HTTP) {
		d.TLSCertFile, d.TLSKeyFile = certFile, keyFile
	})
	get := func(c *http.Client) (*http.Response, string, error) {
		resp, err := c.Get(s.URL("f"))
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, string(b), err
	}
	resp, body, err := get(tlsClient(ca1))
	if err != nil || body != "secure\n" || resp.ProtoMajor != 2 {
		t.Fatalf("HTTPS: %v %q, proto %v", err, body, resp)
	}
	res := httpCurl(t, dir, "-f", "--cacert", ca1.file, s.URL("f"))
	if res.code != 0 || res.stdout != "secure\n" {
		t.Errorf("curl HTTPS: %v", res)
	}
	res = httpWget(t, dir, "--ca-certificate="+ca1.file, "-O", "-", s.URL("f"))
	if res.code != 0 || res.stdout != "secure\n" {
		t.Errorf("wget HTTPS: %v", res)
	}
	if res := httpCurl(t, dir, "-f", s.URL("f")); res.code == 0 {
		t.Error("curl trusted the test CA without --cacert")
	}

	// A broken reload keeps the certificate; a good one replaces it.
	if err := os.WriteFile(keyFile, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.HTTP.ReloadTLS(); err == nil {
		t.Error("ReloadTLS accepted a broken key")
	}
	if _, _, err := get(tlsClient(ca1)); err != nil {
		t.Errorf("after a failed reload: %v", err)
	}
	ca2.issue(t, certFile, keyFile)
	if err := s.HTTP.ReloadTLS(); err != nil {
		t.Fatal(err)
	}
	if _, body, err := get(tlsClient(ca2)); err != nil || body != "secure\n" {
		t.Errorf("after the reload: %v %q", err, body)
	}
	if _, _, err := get(tlsClient(ca1)); err == nil {
		t.Error("the old certificate is still served to new connections")
	}
}

func TestHTTPReloadTLSWithoutTLS(t *testing.T) {
	s := daemontest.NewHTTP(t, behaviour.Bytes(nil))
	if err := s.HTTP.ReloadTLS(); err == nil {
		t.Error("ReloadTLS on plain HTTP succeeded")
	}
}
