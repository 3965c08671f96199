package store

import "testing"

func TestRebind(t *testing.T) {
	t.Parallel()
	pg := &DB{dialect: Postgres}
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"},
		{"SELECT '?' , ? FROM t", "SELECT '?' , $1 FROM t"},
		{`SELECT "a?b", ?`, `SELECT "a?b", $1`},
	}
	for _, tt := range tests {
		if got := pg.rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	lite := &DB{dialect: SQLite}
	if got := lite.rebind("a = ?"); got != "a = ?" {
		t.Errorf("sqlite rebind = %q, want unchanged", got)
	}
}

func TestParseDSN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dsn     string
		dialect Dialect
		target  string
	}{
		{"safeguard.db", SQLite, "safeguard.db"},
		{"/var/lib/sg/safeguard.db", SQLite, "/var/lib/sg/safeguard.db"},
		{"./data/x.db", SQLite, "./data/x.db"},
		{"sqlite:/tmp/x.db", SQLite, "/tmp/x.db"},
		{"sqlite:///tmp/x.db", SQLite, "/tmp/x.db"},
		{"file:/tmp/x.db?mode=rw", SQLite, "/tmp/x.db"},
		{"postgres://u@h/db", Postgres, "postgres://u@h/db"},
		{"postgresql://u@h/db", Postgres, "postgresql://u@h/db"},
	}
	for _, tt := range tests {
		d, target, err := parseDSN(tt.dsn)
		if err != nil || d != tt.dialect || target != tt.target {
			t.Errorf("parseDSN(%q) = %v, %q, %v, want %v, %q", tt.dsn, d, target, err, tt.dialect, tt.target)
		}
	}
}

// TestMigrationsMatchAcrossDialects keeps the two dialects' schemas in step:
// every version exists for both.
func TestMigrationsMatchAcrossDialects(t *testing.T) {
	t.Parallel()
	lite, err := migrations(SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := migrations(Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) {
		t.Fatalf("SQLite has %d migrations, PostgreSQL %d", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Name != pg[i].Name {
			t.Errorf("migration %d: SQLite %s, PostgreSQL %s", i, lite[i].Name, pg[i].Name)
		}
	}
}
