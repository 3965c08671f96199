package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/demo"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/report"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// binderDemo is a data folder with the demo loaded under the folder's own
// key-encryption key, so that its evidence files open.
func binderDemo(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	binderDemoAt(t, dir, filepath.Join(dir, dbFileName), nil)
	return dir
}

// binderDemoAt initialises the data folder dir with the database dsn (extra
// holds --db URL for PostgreSQL), loads the demo and then calls more, if
// not nil, with the open store and keys.
func binderDemoAt(t *testing.T, dir, dsn string, extra []string, more ...func(*store.DB, *crypt.Keyring)) {
	t.Helper()
	if _, errOut, code := run(t, nil, append([]string{"init", "--data", dir}, extra...)...); code != 0 {
		t.Fatalf("init = %d %s", code, errOut)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys, err := crypt.LoadKeyFile(filepath.Join(dir, keyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(ctx, db, identity.NewHasher(1, 64, 1, 4), keys); err != nil {
		t.Fatalf("demo.Load = %v", err)
	}
	for _, fn := range more {
		fn(db, keys)
	}
}

// runBinder runs `safeguard report ARGS` through the hook the report
// command calls, with stdin as standard input.
func runBinder(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	m, out, errb := testMain(nil)
	m.Stdin = strings.NewReader(stdin)
	handled, err := m.runBinderCommand(context.Background(), args, nil)
	if !handled {
		t.Fatalf("report %s: not handled", strings.Join(args, " "))
	}
	code = m.exitCode(err)
	return out.String(), errb.String(), code
}

// zipFiles reads a zip into a map, and writeZip writes one back (files
// that are nil are left out).
func zipFiles(t *testing.T, path string) (map[string][]byte, []string) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string][]byte{}
	var order []string
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name] = b
		order = append(order, f.Name)
	}
	return files, order
}

