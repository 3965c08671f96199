package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// initData makes a data folder with 'safeguard init'.
func initData(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if _, errOut, code := run(t, nil, "init", "--data", dir); code != 0 {
		t.Fatalf("init = %d: %s", code, errOut)
	}
	return dir
}

// doctorLine returns the report line of check that contains want, or "".
func doctorLine(out, status, check, want string) string {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || f[0] != status {
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(l, status)), check) && strings.Contains(l, want) {
			return l
		}
	}
	return ""
}

// writeCert writes a self-signed certificate valid from notBefore to
// notAfter, and its key, into dir.
func writeCert(t *testing.T, dir string, notBefore, notAfter time.Time) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "test"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

func execSQLite(t *testing.T, dir, query string, args ...any) {
	t.Helper()
	raw, err := sql.Open("sqlite", filepath.Join(dir, dbFileName))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(query, args...); err != nil {
		t.Fatal(err)
	}
}

// TestDoctorHealthy runs the doctor on a fresh data folder: nothing fails.
func TestDoctorHealthy(t *testing.T) {
	t.Parallel()
	dir := initData(t)
	backups := t.TempDir()
	if err := os.WriteFile(filepath.Join(backups, "safeguard-backup-20261204T020000Z.age"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, nil, "doctor", "--data", dir, "--backup-dir", backups)
	if code != 0 {
		t.Fatalf("doctor on a fresh folder = %d, want 0\n%s%s", code, out, errOut)
	}
	for _, want := range []struct{ status, check, text string }{
		{"OK", "permissions", "data folder " + dir + " is mode 0700"},
		{"OK", "permissions", "master.key is mode 0600"},
		{"OK", "permissions", "audit.key is mode 0600"},
		{"OK", "database", "schema version"},
		{"OK", "encryption key", "opens the database's encrypted data"},
		{"OK", "audit keys", "list the same 1 key(s)"},
		{"OK", "TLS", "loopback"},
		{"OK", "audit checkpoint", ""},
		{"OK", "backup", "safeguard-backup-20261204T020000Z.age"},
		{"OK", "disk space", "GiB free"},
	} {
		if doctorLine(out, want.status, want.check, want.text) == "" {
			t.Errorf("doctor output lacks %s %s %q:\n%s", want.status, want.check, want.text, out)
		}
	}
	if doctorLine(out, "FAIL", "", "") != "" {
		t.Errorf("a fresh folder shows a failure:\n%s", out)
	}
	// The settings come from the environment too, as serve's do.
	out, _, code = run(t, map[string]string{"SAFEGUARD_DATA": dir, "SAFEGUARD_BACKUP_DIR": backups}, "doctor")
	if code != 0 || doctorLine(out, "OK", "database", dir) == "" {
		t.Errorf("doctor with SAFEGUARD_DATA = %d, want 0 and the folder's database:\n%s", code, out)
	}
}

// TestDoctorFindsBreakage breaks one thing at a time in a fresh data folder
// and checks the line that reports it and the exit code.
func TestDoctorFindsBreakage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		brk      func(t *testing.T, dir string) []string // breaks dir; returns extra flags
		wantCode int
		status   string
		check    string
		want     string
	}{
		{"key readable by all", func(t *testing.T, dir string) []string {
			chmod(t, filepath.Join(dir, keyFileName), 0o644)
			return nil
		}, 1, "FAIL", "permissions", "master.key is mode 0644: other users may read it -> fix: chmod 600 "},
		{"key refused by the loader", func(t *testing.T, dir string) []string {
			chmod(t, filepath.Join(dir, keyFileName), 0o640)
			return nil
		}, 1, "FAIL", "encryption key", "chmod 600"},
		{"audit key readable by its group", func(t *testing.T, dir string) []string {
			chmod(t, filepath.Join(dir, auditKeyName), 0o640)
			return nil
		}, 1, "FAIL", "permissions", "audit.key is mode 0640: its group may read it"},
		{"data folder open to all", func(t *testing.T, dir string) []string {
			chmod(t, dir, 0o755)
			return nil
		}, 1, "FAIL", "permissions", "is mode 0755: other users may read it -> fix: chmod 700 "},
		{"data folder open to its group", func(t *testing.T, dir string) []string {
			chmod(t, dir, 0o750)
			return nil
		}, 0, "WARN", "permissions", "is mode 0750: its group may read it"},
		{"TLS key shared with the group", func(t *testing.T, dir string) []string {
			c, k := writeCert(t, filepath.Join(dir, "..", "tls"), time.Now().AddDate(0, 0, -1), time.Now().AddDate(1, 0, 0))
			chmod(t, k, 0o640)
			return []string{"--tls-cert", c, "--tls-key", k}
		}, 0, "WARN", "permissions", "TLS key "},
		{"TLS key readable by all", func(t *testing.T, dir string) []string {
			c, k := writeCert(t, filepath.Join(dir, "..", "tls"), time.Now().AddDate(0, 0, -1), time.Now().AddDate(1, 0, 0))
			chmod(t, k, 0o644)
			return []string{"--tls-cert", c, "--tls-key", k}
		}, 1, "FAIL", "permissions", "key.pem is mode 0644: other users may read it"},
		{"key file removed", func(t *testing.T, dir string) []string {
			remove(t, filepath.Join(dir, keyFileName))
			return nil
		}, 1, "FAIL", "encryption key", "is missing -> fix: restore"},
		{"another key", func(t *testing.T, dir string) []string {
			remove(t, filepath.Join(dir, keyFileName))
			if _, err := crypt.CreateKeyFile(filepath.Join(dir, keyFileName)); err != nil {
				t.Fatal(err)
			}
			return nil
		}, 1, "FAIL", "encryption key", "does not open this database's encrypted data"},
		{"key from the environment", func(t *testing.T, dir string) []string {
			return nil // see the env case below
		}, 0, "OK", "encryption key", "opens the database's encrypted data"},
		{"audit signing key removed", func(t *testing.T, dir string) []string {
			remove(t, filepath.Join(dir, auditKeyName))
			return nil
		}, 1, "FAIL", "audit keys", "is missing -> fix: restore audit.key"},
		{"audit public keys removed", func(t *testing.T, dir string) []string {
			remove(t, filepath.Join(dir, auditPubKeysName))
			return nil
		}, 1, "FAIL", "audit keys", "audit-keys.pub is missing"},
		{"database registers a key the file lacks", func(t *testing.T, dir string) []string {
			s, err := audit.NewSigner()
			if err != nil {
				t.Fatal(err)
			}
			execSQLite(t, dir, "INSERT INTO audit_keys (key_id, public_key, created_at) VALUES (?, ?, ?)", s.ID(), []byte(s.Public()), "2026-01-01T00:00:00Z")
			return nil
		}, 1, "FAIL", "audit keys", "the database registers key(s) ed25519:"},
		{"database one migration ahead", func(t *testing.T, dir string) []string {
			v := store.LatestSchemaVersion(store.SQLite) + 1
			execSQLite(t, dir, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 'x')", v)
			return nil
		}, 1, "FAIL", "database", "newer than this binary's"},
		{"database one migration behind", func(t *testing.T, dir string) []string {
			execSQLite(t, dir, "DELETE FROM schema_migrations WHERE version = ?", store.LatestSchemaVersion(store.SQLite))
			return nil
		}, 1, "FAIL", "database", "run 'safeguard migrate'"},
		{"database removed", func(t *testing.T, dir string) []string {
			remove(t, filepath.Join(dir, dbFileName))
			return nil
		}, 1, "FAIL", "database", "no database at"},
		{"expired certificate", func(t *testing.T, dir string) []string {
			c, k := writeCert(t, filepath.Join(dir, "..", "tls"), time.Now().AddDate(-1, 0, 0), time.Now().AddDate(0, 0, -1))
			return []string{"--tls-cert", c, "--tls-key", k}
		}, 1, "FAIL", "TLS", "expired on"},
		{"certificate expiring in 10 days", func(t *testing.T, dir string) []string {
			c, k := writeCert(t, filepath.Join(dir, "..", "tls"), time.Now().AddDate(0, 0, -1), time.Now().AddDate(0, 0, 10))
			return []string{"--tls-cert", c, "--tls-key", k}
		}, 0, "WARN", "TLS", "expires on"},
		{"certificate and someone else's key", func(t *testing.T, dir string) []string {
			c, _ := writeCert(t, filepath.Join(dir, "..", "tls1"), time.Now().AddDate(0, 0, -1), time.Now().AddDate(1, 0, 0))
			_, k := writeCert(t, filepath.Join(dir, "..", "tls2"), time.Now().AddDate(0, 0, -1), time.Now().AddDate(1, 0, 0))
			return []string{"--tls-cert", c, "--tls-key", k}
		}, 1, "FAIL", "TLS", "does not go with"},
		{"good certificate", func(t *testing.T, dir string) []string {
			c, k := writeCert(t, filepath.Join(dir, "..", "tls"), time.Now().AddDate(0, 0, -1), time.Now().AddDate(1, 0, 0))
			return []string{"--tls-cert", c, "--tls-key", k}
		}, 0, "OK", "TLS", "the key matches"},
		{"own and self-signed certificate both", func(t *testing.T, dir string) []string {
			c, k := writeCert(t, filepath.Join(dir, "..", "tls"), time.Now().AddDate(0, 0, -1), time.Now().AddDate(1, 0, 0))
			return []string{"--tls-cert", c, "--tls-key", k, "--tls-self-signed"}
		}, 1, "FAIL", "TLS", "serve refuses to start"},
		{"behind a proxy", func(t *testing.T, dir string) []string {
			return []string{"--behind-proxy"}
		}, 0, "OK", "TLS", "--behind-proxy"},
		{"old backup", func(t *testing.T, dir string) []string {
			b := t.TempDir()
			p := filepath.Join(b, "safeguard-backup-20261101T020000Z.age")
			if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			old := time.Now().Add(-3 * 24 * time.Hour)
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
			return []string{"--backup-dir", b}
		}, 0, "WARN", "backup", "is 3d old (over 2 days)"},
		{"no backup", func(t *testing.T, dir string) []string {
			b := t.TempDir()
			// Only the names serve's scheduled backups take count.
			for _, n := range []string{"notes.txt", "safeguard-backup-latest.age", "safeguard-backup-20261204T020000Z.age.tmp"} {
				if err := os.WriteFile(filepath.Join(b, n), []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			return []string{"--backup-dir", b}
		}, 0, "WARN", "backup", "no backup (safeguard-backup-*.age)"},
		{"no backup folder", func(t *testing.T, dir string) []string {
			return []string{"--backup-dir", filepath.Join(dir, "..", "none")}
		}, 0, "WARN", "backup", "no such file or directory"},
		{"server not running", func(t *testing.T, dir string) []string {
			return []string{"--addr", freeAddr(t)}
		}, 1, "FAIL", "readyz", "start the server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := initData(t)
			var env map[string]string
			if tt.name == "key from the environment" {
				b, err := os.ReadFile(filepath.Join(dir, keyFileName))
				if err != nil {
					t.Fatal(err)
				}
				remove(t, filepath.Join(dir, keyFileName))
				ring, err := crypt.ParseKeyring(b)
				if err != nil {
					t.Fatal(err)
				}
				env = map[string]string{envMasterKey: masterKeyText(t, ring, b)}
			}
			args := append([]string{"doctor", "--data", dir}, tt.brk(t, dir)...)
			out, errOut, code := run(t, env, args...)
			if code != tt.wantCode {
				t.Errorf("doctor = %d, want %d\n%s%s", code, tt.wantCode, out, errOut)
			}
			if doctorLine(out, tt.status, tt.check, tt.want) == "" {
				t.Errorf("doctor output lacks a %s %s line with %q:\n%s", tt.status, tt.check, tt.want, out)
			}
		})
	}
}

