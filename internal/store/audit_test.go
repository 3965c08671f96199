package store_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// writeAudit appends n entries, one transaction each.
func writeAudit(t testing.TB, db *store.DB, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		e := audit.Entry{OrgID: int64(i % 3), Action: "test.write", Object: fmt.Sprintf("thing:%d", i), Summary: fmt.Sprintf("entry number %d", i)}
		if err := db.AppendAudit(ctx, store.Actor{Name: "user:1", Source: "127.0.0.1", RequestID: "req"}, e); err != nil {
			t.Fatal(err)
		}
	}
}

func verifyDB(t testing.TB, db *store.DB, keys audit.Keys, external ...audit.Checkpoint) audit.Report {
	t.Helper()
	ctx := context.Background()
	cps, err := db.AuditCheckpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(db.AuditRecords(ctx, 1, 0), audit.VerifyOptions{Keys: keys, Checkpoints: cps, External: external})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

func TestAuditChainTamper(t *testing.T) {
	t.Parallel()
	const n = 40
	tests := []struct {
		name   string
		tamper []string
		// after runs after the SQL, for tampering done with keys.
		after    func(t *testing.T, db *store.DB)
		external bool
		wantSeq  int64
		wantKind audit.Damage
	}{
		{name: "untouched"},
		{name: "flip a byte", tamper: []string{`UPDATE audit_log SET summary = 'E' || substr(summary, 2) WHERE seq = 20`},
			wantSeq: 20, wantKind: audit.ChangedEntry},
		{name: "flip a hash byte", tamper: []string{`UPDATE audit_log SET actor = 'user:2' WHERE seq = 7`},
			wantSeq: 7, wantKind: audit.ChangedEntry},
		{name: "delete a middle entry", tamper: []string{`DELETE FROM audit_log WHERE seq = 20`},
			wantSeq: 20, wantKind: audit.RemovedEntry},
		{name: "delete and renumber", tamper: []string{`DELETE FROM audit_log WHERE seq = 20`,
			`UPDATE audit_log SET seq = -seq WHERE seq > 20`, `UPDATE audit_log SET seq = -seq - 1 WHERE seq < 0`},
			wantSeq: 20, wantKind: audit.RemovedEntry},
		{name: "swap two entries", tamper: []string{`UPDATE audit_log SET seq = -20 WHERE seq = 20`,
			`UPDATE audit_log SET seq = 20 WHERE seq = 21`, `UPDATE audit_log SET seq = 21 WHERE seq = -20`},
			wantSeq: 20, wantKind: audit.ReorderedEntries},
		{name: "delete the tail and its checkpoints", external: true,
			tamper:  []string{`DELETE FROM audit_log WHERE seq > 35`, `DELETE FROM audit_checkpoints WHERE tree_size > 35`},
			wantSeq: 36, wantKind: audit.TruncatedTail},
		{name: "delete the tail", tamper: []string{`DELETE FROM audit_log WHERE seq > 35`},
			wantSeq: 36, wantKind: audit.TruncatedTail},
		{name: "edit a checkpoint", tamper: []string{`UPDATE audit_checkpoints SET tree_size = 30 WHERE tree_size = 40`},
			wantSeq: 30, wantKind: audit.AlteredCheckpoint},
		{name: "replace the signing key", after: func(t *testing.T, db *store.DB) {
			mallory, err := audit.NewSigner()
			if err != nil {
				t.Fatal(err)
			}
			writeAudit(t, db, 2)
			if _, _, err := db.CheckpointAudit(context.Background(), mallory); err != nil {
				t.Fatal(err)
			}
		}, wantSeq: n + 2, wantKind: audit.UnknownKey},
	}
	storetest.Each(t, func(t *testing.T, db0 *store.DB) {
		for _, tt := range tests {
			t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
				ctx := context.Background()
				db := db0
				if tt.name != "untouched" {
					db = reopenFresh(t, db0)
				}
				signer, err := audit.NewSigner()
				if err != nil {
					t.Fatal(err)
				}
				keys := audit.Keys{}
				keys.Add(signer.Public())
				writeAudit(t, db, 10)
				if _, _, err := db.CheckpointAudit(ctx, signer); err != nil {
					t.Fatal(err)
				}
				writeAudit(t, db, n-10)
				exported, _, err := db.CheckpointAudit(ctx, signer)
				if err != nil {
					t.Fatal(err)
				}
				if exported.TreeSize != n {
					t.Fatalf("checkpoint size = %d, want %d", exported.TreeSize, n)
				}
				if rep := verifyDB(t, db, keys); rep.Problem != nil || rep.Entries != n || rep.Checkpoints != 2 {
					t.Fatalf("before tampering: Verify = %+v, problem %v", rep, rep.Problem)
				}
				if len(tt.tamper) > 0 {
					if err := store.DropAuditTriggersForTest(ctx, db); err != nil {
						t.Fatal(err)
					}
				}
				for _, q := range tt.tamper {
					if err := store.ExecForTest(ctx, db, q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				if tt.after != nil {
					tt.after(t, db)
				}
				var ext []audit.Checkpoint
				if tt.external {
					ext = append(ext, exported)
				}
				rep := verifyDB(t, db, keys, ext...)
				if tt.wantKind == "" {
					if rep.Problem != nil {
						t.Fatalf("Verify found %v on an untouched log", rep.Problem)
					}
					return
				}
				if rep.Problem == nil || rep.Problem.Seq != tt.wantSeq || rep.Problem.Kind != tt.wantKind {
					t.Fatalf("Verify problem = %v, want first bad sequence %d: %s", rep.Problem, tt.wantSeq, tt.wantKind)
				}
			})
		}
	})
}

// reopenFresh returns an empty database of db's dialect.
func reopenFresh(t *testing.T, db *store.DB) *store.DB {
	if db.Dialect() == store.Postgres {
		return storetest.Postgres(t)
	}
	return storetest.SQLite(t)
}

func TestAuditProof(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		signer, err := audit.NewSigner()
		if err != nil {
			t.Fatal(err)
		}
		writeAudit(t, db, 37)
		c, added, err := db.CheckpointAudit(ctx, signer)
		if err != nil || !added {
			t.Fatalf("CheckpointAudit = %v, %v", added, err)
		}
		rep := verifyDB(t, db, audit.Keys{signer.ID(): signer.Public()})
		if rep.Root != c.Root {
			t.Fatalf("Verify root %v, checkpoint root %v", rep.Root, c.Root)
		}
		if _, added, _ := db.CheckpointAudit(ctx, signer); added {
			t.Error("CheckpointAudit with no new entries made a checkpoint")
		}
		for _, seq := range []int64{1, 2, 16, 17, 37} {
			p, err := db.ProveAudit(ctx, seq)
			if err != nil {
				t.Fatal(err)
			}
			proof := make(tlog.RecordProof, len(p.Proof))
			for i, h := range p.Proof {
				proof[i] = tlog.Hash(h)
			}
			leaf, err := p.Record.Rehash()
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckRecord(proof, c.TreeSize, tlog.Hash(c.Root), seq-1, tlog.Hash(leaf)); err != nil {
				t.Errorf("CheckRecord(%d) = %v", seq, err)
			}
		}
		if _, err := db.ProveAudit(ctx, 38); err == nil {
			t.Error("ProveAudit(38) beyond the checkpoint = nil error")
		}
	})
}

