package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/jobs"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

const testPassphrase = "correct horse battery staple\n"

// runWith runs one command line with stdin.
func runWith(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	m, out, errb := testMain(nil)
	m.Stdin = strings.NewReader(stdin)
	code = m.Run(context.Background(), args)
	return out.String(), errb.String(), code
}

// demoInstance makes a demo deployment (SQLite in dir, or PostgreSQL at
// dbURL with its keys in dir) with an audit signing key and a checkpoint,
// and returns what demo printed.
func demoInstance(t *testing.T, dir, dbURL string) string {
	t.Helper()
	m, out, errb := testMain(nil)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	f := &serveFlags{instanceFlags: &instanceFlags{data: dir, db: dbURL}}
	if err := m.loadDemo(context.Background(), f, dir); err != nil {
		t.Fatalf("load demo: %v\n%s", err, errb)
	}
	args := []string{"audit", "checkpoint", "--export", filepath.Join(t.TempDir(), "cp"), "--data", dir}
	if dbURL != "" {
		args = append(args, "--db", dbURL)
	}
	if _, errOut, code := run(t, nil, args...); code != 0 {
		t.Fatalf("audit checkpoint = %d %s", code, errOut)
	}
	return out.String()
}

var rootRE = regexp.MustCompile(`audit log intact: (\d+) entries, root ([0-9a-f]{64})`)

// verifiedRoot runs audit verify and returns the entries and root it printed.
func verifiedRoot(t *testing.T, dir, dbURL string) (string, string) {
	t.Helper()
	args := []string{"audit", "verify", "--data", dir}
	if dbURL != "" {
		args = append(args, "--db", dbURL)
	}
	out, errOut, code := run(t, nil, args...)
	m := rootRE.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("audit verify = %d %s %s", code, out, errOut)
	}
	return m[1], m[2]
}

// rowsOf counts rows per table, leaving out the audit tables (the restore
// drill appends to them).
func rowsOf(t *testing.T, dsn string) map[string]int64 {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, store.Options{SkipMigrations: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.TableRows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for name := range rows {
		if strings.HasPrefix(name, "audit_") {
			delete(rows, name)
		}
	}
	return rows
}

func sameRows(t *testing.T, got, want map[string]int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("restored %d tables, want %d", len(got), len(want))
	}
	for name, n := range want {
		if got[name] != n {
			t.Errorf("table %s: %d rows restored, want %d", name, got[name], n)
		}
	}
}

