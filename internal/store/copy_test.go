package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/demo"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// loadDemo fills db with the demo organisations and returns the keys its
// evidence is sealed under and the demo users' sign-in details.
func loadDemoCreds(t testing.TB, db *store.DB) (*crypt.Keyring, []demo.Credential) {
	t.Helper()
	keys, err := crypt.NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	creds, err := demo.Load(context.Background(), db, identity.NewHasher(1, 64, 1, 4), keys)
	if err != nil {
		t.Fatalf("demo.Load: %v", err)
	}
	return keys, creds
}

// loadRiskOrg gives db an organisation with a generated risk analysis.
func loadRiskOrg(t testing.TB, db *store.DB, size storetest.RiskSize) {
	t.Helper()
	ctx := context.Background()
	org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "generated", Name: "Generated", Kind: identity.KindProvider})
	if err != nil {
		t.Fatal(err)
	}
	var owners []int64
	for i, role := range []identity.Role{identity.RoleSecurityOfficer, identity.RoleContributor, identity.RoleOwner} {
		u, err := db.CreateUser(ctx, cli, store.NewUser{User: identity.User{Email: fmt.Sprintf("gen%d@generated.example", i), Name: fmt.Sprintf("Gen %d", i)},
			OrgID: org.ID, Role: role})
		if err != nil {
			t.Fatal(err)
		}
		owners = append(owners, u.ID)
	}
	if err := storetest.RiskOrg(ctx, db, cli, org.ID, owners, size, nil); err != nil {
		t.Fatalf("RiskOrg: %v", err)
	}
}

// auditRoot verifies db's audit log (chain and tree) and returns its size
// and root.
func auditRoot(t testing.TB, db *store.DB) (int64, audit.Hash) {
	t.Helper()
	rep, err := audit.Verify(db.AuditRecords(context.Background(), 1, 0), audit.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Problem != nil {
		t.Fatalf("audit log of %s: %v", db.Dialect(), rep.Problem)
	}
	return rep.Entries, rep.Root
}

// sums returns the table → checksum map of a copy report.
func sums(t testing.TB, rep store.CopyReport) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tc := range rep.Tables {
		if tc.Skipped != "" {
			continue
		}
		if tc.SourceSum != tc.TargetSum {
			t.Errorf("%s: source sum %s, target sum %s", tc.Table, tc.SourceSum, tc.TargetSum)
		}
		out[tc.Table] = fmt.Sprintf("%d:%s", tc.Rows, tc.SourceSum)
	}
	return out
}

// roundTrip copies src (SQLite) to PostgreSQL and back to a new SQLite file,
// and checks every table's count and checksum the whole way, the audit log's
// root on each engine, and the evidence with keys.
func roundTrip(t *testing.T, src *store.DB, keys *crypt.Keyring) (pg, back *store.DB, pgURL string) {
	t.Helper()
	ctx := context.Background()
	pgURL = storetest.PostgresURL(t)
	pg = storetest.Open(t, pgURL)
	wantN, wantRoot := auditRoot(t, src)

	start := time.Now()
	rep1, err := store.Copy(ctx, src, pg, store.CopyOptions{})
	if err != nil {
		t.Fatalf("Copy(sqlite → postgres): %v", err)
	}
	t.Logf("sqlite → postgres: %s", time.Since(start))
	if n, root := auditRoot(t, pg); n != wantN || root != wantRoot {
		t.Errorf("postgres audit log = %d entries, root %s; want %d, %s", n, root, wantN, wantRoot)
	}

	back = storetest.SQLite(t)
	start = time.Now()
	rep2, err := store.Copy(ctx, pg, back, store.CopyOptions{})
	if err != nil {
		t.Fatalf("Copy(postgres → sqlite): %v", err)
	}
	t.Logf("postgres → sqlite: %s", time.Since(start))
	if n, root := auditRoot(t, back); n != wantN || root != wantRoot {
		t.Errorf("sqlite (back) audit log = %d entries, root %s; want %d, %s", n, root, wantN, wantRoot)
	}
	s1, s2 := sums(t, rep1), sums(t, rep2)
	if len(s1) < 40 {
		t.Errorf("copied %d tables, want every table", len(s1))
	}
	var rows int64
	for _, tc := range rep1.Tables {
		rows += tc.Rows
		if s2[tc.Table] != s1[tc.Table] {
			t.Errorf("%s: sqlite %s, back from postgres %s", tc.Table, s1[tc.Table], s2[tc.Table])
		}
	}
	t.Logf("%d rows in %d tables", rows, len(rep1.Tables))
	if keys != nil {
		for _, db := range []*store.DB{pg, back} {
			ev, err := db.CheckAllEvidence(ctx, keys, nil)
			if err != nil || len(ev.Failed) > 0 {
				t.Errorf("CheckAllEvidence(%s) = %v, %v", db.Dialect(), ev.Failed, err)
			}
			if ev.Versions == 0 {
				t.Errorf("CheckAllEvidence(%s) opened no evidence", db.Dialect())
			}
		}
	}
	return pg, back, pgURL
}

