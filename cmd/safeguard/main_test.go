package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// lockedBuffer collects a stream written from the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testMain returns a Main whose environment holds only env.
func testMain(env map[string]string) (*Main, *lockedBuffer, *lockedBuffer) {
	out, errb := &lockedBuffer{}, &lockedBuffer{}
	return &Main{
		Hasher: identity.NewHasher(1, 64, 1, 4),
		Stdin:  strings.NewReader(""),
		Stdout: out,
		Stderr: errb,
		LookupEnv: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
	}, out, errb
}

// run runs one command line to completion.
func run(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	m, out, errb := testMain(env)
	code = m.Run(context.Background(), args)
	return out.String(), errb.String(), code
}

// server is a running `safeguard serve` (or demo) started by a test.
type server struct {
	URL    string
	Addr   string
	Stdout *lockedBuffer
	Stderr *lockedBuffer
	stop   context.CancelFunc
	done   chan int
}

// Stop sends the equivalent of SIGTERM and returns the exit code.
func (s *server) Stop(t *testing.T) int {
	t.Helper()
	s.stop()
	select {
	case code := <-s.done:
		return code
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop within 30s")
		return -1
	}
}

// startServer runs Main with args (serve or demo, on port 0) until the test
// ends, and returns once it listens.
func startServer(t *testing.T, env map[string]string, args ...string) *server {
	t.Helper()
	m, out, errb := testMain(env)
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan string, 1)
	m.Listening = func(addr string) { listening <- addr }
	s := &server{Stdout: out, Stderr: errb, stop: cancel, done: make(chan int, 1)}
	go func() { s.done <- m.Run(ctx, args) }()
	select {
	case s.Addr = <-listening:
	case code := <-s.done:
		cancel()
		t.Fatalf("safeguard %s exited with %d before listening:\n%s\n%s", strings.Join(args, " "), code, out, errb)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("server did not start within 30s")
	}
	scheme := "http"
	if strings.Contains(out.String(), "serving https://") {
		scheme = "https"
	}
	s.URL = scheme + "://" + s.Addr
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	return s
}

func httpGet(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// demoPassword finds a demo user's password in what `safeguard demo` printed.
func demoPassword(t *testing.T, out, email string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == email {
			return f[1]
		}
	}
	return ""
}

// signIn signs in over the JSON API and returns a client holding the session.
func signIn(t *testing.T, base, email, password string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar}
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	resp, err := c.Post(base+"/api/v1/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("sign in as %s = %d %s", email, resp.StatusCode, b)
	}
	return c
}

func TestUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"no command", nil, nil, 2, "", "Usage: safeguard"},
		{"help", []string{"help"}, nil, 0, "Commands:", ""},
		{"--help", []string{"--help"}, nil, 0, "serve", ""},
		{"unknown command", []string{"frobnicate"}, nil, 2, "", `unknown command "frobnicate"`},
		{"version", []string{"version"}, nil, 0, "safeguard ", ""},
		{"unknown flag", []string{"serve", "--bogus"}, nil, 2, "", "flag provided but not defined: -bogus"},
		{"stray argument", []string{"init", "extra"}, nil, 2, "", `unexpected argument "extra"`},
		{"bad env value", []string{"serve"}, map[string]string{"SAFEGUARD_SHUTDOWN_TIMEOUT": "soon"}, 2, "", "SAFEGUARD_SHUTDOWN_TIMEOUT"},
		{"bad addr", []string{"serve", "--addr", "nonsense"}, nil, 2, "", "--addr"},
		{"half TLS", []string{"serve", "--tls-cert", "x.pem"}, nil, 2, "", "--tls-cert and --tls-key go together"},
		{"bad log level", []string{"serve", "--log-level", "loud"}, nil, 2, "", "--log-level"},
		{"keys without subcommand", []string{"keys"}, nil, 2, "", "say rotate or status"},
		{"keys unknown subcommand", []string{"keys", "spin"}, nil, 2, "", `unknown subcommand "spin"`},
		{"help for a command", []string{"help", "serve"}, nil, 0, "--tls-self-signed", ""},
		{"bad smtp url", []string{"serve", "--smtp-url", "http://mail.example.org", "--mail-from", "a@example.org"}, nil, 2, "", `scheme "http"`},
		{"smtp without sender", []string{"serve"}, map[string]string{"SAFEGUARD_SMTP_URL": "smtp://u:hunter2@mail.example.org"}, 2, "", "--mail-from is required"},
		{"bad public url", []string{"serve", "--public-url", "safeguard.example"}, nil, 2, "", "--public-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := run(t, tt.env, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, out, errOut)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout = %q, want it to contain %q", out, tt.wantOut)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", errOut, tt.wantErr)
			}
			if tt.wantCode == 2 && strings.Count(strings.TrimSpace(errOut), "\n") > 0 && tt.name != "no command" {
				t.Errorf("stderr has %d lines, want one clear line:\n%s", strings.Count(errOut, "\n"), errOut)
			}
		})
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	t.Parallel()
	m, _, _ := testMain(nil)
	for name := range m.commands() {
		out, errOut, code := run(t, nil, name, "--help")
		if name == "help" {
			continue
		}
		if code != 0 || !strings.Contains(out, "Usage: safeguard "+name) {
			t.Errorf("safeguard %s --help = %d, %q (stderr %q), want 0 and a usage text", name, code, out, errOut)
		}
	}
}

