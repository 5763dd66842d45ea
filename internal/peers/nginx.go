package peers

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// ProgNginx is nginx, Debian's nginx-light: it has the dav module that
// takes PUT, and ssl.
const ProgNginx = "nginx"

// Nginx is a real nginx serving Root on loopback over HTTP and HTTPS, as a
// foreground process of the test. Under Root, /upload/ takes PUT (and GET)
// with basic authentication as User and Password, /token/ takes PUT and
// GET with the bearer token Token, /private/ needs the basic login to GET,
// /forbidden/ answers 403, /packed/ labels every file Content-Encoding:
// gzip (as servers that mistake a .gz for a compressed answer do),
// /moved/NAME redirects to /NAME and /away/NAME to http://localhost:PORT/NAME
// (another origin), and bodies past NginxMaxBody bytes are refused
// with 413.
type Nginx struct {
	Root           string
	URL, TLSURL    string // http://127.0.0.1:PORT and https://127.0.0.1:PORT
	CAFile         string // the PEM certificate of the CA that signed the server's
	User, Password string
	Token          string
	proc           *process
}

// NginxMaxBody is the largest body the Nginx peer accepts.
const NginxMaxBody = 1 << 20

// ServeNginx starts nginx (see Need) and stops it when the test ends.
// nginx checks htpasswd passwords only with crypt, apr1 or SHA schemes, not
// bcrypt: the file holds the {SHA} form.
func ServeNginx(t testing.TB) *Nginx {
	t.Helper()
	Need(t, ProgNginx)
	path, _ := Lookup(ProgNginx)
	dir := t.TempDir()
	n := &Nginx{Root: filepath.Join(dir, "root"), User: "fm", Password: "s3cret:pw", Token: "t0ken-4f9a", CAFile: filepath.Join(dir, "ca.pem")}
	for _, d := range []string{"upload", "private", "forbidden", "token", "packed"} {
		if err := os.MkdirAll(filepath.Join(n.Root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeTLS(dir, n.CAFile); err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum([]byte(n.Password))
	htpasswd := n.User + ":{SHA}" + base64.StdEncoding.EncodeToString(sum[:]) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "htpasswd"), []byte(htpasswd), 0o644); err != nil {
		t.Fatal(err)
	}
	port, tlsPort := freeTCPPort(t), freeTCPPort(t)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(nginxConf(dir, n.Root, n.Token, port, tlsPort)), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := startProcess(nil, path, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf)
	if err != nil {
		t.Fatal(err)
	}
	n.proc = p
	t.Cleanup(func() { _ = p.stop() })
	n.URL = "http://127.0.0.1:" + strconv.Itoa(port)
	n.TLSURL = "https://127.0.0.1:" + strconv.Itoa(tlsPort)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := waitTCP(ctx, p, port, tlsPort); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		t.Fatalf("peers: nginx did not start: %v\n%s%s", err, p.out.String(), log)
	}
	return n
}

func nginxConf(dir, root, token string, port, tlsPort int) string {
	user := ""
	if os.Geteuid() == 0 {
		// The workers must read t.TempDir(), which is private to root.
		user = "user root;"
	}
	return fmt.Sprintf(`%s
daemon off;
worker_processes 1;
pid %[2]s/nginx.pid;
events { worker_connections 64; }
http {
	access_log %[2]s/access.log;
	client_body_temp_path %[2]s/body;
	proxy_temp_path %[2]s/proxy;
	fastcgi_temp_path %[2]s/fastcgi;
	uwsgi_temp_path %[2]s/uwsgi;
	scgi_temp_path %[2]s/scgi;
	default_type application/octet-stream;
	client_max_body_size %[6]d;
	server {
		listen 127.0.0.1:%[4]d;
		listen 127.0.0.1:%[5]d ssl;
		ssl_certificate %[2]s/server.pem;
		ssl_certificate_key %[2]s/server.key;
		root %[3]s;
		location /upload/ {
			dav_methods PUT;
			create_full_put_path on;
			auth_basic "filemux";
			auth_basic_user_file %[2]s/htpasswd;
		}
		location /private/ {
			auth_basic "filemux";
			auth_basic_user_file %[2]s/htpasswd;
		}
		location /token/ {
			if ($http_authorization != "Bearer %[7]s") { return 401; }
			dav_methods PUT;
		}
		location /packed/ { add_header Content-Encoding gzip; }
		location ~ ^/moved/(.*)$ { return 302 /$1; }
		location ~ ^/away/(.*)$ { return 302 http://localhost:%[4]d/$1; }
		location /forbidden/ { deny all; }
	}
}
`, user, dir, root, port, tlsPort, NginxMaxBody, token)
}

// freeTCPPort is a loopback TCP port nothing listened on a moment ago.
func freeTCPPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitTCP waits until every port accepts a connection.
func waitTCP(ctx context.Context, p *process, ports ...int) error {
	for _, port := range ports {
		for {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
			if err == nil {
				c.Close()
				break
			}
			if p.exited() {
				return fmt.Errorf("%s exited: %v", p.cmd.Path, p.err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return nil
}

// TLSFiles writes, into dir, a new CA's certificate (ca.pem) and a
// server certificate for 127.0.0.1 it signed (server.pem) with its key
// (server.key), as ServeNginx's HTTPS uses, and returns their paths. A
// failure fails the test.
func TLSFiles(t testing.TB, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caFile = filepath.Join(dir, "ca.pem")
	if err := writeTLS(dir, caFile); err != nil {
		t.Fatalf("peers: TLS files: %v", err)
	}
	return caFile, filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
}

// writeTLS writes a new CA's certificate to caFile and a server
// certificate for 127.0.0.1 it signed, with its key, into dir.
func writeTLS(dir, caFile string) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "filemux test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	return writePEMs(map[string]*pem.Block{
		caFile:                           {Type: "CERTIFICATE", Bytes: caDER},
		filepath.Join(dir, "server.pem"): {Type: "CERTIFICATE", Bytes: der},
		filepath.Join(dir, "server.key"): {Type: "EC PRIVATE KEY", Bytes: keyDER},
	})
}

func writePEMs(files map[string]*pem.Block) error {
	for name, b := range files {
		if err := os.WriteFile(name, pem.EncodeToMemory(b), 0o600); err != nil {
			return err
		}
	}
	return nil
}
