package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// TestAuditVerifyButton runs the background verification from the page's
// endpoints on an intact log, then on one an attacker has edited.
func TestAuditVerifyButton(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		signer, err := audit.NewSigner()
		if err != nil {
			t.Fatal(err)
		}
		// The keys file pinned outside the database, read on each run as
		// serve reads audit-keys.pub.
		keysPath := filepath.Join(t.TempDir(), "audit-keys.pub")
		var kf audit.KeyFile
		kf.Add(signer.Public())
		text, _ := kf.MarshalText()
		if err := os.WriteFile(keysPath, text, 0o644); err != nil {
			t.Fatal(err)
		}
		s, _ := newTestServer(t, db, Config{AuditKeys: func() (audit.Keys, error) {
			b, err := os.ReadFile(keysPath)
			if errors.Is(err, fs.ErrNotExist) {
				return nil, &audit.TrustError{Kind: audit.NoPinnedKeys, Detail: keysPath + " does not exist"}
			}
			f, err := audit.ParseKeyFile(b)
			if err != nil {
				return nil, err
			}
			return f.Trust(nil)
		}})
		o, _ := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		createUser(t, db, "auditor@example.org", false, o.ID, identity.RoleAuditor)
		c := loginFull(t, s, db, "auditor@example.org", testPassword)
		if _, _, err := db.CheckpointAudit(ctx, signer); err != nil {
			t.Fatal(err)
		}

		verify := func() verifyStatus {
			t.Helper()
			if w := c.do(t, "POST", "/orgs/riverside/audit/verify", "application/json", nil); w.Code != 202 {
				t.Fatalf("start verify = %d %s", w.Code, w.Body)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				var st verifyStatus
				w := c.do(t, "GET", "/orgs/riverside/audit/verify", "application/json", nil)
				if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
					t.Fatal(err)
				}
				if !st.Running {
					return st
				}
				if time.Now().After(deadline) {
					t.Fatal("verification did not finish in 20 s")
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		st := verify()
		if st.Intact == nil || !*st.Intact || st.Entries < 3 || st.Checkpoints != 1 {
			t.Fatalf("verify on an intact log = %+v", st)
		}
		// The page shows the result and an entry's inclusion proof.
		if body := c.get(t, "/orgs/riverside/audit").Body.String(); !strings.Contains(body, "Intact:") {
			t.Errorf("audit page lacks the verification result")
		}
		entries, _, _ := db.AuditSearch(ctx, store.AuditFilter{OrgID: o.ID, Action: "org.create"})
		body := c.get(t, fmt.Sprintf("/orgs/riverside/audit/%d", entries[0].Seq)).Body.String()
		if !strings.Contains(body, "Proof that this entry is in the log") || !strings.Contains(body, "Tree root") {
			t.Errorf("entry page lacks the inclusion proof")
		}

		// An attacker with database access rewrites an entry.
		tamper := []string{
			"DROP TRIGGER audit_log_no_update",
			fmt.Sprintf("UPDATE audit_log SET summary = 'nothing to see' WHERE seq = %d", entries[0].Seq),
		}
		driver := "sqlite"
		if db.Dialect() == store.Postgres {
			tamper[0] = "DROP TRIGGER audit_log_no_update ON audit_log"
			driver = "pgx"
		}
		raw, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		for _, q := range tamper {
			if _, err := raw.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		st = verify()
		if st.Intact == nil || *st.Intact || !strings.Contains(st.Problem, fmt.Sprintf("first bad sequence %d", entries[0].Seq)) {
			t.Errorf("verify after tampering = %+v, want the changed entry named", st)
		}
		found, _, _ := db.AuditSearch(ctx, store.AuditFilter{Action: "audit.verify"})
		if len(found) != 2 || !strings.Contains(found[0].Summary, "DAMAGED") {
			t.Errorf("audit.verify entries = %+v, want two, the last reporting damage", found)
		}

		// The attacker adds a key of their own to the keys file and signs a
		// checkpoint of the edited log with it.
		mallory, _ := audit.NewSigner()
		kf.Add(mallory.Public())
		text, _ = kf.MarshalText()
		os.WriteFile(keysPath, text, 0o644)
		if _, _, err := db.CheckpointAudit(ctx, mallory); err != nil {
			t.Fatal(err)
		}
		if st := verify(); st.Intact == nil || *st.Intact || !strings.Contains(st.Problem, "unknown/unendorsed key ("+mallory.ID()) {
			t.Errorf("verify with an appended key = %+v, want the key reported", st)
		}
		// Without the keys file, nothing is trusted; the database's keys are
		// no fallback.
		os.Remove(keysPath)
		if st := verify(); st.Intact == nil || *st.Intact || !strings.Contains(st.Problem, "no pinned keys") {
			t.Errorf("verify without the keys file = %+v, want no pinned keys", st)
		}
		if body := c.get(t, "/orgs/riverside/audit").Body.String(); !strings.Contains(body, "no pinned keys") {
			t.Errorf("audit page does not say that no keys are pinned")
		}
	})
}
