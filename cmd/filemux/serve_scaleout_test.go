package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	pin "github.com/pin/tftp/v3"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/filemux/filemux/internal/peers"
)

const scaleOutConfig = `tftp: {listen: ["127.0.0.1:0"], max_blksize: 1468}
sftp: {listen: ["127.0.0.1:0"], host_key: state/ssh_host_ed25519_key, authorized_keys: authorized_keys}
http: {listen: ["127.0.0.1:0"]}
metrics: {listen: "127.0.0.1:0"}
state: {postgres: "%[1]s", instance: %[2]s}
routes:
  - name: fleet
    match: '(backup|images)/.*'
    s3:
      endpoint: %[3]s
      bucket: %[4]s
      region: us-east-1
      write: create
      part_size: 5MiB
      access_key_file: id
      secret_key_file: secret
      cache: {size: 32MiB, ttl: 1m}
  - name: configs
    match: '(?<host>[a-z0-9-]+)-confg'
    template:
      text: "hostname {{.Data.name}}\nip address {{.Data.mgmt_ip}}\n"
      key: host
      data: {postgres: {query: "select name, mgmt_ip from devices", key_column: name, watch: [devices]}}
`

// TestScaleOutThreeInstances is issue 19's "done when": three real
// filemux serve processes (a, b, c) on their own ports share one
// versitygw bucket and one PostgreSQL database. A TFTP upload to A is an
// object in the bucket and downloads from B over SFTP and TFTP with the
// same sha256; an SFTP upload whose client vanishes leaves no object and
// no incomplete upload; kill -9 of C during a multipart TFTP upload
// leaves one, which C's restart aborts; a row inserted into the
// inventory table is rendered by C within a second; 300 concurrent HTTP
// downloads of one 8 MiB image over the three cost at most three GETs at
// the store; and filemux_transfers holds one row per finished transfer
// of every instance.
func TestScaleOutThreeInstances(t *testing.T) {
	needCurl(t)
	started := time.Now()
	v := peers.ServeVersitygw(t)
	_, dsn := peers.PostgresDB(t)
	db := pgConnect(t, dsn)
	pgExec(t, db, "create table devices (name text primary key, mgmt_ip inet)")
	pgExec(t, db, "insert into devices values ('sw-core-01', '10.0.0.11')")
	key, pub := sshKey(t)
	paths := map[string]string{}
	inst := map[string]*configured{}
	for _, name := range []string{"a", "b", "c"} {
		paths[name] = writeConfig(t, map[string]string{
			"filemux.yaml": fmt.Sprintf(scaleOutConfig, dsn, name, v.URL, v.Bucket),
			"id":           v.AccessKey + "\n", "secret": v.Secret + "\n", "authorized_keys": pub, "state/.keep": "",
		})
		inst[name] = startConfigured(t, paths[name])
	}
	a, b := inst["a"], inst["b"]
	store, err := minio.New(strings.TrimPrefix(v.URL, "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(v.AccessKey, v.Secret, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	incomplete := func() int {
		n := 0
		for u := range store.ListIncompleteUploads(context.Background(), v.Bucket, "", true) {
			if u.Err != nil {
				t.Fatal(u.Err)
			}
			n++
		}
		return n
	}
	keys := func() []string {
		var ks []string
		for o := range store.ListObjects(context.Background(), v.Bucket, minio.ListObjectsOptions{Recursive: true}) {
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			ks = append(ks, o.Key)
		}
		sort.Strings(ks)
		return ks
	}
	// waitFor polls cond for up to limit, and fails with what() if it
	// never holds.
	waitFor := func(limit time.Duration, cond func() bool, what func() string) {
		t.Helper()
		deadline := time.Now().Add(limit)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("after %v: %s", limit, what())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// The transfers made, by instance, that end in a row of
	// filemux_transfers (the upload C was killed in never ends).
	transfers := map[string]int{}

	// 1. A TFTP upload to A, downloaded from B over SFTP and TFTP.
	backup := make([]byte, 7<<20+99)
	if _, err := rand.Read(backup); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(backup)
	work := t.TempDir()
	writeFile(t, filepath.Join(work, "r1.bin"), backup)
	if _, err := curl(t, "--tftp-blksize", "1468", "-T", filepath.Join(work, "r1.bin"), "tftp://"+a.tftp+"/backup/r1.bin"); err != nil {
		t.Fatalf("TFTP upload to A: %v", err)
	}
	transfers["a"]++
	obj, err := store.GetObject(context.Background(), v.Bucket, "backup/r1.bin", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := io.ReadAll(obj)
	obj.Close()
	if err != nil || sha256.Sum256(stored) != want {
		t.Fatalf("the object in the bucket: %d bytes, %v", len(stored), err)
	}
	viaSFTP, err := curl(t, "--insecure", "--key", key, "--pubkey", key+".pub", "sftp://ops@"+b.sftp+"/backup/r1.bin")
	transfers["b"]++
	if err != nil || sha256.Sum256(viaSFTP) != want {
		t.Fatalf("SFTP download from B: %d bytes, %v", len(viaSFTP), err)
	}
	viaTFTP, err := curl(t, "--tftp-blksize", "1468", "tftp://"+b.tftp+"/backup/r1.bin")
	transfers["b"]++
	if err != nil || sha256.Sum256(viaTFTP) != want {
		t.Fatalf("TFTP download from B: %d bytes, %v", len(viaTFTP), err)
	}
	t.Logf("%d-byte TFTP upload to A, SFTP and TFTP downloads from B: sha256 %x (%v)", len(backup), want[:8], time.Since(started).Round(time.Millisecond))

	// 2. An SFTP upload to A past its first part whose client vanishes.
	conn := sftpDial(t, a.sftp, key)
	sc, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	f, err := sc.Create("backup/gone.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(backup[:6<<20]); err != nil { // past the 5 MiB part
		t.Fatal(err)
	}
	waitFor(20*time.Second, func() bool { return incomplete() == 1 }, func() string { return "the SFTP upload never became a multipart upload" })
	conn.Close() // the client is gone, without closing the file
	transfers["a"]++
	waitFor(10*time.Second, func() bool { return incomplete() == 0 && len(keys()) == 1 }, func() string {
		return fmt.Sprintf("after the client went: %d incomplete uploads, keys %q", incomplete(), keys())
	})

	// 3. kill -9 of C during a multipart TFTP upload, and its restart.
	big := make([]byte, 12<<20)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	sent := make(chan struct{})
	go func() { // ends with an error once C is gone
		defer close(sent)
		c, err := pin.NewClient(inst["c"].tftp)
		if err != nil {
			return
		}
		c.SetTimeout(time.Second)
		c.SetRetries(1)
		c.SetBlockSize(1468)
		if rf, err := c.Send("backup/killed.bin", "octet"); err == nil {
			_, _ = rf.ReadFrom(bytes.NewReader(big))
		}
	}()
	waitFor(20*time.Second, func() bool { return incomplete() == 1 }, func() string { return "the TFTP upload to C never became a multipart upload" })
	if err := inst["c"].cmd.Process.Kill(); err != nil { // SIGKILL, by the pid this test started
		t.Fatal(err)
	}
	inst["c"].wait(t, 10*time.Second)
	if n, ks := incomplete(), keys(); n != 1 || len(ks) != 2 || !strings.HasPrefix(ks[0], ".filemux-uploads/c/") || ks[1] != "backup/r1.bin" {
		t.Fatalf("after kill -9 of C: %d incomplete uploads, keys %q; want C's upload and its marker", n, ks)
	}
	<-sent
	restarted := time.Now()
	inst["c"] = startConfigured(t, paths["c"])
	c := inst["c"]
	c.waitLog(t, "aborted the incomplete uploads of an earlier run")
	if n, ks := incomplete(), keys(); n != 0 || len(ks) != 1 {
		t.Fatalf("after C's restart: %d incomplete uploads, keys %q; want none and backup/r1.bin", n, ks)
	}
	t.Logf("C restarted and aborted its incomplete upload in %v", time.Since(restarted).Round(time.Millisecond))

	// 4. A device row inserted into the inventory table, rendered by C.
	hc := &http.Client{Timeout: 10 * time.Second}
	pgExec(t, db, "insert into devices values ('sw-new-07', '10.0.0.77')")
	inserted := time.Now()
	wantCfg := "hostname sw-new-07\nip address 10.0.0.77\n"
	var seen time.Duration
	for i := 0; ; i++ {
		resp, err := hc.Get(c.http + "/sw-new-07-confg")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		transfers["c"]++
		if err == nil && resp.StatusCode == http.StatusOK && string(body) == wantCfg {
			seen = time.Since(inserted)
			break
		}
		if time.Since(inserted) > 5*time.Second {
			t.Fatalf("C still answers %d %q %v after the INSERT", resp.StatusCode, body, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("INSERT to the row rendered by C over HTTP: %v (%d requests)", seen, transfers["c"])
	if seen >= time.Second {
		t.Errorf("C rendered the new row %v after the INSERT, want under 1s", seen)
	}
	if got, err := curl(t, "tftp://"+c.tftp+"/sw-new-07-confg"); err != nil || string(got) != wantCfg {
		t.Fatalf("the new row over TFTP from C: %q, %v", got, err)
	}
	transfers["c"]++

	// 5. 300 concurrent HTTP downloads of one 8 MiB image over the three.
	image := make([]byte, 8<<20)
	if _, err := rand.Read(image); err != nil {
		t.Fatal(err)
	}
	if _, err := store.PutObject(context.Background(), v.Bucket, "images/boot.img", bytes.NewReader(image), int64(len(image)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	const gets = `filemux_s3_requests_total{op="GetObject",outcome="ok",route="fleet"}`
	names := []string{"a", "b", "c"}
	before := 0.0
	for _, n := range names {
		before += max(metric(t, inst[n].metrics, gets), 0)
	}
	const storm = 300
	var wg sync.WaitGroup
	errs := make(chan error, storm)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: storm}, Timeout: 30 * time.Second}
	stormed := time.Now()
	for i := range storm {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- fetchImage(client, inst[names[i%3]].http+"/images/boot.img", sha256.Sum256(image))
		}()
		transfers[names[i%3]]++
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(stormed)
	after := 0.0
	for _, n := range names {
		after += metric(t, inst[n].metrics, gets)
	}
	t.Logf("%d concurrent HTTP downloads of 8 MiB over 3 instances in %v: %v GetObject at the store", storm, took.Round(time.Millisecond), after-before)
	if after-before > 3 || after-before < 1 {
		t.Fatalf("%v GETs at the store for the storm, want 1 to 3", after-before)
	}

	// 6. One row per transfer of each instance in filemux_transfers.
	total := transfers["a"] + transfers["b"] + transfers["c"]
	count := func() map[string]int {
		rows, err := db.Query(context.Background(), "select instance, count(*) from filemux_transfers group by instance")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[string]int{}
		for rows.Next() {
			var name string
			var n int
			if err := rows.Scan(&name, &n); err != nil {
				t.Fatal(err)
			}
			got[name] = n
		}
		return got
	}
	written := func() float64 {
		w := 0.0
		for _, n := range names {
			w += metric(t, inst[n].metrics, `filemux_history_rows_total{result="written"}`)
		}
		return w
	}
	waitFor(20*time.Second, func() bool { return fmt.Sprint(count()) == fmt.Sprint(transfers) && written() == float64(total) }, func() string {
		return fmt.Sprintf("filemux_transfers holds %v, want %v; the instances say %v written", count(), transfers, written())
	})
	for _, n := range names {
		if d := metric(t, inst[n].metrics, `filemux_history_rows_total{result="dropped"}`); d > 0 {
			t.Errorf("instance %s dropped %v history rows", n, d)
		}
	}
	outcomes := historyOutcomes(t, db)
	t.Logf("filemux_transfers: %d rows, %v", total, outcomes)
	if o := outcomes["a sftp write"]; strings.Contains(o, "success") || !strings.HasSuffix(o, ":1") {
		t.Errorf("the upload whose client went is %q in the history, want one failed row", outcomes["a sftp write"])
	}
	t.Logf("the whole test: %v", time.Since(started).Round(time.Millisecond))
}

// historyOutcomes sums filemux_transfers by instance, protocol and
// access, as "outcome:count" lists.
func historyOutcomes(t *testing.T, db *pgx.Conn) map[string]string {
	t.Helper()
	rows, err := db.Query(context.Background(), `select instance || ' ' || protocol || ' ' || access, outcome, count(*)
		from filemux_transfers group by 1, 2 order by 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, outcome string
		var n int
		if err := rows.Scan(&k, &outcome, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = strings.TrimPrefix(out[k]+fmt.Sprintf(" %s:%d", outcome, n), " ")
	}
	return out
}

// sftpDial opens an SSH connection to addr as user ops with the key.
func sftpDial(t *testing.T, addr, keyFile string) *ssh.Client {
	t.Helper()
	pem, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: "ops", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
