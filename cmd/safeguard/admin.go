package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/store"
)

// buildVersion is set at link time: -ldflags "-X main.buildVersion=v1.2.3".
var buildVersion = ""

// version is the release, or the VCS revision of a development build.
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return "dev-" + rev
}

func (m *Main) runVersion(ctx context.Context, args []string) error {
	fs := m.newFlagSet("version", "version", "Print the version of this binary.")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "safeguard %s (schema %d)\n", version(), store.LatestSchemaVersion(store.SQLite))
	return nil
}

// cliActor names the person running a CLI command in the audit log.
func cliActor() store.Actor {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return store.Actor{Name: "cli:" + name}
}

// quietLogger logs warnings and errors of a CLI command to standard error.
func (m *Main) quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func (m *Main) runInit(ctx context.Context, args []string) error {
	fs := m.newFlagSet("init", "init [--data DIR] [--db URL] [--key-file FILE]",
		"Create a data folder: the key-encryption key (master.key, mode 0600), the database\n"+
			"(SQLite in the folder unless --db names PostgreSQL) with every migration applied.\n"+
			"Running it again on an existing folder checks it and applies new migrations.")
	f := addInstanceFlags(fs, defaultDataDir)
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	in, err := m.openInstance(ctx, f, openOrCreate, m.quietLogger())
	if err != nil {
		return err
	}
	defer in.Close()
	have, _, err := in.db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Data folder %s is ready.\n  database: %s (%s), schema version %d\n  keys:     %s\n",
		in.dataDir, in.db.Location(), in.db.Dialect(), have, in.keySource)
	if in.keyPath != "" {
		fmt.Fprintf(m.Stdout, "Back up %s somewhere other than this machine: without it the encrypted data cannot be read.\n", in.keyPath)
	}
	k := auditKeys{dir: in.dataDir}
	s, err := k.signer(ctx, in.db, m.quietLogger())
	if err != nil {
		return err
	}
	kf, err := k.file()
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Audit log signing key %s. Record the first key's fingerprint somewhere this machine cannot write;\n"+
		"'safeguard audit verify --trust-key FINGERPRINT' holds the log to it:\n  %s\n", s.ID(), audit.Fingerprint(kf[0].Public))
	return nil
}

func (m *Main) runMigrate(ctx context.Context, args []string) error {
	fs := m.newFlagSet("migrate", "migrate [--data DIR] [--db URL]",
		"Apply pending database migrations and print the schema version. Safe to run while\n"+
			"other Safeguard processes start against the same database.")
	f := addInstanceFlags(fs, defaultDataDir)
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	dsn := f.db
	if dsn == "" {
		in, err := m.openInstance(ctx, f, openExisting, m.quietLogger())
		if err != nil {
			return err
		}
		defer in.Close()
		return m.printSchema(ctx, in.db)
	}
	db, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	return m.printSchema(ctx, db)
}

func (m *Main) printSchema(ctx context.Context, db *store.DB) error {
	have, latest, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "%s at %s: schema version %d (this binary knows %d)\n", db.Dialect(), db.Location(), have, latest)
	return nil
}

func (m *Main) runKeys(ctx context.Context, args []string) error {
	const synopsis = "keys rotate|status [--data DIR] [--db URL] [--key-file FILE]"
	const desc = "Manage the key-encryption key (KEK) that wraps every data key.\n\n" +
		"  status  list the KEKs in the key file and how many data keys each wraps\n" +
		"  rotate  add a new KEK, re-wrap every data key under it in one transaction,\n" +
		"          then retire the old KEK. Encrypted data is not re-encrypted.\n\n" +
		"rotate works on a key file; a key given in " + envMasterKey + " is rotated by\n" +
		"moving to a key file first (put the key in one with 'safeguard init --key-file')."
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs := m.newFlagSet("keys", synopsis, desc)
		if err := m.parseFlags(fs, args); err != nil {
			return err
		}
		return usagef("keys: say rotate or status (run 'safeguard keys --help')")
	}
	sub := args[0]
	fs := m.newFlagSet("keys "+sub, synopsis, desc)
	f := addInstanceFlags(fs, defaultDataDir)
	if err := m.parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	switch sub {
	case "status", "rotate":
	default:
		return usagef("keys: unknown subcommand %q: want rotate or status", sub)
	}
	in, err := m.openInstance(ctx, f, openExisting, m.quietLogger())
	if err != nil {
		return err
	}
	defer in.Close()
	if sub == "status" {
		return m.keyStatus(ctx, in)
	}
	return m.rotateKeys(ctx, in)
}

func (m *Main) keyStatus(ctx context.Context, in *instance) error {
	counts, err := in.db.DataKeyCounts(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Keys from %s\n", in.keySource)
	ids := in.keys.IDs()
	for _, id := range ids {
		mark := ""
		if id == in.keys.PrimaryID() {
			mark = " (primary)"
		}
		fmt.Fprintf(m.Stdout, "  KEK %s%s: %d data keys\n", id, mark, counts[id])
		delete(counts, id)
	}
	var orphans []string
	for id := range counts {
		orphans = append(orphans, id)
	}
	sort.Strings(orphans)
	for _, id := range orphans {
		fmt.Fprintf(m.Stdout, "  KEK %s (NOT in the key file): %d data keys cannot be read\n", id, counts[id])
	}
	if len(orphans) > 0 {
		return errCheckFailed
	}
	return nil
}

// rotateKeys adds a KEK to the key file, re-wraps every data key under it,
// then retires the old KEKs. Each step leaves a state a restart can use: the
// file holds both keys until every data key has moved.
func (m *Main) rotateKeys(ctx context.Context, in *instance) error {
	if in.keyPath == "" {
		return fmt.Errorf("keys rotate needs a key file, but the key comes from %s: write it to a key file and pass --key-file", envMasterKey)
	}
	old := in.keys.IDs()
	newID, err := in.keys.Rotate()
	if err != nil {
		return err
	}
	if err := in.keys.Save(in.keyPath); err != nil {
		return fmt.Errorf("save key file with the new KEK: %w", err)
	}
	n, err := in.db.RewrapDataKeys(ctx, cliActor(), newID, in.keys.Rewrap)
	if err != nil {
		return fmt.Errorf("%w; the key file keeps both the old and the new KEK, so nothing is lost: run 'safeguard keys rotate' again", err)
	}
	for _, id := range old {
		if err := in.keys.Retire(id); err != nil {
			return err
		}
	}
	if err := in.keys.Save(in.keyPath); err != nil {
		return fmt.Errorf("save key file without the old KEK: %w (the data keys are already re-wrapped; the old KEK is still in the file)", err)
	}
	fmt.Fprintf(m.Stdout, "Rotated: %d data keys re-wrapped under KEK %s; retired %s.\n", n, newID, strings.Join(old, ", "))
	fmt.Fprintf(m.Stdout, "Back up the new %s now: older backups of it cannot open this database any more.\n", in.keyPath)
	return nil
}

// errNotDemo refuses to turn a real data folder into a demo.
var errNotDemo = errors.New("not a demo data folder")

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
