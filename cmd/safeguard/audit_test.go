package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// auditFixture is a data folder (SQLite, or PostgreSQL through --db) whose
// log holds n entries and a checkpoint of them exported to a file.
type auditFixture struct {
	dir, dsn, checkpoint string
	firstKey             string   // fingerprint of the first signing key
	args                 []string // --data DIR [--db URL]
}

func newAuditFixture(t *testing.T, postgres bool, n int) *auditFixture {
	t.Helper()
	f := &auditFixture{dir: filepath.Join(t.TempDir(), "data")}
	f.args = []string{"--data", f.dir}
	f.dsn = filepath.Join(f.dir, dbFileName)
	if postgres {
		f.dsn = storetest.PostgresURL(t)
		f.args = append(f.args, "--db", f.dsn)
	}
	if _, errOut, code := run(t, nil, append([]string{"init"}, f.args...)...); code != 0 {
		t.Fatalf("init = %d: %s", code, errOut)
	}
	db, err := store.Open(context.Background(), f.dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := db.AppendAudit(context.Background(), store.Actor{Name: "user:1"}, audit.Entry{Action: "test.write", Object: fmt.Sprintf("thing:%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	f.checkpoint = filepath.Join(t.TempDir(), "checkpoint")
	if out, errOut, code := run(t, nil, append([]string{"audit", "checkpoint", "--export", f.checkpoint}, f.args...)...); code != 0 {
		t.Fatalf("audit checkpoint = %d: %s %s", code, out, errOut)
	}
	return f
}

// tamper runs statements against the database with the append-only triggers
// out of the way, as an administrator of the database could.
func (f *auditFixture) tamper(t *testing.T, stmts ...string) {
	t.Helper()
	driver, dsn := "sqlite", f.dsn
	var pre []string
	if strings.HasPrefix(f.dsn, "postgres") {
		driver = "pgx"
		for _, tb := range []string{"audit_log", "audit_checkpoints"} {
			pre = append(pre, "ALTER TABLE "+tb+" DISABLE TRIGGER USER")
		}
	} else {
		for _, tb := range []string{"audit_log", "audit_checkpoints"} {
			pre = append(pre, "DROP TRIGGER IF EXISTS "+tb+"_no_update", "DROP TRIGGER IF EXISTS "+tb+"_no_delete")
		}
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range append(pre, stmts...) {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func (f *auditFixture) verify(t *testing.T, extra ...string) (string, int) {
	t.Helper()
	out, errOut, code := run(t, nil, append(append([]string{"audit", "verify"}, f.args...), extra...)...)
	if errOut != "" && code != 2 {
		t.Logf("stderr: %s", errOut)
	}
	return out, code
}

func eachDialect(t *testing.T, fn func(t *testing.T, postgres bool)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, false) })
	t.Run("postgres", func(t *testing.T) {
		storetest.PostgresURL(t) // skips without a server
		fn(t, true)
	})
}

func TestAuditVerifyCommand(t *testing.T) {
	t.Parallel()
	const n = 30
	tests := []struct {
		name       string
		stmts      []string
		checkpoint bool
		want       string
	}{
		{name: "flip a byte", stmts: []string{`UPDATE audit_log SET object = 'X' || substr(object, 2) WHERE seq = 12`}, want: "first bad sequence 12: changed entry"},
		{name: "delete a middle entry", stmts: []string{`DELETE FROM audit_log WHERE seq = 15`}, want: "first bad sequence 15: removed entry"},
		{name: "swap two entries", stmts: []string{`UPDATE audit_log SET seq = -8 WHERE seq = 8`, `UPDATE audit_log SET seq = 8 WHERE seq = 9`, `UPDATE audit_log SET seq = 9 WHERE seq = -8`},
			want: "first bad sequence 8: reordered entries"},
		{name: "delete the last entries", checkpoint: true,
			stmts: []string{`DELETE FROM audit_log WHERE seq > 26`, `DELETE FROM audit_checkpoints`}, want: "first bad sequence 27: truncated tail"},
		{name: "edit a checkpoint", stmts: []string{`UPDATE audit_checkpoints SET tree_size = 29`}, want: "first bad sequence 29: altered checkpoint"},
	}
	eachDialect(t, func(t *testing.T, postgres bool) {
		t.Run("untouched", func(t *testing.T) {
			f := newAuditFixture(t, postgres, n)
			out, code := f.verify(t, "--checkpoint", f.checkpoint)
			if code != 0 || !strings.Contains(out, "audit log intact") || !strings.Contains(out, "latest checkpoint: ") {
				t.Fatalf("audit verify = %d:\n%s", code, out)
			}
			// prove and check-proof, offline.
			out, errOut, code := run(t, nil, append([]string{"audit", "prove", "7"}, f.args...)...)
			if code != 0 {
				t.Fatalf("audit prove = %d %s", code, errOut)
			}
			var p auditProof
			if err := json.Unmarshal([]byte(out), &p); err != nil || p.Seq != 7 || p.TreeSize < n {
				t.Fatalf("audit prove output %q: %v", out, err)
			}
			proofFile := filepath.Join(t.TempDir(), "proof.json")
			os.WriteFile(proofFile, []byte(out), 0o600)
			if out, errOut, code := run(t, nil, "audit", "check-proof", proofFile, "--keys", filepath.Join(f.dir, auditPubKeysName)); code != 0 {
				t.Fatalf("audit check-proof = %d %s %s", code, out, errOut)
			}
			p.Summary = "something else"
			b, _ := json.Marshal(p)
			os.WriteFile(proofFile, b, 0o600)
			if out, _, code := run(t, nil, "audit", "check-proof", proofFile, "--keys", filepath.Join(f.dir, auditPubKeysName)); code != 1 {
				t.Errorf("audit check-proof of an edited entry = %d %s, want 1", code, out)
			}
			// export, both formats.
			out, errOut, code = run(t, nil, append([]string{"audit", "export", "--from", "3", "--to", "10", "--format", "csv"}, f.args...)...)
			if code != 0 || strings.Count(out, "\n") != 9 {
				t.Errorf("audit export csv = %d %q %s", code, out, errOut)
			}
			out, _, code = run(t, nil, append([]string{"audit", "export", "--format", "jsonl"}, f.args...)...)
			if code != 0 || strings.Count(out, "\n") < n {
				t.Errorf("audit export jsonl = %d, %d lines", code, strings.Count(out, "\n"))
			}
			if out, code := f.verify(t, "--checkpoint", f.checkpoint); code != 0 {
				t.Errorf("audit verify after prove and export = %d:\n%s", code, out)
			}
		})
		for _, tt := range tests {
			t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
				f := newAuditFixture(t, postgres, n)
				f.tamper(t, tt.stmts...)
				var extra []string
				if tt.checkpoint {
					extra = []string{"--checkpoint", f.checkpoint}
				}
				out, code := f.verify(t, extra...)
				if code != 1 || !strings.Contains(out, tt.want) {
					t.Fatalf("audit verify = %d:\n%s\nwant 1 and %q", code, out, tt.want)
				}
			})
		}
		t.Run("replace the signing key", func(t *testing.T) {
			f := newAuditFixture(t, postgres, n)
			mallory, err := audit.NewSigner()
			if err != nil {
				t.Fatal(err)
			}
			text, _ := mallory.MarshalText()
			if err := os.WriteFile(filepath.Join(f.dir, auditKeyName), text, 0o600); err != nil {
				t.Fatal(err)
			}
			// Safeguard refuses to sign with a key it did not make ...
			if out, errOut, code := run(t, nil, append([]string{"audit", "checkpoint", "--export", "-"}, f.args...)...); code != 1 || !strings.Contains(errOut, "is not listed") {
				t.Errorf("audit checkpoint with a replaced key = %d %s %s, want 1", code, out, errOut)
			}
			// ... and a checkpoint written with it by other means is caught.
			db, err := store.Open(context.Background(), f.dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			db.AppendAudit(context.Background(), store.Actor{Name: "user:666"}, audit.Entry{Action: "test.write", Object: "x"})
			if _, _, err := db.CheckpointAudit(context.Background(), mallory); err != nil {
				t.Fatal(err)
			}
			db.Close()
			if out, code := f.verify(t); code != 1 || !strings.Contains(out, ": unknown key") {
				t.Errorf("audit verify = %d:\n%s\nwant 1 and an unknown key", code, out)
			}
		})
	})
}

// forgeCheckpoint does what an attacker who holds the key signer and can
// write the database would: signs a checkpoint of the first n entries as they
// now stand and stores it.
func (f *auditFixture) forgeCheckpoint(t *testing.T, signer *audit.Signer, n int64) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, f.dsn, store.Options{SkipMigrations: true})
	if err != nil {
		t.Fatal(err)
	}
	var tree audit.Tree
	for r, err := range db.AuditRecords(ctx, 1, n) {
		if err != nil {
			t.Fatal(err)
		}
		tree.Add(r.Hash)
	}
	db.Close()
	c := signer.Sign(tree.Size(), tree.Root(), time.Now())
	driver, q := "sqlite", `INSERT INTO audit_checkpoints (tree_size, root_hash, at, key_id, signature) VALUES (?, ?, ?, ?, ?)`
	if strings.HasPrefix(f.dsn, "postgres") {
		driver, q = "pgx", `INSERT INTO audit_checkpoints (tree_size, root_hash, at, key_id, signature) VALUES ($1, $2, $3, $4, $5)`
	}
	raw, err := sql.Open(driver, f.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(q, c.TreeSize, c.Root[:], c.At, c.KeyID, c.Signature); err != nil {
		t.Fatal(err)
	}
}

// firstKey returns the fingerprint init printed.
func firstKeyFingerprint(t *testing.T, dir string) string {
	t.Helper()
	kf, err := auditKeys{dir: dir}.file()
	if err != nil || len(kf) == 0 {
		t.Fatalf("audit public keys: %v %v", kf, err)
	}
	return audit.Fingerprint(kf[0].Public)
}

// TestAuditTrustAnchor performs the attacks on verification's trust anchor:
// deleting the public keys file, and adding a key of the attacker's to it to
// sign a checkpoint of a log cut short.
func TestAuditTrustAnchor(t *testing.T) {
	t.Parallel()
	const n = 30
	eachDialect(t, func(t *testing.T, postgres bool) {
		t.Run("keys file deleted", func(t *testing.T) {
			f := newAuditFixture(t, postgres, n)
			if err := os.Remove(filepath.Join(f.dir, auditPubKeysName)); err != nil {
				t.Fatal(err)
			}
			out, code := f.verify(t)
			if code != 1 || !strings.Contains(out, "no pinned keys") || !strings.Contains(out, "not trusted, for comparison only") {
				t.Fatalf("audit verify without %s = %d:\n%s\nwant 1 saying no keys are pinned", auditPubKeysName, code, out)
			}
			// The web UI's Verify button reads the keys through the same function.
			if _, err := (auditKeys{dir: f.dir}).trusted(nil); !audit.IsTrustError(err) || !strings.Contains(err.Error(), "no pinned keys") {
				t.Errorf("trusted() without the file = %v, want no pinned keys", err)
			}
		})

		mallory, err := audit.NewSigner()
		if err != nil {
			t.Fatal(err)
		}
		attacks := []struct {
			name  string
			keys  func(t *testing.T, f *auditFixture) // what the attacker does to the keys file
			extra func(f *auditFixture) []string      // what the operator passes to verify
			want  string
		}{
			{name: "key appended", want: "unknown/unendorsed key (" + mallory.ID(),
				keys: func(t *testing.T, f *auditFixture) { appendKeyLine(t, f.dir, mallory.ID()+" "+b64(mallory.Public())) }},
			{name: "key appended with a forged endorsement", want: "unknown/unendorsed key (" + mallory.ID(),
				keys: func(t *testing.T, f *auditFixture) {
					kf, _ := auditKeys{dir: f.dir}.file()
					e := mallory.Endorse(mallory.Public(), time.Now())
					e.By = kf[0].ID()
					kf.AddEndorsed(e)
					auditKeys{dir: f.dir}.writeFile(kf)
				}},
			{name: "file replaced, first key pinned", want: "pinned key missing",
				keys: func(t *testing.T, f *auditFixture) {
					var kf audit.KeyFile
					kf.Add(mallory.Public())
					auditKeys{dir: f.dir}.writeFile(kf)
				},
				extra: func(f *auditFixture) []string { return []string{"--trust-key", f.firstKey} }},
			{name: "file replaced, exported checkpoint", want: "unknown key",
				keys: func(t *testing.T, f *auditFixture) {
					var kf audit.KeyFile
					kf.Add(mallory.Public())
					auditKeys{dir: f.dir}.writeFile(kf)
				},
				extra: func(f *auditFixture) []string { return []string{"--checkpoint", f.checkpoint} }},
		}
		for _, tt := range attacks {
			t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
				f := newAuditFixture(t, postgres, n)
				f.firstKey = firstKeyFingerprint(t, f.dir)
				// Cut the log short, drop the checkpoints that remember its
				// length and sign a new one with the attacker's key.
				f.tamper(t, `DELETE FROM audit_log WHERE seq > 20`, `DELETE FROM audit_checkpoints`)
				f.forgeCheckpoint(t, mallory, 20)
				tt.keys(t, f)
				var extra []string
				if tt.extra != nil {
					extra = tt.extra(f)
				}
				out, code := f.verify(t, extra...)
				if code != 1 || !strings.Contains(out, tt.want) {
					t.Fatalf("audit verify = %d:\n%s\nwant 1 and %q", code, out, tt.want)
				}
			})
		}
	})
}