// roundTrip backs up a demo deployment, restores it, and checks the copy:
// rows, the audit root, evidence, the drill entries and a demo sign-in.
func roundTrip(t *testing.T, srcDir, srcURL, dstDir, dstURL string) {
	printed := demoInstance(t, srcDir, srcURL)
	srcDSN, dstDSN := srcURL, dstURL
	if srcDSN == "" {
		srcDSN, dstDSN = filepath.Join(srcDir, dbFileName), filepath.Join(dstDir, dbFileName)
	}
	entries, root := verifiedRoot(t, srcDir, srcURL)
	want := rowsOf(t, srcDSN)

	file := filepath.Join(t.TempDir(), "demo.backup.age")
	args := []string{"backup", "--data", srcDir, "-o", file, "--passphrase-stdin"}
	if srcURL != "" {
		args = append(args, "--db", srcURL)
	}
	start := time.Now()
	out, errOut, code := runWith(t, testPassphrase, args...)
	if code != 0 {
		t.Fatalf("backup = %d %s %s", code, out, errOut)
	}
	st, _ := os.Stat(file)
	t.Logf("backup: %s in %s\n%s", byteCount(st.Size()), time.Since(start).Round(time.Millisecond), out)

	args = []string{"restore", "--data", dstDir, file, "--passphrase-stdin"}
	if dstURL != "" {
		args = append(args, "--db", dstURL)
	}
	start = time.Now()
	out, errOut, code = runWith(t, testPassphrase, args...)
	if code != 0 {
		t.Fatalf("restore = %d %s %s", code, out, errOut)
	}
	t.Logf("restore: %s\n%s", time.Since(start).Round(time.Millisecond), out)
	if !strings.Contains(out, "audit log intact: "+entries+" entries, root "+root) {
		t.Errorf("restore did not verify the audit log with the source's root %s (%s entries):\n%s", root, entries, out)
	}
	if !regexp.MustCompile(`evidence: [1-9]\d* file versions decrypted, .*every SHA-256 matches`).MatchString(out) {
		t.Errorf("restore did not check the evidence:\n%s", out)
	}
	if !strings.Contains(out, "contingency.restore_test in the audit log of 2 organisations") {
		t.Errorf("restore did not record the drill for both organisations:\n%s", out)
	}
	sameRows(t, rowsOf(t, dstDSN), want)
	// The restored log verifies, drill included.
	verifiedRoot(t, dstDir, dstURL)
	db, err := store.Open(context.Background(), dstDSN, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	org, err := db.Org(context.Background(), "riverside")
	if err != nil {
		t.Fatal(err)
	}
	list, err := db.AuditEntries(context.Background(), org.ID, 5)
	db.Close()
	if err != nil || len(list) == 0 || list[0].Action != store.RestoreTestAction || !strings.Contains(list[0].Summary, "verified") {
		t.Errorf("Riverside's latest audit entry = %+v, %v; want the restore drill", list, err)
	}
	// A demo user signs in on the restored deployment.
	sargs := []string{"serve", "--addr", "127.0.0.1:0", "--data", dstDir}
	if dstURL != "" {
		sargs = append(sargs, "--db", dstURL)
	}
	s := startServer(t, nil, sargs...)
	const email = "lena.fischer@riverside.example"
	c := signIn(t, s.URL, email, demoPassword(t, printed, email))
	if code, body := httpGet(t, c, s.URL+"/"); code != 200 || !strings.Contains(body, "Riverside Family Practice") {
		t.Errorf("GET / on the restored deployment = %d", code)
	}
}

func TestBackupRestoreSQLite(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	roundTrip(t, filepath.Join(root, "src"), "", filepath.Join(root, "dst"), "")
	if left, _ := filepath.Glob(filepath.Join(root, ".dst.restore-*")); len(left) > 0 {
		t.Errorf("restore left %v behind", left)
	}
}

func TestBackupRestorePostgres(t *testing.T) {
	t.Parallel()
	src, dst := storetest.PostgresURL(t), storetest.PostgresURL(t)
	root := t.TempDir()
	roundTrip(t, filepath.Join(root, "src"), src, filepath.Join(root, "dst"), dst)

	// The database now holds data: a second restore into it is refused.
	file := filepath.Join(t.TempDir(), "b.age")
	if _, errOut, code := runWith(t, testPassphrase, "backup", "--data", filepath.Join(root, "src"), "--db", src, "-o", file, "--passphrase-stdin"); code != 0 {
		t.Fatal(errOut)
	}
	other := filepath.Join(root, "other")
	_, errOut, code := runWith(t, testPassphrase, "restore", "--data", other, "--db", dst, file, "--passphrase-stdin")
	if code != 1 || !strings.Contains(errOut, "is not empty") {
		t.Errorf("restore into a full database = %d %q, want 1 and a refusal", code, errOut)
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Errorf("a refused restore created %s", other)
	}
	// A damaged backup loads nothing into an empty database.
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 1
	if err := os.WriteFile(file+".bad", data, 0o600); err != nil {
		t.Fatal(err)
	}
	empty := storetest.PostgresURL(t)
	_, errOut, code = runWith(t, testPassphrase, "restore", "--data", other, "--db", empty, file+".bad", "--passphrase-stdin")
	if code != 1 || !strings.Contains(errOut, "is damaged or cut short") {
		t.Errorf("restore of a damaged backup into PostgreSQL = %d %q", code, errOut)
	}
	nothingLeft(t, other)
	if db, err := store.Open(context.Background(), empty, store.Options{SkipMigrations: true}); err == nil {
		if ok, why, err := db.IsEmpty(context.Background()); !ok || err != nil {
			t.Errorf("a failed restore wrote into the database: %s %v", why, err)
		}
		db.Close()
	}
	// A PostgreSQL backup does not go into a data folder, nor a SQLite one
	// into PostgreSQL.
	_, errOut, code = runWith(t, testPassphrase, "restore", "--data", other, file, "--passphrase-stdin")
	if code != 1 || !strings.Contains(errOut, "backup of a PostgreSQL database") {
		t.Errorf("restore of a PostgreSQL backup into a data folder = %d %q", code, errOut)
	}
}

// faultFixture is a small deployment and a backup of it, for the fault tests.
func faultFixture(t *testing.T) (dir, file string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "src")
	demoInstance(t, dir, "")
	file = filepath.Join(t.TempDir(), "b.age")
	if _, errOut, code := runWith(t, testPassphrase, "backup", "--data", dir, "-o", file, "--passphrase-stdin"); code != 0 {
		t.Fatal(errOut)
	}
	return dir, file
}