// masterKeyText finds the form SAFEGUARD_MASTER_KEY takes for the key file
// text b: the key line itself.
func masterKeyText(t *testing.T, ring *crypt.Keyring, b []byte) string {
	t.Helper()
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		for _, cand := range append([]string{l}, strings.Fields(l)...) {
			if r, err := crypt.ParseMasterKey(cand); err == nil && r.PrimaryID() == ring.PrimaryID() {
				return cand
			}
		}
	}
	t.Fatalf("no master key form found in the key file:\n%s", b)
	return ""
}

func chmod(t *testing.T, p string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, p string) {
	t.Helper()
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestDoctorUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"doctor", "extra"},
		{"doctor", "--tls-cert", "x.pem"},
		{"doctor", "--addr", "nonsense"},
		{"doctor", "--bogus"},
		{"doctor", "--readyz-only"},
	} {
		_, errOut, code := run(t, nil, args...)
		if code != 2 {
			t.Errorf("safeguard %v = %d %q, want 2", args, code, errOut)
		}
	}
	out, _, code := run(t, nil, "doctor", "--data", filepath.Join(t.TempDir(), "none"))
	if code != 1 || doctorLine(out, "FAIL", "permissions", "does not exist") == "" {
		t.Errorf("doctor on a missing folder = %d, want 1 and a FAIL line:\n%s", code, out)
	}
}