func TestCopyDemo(t *testing.T) {
	ctx := context.Background()
	src := storetest.SQLite(t)
	keys, creds := loadDemoCreds(t, src)
	pg, back, pgURL := roundTrip(t, src, keys)

	// The triggers held off during the copy are back on both engines.
	for driver, dsn := range map[string]string{"pgx": pgURL, "sqlite": back.Location()} {
		raw, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		for _, q := range []string{
			`DELETE FROM audit_log WHERE seq = 1`,
			`UPDATE audit_log SET summary = 'changed' WHERE seq = 1`,
			`UPDATE assess_responses SET narrative = 'changed' WHERE assessment_id IN (SELECT id FROM assessments WHERE status = 'final')`,
			`UPDATE assessments SET name = 'changed' WHERE status = 'final'`,
			`UPDATE risk_versions SET data = '{}'`,
		} {
			if _, err := raw.ExecContext(ctx, q); err == nil {
				t.Errorf("%s: %s succeeded after the copy; want the trigger to refuse it", driver, q)
			} else if !strings.Contains(err.Error(), "append-only") && !strings.Contains(err.Error(), "cannot be changed") {
				t.Errorf("%s: %s = %v, want the trigger's refusal", driver, q, err)
			}
		}
	}

	// PostgreSQL to PostgreSQL too.
	pg2 := storetest.Postgres(t)
	rep, err := store.Copy(ctx, pg, pg2, store.CopyOptions{})
	if err != nil {
		t.Fatalf("Copy(postgres → postgres): %v", err)
	}
	sums(t, rep)
	n1, root1 := auditRoot(t, pg)
	if n2, root2 := auditRoot(t, pg2); n2 != n1 || root2 != root1 {
		t.Errorf("postgres copy's audit log = %d, %s; want %d, %s", n2, root2, n1, root1)
	}

	// A demo user signs in on both new engines with the password from the
	// old one, and the rows the app writes next get fresh ids.
	var c demo.Credential
	for _, c = range creds {
		if !c.OneTime {
			break
		}
	}
	h := identity.NewHasher(1, 64, 1, 4)
	for _, db := range []*store.DB{pg, back} {
		u, err := db.UserByEmail(ctx, c.Email)
		if err != nil {
			t.Fatalf("%s: UserByEmail(%s): %v", db.Dialect(), c.Email, err)
		}
		hash, err := db.PasswordHash(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _, err := h.Verify(ctx, hash, c.Password); err != nil || !ok {
			t.Errorf("%s: password of %s = %v, %v; want it to verify", db.Dialect(), c.Email, ok, err)
		}
		if _, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "after-copy", Name: "After copy", Kind: identity.KindProvider}); err != nil {
			t.Errorf("%s: CreateOrg after the copy: %v", db.Dialect(), err)
		}
	}
}

func TestCopyGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("generates an organisation")
	}
	src := storetest.SQLite(t)
	start := time.Now()
	loadRiskOrg(t, src, storetest.RiskSize{Assets: 1000, Flows: 1000, Risks: 1000, Tasks: 500})
	t.Logf("generated in %s", time.Since(start))
	roundTrip(t, src, nil)
}

// TestCopyLarge measures the copy of the large organisation of the
// performance targets. SAFEGUARD_MIGRATE_LARGE=1 runs it.
func TestCopyLarge(t *testing.T) {
	if os.Getenv("SAFEGUARD_MIGRATE_LARGE") == "" {
		t.Skip("SAFEGUARD_MIGRATE_LARGE is not set")
	}
	src := storetest.SQLite(t)
	start := time.Now()
	size := storetest.LargeRiskOrg
	if v := os.Getenv("SAFEGUARD_MIGRATE_LARGE"); v != "1" {
		n, _ := strconv.Atoi(v)
		size = storetest.RiskSize{Assets: n, Flows: 2 * n, Risks: 2 * n, Tasks: 2 * n}
	}
	loadRiskOrg(t, src, size)
	t.Logf("generated %+v in %s", size, time.Since(start))
	roundTrip(t, src, nil)
}

func TestCopyRefusesFullTarget(t *testing.T) {
	ctx := context.Background()
	storetest.EachURL(t, func(t *testing.T, dsn string) {
		src := storetest.SQLite(t)
		loadDemoCreds(t, src)
		dst := storetest.Open(t, dsn)
		if _, err := dst.CreateOrg(ctx, cli, identity.Org{Slug: "there", Name: "Already there", Kind: identity.KindProvider}); err != nil {
			t.Fatal(err)
		}
		n0, root0 := auditRoot(t, dst)
		_, err := store.Copy(ctx, src, dst, store.CopyOptions{})
		if !errors.Is(err, store.ErrTargetNotEmpty) || !strings.Contains(err.Error(), "audit_log (") {
			t.Fatalf("Copy into a full target = %v, want ErrTargetNotEmpty naming audit_log", err)
		}
		if err := dst.CheckEmpty(ctx); !errors.Is(err, store.ErrTargetNotEmpty) {
			t.Errorf("CheckEmpty = %v", err)
		}
		if n, root := auditRoot(t, dst); n != n0 || root != root0 {
			t.Errorf("the refused target changed: %d entries, want %d", n, n0)
		}
		if _, err := dst.Org(ctx, "riverside"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Org(riverside) on the refused target = %v, want not found", err)
		}
	})
}

