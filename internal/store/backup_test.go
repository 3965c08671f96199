package store_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"path/filepath"
	"testing"

	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/demo"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// loadDemo fills db with the demo and returns the keyring that sealed its
// evidence.
func loadDemo(t *testing.T, db *store.DB) *crypt.Keyring {
	t.Helper()
	keys, err := crypt.NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(context.Background(), db, identity.NewHasher(1, 64, 1, 4), keys); err != nil {
		t.Fatalf("demo.Load = %v", err)
	}
	return keys
}

func TestSnapshotSQLite(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	keys := loadDemo(t, db)
	want, err := db.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	got, err := db.SnapshotSQLite(ctx, path)
	if err != nil {
		t.Fatalf("SnapshotSQLite = %v", err)
	}
	if !maps.Equal(got.Rows, want.Rows) || got.SchemaVersion != want.SchemaVersion || len(got.Tables) == 0 {
		t.Errorf("snapshot rows = %v (schema %d), want %v (schema %d)", got.Rows, got.SchemaVersion, want.Rows, want.SchemaVersion)
	}
	if got.EvidenceFiles == 0 || got.AuditEntries == 0 {
		t.Errorf("snapshot counts %d evidence files and %d audit entries, want some", got.EvidenceFiles, got.AuditEntries)
	}
	copyDB := storetest.Open(t, path)
	c, err := copyDB.CheckAllEvidence(ctx, keys, nil)
	if err != nil || len(c.Failed) > 0 || c.Versions != got.EvidenceFiles {
		t.Errorf("CheckAllEvidence on the copy = %+v, %v; want %d versions, none failed", c, err, got.EvidenceFiles)
	}
	// The source keeps working while and after the copy is made.
	if err := db.SetSetting(ctx, store.Actor{Name: "test"}, "x", "y"); err != nil {
		t.Errorf("write after snapshot: %v", err)
	}
}

func TestDumpLoadPostgres(t *testing.T) {
	ctx := context.Background()
	src := storetest.Postgres(t)
	keys := loadDemo(t, src)
	var dump bytes.Buffer
	snap, err := src.Dump(ctx, &dump)
	if err != nil {
		t.Fatalf("Dump = %v", err)
	}
	dst, err := store.Open(ctx, storetest.PostgresURL(t), store.Options{SkipMigrations: true})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	sum, err := dst.LoadDump(ctx, bytes.NewReader(dump.Bytes()), nil)
	if err != nil {
		t.Fatalf("LoadDump = %v", err)
	}
	if sum.SchemaVersion != snap.SchemaVersion {
		t.Errorf("LoadDump schema = %d, want %d", sum.SchemaVersion, snap.SchemaVersion)
	}
	got, err := dst.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got.Rows, snap.Rows) {
		t.Errorf("rows after load = %v\nwant %v", got.Rows, snap.Rows)
	}
	c, err := dst.CheckAllEvidence(ctx, keys, nil)
	if err != nil || len(c.Failed) > 0 || c.Versions != snap.EvidenceFiles {
		t.Errorf("CheckAllEvidence after load = %+v, %v", c, err)
	}
	// The identities continue after the loaded rows, and the log appends.
	if _, err := dst.RecordRestoreTest(ctx, store.Actor{Name: "test"}, "backup", "restored"); err != nil {
		t.Errorf("RecordRestoreTest after load = %v", err)
	}
	if _, err := dst.CreateDataKey(ctx, store.Actor{Name: "test"}, store.WrappedKey{KEKID: "k", Wrapped: []byte{1}, Purpose: "test"}); err != nil {
		t.Errorf("insert after load = %v", err)
	}
	// A second load into the now full database is refused, and changes nothing.
	if _, err := dst.LoadDump(ctx, bytes.NewReader(dump.Bytes()), nil); !errors.Is(err, store.ErrNotEmpty) {
		t.Errorf("LoadDump into a full database = %v, want ErrNotEmpty", err)
	}
	// A freshly migrated database counts as empty.
	fresh := storetest.Postgres(t)
	if ok, why, err := fresh.IsEmpty(ctx); !ok || err != nil {
		t.Errorf("IsEmpty(migrated) = %v %q %v, want true", ok, why, err)
	}
	if _, err := fresh.LoadDump(ctx, bytes.NewReader(dump.Bytes()), nil); err != nil {
		t.Errorf("LoadDump into a migrated, empty database = %v", err)
	}
	// A cut-off dump loads nothing.
	cut := storetest.Postgres(t)
	if _, err := cut.LoadDump(ctx, bytes.NewReader(dump.Bytes()[:dump.Len()/2]), nil); err == nil {
		t.Error("LoadDump of half a dump succeeded")
	}
	if ok, _, err := cut.IsEmpty(ctx); !ok || err != nil {
		t.Errorf("after a failed load the database is not empty (%v)", err)
	}
}