// TestDoctorReadyz asks a running server, over plain HTTP and over TLS with
// the self-signed certificate the server made.
func TestDoctorReadyz(t *testing.T) {
	t.Parallel()
	dir := initData(t)
	s := startServer(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	out, _, code := run(t, nil, "doctor", "--data", dir, "--addr", s.Addr)
	if code != 0 || doctorLine(out, "OK", "readyz", "answered 200") == "" {
		t.Errorf("doctor --addr (plain) = %d, want 0 and readyz OK:\n%s", code, out)
	}

	out, _, code = run(t, nil, "doctor", "--data", filepath.Join(t.TempDir(), "elsewhere"), "--addr", s.Addr, "--readyz-only")
	if code != 0 || strings.Count(out, "\n") != 2 || doctorLine(out, "OK", "readyz", "answered 200") == "" {
		t.Errorf("doctor --readyz-only = %d, want 0 and the readyz line alone:\n%s", code, out)
	}

	dir2 := initData(t)
	s2 := startServer(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir2, "--tls-self-signed")
	out, _, code = run(t, nil, "doctor", "--data", dir2, "--addr", s2.Addr, "--tls-self-signed")
	if code != 0 || doctorLine(out, "OK", "readyz", "https://") == "" || doctorLine(out, "OK", "TLS", "self-signed.crt valid until") == "" {
		t.Errorf("doctor --addr --tls-self-signed = %d, want 0, readyz over https and the certificate OK:\n%s", code, out)
	}
	if doctorLine(out, "OK", "permissions", "self-signed.key is mode 0600") == "" {
		t.Errorf("doctor did not check the self-signed key's mode:\n%s", out)
	}
}

// TestDoctorPostgres checks a PostgreSQL installation, whose clock the
// doctor compares with this machine's.
func TestDoctorPostgres(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	dir := filepath.Join(t.TempDir(), "data")
	if _, errOut, code := run(t, nil, "init", "--data", dir, "--db", url); code != 0 {
		t.Fatalf("init --db = %d: %s", code, errOut)
	}
	out, _, code := run(t, nil, "doctor", "--data", dir, "--db", url)
	if code != 0 || doctorLine(out, "OK", "clock", "database server's agree") == "" || doctorLine(out, "OK", "database", "schema version") == "" {
		t.Errorf("doctor --db = %d, want 0 with the clock compared:\n%s", code, out)
	}
}

// TestDoctorCheckpointAge reads a real log: the entries 'init' wrote are
// unsigned, which is fine at first and a warning an hour later; a signed
// checkpoint covers them.
func TestDoctorCheckpointAge(t *testing.T) {
	t.Parallel()
	dir := initData(t)
	ctx := context.Background()
	check := func(later time.Duration) finding {
		t.Helper()
		d := &doctor{f: &doctorFlags{instanceFlags: &instanceFlags{}, checkpointInterval: time.Minute},
			now: func() time.Time { return time.Now().Add(later) }, dir: dir}
		if fs := d.openDatabase(ctx); fs[0].Status != statusOK {
			t.Fatalf("openDatabase = %v", fs)
		}
		defer d.db.Close()
		return d.checkCheckpoint(ctx)
	}
	if got := check(0); got.Status != statusOK {
		t.Errorf("checkCheckpoint(fresh) = %v, want OK", got)
	}
	if got := check(time.Hour); got.Status != statusWarn || !strings.Contains(got.Detail, "no checkpoint signed yet") {
		t.Errorf("checkCheckpoint(an hour later) = %v, want WARN: no checkpoint", got)
	}
	if _, errOut, code := run(t, nil, "audit", "checkpoint", "--data", dir, "--export", filepath.Join(t.TempDir(), "cp")); code != 0 {
		t.Fatalf("audit checkpoint = %d: %s", code, errOut)
	}
	if got := check(time.Hour); got.Status != statusOK || !strings.Contains(got.Detail, "covers") {
		t.Errorf("checkCheckpoint(signed, an hour later) = %v, want OK", got)
	}
	// An entry written after the checkpoint and left unsigned.
	if _, errOut, code := run(t, nil, "org", "add", "--data", dir, "--slug", "clinic", "--name", "Clinic"); code != 0 {
		t.Fatalf("org add = %d: %s", code, errOut)
	}
	if got := check(time.Hour); got.Status != statusWarn || !strings.Contains(got.Detail, "unsigned") {
		t.Errorf("checkCheckpoint(new entry unsigned, an hour later) = %v, want WARN", got)
	}
}

func TestCheckpointFinding(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	cp := audit.Checkpoint{TreeSize: 10, At: now.Add(-time.Hour)}
	tests := []struct {
		name   string
		cp     audit.Checkpoint
		size   int64
		oldest time.Time
		want   status
	}{
		{"empty log", audit.Checkpoint{}, 0, time.Time{}, statusOK},
		{"idle log, old checkpoint covers all", cp, 10, time.Time{}, statusOK},
		{"new entries, young", cp, 12, now.Add(-30 * time.Second), statusOK},
		{"new entries left unsigned", cp, 12, now.Add(-3 * time.Minute), statusWarn},
		{"no checkpoint, young", audit.Checkpoint{}, 3, now.Add(-time.Minute), statusOK},
		{"no checkpoint, old", audit.Checkpoint{}, 3, now.Add(-time.Hour), statusWarn},
	}
	for _, tt := range tests {
		got := checkpointFinding(tt.cp, tt.size, tt.oldest, time.Minute, now)
		if got.Status != tt.want {
			t.Errorf("%s: checkpointFinding = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDiskFinding(t *testing.T) {
	t.Parallel()
	const gib = 1 << 30
	tests := []struct {
		free, total uint64
		want        status
	}{
		{50 * gib, 100 * gib, statusOK},
		{gib / 2, 2 * gib, statusWarn},      // under 1 GiB
		{5 * gib, 100 * gib, statusWarn},    // under 10%
		{11 * gib, 100 * gib, statusOK},     // both above
		{0, 0, statusWarn},                  // nothing known to be free
		{2 * gib, 10 * gib, statusOK},       // 20%
		{999 << 20, 1 << 40, statusWarn},    // a big disk nearly full
		{100 * gib, 1 << 40, statusWarn},    // 9.8%
		{110 * gib, 1 << 40, statusOK},      // 10.7%
		{gib, 5 * gib, statusOK},            // exactly 1 GiB, 20%
		{gib - 1, 5 * gib, statusWarn},      // one byte under
		{10 * gib, 100 * gib, statusOK},     // exactly 10%
		{10*gib - 1, 100 * gib, statusWarn}, // just under
	}
	for _, tt := range tests {
		if got := diskFinding("/d", tt.free, tt.total); got.Status != tt.want {
			t.Errorf("diskFinding(%d, %d) = %v, want %v", tt.free, tt.total, got, tt.want)
		}
	}
}

func TestSkewFinding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		skew, rtt time.Duration
		want      status
	}{
		{0, time.Millisecond, statusOK},
		{1500 * time.Millisecond, time.Millisecond, statusOK},
		{-2500 * time.Millisecond, time.Millisecond, statusWarn},
		{3 * time.Second, time.Millisecond, statusWarn},
		{2500 * time.Millisecond, 2 * time.Second, statusOK}, // within the round trip's doubt
	}
	for _, tt := range tests {
		if got := skewFinding(tt.skew, tt.rtt); got.Status != tt.want {
			t.Errorf("skewFinding(%v, %v) = %v, want %v", tt.skew, tt.rtt, got, tt.want)
		}
	}
}

func TestModeFindingOwner(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "k")
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, known := fileOwner(st); !known {
		t.Skip("file owners are not known on this system")
	}
	got := modeFinding("key file", p, st, 0o600, os.Getuid()+1)
	if got.Status != statusWarn || !strings.Contains(got.Detail, "not the running user") {
		t.Errorf("modeFinding(another user's file) = %v, want WARN naming the owner", got)
	}
}

// TestDoctorClock checks the system-clock check for SQLite with the probe
// answering each way.
func TestDoctorClock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		synced bool
		err    error
		want   status
	}{
		{true, nil, statusOK},
		{false, nil, statusWarn},
		{false, errors.New("timedatectl is not installed"), statusSkip},
	}
	for _, tt := range tests {
		d := &doctor{f: &doctorFlags{}, now: time.Now, ntpState: func(context.Context) (bool, error) { return tt.synced, tt.err }}
		if got := d.checkClock(context.Background()); got.Status != tt.want {
			t.Errorf("checkClock(synced %v, err %v) = %v, want %v", tt.synced, tt.err, got, tt.want)
		}
	}
}