func TestAuditTablesAppendOnly(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		signer, _ := audit.NewSigner()
		writeAudit(t, db, 3)
		if _, _, err := db.CheckpointAudit(ctx, signer); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			"UPDATE audit_log SET prev_hash = hash", "UPDATE audit_log SET hash = NULL", "DELETE FROM audit_tree",
			"UPDATE audit_tree SET hash = hash", "UPDATE audit_checkpoints SET tree_size = 1", "DELETE FROM audit_checkpoints",
		} {
			if err := store.ExecForTest(ctx, db, q); err == nil {
				t.Errorf("%s = nil, want it refused", q)
			}
		}
	})
}

// TestAuditSealsLegacyEntries: entries written before the log was chained
// (schema 7 and earlier) are sealed when the database is next opened.
func TestAuditSealsLegacyEntries(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 5; i++ {
			q := fmt.Sprintf(`INSERT INTO audit_log (seq, at, actor, action, object) VALUES (%d, CURRENT_TIMESTAMP, 'system', 'legacy.event', 'thing:%d')`, i, i)
			if err := store.ExecForTest(ctx, db, q); err != nil {
				t.Fatal(err)
			}
		}
		if err := store.ExecForTest(ctx, db, `UPDATE audit_head SET seq = 5, hash = NULL`); err != nil {
			t.Fatal(err)
		}
		if err := db.AppendAudit(ctx, store.Actor{Name: "user:1"}, audit.Entry{Action: "test.write", Object: "x"}); err == nil {
			t.Error("AppendAudit on an unsealed log = nil, want an error")
		}
		db.Close()
		db, err = store.Open(ctx, dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		writeAudit(t, db, 3)
		if rep := verifyDB(t, db, audit.Keys{}); rep.Problem != nil || rep.Entries != 8 {
			t.Fatalf("Verify after sealing = %+v, %v", rep, rep.Problem)
		}
	})
}

