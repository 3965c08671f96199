package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
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
		keys := audit.Keys{}
		keys.Add(signer.Public())
		s, _ := newTestServer(t, db, Config{AuditKeys: func() (audit.Keys, error) { return keys, nil }})
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
	})
}