// TestCopyFailureLeavesTargetEmpty breaks the copy midway — on PostgreSQL by
// killing the connection the copy writes on — and checks that the target
// is as empty as before, and takes a copy afterwards.
func TestCopyFailureLeavesTargetEmpty(t *testing.T) {
	ctx := context.Background()
	src := storetest.SQLite(t)
	keys, _ := loadDemoCreds(t, src)

	t.Run("sqlite", func(t *testing.T) {
		dst := storetest.SQLite(t)
		broken := errors.New("broken midway")
		_, err := store.Copy(ctx, src, dst, store.CopyOptions{BatchRows: 50, AfterBatch: func(table string, done int64) error {
			if table == "audit_log" && done >= 100 {
				return broken
			}
			return nil
		}})
		if !errors.Is(err, broken) {
			t.Fatalf("Copy = %v, want the hook's error", err)
		}
		if err := dst.CheckEmpty(ctx); err != nil {
			t.Errorf("after a failed copy: %v", err)
		}
		if _, err := store.Copy(ctx, src, dst, store.CopyOptions{}); err != nil {
			t.Errorf("Copy after a failed one: %v", err)
		}
	})

	t.Run("postgres", func(t *testing.T) {
		base := storetest.PostgresURL(t)
		app := "sgcopy_" + strconv.FormatInt(time.Now().UnixNano(), 36)
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("application_name", app)
		u.RawQuery = q.Encode()
		dst := storetest.Open(t, u.String())
		admin, err := sql.Open("pgx", os.Getenv(storetest.EnvPostgres))
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		killed := 0
		_, err = store.Copy(ctx, src, dst, store.CopyOptions{BatchRows: 50, AfterBatch: func(table string, done int64) error {
			if table == "audit_log" && done >= 100 && killed == 0 {
				// The server goes away under the open transaction.
				if err := admin.QueryRowContext(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
					WHERE application_name = $1 AND pid <> pg_backend_pid()`, app).Scan(&killed); err != nil {
					t.Errorf("terminate: %v", err)
				}
			}
			return nil
		}})
		if killed == 0 {
			t.Fatal("no connection was terminated")
		}
		if err == nil {
			t.Fatal("Copy succeeded although its connection was killed")
		}
		t.Logf("Copy with its connection killed: %v", err)
		fresh := storetest.Open(t, base)
		if err := fresh.CheckEmpty(ctx); err != nil {
			t.Errorf("after a failed copy: %v", err)
		}
		if _, err := store.Copy(ctx, src, fresh, store.CopyOptions{}); err != nil {
			t.Fatalf("Copy after a failed one: %v", err)
		}
		if ev, err := fresh.CheckAllEvidence(ctx, keys, nil); err != nil || len(ev.Failed) > 0 || ev.Versions == 0 {
			t.Errorf("CheckAllEvidence = %+v, %v", ev, err)
		}
	})
}

// TestCopyRefusesUnknownTable: a table the copy has not classified stops it
// before anything is written.
func TestCopyRefusesUnknownTable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := storetest.Open(t, dir+"/src.db")
	dst := storetest.SQLite(t)
	raw, err := sql.Open("sqlite", dir+"/src.db")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, `CREATE TABLE widgets (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	_, err = store.Copy(ctx, src, dst, store.CopyOptions{})
	if err == nil || !strings.Contains(err.Error(), "widgets") {
		t.Fatalf("Copy with an unknown table = %v, want it named", err)
	}
}

// TestCopySelfReference: an asset placed in a place created after it has
// the larger id, so rows in key order name a parent not yet written; the
// copy writes the place first (PostgreSQL checks the foreign key at once).
func TestCopySelfReference(t *testing.T) {
	ctx := context.Background()
	src := storetest.SQLite(t)
	org, err := src.CreateOrg(ctx, cli, identity.Org{Slug: "self", Name: "Self", Kind: identity.KindProvider})
	if err != nil {
		t.Fatal(err)
	}
	laptop, err := src.CreateAsset(ctx, cli, org.ID, risk.Asset{Name: "Laptop", Kind: "laptop"})
	if err != nil {
		t.Fatal(err)
	}
	room, err := src.CreateAsset(ctx, cli, org.ID, risk.Asset{Name: "Back office", Kind: "room"})
	if err != nil {
		t.Fatal(err)
	}
	laptop.PlaceID = room.ID
	if _, err := src.UpdateAsset(ctx, cli, org.ID, laptop); err != nil {
		t.Fatal(err)
	}
	pg := storetest.Postgres(t)
	if _, err := store.Copy(ctx, src, pg, store.CopyOptions{BatchRows: 1}); err != nil {
		t.Fatalf("Copy: %v", err)
	}
	got, err := pg.Asset(ctx, org.ID, laptop.ID)
	if err != nil || got.PlaceID != room.ID {
		t.Errorf("Asset(laptop) on postgres = place %d, %v; want %d", got.PlaceID, err, room.ID)
	}
}

// TestCopyRefusesForeignTable: a target holding a table that is not
// Safeguard's is not an empty Safeguard database.
func TestCopyRefusesForeignTable(t *testing.T) {
	ctx := context.Background()
	src := storetest.SQLite(t)
	path := t.TempDir() + "/dst.db"
	dst := storetest.Open(t, path)
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, `CREATE TABLE gadgets (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	_, err = store.Copy(ctx, src, dst, store.CopyOptions{})
	if err == nil || !strings.Contains(err.Error(), "not Safeguard's (gadgets)") {
		t.Fatalf("Copy into a target with a foreign table = %v, want it named", err)
	}
}