// nothingLeft fails unless the restore left neither dst nor a temporary
// folder beside it.
func nothingLeft(t *testing.T, dst string) {
	t.Helper()
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("the failed restore left %s", dst)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+".restore-*")); len(left) > 0 {
		t.Errorf("the failed restore left %v", left)
	}
}

func TestRestoreFaults(t *testing.T) {
	t.Parallel()
	_, file := faultFixture(t)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)/2] ^= 0x40
	tests := []struct {
		name, file, pass, want string
	}{
		{"flipped byte", write("flipped.age", flipped), testPassphrase, "is damaged or cut short"},
		{"truncated", write("cut.age", data[:len(data)*2/3]), testPassphrase, "is damaged or cut short"},
		{"cut at the end", write("end.age", data[:len(data)-10]), testPassphrase, "is damaged or cut short"},
		{"wrong passphrase", file, "not the passphrase\n", "the passphrase does not open it"},
		{"not a backup", write("plain.txt", []byte("hello")), testPassphrase, "is not a Safeguard backup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "dst")
			_, errOut, code := runWith(t, tt.pass, "restore", "--data", dst, tt.file, "--passphrase-stdin")
			if code != 1 || !strings.Contains(errOut, tt.want) {
				t.Errorf("restore = %d %q, want 1 and %q", code, errOut, tt.want)
			}
			nothingLeft(t, dst)
		})
	}

	t.Run("non-empty target", func(t *testing.T) {
		dst := t.TempDir()
		note := filepath.Join(dst, "keep.txt")
		if err := os.WriteFile(note, []byte("mine"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, errOut, code := runWith(t, testPassphrase, "restore", "--data", dst, file, "--passphrase-stdin")
		if code != 1 || !strings.Contains(errOut, "is not empty") {
			t.Errorf("restore into a non-empty folder = %d %q, want 1 and a refusal", code, errOut)
		}
		entries, _ := os.ReadDir(dst)
		if len(entries) != 1 {
			t.Errorf("the refused restore changed the folder: %v", entries)
		}
	})

	t.Run("usage", func(t *testing.T) {
		if _, _, code := runWith(t, testPassphrase, "restore", "--data", t.TempDir(), file); code != 2 {
			t.Errorf("restore without a passphrase or identity = %d, want 2", code)
		}
		if _, _, code := runWith(t, testPassphrase, "backup", "--data", t.TempDir(), "-o", "x"); code != 2 {
			t.Errorf("backup without encryption = %d, want 2", code)
		}
	})
}

// failingWriter fails with ENOSPC once n bytes have been written, as a full
// disk does.
type failingWriter struct {
	w io.Writer
	n int
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, &fs.PathError{Op: "write", Path: "backup", Err: syscall.ENOSPC}
	}
	f.n -= len(p)
	return f.w.Write(p)
}

func TestBackupDiskFull(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "src")
	demoInstance(t, dir, "")
	m, _, _ := testMain(nil)
	ctx := context.Background()
	in, err := m.openInstance(ctx, &instanceFlags{data: dir}, openExisting, m.quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	path := filepath.Join(out, "b.age")
	_, _, err = m.backupToFile(ctx, in, path, backupOptions{recipients: []age.Recipient{id.Recipient()},
		wrap: func(w io.Writer) io.Writer { return &failingWriter{w: w, n: 100 << 10} }})
	if err == nil || !strings.Contains(err.Error(), "the disk is full") || !strings.Contains(err.Error(), "nothing was written") {
		t.Errorf("backup onto a full disk = %v, want a plain 'disk is full'", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("the failed backup left %v", entries)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "tmp", "backup-*")); len(left) > 0 {
		t.Errorf("the failed backup left its snapshot %v", left)
	}
	// A failure through the command is exit 1 with the message.
	if _, errOut, code := runWith(t, testPassphrase, "backup", "--data", dir, "-o", filepath.Join(t.TempDir(), "no", "such", "dir", "b.age"), "--passphrase-stdin"); code != 1 || errOut == "" {
		t.Errorf("backup into a missing folder = %d %q, want 1", code, errOut)
	}
}