func appendKeyLine(t *testing.T, dir, line string) {
	t.Helper()
	fh, err := os.OpenFile(filepath.Join(dir, auditPubKeysName), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := fmt.Fprintln(fh, line); err != nil {
		t.Fatal(err)
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// TestAuditRotateKey rotates the signing key the legitimate way: the new key
// is endorsed by the old one, in the keys file and in the log, and the log
// still verifies, also held to the first key's fingerprint.
func TestAuditRotateKey(t *testing.T) {
	t.Parallel()
	eachDialect(t, func(t *testing.T, postgres bool) {
		f := newAuditFixture(t, postgres, 5)
		first := firstKeyFingerprint(t, f.dir)
		for range 2 {
			out, errOut, code := run(t, nil, append([]string{"audit", "rotate-key"}, f.args...)...)
			if code != 0 || !strings.Contains(out, "fingerprint: sha256:") {
				t.Fatalf("audit rotate-key = %d %s %s", code, out, errOut)
			}
		}
		keys, err := os.ReadFile(filepath.Join(f.dir, auditPubKeysName))
		if err != nil || strings.Count(string(keys), "\ned25519:") != 3 || strings.Count(string(keys), " endorsed-by ") != 2 {
			t.Fatalf("public keys after two rotations: %q, %v", keys, err)
		}
		if st, err := os.Stat(filepath.Join(f.dir, auditKeyName)); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("audit.key: %v %v, want mode 0600", st, err)
		}
		if out, errOut, code := run(t, nil, append([]string{"audit", "checkpoint", "--export", f.checkpoint}, f.args...)...); code != 0 {
			t.Fatalf("audit checkpoint after rotation = %d %s %s", code, out, errOut)
		}
		if out, code := f.verify(t, "--checkpoint", f.checkpoint, "--trust-key", first); code != 0 || !strings.Contains(out, "audit log intact") {
			t.Errorf("audit verify after rotation = %d:\n%s", code, out)
		}
		// The log records each transition with the old key's signature.
		db, err := store.Open(context.Background(), f.dsn, store.Options{SkipMigrations: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rotations := 0
		for r, err := range db.AuditRecords(context.Background(), 1, 0) {
			if err != nil {
				t.Fatal(err)
			}
			if r.Action == "audit.key.rotate" && strings.Contains(r.Summary, "endorsed by ed25519:") && strings.Contains(r.Summary, "signature ") {
				rotations++
			}
		}
		if rotations != 2 {
			t.Errorf("audit.key.rotate entries = %d, want 2", rotations)
		}
		// A fingerprint that is not the first key's fails.
		other, _ := audit.NewSigner()
		if out, code := f.verify(t, "--trust-key", other.Fingerprint()); code != 1 || !strings.Contains(out, "pinned key missing") {
			t.Errorf("audit verify with another pinned key = %d:\n%s", code, out)
		}
		if _, _, code := run(t, nil, append([]string{"audit", "verify", "--trust-key", "ed25519:1234"}, f.args...)...); code != 2 {
			t.Errorf("audit verify --trust-key with a key ID = %d, want 2", code)
		}
	})
}

func TestAuditUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"audit"}, {"audit", "spin"}, {"audit", "prove"}, {"audit", "prove", "x"}, {"audit", "checkpoint"}, {"audit", "export", "--format", "xml"}} {
		if _, _, code := run(t, nil, args...); code != 2 {
			t.Errorf("%v = %d, want 2", args, code)
		}
	}
}

func TestServeCheckpoints(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	mirror := filepath.Join(t.TempDir(), "mirror")
	s := startServer(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir, "--checkpoint-dir", mirror)
	code := s.Stop(t)
	s.done <- code
	if code != 0 {
		t.Fatalf("serve exit = %d: %s", code, s.Stderr)
	}
	if st, err := os.Stat(filepath.Join(dir, auditKeyName)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("audit.key: %v, want mode 0600", err)
	}
	// The shutdown checkpoint was mirrored, and verifies the log.
	out, errOut, code := run(t, nil, "audit", "verify", "--data", dir, "--checkpoint", filepath.Join(mirror, "checkpoint"), "--keys", filepath.Join(mirror, auditPubKeysName))
	if code != 0 || !strings.Contains(out, "intact") {
		t.Errorf("audit verify against the mirror = %d %s %s", code, out, errOut)
	}
}

// TestSecondFolderDoesNotSignWithItsOwnKey starts a "replica" on a database
// whose log is already signed, from a data folder without the signing key:
// it must refuse rather than sign with a key of its own, which verification
// would report as unknown.
func TestSecondFolderDoesNotSignWithItsOwnKey(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	log := slog.New(slog.DiscardHandler)
	first, err := auditKeys{dir: t.TempDir()}.signer(ctx, db, log)
	if err != nil {
		t.Fatal(err)
	}
	replica := t.TempDir()
	_, err = auditKeys{dir: replica}.signer(ctx, db, log)
	if err == nil || !strings.Contains(err.Error(), first.ID()) || !strings.Contains(err.Error(), "copy") {
		t.Fatalf("signer of a folder without keys on a signed database = %v, want a refusal naming %s", err, first.ID())
	}
	if _, err := os.Stat(filepath.Join(replica, auditKeyName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused folder got a signing key: %v", err)
	}
}