// TestAuditStoredTreeChecked: proofs are served from the stored tree, so a
// changed stored hash must be caught even though the entries are intact.
func TestAuditStoredTreeChecked(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		signer, err := audit.NewSigner()
		if err != nil {
			t.Fatal(err)
		}
		writeAudit(t, db, 21)
		c, _, err := db.CheckpointAudit(ctx, signer)
		if err != nil {
			t.Fatal(err)
		}
		if p := db.CheckStoredTree(ctx, &c); p != nil {
			t.Fatalf("CheckStoredTree on an untouched tree = %v, want nil", p)
		}
		if err := store.DropAuditTriggersForTest(ctx, db); err != nil {
			t.Fatal(err)
		}
		// The last stored hash is always read for the root of the whole tree.
		q := "UPDATE audit_tree SET hash = zeroblob(32) WHERE idx = (SELECT MAX(idx) FROM audit_tree)"
		if db.Dialect() == store.Postgres {
			q = "UPDATE audit_tree SET hash = decode('" + strings.Repeat("00", 32) + "', 'hex') WHERE idx = (SELECT MAX(idx) FROM audit_tree)"
		}
		if err := store.ExecForTest(ctx, db, q); err != nil {
			t.Fatal(err)
		}
		p := db.CheckStoredTree(ctx, &c)
		if p == nil || p.Kind != audit.AlteredTree {
			t.Errorf("CheckStoredTree after changing a stored hash = %v, want %s", p, audit.AlteredTree)
		}
	})
}

// TestRotateAuditKey records a key transition: the new key joins the keys
// recorded in the database, the log carries the old key's signed statement,
// and checkpoints by both keys verify under the endorsed chain.
func TestRotateAuditKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		old, _ := audit.NewSigner()
		next, _ := audit.NewSigner()
		actor := store.Actor{Name: "cli:root"}
		if err := db.AddAuditKey(ctx, actor, old.ID(), old.Public()); err != nil {
			t.Fatal(err)
		}
		writeAudit(t, db, 4)
		if _, _, err := db.CheckpointAudit(ctx, old); err != nil {
			t.Fatal(err)
		}
		e := old.Endorse(next.Public(), time.Now())
		if err := db.RotateAuditKey(ctx, actor, e); err != nil {
			t.Fatal(err)
		}
		writeAudit(t, db, 2)
		if _, _, err := db.CheckpointAudit(ctx, next); err != nil {
			t.Fatal(err)
		}
		recorded, err := db.AuditKeys(ctx)
		if err != nil || len(recorded) != 2 {
			t.Fatalf("AuditKeys = %v, %v, want both keys", recorded, err)
		}
		found, _, _ := db.AuditSearch(ctx, store.AuditFilter{Action: "audit.key.rotate"})
		sig := base64.StdEncoding.EncodeToString(e.Signature)
		if len(found) != 1 || found[0].Object != "audit-key:"+next.ID() || !strings.Contains(found[0].Summary, "endorsed by "+old.ID()) || !strings.Contains(found[0].Summary, sig) {
			t.Fatalf("audit.key.rotate entries = %+v, want one carrying the old key's signature", found)
		}
		var kf audit.KeyFile
		kf.Add(old.Public())
		kf.AddEndorsed(e)
		keys, err := kf.Trust([]string{old.Fingerprint()})
		if err != nil {
			t.Fatal(err)
		}
		if rep := verifyDB(t, db, keys); rep.Problem != nil || rep.Checkpoints != 2 {
			t.Errorf("Verify after rotation = %+v", rep)
		}
		// Only the first key trusted: the second key's checkpoint is unknown.
		first := audit.Keys{}
		first.Add(old.Public())
		if rep := verifyDB(t, db, first); rep.Problem == nil || rep.Problem.Kind != audit.UnknownKey {
			t.Errorf("Verify with the first key only = %+v, want an unknown key", rep.Problem)
		}
	})
}

// TestAuditRecordsChunks reads ranges that cross the chunks AuditRecords
// reads in parallel, and stops early: the entries come in order, each once,
// exactly the range asked for.
func TestAuditRecordsChunks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const n = 40000
		if err := store.BulkAuditForTest(ctx, db, n); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ from, to, want int64 }{{1, 0, n}, {5, 20000, 19996}, {16384, 16385, 2}, {39999, 0, 2}, {n + 1, 0, 0}} {
			next, got := c.from, int64(0)
			for r, err := range db.AuditRecords(ctx, c.from, c.to) {
				if err != nil {
					t.Fatal(err)
				}
				if r.Seq != next {
					t.Fatalf("AuditRecords(%d, %d): entry %d after %d", c.from, c.to, r.Seq, next-1)
				}
				next++
				got++
			}
			if got != c.want {
				t.Errorf("AuditRecords(%d, %d) gave %d entries, want %d", c.from, c.to, got, c.want)
			}
		}
		seen := 0
		for _, err := range db.AuditRecords(ctx, 1, 0) {
			if err != nil {
				t.Fatal(err)
			}
			if seen++; seen == 20000 {
				break
			}
		}
	})
}