func TestServeLifecycle(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir, "--log-format", "json")
	for path, want := range map[string]string{"/healthz": "ok\n", "/readyz": "ready\n"} {
		if code, body := httpGet(t, nil, s.URL+path); code != 200 || body != want {
			t.Errorf("GET %s = %d %q, want 200 %q", path, code, body, want)
		}
	}
	if code, body := httpGet(t, nil, s.URL+"/"); code != 200 || !strings.Contains(body, "<h1>Sign in</h1>") {
		t.Errorf("GET / = %d, want the sign-in page", code)
	}
	// The data folder and key file are private to their owner.
	for _, p := range []string{dir, filepath.Join(dir, keyFileName), filepath.Join(dir, dbFileName)} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s mode = %v, want no group or other access", p, st.Mode().Perm())
		}
	}
	s.stop()
	if code := <-s.done; code != 0 {
		t.Errorf("serve exit code after shutdown = %d, want 0\n%s", code, s.Stderr)
	}
	s.done <- 0 // for the cleanup
	if !strings.Contains(s.Stderr.String(), `"msg":"stopped"`) {
		t.Errorf("logs lack the stop line:\n%s", s.Stderr)
	}
}

// TestGracefulShutdown starts a request whose handler is still working when
// the stop signal arrives: it must be answered before serveHTTP returns.
func TestGracefulShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "finished")
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveHTTP(ctx, ln, h, 10*time.Second, slog.New(slog.DiscardHandler)) }()
	type reply struct {
		body string
		err  error
	}
	replies := make(chan reply, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			replies <- reply{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		replies <- reply{string(b), err}
	}()
	<-started
	cancel()
	select {
	case err := <-done:
		t.Fatalf("serveHTTP returned %v while a request was in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	// New connections are refused once shutdown has begun.
	if c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Error("a new connection was accepted during shutdown")
	}
	close(release)
	if r := <-replies; r.err != nil || r.body != "finished" {
		t.Errorf("in-flight request = %q, %v, want finished", r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Errorf("serveHTTP() = %v, want nil", err)
	}
}

func TestServeReadsEnvironment(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "from-env")
	s := startServer(t, map[string]string{"SAFEGUARD_DATA": dir, "SAFEGUARD_ADDR": "127.0.0.1:0"}, "serve")
	if code, _ := httpGet(t, nil, s.URL+"/readyz"); code != 200 {
		t.Fatalf("GET /readyz = %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, dbFileName)); err != nil {
		t.Errorf("SAFEGUARD_DATA was not used: %v", err)
	}
}

func TestServeRefusesPlainHTTPOffLoopback(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	_, errOut, code := run(t, nil, "serve", "--addr", "0.0.0.0:0", "--data", dir)
	if code != 1 || !strings.Contains(errOut, "--tls-cert and --tls-key, or --tls-self-signed, or --behind-proxy") {
		t.Errorf("serve on 0.0.0.0 without TLS = %d %q, want 1 and the flags to add", code, errOut)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("a refused start left a data folder behind")
	}
	// Behind a proxy, plain HTTP is the operator's stated choice.
	s := startServer(t, nil, "serve", "--addr", "0.0.0.0:0", "--data", dir, "--behind-proxy", "--trusted-proxy", "127.0.0.1/32")
	_, port, _ := net.SplitHostPort(s.Addr)
	if code, _ := httpGet(t, nil, "http://127.0.0.1:"+port+"/healthz"); code != 200 {
		t.Errorf("behind-proxy GET /healthz = %d, want 200", code)
	}
}

func TestServeSelfSignedTLS(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir, "--tls-self-signed")
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("URL = %s, want https", s.URL)
	}
	out := s.Stdout.String()
	i := strings.Index(out, "fingerprint:\n")
	if i < 0 {
		t.Fatalf("stdout lacks the fingerprint:\n%s", out)
	}
	printed := strings.TrimSpace(strings.SplitN(out[i+len("fingerprint:\n"):], "\n", 2)[0])

	var seen string
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, // the test checks the fingerprint itself, as a person would
		VerifyConnection: func(cs tls.ConnectionState) error {
			seen = fingerprint(cs.PeerCertificates[0].Raw)
			return nil
		},
	}}}
	resp, err := client.Get(s.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if seen != printed {
		t.Errorf("served certificate fingerprint %s, printed %s", seen, printed)
	}
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS header under TLS")
	}
	// TLS 1.1 is refused.
	old := &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11}
	if c, err := tls.Dial("tcp", s.Addr, old); err == nil {
		c.Close()
		t.Error("a TLS 1.1 handshake succeeded, want it refused")
	}
	// The certificate is kept: a restart serves the same one.
	certPEM, err := os.ReadFile(filepath.Join(dir, "tls", "self-signed.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		t.Fatal("self-signed.crt is not PEM")
	}
	if code := s.Stop(t); code != 0 {
		t.Fatalf("stop = %d", code)
	}
	s.done <- 0
	s2 := startServer(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir, "--tls-self-signed")
	trusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}}
	if code, _ := httpGet(t, trusting, s2.URL+"/healthz"); code != 200 {
		t.Errorf("restart with the kept certificate: GET /healthz = %d", code)
	}
}

func TestServeTLSFromFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Make a certificate pair the way an operator would bring one.
	if _, _, err := selfSignedCert(filepath.Join(dir, "bring"), "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	cert, key := filepath.Join(dir, "bring", "self-signed.crt"), filepath.Join(dir, "bring", "self-signed.key")
	s := startServer(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--tls-cert", cert, "--tls-key", key)
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("URL = %s, want https", s.URL)
	}
	_, errOut, code := run(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data2"), "--tls-cert", key, "--tls-key", cert)
	if code != 1 || !strings.Contains(errOut, "load TLS certificate") {
		t.Errorf("serve with swapped cert/key = %d %q, want 1 and a certificate error", code, errOut)
	}
}

func TestBadStarts(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	aFile := filepath.Join(tmp, "a-file")
	if err := os.WriteFile(aFile, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
		noDir   string // a folder that must not exist afterwards
	}{
		{"data is a file", []string{"init", "--data", aFile}, "is a file, not a folder", ""},
		{"unknown scheme", []string{"init", "--data", filepath.Join(tmp, "d1"), "--db", "mysql://x/y"}, `scheme "mysql" is not supported`, filepath.Join(tmp, "d1")},
		{"postgres down", []string{"init", "--data", filepath.Join(tmp, "d2"), "--db", "postgres://nobody@127.0.0.1:1/x?connect_timeout=2"}, "connect to PostgreSQL", filepath.Join(tmp, "d2")},
		{"migrate without init", []string{"migrate", "--data", filepath.Join(tmp, "d3")}, "does not exist: run 'safeguard init'", filepath.Join(tmp, "d3")},
		{"keys without init", []string{"keys", "status", "--data", filepath.Join(tmp, "d4")}, "does not exist", filepath.Join(tmp, "d4")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := run(t, nil, tt.args...)
			if code != 1 || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("safeguard %v = %d %q, want 1 and %q", tt.args, code, errOut, tt.wantErr)
			}
			if n := strings.Count(strings.TrimSpace(errOut), "\n"); n != 0 {
				t.Errorf("stderr has %d extra lines, want one line", n)
			}
			if strings.Contains(errOut, "goroutine") || strings.Contains(errOut, "panic") {
				t.Errorf("stderr shows a stack trace: %s", errOut)
			}
			if tt.noDir != "" {
				if _, err := os.Stat(tt.noDir); err == nil {
					t.Errorf("a failed start left %s behind", tt.noDir)
				}
			}
		})
	}
}

