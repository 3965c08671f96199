package store_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/validate"
)

var cli = store.Actor{Name: "cli:test"}

func TestOpenBadURL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name, dsn, want string
	}{
		{"empty", "", "no database given"},
		{"unknown scheme", "mysql://root@localhost/db", `scheme "mysql" is not supported`},
		{"missing folder", filepath.Join(t.TempDir(), "nope", "x.db"), "no such file"},
		{"postgres down", "postgres://nobody@127.0.0.1:1/none?connect_timeout=2", "connect to PostgreSQL at postgres://nobody@127.0.0.1:1/none"},
		{"password hidden", "postgres://u:hunter2secret@127.0.0.1:1/none?connect_timeout=2", "xxxxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := store.Open(ctx, tt.dsn, store.Options{})
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) = nil error, want one containing %q", tt.dsn, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open(%q) = %v, want it to contain %q", tt.dsn, err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2secret") {
				t.Errorf("Open(%q) error leaks the password: %v", tt.dsn, err)
			}
		})
	}
}

func TestOpenNotADatabase(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "junk.db")
	if err := writeFile(path, strings.Repeat("this is not sqlite ", 300)); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open(context.Background(), path, store.Options{})
	if err == nil || !strings.Contains(err.Error(), "not a") {
		t.Fatalf("Open(junk) = %v, want a 'not a database' error", err)
	}
}

func TestSQLitePragmas(t *testing.T) {
	t.Parallel()
	path := storetest.SQLiteURL(t)
	db, err := store.Open(context.Background(), "sqlite:"+path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var mode string
	if err := raw.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	stats := db.Stats()
	if len(stats) != 2 || stats[0].Pool != "write" || stats[0].MaxOpenConnections != 1 {
		t.Errorf("Stats() = %+v, want a write pool of one connection and a read pool", stats)
	}
}

func TestMigrateIdempotentAndConcurrent(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db, err := store.Open(ctx, url, store.Options{})
				if err == nil {
					err = db.Close()
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("concurrent Open #%d = %v, want nil", i, err)
			}
		}
		db, err := store.Open(ctx, url, store.Options{})
		if err != nil {
			t.Fatalf("second Open = %v", err)
		}
		defer db.Close()
		have, latest, err := db.SchemaVersion(ctx)
		if err != nil || have != latest || latest < 1 {
			t.Fatalf("SchemaVersion() = %d, %d, %v, want equal and >= 1", have, latest, err)
		}
		if err := db.Ready(ctx); err != nil {
			t.Errorf("Ready() = %v, want nil", err)
		}
	})
}

func TestSchemaTooNew(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db, err := store.Open(ctx, url, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := store.ExecForTest(ctx, db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		_, err = store.Open(ctx, url, store.Options{})
		var tooNew store.ErrSchemaTooNew
		if !errors.As(err, &tooNew) || tooNew.Have != 999 {
			t.Fatalf("Open(newer schema) = %v, want ErrSchemaTooNew{Have: 999}", err)
		}
		if !strings.Contains(err.Error(), "newer safeguard") {
			t.Errorf("error %q should tell the user to run a newer safeguard", err)
		}
	})
}

func TestOrgs(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fixed := time.Date(2026, 11, 22, 10, 0, 0, 123456000, time.UTC)
		db.Now = func() time.Time { return fixed }
		o, err := db.CreateOrg(ctx, cli, identity.Org{Slug: " Riverside ", Name: "Riverside Family Practice", Kind: identity.KindProvider})
		if err != nil {
			t.Fatalf("CreateOrg() = %v", err)
		}
		if o.ID == 0 || o.Slug != "riverside" || !o.CreatedAt.Equal(fixed) {
			t.Errorf("CreateOrg() = %+v, want an ID, slug riverside, created %v", o, fixed)
		}
		if _, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Again", Kind: identity.KindProvider}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateOrg(duplicate) = %v, want ErrConflict", err)
		}
		var verr validate.Error
		if _, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "x", Kind: "nope"}); !errors.As(err, &verr) || len(verr) != 3 {
			t.Errorf("CreateOrg(invalid) = %v, want 3 field problems", err)
		}
		if _, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "acme-billing", Name: "Acme Billing", Kind: identity.KindBusinessAssociate}); err != nil {
			t.Fatal(err)
		}
		got, err := db.Org(ctx, "riverside")
		if err != nil || got != o {
			t.Errorf("Org(riverside) = %+v, %v, want %+v", got, err, o)
		}
		if _, err := db.Org(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Org(nobody) = %v, want ErrNotFound", err)
		}
		all, _, err := db.OrgPage(ctx, store.OrgQuery{}, store.Page{})
		if err != nil || len(all) != 2 || all[0].Slug != "acme-billing" {
			t.Errorf("OrgPage() = %+v, %v, want acme-billing then riverside", all, err)
		}
		entries, err := db.AuditEntries(ctx, o.ID, 10)
		if err != nil || len(entries) != 1 {
			t.Fatalf("AuditEntries(riverside) = %+v, %v, want 1 entry", entries, err)
		}
		if e := entries[0]; e.Action != "org.create" || e.Actor != "cli:test" || !e.At.Equal(fixed) || e.Object != "org:riverside" {
			t.Errorf("audit entry = %+v, want org.create by cli:test at %v", e, fixed)
		}
	})
}