// TestBackupWithoutKeys restores a backup that holds no keys: refused
// without --key-file, restored with it; encrypted to an age recipient.
func TestBackupWithoutKeys(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "src")
	demoInstance(t, dir, "")
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	idFile := filepath.Join(t.TempDir(), "id.txt")
	if err := os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "b.age")
	if _, errOut, code := run(t, nil, "backup", "--data", dir, "-o", file, "--recipient", id.Recipient().String(), "--without-keys"); code != 0 {
		t.Fatal(errOut)
	}
	dst := filepath.Join(t.TempDir(), "dst")
	_, errOut, code := run(t, nil, "restore", "--data", dst, file, "--identity", idFile)
	if code != 2 || !strings.Contains(errOut, "--without-keys: pass --key-file") {
		t.Errorf("restore of a keyless backup without --key-file = %d %q, want 2", code, errOut)
	}
	nothingLeft(t, dst)
	out, errOut, code := run(t, nil, "restore", "--data", dst, file, "--identity", idFile, "--key-file", filepath.Join(dir, keyFileName))
	if code != 0 || !strings.Contains(out, "keys were not in the backup") {
		t.Fatalf("restore with --key-file = %d %s %s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dst, keyFileName)); !os.IsNotExist(err) {
		t.Errorf("a keyless restore wrote a key file into the data folder")
	}
	// The wrong identity does not open it.
	other, _ := age.GenerateX25519Identity()
	otherFile := filepath.Join(t.TempDir(), "other.txt")
	os.WriteFile(otherFile, []byte(other.String()+"\n"), 0o600)
	dst2 := filepath.Join(t.TempDir(), "dst2")
	if _, errOut, code := run(t, nil, "restore", "--data", dst2, file, "--identity", otherFile, "--key-file", filepath.Join(dir, keyFileName)); code != 1 || !strings.Contains(errOut, "the identity file does not open it") {
		t.Errorf("restore with another identity = %d %q", code, errOut)
	}
}

// TestScheduledBackups runs the scheduled job twice and prunes: only files it
// names are deleted.
func TestScheduledBackups(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "src")
	demoInstance(t, dir, "")
	m, _, errb := testMain(nil)
	ctx := context.Background()
	in, err := m.openInstance(ctx, &instanceFlags{data: dir}, openExisting, m.quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	id, _ := age.GenerateX25519Identity()
	out := t.TempDir()
	mine := []string{"safeguard-backup-20200101T000000Z.age", "safeguard-backup-20200102T000000Z.age"}
	for _, n := range append(mine, "safeguard-backup-manual.age", "notes.txt") {
		if err := os.WriteFile(filepath.Join(out, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f := &backupScheduleFlags{dir: out, every: time.Hour, keep: 2, recipient: id.Recipient().String()}
	job := m.backupJob(in, f, []age.Recipient{id.Recipient()}, m.quietLogger())
	if err := job(ctx); err != nil {
		t.Fatalf("backup job = %v (%s)", err, errb)
	}
	entries, _ := os.ReadDir(out)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 4 || names[0] != "notes.txt" || names[1] != "safeguard-backup-20200102T000000Z.age" || !scheduledPattern.MatchString(names[2]) || names[3] != "safeguard-backup-manual.age" {
		t.Errorf("after a scheduled backup with keep 2 the folder holds %v", names)
	}
	// Bad schedule flags are usage errors.
	runner := jobs.New(in.db, m.quietLogger())
	if err := m.startScheduledBackups(runner, in, &backupScheduleFlags{dir: out, every: time.Hour, keep: 2}, m.quietLogger()); err == nil {
		t.Error("scheduled backups without a recipient started")
	}
	if err := m.startScheduledBackups(runner, in, f, m.quietLogger()); err != nil {
		t.Fatal(err)
	}
	// Registered once: a second registration of the same job is refused.
	if err := m.startScheduledBackups(runner, in, f, m.quietLogger()); err == nil {
		t.Error("the backup job was registered twice")
	}
}

// TestBackupWhileServing takes a backup while the server runs and people
// sign in (each sign-in writes a session and audit entries): the snapshot is
// consistent, so the restore's own checks (counts, audit chain and tree,
// evidence) pass.
func TestBackupWhileServing(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "src")
	printed := demoInstance(t, dir, "")
	s := startServer(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir, "--checkpoint-interval", "1s", "--checkpoint-every", "1")
	const email = "lena.fischer@riverside.example"
	pw := demoPassword(t, printed, email)
	stop := make(chan struct{})
	done := make(chan int)
	// The writer ends when stop is closed.
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				done <- n
				return
			default:
			}
			body := `{"email":"` + email + `","password":"` + pw + `"}`
			if resp, err := http.Post(s.URL+"/api/v1/login", "application/json", strings.NewReader(body)); err == nil {
				if resp.StatusCode == http.StatusOK {
					n++
				}
				resp.Body.Close()
			}
		}
	}()
	time.Sleep(200 * time.Millisecond)
	file := filepath.Join(t.TempDir(), "b.age")
	_, errOut, code := runWith(t, testPassphrase, "backup", "--data", dir, "-o", file, "--passphrase-stdin")
	close(stop)
	n := <-done
	if code != 0 {
		t.Fatalf("backup while serving = %d %s", code, errOut)
	}
	if n == 0 {
		t.Fatal("no sign-in ran during the backup")
	}
	out, errOut, code := runWith(t, testPassphrase, "restore", "--data", filepath.Join(t.TempDir(), "dst"), file, "--passphrase-stdin")
	if code != 0 {
		t.Fatalf("restore of a backup taken while serving (%d sign-ins) = %d %s %s", n, code, out, errOut)
	}
}