func writeZip(t *testing.T, path string, files map[string][]byte, order []string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	done := map[string]bool{}
	add := func(name string) {
		if done[name] || files[name] == nil {
			return
		}
		done[name] = true
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[name])
	}
	for _, n := range order {
		add(n)
	}
	for n := range files {
		add(n)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestBinder builds the demo organisation's binder from a real store,
// verifies it, then refuses it after each kind of tampering.
func TestBinder(t *testing.T) {
	dir := binderDemo(t)
	out := filepath.Join(t.TempDir(), "riverside.zip")
	start := time.Now()
	stdout, errOut, code := runBinder(t, "", "binder", "--org", "riverside", "-o", out, "--data", dir)
	built := time.Since(start)
	if code != 0 || !strings.Contains(stdout, "Evidence binder of riverside written to "+out+": report.json, 2 evidence files") {
		t.Fatalf("report binder = %d %q %q", code, stdout, errOut)
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("binder mode = %v, want 0600", st.Mode().Perm())
	}
	start = time.Now()
	stdout, errOut, code = runBinder(t, "", "verify-binder", out)
	t.Logf("demo binder: %d bytes, built in %s, verified in %s", st.Size(), built.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if code != 0 || !strings.Contains(stdout, "verified: Riverside Family Practice (riverside)") ||
		!strings.Contains(stdout, "report report.json, 2 evidence files") || !strings.Contains(stdout, "3 audit entries proved") ||
		!strings.Contains(stdout, "keys: the binder's own audit-keys.pub (compare the first key's fingerprint") {
		t.Fatalf("verify-binder = %d %q %q", code, stdout, errOut)
	}
	// Against the data folder's keys file, pinned to the first key.
	keysFile := filepath.Join(dir, auditPubKeysName)
	kb, _ := os.ReadFile(keysFile)
	kf, _ := audit.ParseKeyFile(kb)
	fp := audit.Fingerprint(kf[0].Public)
	stdout, errOut, code = runBinder(t, "", "verify-binder", out, "--key", keysFile, "--trust-key", fp)
	if code != 0 || !strings.Contains(stdout, "keys: "+keysFile+", first key pinned by --trust-key; trusted: "+fp) {
		t.Fatalf("verify-binder --key = %d %q %q", code, stdout, errOut)
	}
	// The binder's own keys, pinned by fingerprint; and pinned to a key
	// that did not sign it.
	stdout, errOut, code = runBinder(t, "", "verify-binder", out, "--trust-key", fp)
	if code != 0 || !strings.Contains(stdout, "keys: the binder's own audit-keys.pub, first key pinned by --trust-key; trusted: "+fp) {
		t.Fatalf("verify-binder --trust-key = %d %q %q", code, stdout, errOut)
	}
	other, _ := audit.NewSigner()
	stdout, _, code = runBinder(t, "", "verify-binder", out, "--trust-key", other.Fingerprint())
	if code != 1 || !strings.Contains(stdout, "does not verify: audit-keys.pub: audit keys: pinned key missing (no key in the public keys file has the fingerprint "+other.Fingerprint()) {
		t.Errorf("verify-binder --trust-key OTHER = %d %q", code, stdout)
	}

	files, order := zipFiles(t, out)
	var man report.Manifest
	if err := json.Unmarshal(files[report.BinderManifest], &man); err != nil {
		t.Fatal(err)
	}
	var policy, inventory report.ManifestFile
	for _, f := range man.Files {
		switch f.Title {
		case "Information security policy":
			policy = f
		case "Device inventory":
			inventory = f
		}
	}
	if policy.Name != "evidence/1-v1-information-security-policy.txt" || len(policy.LinkedEntries) != 3 || policy.Audit == nil ||
		policy.Audit.Action != "evidence.upload" || inventory.Name == "" {
		t.Fatalf("manifest = %+v", man.Files)
	}
	if !strings.Contains(string(files[policy.Name]), "Information security policy") {
		t.Errorf("%s holds %.80q, want the decrypted policy", policy.Name, files[policy.Name])
	}
	if !strings.Contains(string(files["report.json"]), `"audit_seq": `) {
		t.Errorf("report.json = %.300s", files["report.json"])
	}

	tests := []struct {
		name string
		edit func(t *testing.T, f map[string][]byte)
		want string
	}{
		{"evidence byte changed", func(t *testing.T, f map[string][]byte) { f[policy.Name][10] ^= 0x20 },
			policy.Name + ": SHA-256 is "},
		{"manifest line changed", func(t *testing.T, f map[string][]byte) {
			f[report.BinderManifest] = bytes.Replace(f[report.BinderManifest], []byte(`"sha256": "`+inventory.SHA256),
				[]byte(`"sha256": "`+strings.Repeat("a", 64)), 1)
		}, inventory.Name + ": SHA-256 is " + inventory.SHA256 + ", the manifest says " + strings.Repeat("a", 64)},
		{"proof hash changed", func(t *testing.T, f map[string][]byte) {
			var m report.Manifest
			json.Unmarshal(f[report.BinderManifest], &m)
			for i := range m.Files {
				if m.Files[i].Name == inventory.Name {
					m.Files[i].Audit.Proof[len(m.Files[i].Audit.Proof)-1] = strings.Repeat("0", 64)
				}
			}
			f[report.BinderManifest], _ = json.MarshalIndent(m, "", "  ")
		}, inventory.Name + ": audit entry " + fmt.Sprint(inventory.Audit.Seq) + ": its inclusion proof does not lead to the root"},
		{"file removed", func(t *testing.T, f map[string][]byte) { f[inventory.Name] = nil },
			inventory.Name + ": is listed in the manifest but missing from the binder"},
		{"extra file added", func(t *testing.T, f map[string][]byte) { f["evidence/9-v1-extra.pdf"] = []byte("%PDF-") },
			"evidence/9-v1-extra.pdf: is in the binder but not in the manifest"},
		{"checkpoint signature changed", func(t *testing.T, f map[string][]byte) {
			var cp audit.Checkpoint
			if err := cp.UnmarshalText(f[report.BinderCheckpoint]); err != nil {
				t.Fatal(err)
			}
			old := f[report.BinderCheckpoint]
			cp.Signature[5] ^= 1
			f[report.BinderCheckpoint], _ = cp.MarshalText()
			f[report.BinderManifest] = bytes.Replace(f[report.BinderManifest], []byte(sha256Hex(old)), []byte(sha256Hex(f[report.BinderCheckpoint])), 1)
		}, "checkpoint.txt: checkpoint of size "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := map[string][]byte{}
			for k, v := range files {
				f[k] = bytes.Clone(v)
			}
			tt.edit(t, f)
			bad := filepath.Join(t.TempDir(), "bad.zip")
			writeZip(t, bad, f, order)
			stdout, errOut, code := runBinder(t, "", "verify-binder", bad)
			want := "binder " + bad + " does not verify: " + tt.want
			if code != 1 || !strings.HasPrefix(stdout, want) {
				t.Errorf("verify-binder = %d %q %q, want 1 and %q", code, stdout, errOut, want)
			}
		})
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestBinderEncrypted round-trips a binder encrypted with a passphrase and
// one encrypted to an age recipient, and refuses a wrong passphrase.
func TestBinderEncrypted(t *testing.T) {
	dir := binderDemo(t)
	tmp := t.TempDir()
	enc := filepath.Join(tmp, "riverside.zip.age")
	if stdout, errOut, code := runBinder(t, "correct horse battery staple\n", "binder", "--org", "riverside", "-o", enc, "--data", dir, "--passphrase-stdin"); code != 0 ||
		!strings.Contains(stdout, "encrypted with a passphrase") {
		t.Fatalf("binder --passphrase-stdin = %d %q %q", code, stdout, errOut)
	}
	head, _ := os.ReadFile(enc)
	if !bytes.HasPrefix(head, []byte(ageHeader)) {
		t.Fatalf("encrypted binder starts %.40q", head)
	}
	if stdout, errOut, code := runBinder(t, "correct horse battery staple\n", "verify-binder", enc, "--passphrase-stdin"); code != 0 || !strings.Contains(stdout, "verified") {
		t.Errorf("verify-binder --passphrase-stdin = %d %q %q", code, stdout, errOut)
	}
	if stdout, _, code := runBinder(t, "wrong\n", "verify-binder", enc, "--passphrase-stdin"); code != 1 ||
		stdout != "binder "+enc+" does not verify: the passphrase does not open it\n" {
		t.Errorf("verify-binder (wrong passphrase) = %d %q", code, stdout)
	}
	damaged, _ := os.ReadFile(enc)
	damaged[len(damaged)/2] ^= 1
	bad := filepath.Join(tmp, "damaged.zip.age")
	os.WriteFile(bad, damaged, 0o600)
	if stdout, _, code := runBinder(t, "correct horse battery staple\n", "verify-binder", bad, "--passphrase-stdin"); code != 1 || !strings.Contains(stdout, "does not verify") {
		t.Errorf("verify-binder (damaged ciphertext) = %d %q", code, stdout)
	}
	if _, errOut, code := runBinder(t, "", "verify-binder", enc); code != 2 || !strings.Contains(errOut, "is encrypted: pass --passphrase-stdin or --identity FILE") {
		t.Errorf("verify-binder (no passphrase) = %d %q", code, errOut)
	}

	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	idFile := filepath.Join(tmp, "key.txt")
	if err := os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	enc2 := filepath.Join(tmp, "riverside-2.zip.age")
	if stdout, errOut, code := runBinder(t, "", "binder", "--org", "riverside", "-o", enc2, "--data", dir, "--recipient", id.Recipient().String()); code != 0 {
		t.Fatalf("binder --recipient = %d %q %q", code, stdout, errOut)
	}
	if stdout, errOut, code := runBinder(t, "", "verify-binder", enc2, "--identity", idFile); code != 0 || !strings.Contains(stdout, "verified") {
		t.Errorf("verify-binder --identity = %d %q %q", code, stdout, errOut)
	}
	other, _ := age.GenerateX25519Identity()
	os.WriteFile(idFile, []byte(other.String()+"\n"), 0o600)
	if stdout, _, code := runBinder(t, "", "verify-binder", enc2, "--identity", idFile); code != 1 || !strings.Contains(stdout, "the identity file does not open it") {
		t.Errorf("verify-binder (other identity) = %d %q", code, stdout)
	}
}

// TestBinderUsage checks the command lines refused with exit 2.
func TestBinderUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"binder", "-o", "x.zip"}, "--org is required"},
		{[]string{"binder", "--org", "riverside"}, "-o FILE is required"},
		{[]string{"binder", "--org", "riverside", "-o", "x.zip", "--passphrase-stdin", "--recipient", "age1x"}, "not both"},
		{[]string{"binder", "--org", "riverside", "-o", "x.zip", "--recipient", "nope"}, "is not an age public key"},
		{[]string{"binder", "--org", "riverside", "-o", "x.zip", "--passphrase-stdin"}, "standard input holds no passphrase"},
		{[]string{"verify-binder"}, "want one FILE"},
		{[]string{"verify-binder", "a.zip", "--passphrase-stdin", "--identity", "k"}, "not both"},
		{[]string{"verify-binder", "a.zip", "--trust-key", "sha256:xyz"}, "invalid value"},
	}
	if stdout, _, code := runBinder(t, "", "binder", "--help"); code != 0 || !strings.HasPrefix(stdout, "Usage: safeguard report binder --org SLUG -o FILE.zip") {
		t.Errorf("report binder --help = %d %q", code, stdout)
	}
	for _, tt := range tests {
		_, errOut, code := runBinder(t, "", tt.args...)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("report %s = %d %q, want 2 and %q", strings.Join(tt.args, " "), code, errOut, tt.want)
		}
	}
}

