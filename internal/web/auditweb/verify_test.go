package auditweb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// TestAuditVerifyButton runs the background verification from the page's
// endpoints on an intact log, then on one an attacker has edited.
func TestAuditVerifyButton(t *testing.T) {
	t.Parallel()
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
		s := newServer(t, db, web.Config{AuditKeys: func() (audit.Keys, error) {
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
		webtest.CreateUser(t, db, "auditor@example.org", false, o.ID, identity.RoleAuditor)
		c := webtest.LoginFull(t, s, db, "auditor@example.org", webtest.Password)
		if _, _, err := db.CheckpointAudit(ctx, signer); err != nil {
			t.Fatal(err)
		}

		verify := func() verifyStatus {
			t.Helper()
			if w := c.Do(t, "POST", "/orgs/riverside/audit/verify", "application/json", nil); w.Code != 202 {
				t.Fatalf("start verify = %d %s", w.Code, w.Body)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				var st verifyStatus
				w := c.Do(t, "GET", "/orgs/riverside/audit/verify", "application/json", nil)
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
		if body := c.Get(t, "/orgs/riverside/audit").Body.String(); !strings.Contains(body, "Intact:") {
			t.Errorf("audit page lacks the verification result")
		}
		entries, _, _ := db.AuditSearch(ctx, store.AuditFilter{OrgID: o.ID, Action: "org.create"})
		body := c.Get(t, fmt.Sprintf("/orgs/riverside/audit/%d", entries[0].Seq)).Body.String()
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
		if body := c.Get(t, "/orgs/riverside/audit").Body.String(); !strings.Contains(body, "no pinned keys") {
			t.Errorf("audit page does not say that no keys are pinned")
		}
	})
}

// TestAuditVerifyAcrossReplicas runs two servers on one database, as replicas
// behind a load balancer: a verification started on one shows its progress
// and result on the other, a second start while it runs starts nothing, and a
// run whose replica stopped is reported as interrupted and can be started
// again.
func TestAuditVerifyAcrossReplicas(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		dbA, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer dbA.Close()
		dbB, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer dbB.Close()
		signer, err := audit.NewSigner()
		if err != nil {
			t.Fatal(err)
		}
		keys := audit.Keys{signer.ID(): signer.Public()}
		// Replica A's verification waits for release before it replays the
		// log, so the test can look at it while it runs.
		release := make(chan struct{})
		var keyReads [2]atomic.Int32
		sA := newServer(t, dbA, web.Config{AuditKeys: func() (audit.Keys, error) {
			keyReads[0].Add(1)
			<-release
			return keys, nil
		}})
		sB := newServer(t, dbB, web.Config{AuditKeys: func() (audit.Keys, error) {
			keyReads[1].Add(1)
			return keys, nil
		}})
		o, _ := dbA.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		webtest.CreateUser(t, dbA, "auditor@example.org", false, o.ID, identity.RoleAuditor)
		if _, _, err := dbA.CheckpointAudit(ctx, signer); err != nil {
			t.Fatal(err)
		}
		onA := webtest.LoginFull(t, sA, dbA, "auditor@example.org", webtest.Password)
		onB := onA.On(sB)
		const path = "/orgs/riverside/audit/verify"
		status := func(c *webtest.Client, method string) verifyStatus {
			t.Helper()
			w := c.Do(t, method, path, "application/json", nil)
			if w.Code != 200 && w.Code != 202 {
				t.Fatalf("%s %s = %d %s", method, path, w.Code, w.Body)
			}
			var st verifyStatus
			if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
				t.Fatal(err)
			}
			return st
		}
		starts := func() int {
			t.Helper()
			found, _, err := dbA.AuditSearch(ctx, store.AuditFilter{Action: "audit.verify.start"})
			if err != nil {
				t.Fatal(err)
			}
			return len(found)
		}

		started := status(onA, "POST")
		if !started.Running || started.Total < 3 || started.StartedBy != "auditor@example.org" {
			t.Fatalf("start on A = %+v, want running over the whole log", started)
		}
		// B answers for A's run, and its progress, while it runs.
		if st := status(onB, "GET"); !st.Running || st.Total != started.Total || st.StartedBy != "auditor@example.org" || st.StartedAt == nil || !st.StartedAt.Equal(*started.StartedAt) {
			t.Fatalf("status on B while A runs = %+v, want A's run %+v", st, started)
		}
		if body := onB.Get(t, "/orgs/riverside/audit").Body.String(); !strings.Contains(body, `id="verify-progress"`) {
			t.Errorf("B's audit page does not show the progress of A's run")
		}
		// A second start, on either replica, joins the running one.
		for _, c := range []*webtest.Client{onB, onA} {
			if st := status(c, "POST"); !st.Running || !st.StartedAt.Equal(*started.StartedAt) {
				t.Errorf("second start = %+v, want the running one", st)
			}
		}
		if n := starts(); n != 1 {
			t.Errorf("audit.verify.start entries = %d, want 1", n)
		}
		close(release)
		deadline := time.Now().Add(20 * time.Second)
		st := status(onB, "GET")
		for st.Running {
			if time.Now().After(deadline) {
				t.Fatal("verification did not finish in 20 s")
			}
			time.Sleep(20 * time.Millisecond)
			st = status(onB, "GET")
		}
		if st.Intact == nil || !*st.Intact || st.Entries < started.Total || st.Done != st.Entries || st.Percent != 100 || st.FinishedAt == nil {
			t.Fatalf("result on B = %+v, want intact and complete", st)
		}
		if a, b := keyReads[0].Load(), keyReads[1].Load(); a != 1 || b != 0 {
			t.Errorf("verifications run: %d on A, %d on B; want one, on A", a, b)
		}
		if found, _, _ := dbA.AuditSearch(ctx, store.AuditFilter{Action: "audit.verify"}); len(found) != 1 || !strings.Contains(found[0].Summary, "intact") {
			t.Errorf("audit.verify entries = %+v, want one saying intact", found)
		}

		// A replica claims a run and stops before its first heartbeat.
		dead, claimed, err := dbA.ClaimJob(ctx, store.Actor{Name: "test"}, store.JobClaim{Kind: verifyKind, Scope: "org:" + strconv.FormatInt(o.ID, 10),
			Total: 1, StartedBy: "auditor@example.org", StaleAfter: jobStaleAfter, Audit: audit.Entry{Action: "audit.verify.start", Object: "audit:log"}})
		if err != nil || !claimed {
			t.Fatalf("ClaimJob = %v %v", claimed, err)
		}
		if st := status(onB, "GET"); !st.Running {
			t.Fatalf("status right after the claim = %+v, want running", st)
		}
		// Later, its heartbeat is stale.
		later := time.Now().Add(jobStaleAfter + time.Minute)
		dbB.Now = func() time.Time { return later }
		st = status(onB, "GET")
		if st.Running || st.State != "interrupted" || !strings.Contains(st.Error, "interrupted") {
			t.Fatalf("status with a stale heartbeat = %+v, want interrupted", st)
		}
		if body := onB.Get(t, "/orgs/riverside/audit").Body.String(); !strings.Contains(body, "was interrupted") {
			t.Errorf("the audit page does not say the run was interrupted")
		}
		if st := status(onB, "POST"); !st.Running {
			t.Fatalf("restart after the interruption = %+v, want running", st)
		}
		// The stopped replica, were it to come back, finds its run taken over.
		if err := dbA.JobProgress(ctx, dead.Kind, dead.Scope, dead.Run, 1); !errors.Is(err, store.ErrConflict) {
			t.Errorf("progress of the taken-over run = %v, want ErrConflict", err)
		}
		for st = status(onB, "GET"); st.Running; st = status(onB, "GET") {
			time.Sleep(20 * time.Millisecond)
		}
		if st.Intact == nil || !*st.Intact || keyReads[1].Load() != 1 {
			t.Errorf("restarted run on B = %+v (runs on B: %d), want intact, run once", st, keyReads[1].Load())
		}

		// Administrators' runs are the deployment's, apart from the
		// organisation's.
		webtest.CreateUser(t, dbA, "admin@example.org", true, 0, "")
		admin := webtest.LoginFull(t, sB, dbB, "admin@example.org", webtest.Password)
		var adm verifyStatus
		if err := json.Unmarshal(admin.Do(t, "GET", "/admin/audit/verify", "application/json", nil).Body.Bytes(), &adm); err != nil || adm.State != "" {
			t.Errorf("deployment status = %+v %v, want no run yet", adm, err)
		}
	})
}
