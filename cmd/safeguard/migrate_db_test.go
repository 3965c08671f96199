package main

import (
	"context"
	"database/sql"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// demoFolder makes a data folder with keys, the demo organisations and a
// signed audit checkpoint, and returns a demo user's email and password.
func demoFolder(t *testing.T, dir string) (string, string) {
	t.Helper()
	if _, errOut, code := run(t, nil, "init", "--data", dir); code != 0 {
		t.Fatalf("init = %d: %s", code, errOut)
	}
	m, out, errb := testMain(nil)
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	f := addServeFlags(fs, dir)
	if err := m.loadDemo(context.Background(), f, dir); err != nil {
		t.Fatalf("loadDemo: %v %s", err, errb)
	}
	if _, errOut, code := run(t, nil, "audit", "checkpoint", "--data", dir, "--export", filepath.Join(t.TempDir(), "cp")); code != 0 {
		t.Fatalf("audit checkpoint = %d: %s", code, errOut)
	}
	const email = "maria.alvarez@riverside.example"
	pw := demoPassword(t, out.String(), email)
	if pw == "" {
		t.Fatalf("no password for %s in %s", email, out)
	}
	return email, pw
}

var migrateRootRE = regexp.MustCompile(`audit log intact: (\d+) entries, root ([0-9a-f]+)`)

// auditVerify runs 'safeguard audit verify' and returns its entries and root.
func auditVerify(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := run(t, nil, append([]string{"audit", "verify"}, args...)...)
	if code != 0 {
		t.Fatalf("audit verify %v = %d:\n%s%s", args, code, out, errOut)
	}
	mm := migrateRootRE.FindStringSubmatch(out)
	if mm == nil {
		t.Fatalf("audit verify printed no root:\n%s", out)
	}
	return mm[1] + " " + mm[2]
}

func TestMigrateDBRoundTrip(t *testing.T) {
	pgURL := storetest.PostgresURL(t)
	dir1 := filepath.Join(t.TempDir(), "sqlite")
	dir2 := filepath.Join(t.TempDir(), "back")
	email, pw := demoFolder(t, dir1)
	root1 := auditVerify(t, "--data", dir1)

	// SQLite → PostgreSQL.
	out, errOut, code := run(t, nil, "migrate-db", "--from", dir1, "--to", pgURL)
	if code != 0 {
		t.Fatalf("migrate-db to postgres = %d:\n%s%s", code, out, errOut)
	}
	t.Log(out)
	for _, want := range []string{"audit_log", "equal", "Audit log intact on the target", "Evidence readable: all", "serve --data"} {
		if !strings.Contains(out, want) {
			t.Errorf("migrate-db printed no %q:\n%s", want, out)
		}
	}
	if got := auditVerify(t, "--data", dir1, "--db", pgURL); got != root1 {
		t.Errorf("audit verify on postgres = %s, want %s (as on sqlite)", got, root1)
	}
	srv := startServer(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir1, "--db", pgURL)
	signIn(t, srv.URL, email, pw)
	if code := srv.Stop(t); code != 0 {
		t.Fatalf("serve on postgres exited %d: %s", code, srv.Stderr)
	}
	srv.done <- 0 // for startServer's cleanup
	rootPG := auditVerify(t, "--data", dir1, "--db", pgURL)

	// PostgreSQL → a new data folder, the keys taken from the folder the
	// PostgreSQL instance was served with.
	out, errOut, code = run(t, nil, "migrate-db", "--from", pgURL, "--data", dir1, "--to", dir2)
	if code != 0 {
		t.Fatalf("migrate-db to sqlite = %d:\n%s%s", code, out, errOut)
	}
	// serve made River's job queue on PostgreSQL; it is not copied.
	if !strings.Contains(out, "river_job") || !strings.Contains(out, "not copied: River's job queue") {
		t.Errorf("migrate-db did not report River's tables as left out:\n%s", out)
	}
	for _, name := range []string{keyFileName, auditKeyName, auditPubKeysName} {
		if !fileExists(filepath.Join(dir2, name)) {
			t.Errorf("%s was not copied to the target folder", name)
		}
	}
	if got := auditVerify(t, "--data", dir2); got != rootPG {
		t.Errorf("audit verify on the new folder = %s, want %s (as on postgres)", got, rootPG)
	}
	srv = startServer(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir2)
	signIn(t, srv.URL, email, pw)
	srv.Stop(t)
	srv.done <- 0
	rootBack := auditVerify(t, "--data", dir2)

	// A target that holds data is refused and left as it was.
	for _, tc := range []struct{ from, to string }{{dir1, dir2}, {dir2, pgURL}} {
		_, errOut, code = run(t, nil, "migrate-db", "--from", tc.from, "--to", tc.to)
		if code != 1 || !strings.Contains(errOut, "not empty") || !strings.Contains(errOut, "nothing was written") {
			t.Errorf("migrate-db into a full target = %d, %q; want 1 and a refusal", code, errOut)
		}
	}
	if got := auditVerify(t, "--data", dir2); got != rootBack {
		t.Errorf("the refused folder's log = %s, want %s", got, rootBack)
	}
	if got := auditVerify(t, "--data", dir1, "--db", pgURL); got != rootPG {
		t.Errorf("the refused database's log = %s, want %s", got, rootPG)
	}
}

func TestMigrateDBRefusals(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "old")
	if _, errOut, code := run(t, nil, "init", "--data", dir); code != 0 {
		t.Fatal(errOut)
	}
	// An older schema: the latest migration not yet applied.
	raw, err := sql.Open("sqlite", filepath.Join(dir, dbFileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = ?`, store.LatestSchemaVersion(store.SQLite)); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	to := filepath.Join(t.TempDir(), "new")
	_, errOut, code := run(t, nil, "migrate-db", "--from", dir, "--to", to)
	if code != 1 || !strings.Contains(errOut, "run 'safeguard migrate") {
		t.Errorf("migrate-db from an old schema = %d, %q; want 1 and 'run safeguard migrate'", code, errOut)
	}
	if _, err := os.Stat(to); !os.IsNotExist(err) {
		t.Errorf("the refused target folder exists: %v", err)
	}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no from", []string{"--to", to}, "--from is required"},
		{"same", []string{"--from", dir, "--to", dir}, "same database"},
		{"postgres to folder without keys", []string{"--from", "postgres://x@127.0.0.1/db", "--to", to}, "--data"},
		{"other scheme", []string{"--from", "mysql://x", "--to", to}, "postgres:// URL"},
	}
	for _, tt := range tests {
		_, errOut, code := run(t, nil, append([]string{"migrate-db"}, tt.args...)...)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%s: migrate-db = %d, %q; want 2 and %q", tt.name, code, errOut, tt.want)
		}
	}
}