// TestBinderFailureLeavesNothing damages a stored evidence file: the binder
// fails and neither the binder nor its temporary file is left behind.
func TestBinderFailureLeavesNothing(t *testing.T) {
	dir := binderDemo(t)
	db, err := sql.Open("sqlite", filepath.Join(dir, dbFileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE evidence_versions SET sealed = X'00' || substr(sealed, 2) WHERE evidence_id = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	outDir := t.TempDir()
	out := filepath.Join(outDir, "riverside.zip")
	stdout, errOut, code := runBinder(t, "", "binder", "--org", "riverside", "-o", out, "--data", dir)
	if code != 1 || !strings.Contains(errOut, "failed its integrity check") {
		t.Errorf("binder (damaged evidence) = %d %q %q", code, stdout, errOut)
	}
	if entries, _ := os.ReadDir(outDir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

// TestBinderVersions puts a later version and retired evidence in the
// binder, and keeps each organisation's binder to its own evidence, on
// SQLite and on PostgreSQL.
func TestBinderVersions(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[pg]
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			dsn, extra := filepath.Join(dir, dbFileName), []string(nil)
			if pg {
				dsn = storetest.PostgresURL(t)
				extra = []string{"--db", dsn}
			}
			v2 := []byte("asset_tag,device\nRFP-009,Laptop (new)\n")
			binderDemoAt(t, dir, dsn, extra, func(db *store.DB, keys *crypt.Keyring) {
				ctx := context.Background()
				o, err := db.Org(ctx, "riverside")
				if err != nil {
					t.Fatal(err)
				}
				actor := store.Actor{Name: "user:1"}
				if _, err := db.AddEvidenceVersion(ctx, actor, keys, o.ID, 2, store.EvidenceFile{Filename: "device inventory 2027.csv", Data: v2}); err != nil {
					t.Fatal(err)
				}
				if _, err := db.RetireEvidence(ctx, actor, o.ID, 1); err != nil {
					t.Fatal(err)
				}
			})
			tmp := t.TempDir()
			for _, org := range []string{"riverside", "harbor-billing"} {
				out := filepath.Join(tmp, org+".zip")
				args := append([]string{"binder", "--org", org, "-o", out, "--data", dir}, extra...)
				if stdout, errOut, code := runBinder(t, "", args...); code != 0 {
					t.Fatalf("binder %s = %d %q %q", org, code, stdout, errOut)
				}
				if stdout, errOut, code := runBinder(t, "", "verify-binder", out); code != 0 {
					t.Fatalf("verify-binder %s = %d %q %q", org, code, stdout, errOut)
				}
			}
			files, _ := zipFiles(t, filepath.Join(tmp, "riverside.zip"))
			var man report.Manifest
			json.Unmarshal(files[report.BinderManifest], &man)
			got := map[string]report.ManifestFile{}
			for _, f := range man.Files {
				got[f.Name] = f
			}
			inv := got["evidence/2-v2-device_inventory_2027.csv"]
			if inv.Audit == nil || inv.Audit.Action != "evidence.version" || inv.Version != 2 || !bytes.Equal(files[inv.Name], v2) {
				t.Errorf("version 2 in the manifest = %+v", inv)
			}
			if pol := got["evidence/1-v1-information-security-policy.txt"]; !pol.Retired || pol.Audit == nil {
				t.Errorf("retired policy in the manifest = %+v", pol)
			}
			files, _ = zipFiles(t, filepath.Join(tmp, "harbor-billing.zip"))
			json.Unmarshal(files[report.BinderManifest], &man)
			if len(man.Files) != 3 || man.Organisation.Slug != "harbor-billing" {
				t.Errorf("harbor-billing binder = %+v", man)
			}
			for name := range files {
				if strings.HasPrefix(name, "evidence/") {
					t.Errorf("harbor-billing binder holds %s", name)
				}
			}
		})
	}
}