func TestSchemaFromNewerBinary(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	if _, errOut, code := run(t, nil, "init", "--data", dir); code != 0 {
		t.Fatalf("init = %d: %s", code, errOut)
	}
	raw, err := sql.Open("sqlite", filepath.Join(dir, dbFileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 'x')"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	for _, cmd := range []string{"serve", "migrate"} {
		_, errOut, code := run(t, nil, cmd, "--data", dir, "--addr", "127.0.0.1:0")
		if cmd == "migrate" {
			_, errOut, code = run(t, nil, cmd, "--data", dir)
		}
		if code != 1 || !strings.Contains(errOut, "schema version 99") || !strings.Contains(errOut, "run a newer safeguard") {
			t.Errorf("%s on a newer schema = %d %q, want 1 naming the versions", cmd, code, errOut)
		}
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	if _, errOut, code := run(t, nil, "init", "--data", dir); code != 0 {
		t.Fatalf("init = %d: %s", code, errOut)
	}
	keyPath := filepath.Join(dir, keyFileName)
	before, _ := os.ReadFile(keyPath)
	out, errOut, code := run(t, nil, "keys", "rotate", "--data", dir)
	if code != 0 || !strings.Contains(out, "1 data keys re-wrapped") {
		t.Fatalf("keys rotate = %d %q %q", code, out, errOut)
	}
	after, _ := os.ReadFile(keyPath)
	if bytes.Equal(before, after) {
		t.Error("keys rotate left the key file unchanged")
	}
	if st, _ := os.Stat(keyPath); st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode after rotation = %v, want 0600", st.Mode().Perm())
	}
	// The rotated key still opens the database.
	if _, errOut, code := run(t, nil, "init", "--data", dir); code != 0 {
		t.Errorf("init after rotation = %d: %s", code, errOut)
	}
	out, _, code = run(t, nil, "keys", "status", "--data", dir)
	if code != 0 || !strings.Contains(out, "(primary): 1 data keys") {
		t.Errorf("keys status = %d %q", code, out)
	}

	// An old backup of the key file no longer opens the data.
	if err := os.WriteFile(keyPath, before, 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = run(t, nil, "serve", "--data", dir, "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "does not open this database") {
		t.Errorf("serve with the pre-rotation key = %d %q, want 1", code, errOut)
	}
	out, _, code = run(t, nil, "keys", "status", "--data", dir)
	if code != 1 {
		t.Errorf("keys status with the wrong key = %d %q, want 1", code, out)
	}

	// A missing key file fails loudly instead of making a new key.
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = run(t, nil, "serve", "--data", dir, "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "is missing, but this database holds data encrypted under it") {
		t.Errorf("serve without the key file = %d %q, want 1", code, errOut)
	}
	if _, err := os.Stat(keyPath); err == nil {
		t.Error("serve created a new key file for a database that has one")
	}

	// SAFEGUARD_MASTER_KEY: a wrong key is refused; a malformed one too.
	wrong := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	_, errOut, code = run(t, map[string]string{envMasterKey: wrong}, "serve", "--data", dir, "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "does not open this database") {
		t.Errorf("serve with a wrong %s = %d %q, want 1", envMasterKey, code, errOut)
	}
	_, errOut, code = run(t, map[string]string{envMasterKey: "short"}, "init", "--data", t.TempDir())
	if code != 1 || !strings.Contains(errOut, envMasterKey) || strings.Contains(errOut, "short") {
		t.Errorf("init with a malformed %s = %d %q, want 1 without echoing it", envMasterKey, code, errOut)
	}
	// A fresh data folder with a key from the environment writes no key file.
	fresh := filepath.Join(t.TempDir(), "env")
	if _, errOut, code := run(t, map[string]string{envMasterKey: wrong}, "init", "--data", fresh); code != 0 {
		t.Fatalf("init with %s = %d %s", envMasterKey, code, errOut)
	}
	if _, err := os.Stat(filepath.Join(fresh, keyFileName)); err == nil {
		t.Error("init with SAFEGUARD_MASTER_KEY wrote a key file")
	}
	_, errOut, code = run(t, map[string]string{envMasterKey: wrong}, "keys", "rotate", "--data", fresh)
	if code != 1 || !strings.Contains(errOut, "needs a key file") {
		t.Errorf("keys rotate with an environment key = %d %q, want 1", code, errOut)
	}
}

func TestDemo(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "demo")
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", dir)
	c := signIn(t, s.URL, "lena.fischer@riverside.example", demoPassword(t, s.Stdout.String(), "lena.fischer@riverside.example"))
	code, body := httpGet(t, c, s.URL+"/")
	if code != 200 || !strings.Contains(body, "Riverside Family Practice") || strings.Contains(body, "Harbor Medical Billing") || !strings.Contains(body, "Demo instance") {
		t.Errorf("demo GET / as Riverside's viewer = %d, want Riverside only, and the demo banner", code)
	}
	if code, body := httpGet(t, c, s.URL+"/status"); code != http.StatusForbidden || strings.Contains(body, "Harbor") {
		t.Errorf("demo GET /status as a viewer = %d, want 403 (it lists every organisation)", code)
	}
	for _, p := range []string{"admin@riverside.example", "maria.alvarez@riverside.example", "priya.shah@riverside.example",
		"tom.becker@audit.example", "lena.fischer@riverside.example", "jordan.lee@harbor-billing.example"} {
		if demoPassword(t, s.Stdout.String(), p) == "" {
			t.Errorf("demo did not print sign-in details for %s", p)
		}
	}
	if !strings.Contains(s.Stdout.String(), "is serving "+s.URL+"/") {
		t.Errorf("demo did not print where to open it:\n%s", s.Stdout)
	}
	if c := s.Stop(t); c != 0 {
		t.Fatalf("demo exit = %d", c)
	}
	s.done <- 0

	// Running it again starts afresh; --keep keeps what is there.
	if err := os.WriteFile(filepath.Join(dir, "note.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	s = startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", dir, "--keep")
	if _, err := os.Stat(filepath.Join(dir, "note.txt")); err != nil {
		t.Error("demo --keep wiped the folder")
	}
	s.Stop(t)
	s.done <- 0
	s = startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", dir)
	if _, err := os.Stat(filepath.Join(dir, "note.txt")); err == nil {
		t.Error("demo did not start afresh")
	}
	c = signIn(t, s.URL, "priya.shah@riverside.example", demoPassword(t, s.Stdout.String(), "priya.shah@riverside.example"))
	if code, body := httpGet(t, c, s.URL+"/"); code != 200 || strings.Count(body, "Riverside Family Practice") != 1 {
		t.Errorf("fresh demo lists Riverside %d times, want once", strings.Count(body, "Riverside Family Practice"))
	}

	// A real data folder is never turned into a demo.
	real := filepath.Join(t.TempDir(), "real")
	if _, errOut, code := run(t, nil, "init", "--data", real); code != 0 {
		t.Fatal(errOut)
	}
	_, errOut, code := run(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", real)
	if code != 1 || !strings.Contains(errOut, "not a demo data folder") {
		t.Errorf("demo on a real data folder = %d %q, want 1 and a refusal", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(real, keyFileName)); err != nil {
		t.Errorf("demo refusal touched the real folder: %v", err)
	}
}

func TestServePostgres(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir, "--db", url)
	if code, body := httpGet(t, nil, s.URL+"/readyz"); code != 200 {
		t.Fatalf("GET /readyz on PostgreSQL = %d %s", code, body)
	}
	m, _, errb := testMain(nil)
	m.Stdin = strings.NewReader("a-long-enough-passphrase\n")
	if code := m.Run(context.Background(), []string{"user", "add", "--data", dir, "--db", url, "--email", "ops@example.org", "--password-stdin"}); code != 0 {
		t.Fatalf("user add = %d: %s", code, errb)
	}
	// A user made by the CLI signs in, and the session lives in PostgreSQL.
	c := signIn(t, s.URL, "ops@example.org", "a-long-enough-passphrase")
	if code, body := httpGet(t, c, s.URL+"/account"); code != 200 || !strings.Contains(body, "ops@example.org") {
		t.Errorf("account page on PostgreSQL = %d, want the signed-in user's page", code)
	}
	if _, err := os.Stat(filepath.Join(dir, dbFileName)); err == nil {
		t.Error("serve --db postgres:// created a SQLite file too")
	}
	if c := s.Stop(t); c != 0 {
		t.Fatalf("stop = %d", c)
	}
	s.done <- 0
	out, errOut, code := run(t, nil, "migrate", "--db", url)
	if code != 0 || !strings.Contains(out, "postgres") || !strings.Contains(out, "schema version") {
		t.Errorf("migrate --db = %d %q %q", code, out, errOut)
	}
	// The key check lives in the database: a different key folder is refused.
	_, errOut, code = run(t, nil, "init", "--data", filepath.Join(t.TempDir(), "other"), "--db", url)
	if code != 1 || !strings.Contains(errOut, "is missing, but this database holds data encrypted under it") {
		t.Errorf("init with another data folder against the same PostgreSQL = %d %q, want 1", code, errOut)
	}
}

// TestServeMetrics reads /metrics as an outsider would: on the main address
// it needs the bearer token (404 when none is configured); the metrics
// listener serves it and stops with the server.
func TestServeMetrics(t *testing.T) {
	t.Parallel()
	get := func(t *testing.T, url, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	plain := startServer(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "data"))
	if code, body := get(t, plain.URL+"/metrics", ""); code != http.StatusNotFound || strings.Contains(body, "safeguard_") {
		t.Errorf("anonymous GET /metrics without metrics flags = %d, want 404", code)
	}

	const token = "0123456789abcdef0123456789abcdef"
	tokenFile := filepath.Join(t.TempDir(), "metrics.token")
	os.WriteFile(tokenFile, []byte(token+"\n"), 0o600)
	s := startServer(t, map[string]string{"SAFEGUARD_METRICS_TOKEN_FILE": tokenFile},
		"serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "data"), "--metrics-addr", "127.0.0.1:0")
	var metricsURL string
	for _, line := range strings.Split(s.Stdout.String(), "\n") {
		if u, ok := strings.CutPrefix(strings.TrimSpace(line), "metrics:"); ok {
			metricsURL = strings.TrimSpace(u)
		}
	}
	if !strings.HasPrefix(metricsURL, "http://127.0.0.1:") || strings.Contains(metricsURL, s.Addr) {
		t.Fatalf("metrics address in %q", s.Stdout.String())
	}
	for _, tt := range []struct {
		url, token string
		want       int
	}{
		{s.URL + "/metrics", "", http.StatusUnauthorized},
		{s.URL + "/metrics", "wrong-token-wrong-token", http.StatusUnauthorized},
		{s.URL + "/metrics", token, http.StatusOK},
		{metricsURL, "", http.StatusUnauthorized},
		{metricsURL, token, http.StatusOK},
		{strings.TrimSuffix(metricsURL, "/metrics") + "/login", token, http.StatusNotFound},
	} {
		code, body := get(t, tt.url, tt.token)
		if code != tt.want || (code == http.StatusOK) != strings.Contains(body, "safeguard_http_requests_total") {
			t.Errorf("GET %s (token %t) = %d, want %d", tt.url, tt.token != "", code, tt.want)
		}
	}
	if code := s.Stop(t); code != 0 {
		t.Fatalf("serve exit = %d: %s", code, s.Stderr)
	}
	s.done <- 0
	if _, err := http.Get(metricsURL); err == nil {
		t.Error("the metrics listener still answers after the server stopped")
	}

	short := filepath.Join(t.TempDir(), "short.token")
	os.WriteFile(short, []byte("short"), 0o600)
	for _, args := range [][]string{{"--metrics-addr", "9090"}, {"--metrics-token-file", filepath.Join(t.TempDir(), "missing")}, {"--metrics-token-file", short}} {
		if _, errOut, code := run(t, nil, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, args...)...); code != 2 || !strings.Contains(errOut, args[0]) {
			t.Errorf("serve %v = %d %q, want 2 naming the flag", args, code, errOut)
		}
	}
}