// TestBackupScale measures backup and restore of the demo grown by a
// generated risk analysis and many evidence files. It runs only when
// SAFEGUARD_BACKUP_SCALE is "large" (issue 13's organisation: 10,000 assets,
// 40,000 flows, 20,000 risks and tasks, with 200 evidence files of 256 KiB)
// or "small" (a tenth of it), on SQLite and, when configured, PostgreSQL.
func TestBackupScale(t *testing.T) {
	size := storetest.LargeRiskOrg
	files := 200
	switch os.Getenv("SAFEGUARD_BACKUP_SCALE") {
	case "large":
	case "small":
		size = storetest.RiskSize{Assets: size.Assets / 10, Flows: size.Flows / 10, Risks: size.Risks / 10, Tasks: size.Tasks / 10}
		files = 20
	default:
		t.Skip("SAFEGUARD_BACKUP_SCALE is not set")
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			var srcURL, dstURL string
			if engine == "postgres" {
				srcURL, dstURL = storetest.PostgresURL(t), storetest.PostgresURL(t)
			}
			ctx := context.Background()
			dir := filepath.Join(t.TempDir(), "src")
			demoInstance(t, dir, srcURL)
			m, _, _ := testMain(nil)
			in, err := m.openInstance(ctx, &instanceFlags{data: dir, db: srcURL}, openExisting, m.quietLogger())
			if err != nil {
				t.Fatal(err)
			}
			org, err := in.db.Org(ctx, "riverside")
			if err != nil {
				t.Fatal(err)
			}
			var owners []int64
			for _, e := range []string{"maria.alvarez@riverside.example", "priya.shah@riverside.example"} {
				u, err := in.db.UserByEmail(ctx, e)
				if err != nil {
					t.Fatal(err)
				}
				owners = append(owners, u.ID)
			}
			t0 := time.Now()
			actor := store.Actor{Name: "cli:scale"}
			if err := storetest.RiskOrg(ctx, in.db, actor, org.ID, owners, size, nil); err != nil {
				t.Fatal(err)
			}
			blob := make([]byte, 256<<10)
			for i := range files {
				for j := range blob {
					blob[j] = byte(i*131 + j*7 + j>>8)
				}
				if _, err := in.db.CreateEvidence(ctx, actor, in.keys, org.ID, assess.Evidence{Title: fmt.Sprintf("Scan %03d", i), Kind: assess.EvidenceFile},
					&store.EvidenceFile{Filename: fmt.Sprintf("scan-%03d.pdf", i), Data: append([]byte("%PDF-1.7\n"), blob...)}); err != nil {
					t.Fatal(err)
				}
			}
			in.Close()
			t.Logf("generated in %s", time.Since(t0).Round(time.Second))
			file := filepath.Join(t.TempDir(), "b.age")
			args := []string{"backup", "--data", dir, "-o", file, "--passphrase-stdin"}
			if srcURL != "" {
				args = append(args, "--db", srcURL)
			}
			t0 = time.Now()
			out, errOut, code := runWith(t, testPassphrase, args...)
			if code != 0 {
				t.Fatalf("backup = %d %s", code, errOut)
			}
			backupTime := time.Since(t0)
			st, _ := os.Stat(file)
			args = []string{"restore", "--data", filepath.Join(t.TempDir(), "dst"), file, "--passphrase-stdin"}
			if dstURL != "" {
				args = append(args, "--db", dstURL)
			}
			t0 = time.Now()
			rout, errOut, code := runWith(t, testPassphrase, args...)
			if code != 0 {
				t.Fatalf("restore = %d %s %s", code, rout, errOut)
			}
			t.Logf("%s: backup %s in %s; restore (with every check) in %s\n%s%s", engine, byteCount(st.Size()), backupTime.Round(time.Millisecond),
				time.Since(t0).Round(time.Millisecond), out, rout)
		})
	}
}