func TestChangeFailsWithoutAudit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		_, err := db.CreateOrg(ctx, store.Actor{}, identity.Org{Slug: "ghost", Name: "Ghost", Kind: identity.KindProvider})
		if err == nil {
			t.Fatal("CreateOrg(no actor) = nil, want an error")
		}
		if _, err := db.Org(ctx, "ghost"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Org(ghost) after failed audit = %v, want ErrNotFound (the change must roll back)", err)
		}
	})
}

func TestAuditLogAppendOnly(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "R", Kind: identity.KindProvider}); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"} {
			err := store.ExecForTest(ctx, db, q)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s = %v, want the append-only trigger to refuse it", q, err)
			}
		}
		if db.Dialect() == store.Postgres {
			if err := store.ExecForTest(ctx, db, "TRUNCATE audit_log"); err == nil {
				t.Error("TRUNCATE audit_log = nil, want it refused")
			}
		}
		entries, err := db.AuditEntries(ctx, 0, 10)
		if err != nil || len(entries) != 1 || entries[0].Actor != "cli:test" {
			t.Errorf("AuditEntries() = %+v, %v, want the untouched entry", entries, err)
		}
	})
}

func TestSettings(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Setting(ctx, "demo"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Setting(missing) = %v, want ErrNotFound", err)
		}
		for _, v := range []string{"one", "two"} {
			if err := db.SetSetting(ctx, cli, "demo", v); err != nil {
				t.Fatal(err)
			}
			if got, err := db.Setting(ctx, "demo"); err != nil || got != v {
				t.Errorf("Setting(demo) = %q, %v, want %q", got, err, v)
			}
		}
	})
}

func TestRewrapDataKeys(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var ids []int64
		for _, w := range []string{"aaa", "bbb", "ccc"} {
			id, err := db.CreateDataKey(ctx, cli, store.WrappedKey{KEKID: "old", Wrapped: []byte(w), Purpose: "test"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		boom := errors.New("boom")
		calls := 0
		_, err := db.RewrapDataKeys(ctx, cli, "new", func(kek string, w []byte) (string, []byte, error) {
			calls++
			if calls == 2 {
				return "", nil, boom
			}
			return "new", append([]byte("new-"), w...), nil
		})
		if !errors.Is(err, boom) {
			t.Fatalf("RewrapDataKeys(failing) = %v, want boom", err)
		}
		if counts, _ := db.DataKeyCounts(ctx); counts["old"] != 3 {
			t.Fatalf("DataKeyCounts() after failed rewrap = %v, want all 3 still under old", counts)
		}
		n, err := db.RewrapDataKeys(ctx, cli, "new", func(kek string, w []byte) (string, []byte, error) {
			return "new", append([]byte("new-"), w...), nil
		})
		if err != nil || n != 3 {
			t.Fatalf("RewrapDataKeys() = %d, %v, want 3", n, err)
		}
		k, err := db.DataKey(ctx, ids[1])
		if err != nil || k.KEKID != "new" || string(k.Wrapped) != "new-bbb" {
			t.Errorf("DataKey(%d) = %+v, %v, want new-bbb under new", ids[1], k, err)
		}
		if _, err := db.DataKey(ctx, 99999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DataKey(99999) = %v, want ErrNotFound", err)
		}
	})
}

func writeFile(path, s string) error {
	return os.WriteFile(path, []byte(s), 0o600)
}
