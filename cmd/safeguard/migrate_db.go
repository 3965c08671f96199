package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/store"
)

const migrateDBSynopsis = "migrate-db --from DATA_DIR_OR_URL --to DATA_DIR_OR_URL [--data DIR] [--key-file FILE]"

const migrateDBDesc = "Copy a whole Safeguard instance from one database to another: a data folder's\n" +
	"SQLite file to PostgreSQL, PostgreSQL back to a data folder, or either to either.\n" +
	"Stop every Safeguard server using the source first.\n\n" +
	"The source must be at this binary's schema version (run 'safeguard migrate' first);\n" +
	"the target must be empty: a new or empty data folder, or an empty PostgreSQL database\n" +
	"or schema. Every table is copied in one transaction on the target, ids kept, then read\n" +
	"back and held to the source (row counts and a SHA-256 per table) before it commits; any\n" +
	"failure leaves the target empty. Then the audit log is verified on the target (same\n" +
	"entries, same root hash) and every stored evidence version is opened with the keys.\n" +
	"Sessions are not copied: everyone signs in again on the target.\n\n" +
	"Keys stay files: a data folder target gets master.key, audit.key and audit-keys.pub from\n" +
	"the source data folder (or, for a PostgreSQL source, from --data). A PostgreSQL target\n" +
	"keeps using the source folder's keys: serve it with --data SOURCE_DIR --db URL."

// endpoint is one side of migrate-db: a data folder or a PostgreSQL URL.
type endpoint struct {
	arg string
	dir string // the data folder, when the side is one
	dsn string // what store.Open takes
}

func (e endpoint) isDir() bool { return e.dir != "" }

func parseEndpoint(flagName, s string) (endpoint, error) {
	if s == "" {
		return endpoint{}, usagef("migrate-db: --%s is required", flagName)
	}
	lower := strings.ToLower(s)
	if strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") {
		return endpoint{arg: s, dsn: s}, nil
	}
	if strings.Contains(s, "://") {
		return endpoint{}, usagef("migrate-db: --%s %q: give a data folder or a postgres:// URL", flagName, s)
	}
	dir, err := filepath.Abs(s)
	if err != nil {
		return endpoint{}, err
	}
	return endpoint{arg: s, dir: dir, dsn: filepath.Join(dir, dbFileName)}, nil
}

// keyFiles are the files of a data folder that migrate-db carries to a data
// folder target; the TLS certificate is the host's and stays.
var keyFiles = []string{keyFileName, auditKeyName, auditPubKeysName, demoMarkerName}

func (m *Main) runMigrateDB(ctx context.Context, args []string) error {
	fs := m.newFlagSet("migrate-db", migrateDBSynopsis, migrateDBDesc)
	from := fs.String("from", "", "the instance to copy: its data folder, or its postgres:// URL")
	to := fs.String("to", "", "where to copy it: a new or empty data folder, or an empty PostgreSQL database's URL")
	data := fs.String("data", "", "for a PostgreSQL source: the data folder holding its keys (master.key, audit.key, audit-keys.pub)")
	keyFile := fs.String("key-file", "", "the key-encryption key file (default: master.key in the source's data folder); "+envMasterKey+" gives the key itself instead")
	batch := fs.Int("batch", 500, "rows per INSERT")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	src, err := parseEndpoint("from", *from)
	if err != nil {
		return err
	}
	dst, err := parseEndpoint("to", *to)
	if err != nil {
		return err
	}
	if src.dsn == dst.dsn {
		return usagef("migrate-db: --from and --to name the same database")
	}
	keysDir := src.dir
	if !src.isDir() {
		keysDir = *data
		if keysDir != "" {
			if keysDir, err = filepath.Abs(keysDir); err != nil {
				return err
			}
		}
	} else if *data != "" {
		// --data may come from SAFEGUARD_DATA, set for serve: naming the
		// source folder again is fine.
		if d, err := filepath.Abs(*data); err != nil || d != src.dir {
			return usagef("migrate-db: --data is for a PostgreSQL source; the source data folder %s holds the keys", src.dir)
		}
	}
	if dst.isDir() && keysDir == "" {
		return usagef("migrate-db: a data folder target needs the keys: pass --data with the data folder the PostgreSQL instance was served with")
	}
	if *batch < 1 {
		return usagef("migrate-db: --batch wants at least 1")
	}
	return m.migrateDB(ctx, src, dst, keysDir, *keyFile, store.CopyOptions{BatchRows: *batch})
}

func (m *Main) migrateDB(ctx context.Context, src, dst endpoint, keysDir, keyFile string, opts store.CopyOptions) (err error) {
	start := time.Now()
	// The source: opened without migrating, so that nothing is written to it.
	if src.isDir() {
		if _, err := os.Stat(src.dsn); err != nil {
			return fmt.Errorf("data folder %s holds no database (%v)", src.dir, errors.Unwrap(err))
		}
	}
	sdb, err := store.Open(ctx, src.dsn, store.Options{SkipMigrations: true})
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer sdb.Close()
	have, latest, err := sdb.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	if have != latest {
		where := "--data " + src.arg
		if !src.isDir() {
			where = "--db URL"
		}
		return fmt.Errorf("the source is at schema version %d and this safeguard's is %d: run 'safeguard migrate %s' first (with this binary), then migrate-db again", have, latest, where)
	}

	keys, keySource, err := m.migrateKeys(ctx, sdb, keysDir, keyFile)
	if err != nil {
		return err
	}
	var trusted audit.Keys
	if keysDir != "" {
		trusted, _, err = m.trustedKeys(&instanceFlags{data: keysDir}, "", nil)
		if err != nil && !audit.IsTrustError(err) {
			return err
		}
	}
	srcAudit, err := verifyAuditLog(ctx, sdb, trusted)
	if err != nil {
		return fmt.Errorf("source audit log: %w", err)
	}

	// The target: refused before anything is written to it when it holds
	// data (its migrations included), then migrated to the same version.
	created, err := prepareTarget(dst, keysDir)
	if err != nil {
		return err
	}
	var wroteKeys []string
	defer func() {
		if err == nil {
			return
		}
		for _, p := range wroteKeys {
			os.Remove(p)
		}
		if created {
			os.RemoveAll(dst.dir)
		}
	}()
	if err := checkTargetEmpty(ctx, dst); err != nil {
		return err
	}
	ddb, err := store.Open(ctx, dst.dsn, store.Options{})
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	defer ddb.Close()
	if dst.isDir() {
		if wroteKeys, err = copyKeyFiles(keysDir, dst.dir, keyFile); err != nil {
			return err
		}
	}

	fmt.Fprintf(m.Stdout, "Copying %s (%s) to %s (%s), schema version %d.\n", sdb.Location(), sdb.Dialect(), ddb.Location(), ddb.Dialect(), have)
	if isTerminal(m.Stderr) {
		last := time.Time{}
		opts.Progress = func(table string, done, total int64) {
			if done < total && time.Since(last) < 100*time.Millisecond {
				return
			}
			last = time.Now()
			fmt.Fprintf(m.Stderr, "\r\033[Kcopying %-26s %9d/%d rows", table, done, total)
		}
	}
	copyStart := time.Now()
	rep, err := store.Copy(ctx, sdb, ddb, opts)
	if isTerminal(m.Stderr) {
		fmt.Fprint(m.Stderr, "\r\033[K")
	}
	if err != nil {
		if errors.Is(err, store.ErrTargetNotEmpty) {
			return fmt.Errorf("%w; nothing was written", err)
		}
		return fmt.Errorf("%w (the target was left as it was)", err)
	}
	copyTook := time.Since(copyStart)

	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tROWS\tSOURCE SHA-256\tTARGET SHA-256\t")
	var rows, cut int64
	copied := 0
	for _, t := range rep.Tables {
		if t.Skipped != "" {
			fmt.Fprintf(tw, "%s\t%d\tnot copied: %s\t\t\n", t.Table, t.Rows, t.Skipped)
			continue
		}
		rows += t.Rows
		cut += t.TimesCut
		copied++
		mark := "equal"
		if t.SourceSum != t.TargetSum {
			mark = "DIFFERENT"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", t.Table, t.Rows, t.SourceSum[:16], t.TargetSum[:16], mark)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Copied %d rows in %d tables in %s; counts and checksums equal on both sides.\n", rows, copied, copyTook.Round(time.Millisecond))

	if cut > 0 {
		fmt.Fprintf(m.Stdout, "%d times had digits below the microsecond, which PostgreSQL does not keep; they were cut to the microsecond (the checksums compare times to the microsecond).\n", cut)
	}

	// The copy is committed: what follows proves it works on the new engine.
	// Should it fail, a data folder made here is removed again (see above);
	// any other target keeps the copy until the operator empties it.
	kept := "the target holds the copy: empty it before trying again"
	if created {
		kept = "the new data folder is removed"
	}
	dstAudit, err := verifyAuditLog(ctx, ddb, trusted)
	if err != nil {
		return fmt.Errorf("target audit log: %w; %s", err, kept)
	}
	if dstAudit.Entries != srcAudit.Entries || dstAudit.Root != srcAudit.Root {
		return fmt.Errorf("the target's audit log (%d entries, root %s) differs from the source's (%d entries, root %s); %s",
			dstAudit.Entries, dstAudit.Root, srcAudit.Entries, srcAudit.Root, kept)
	}
	fmt.Fprintf(m.Stdout, "Audit log intact on the target: %d entries, root %s, %d checkpoints checked (same as the source).\n",
		dstAudit.Entries, dstAudit.Root, dstAudit.Checkpoints)
	if keys != nil {
		ev, err := ddb.CheckAllEvidence(ctx, keys, nil)
		if err == nil && len(ev.Failed) > 0 {
			err = fmt.Errorf("%d evidence versions do not open on the target: %s", len(ev.Failed), strings.Join(ev.Failed[:min(3, len(ev.Failed))], "; "))
		}
		if err != nil {
			return fmt.Errorf("%w; %s", err, kept)
		}
		fmt.Fprintf(m.Stdout, "Evidence readable: all %d stored versions opened with the %s and matched their SHA-256.\n", ev.Versions, keySource)
	} else {
		fmt.Fprintln(m.Stdout, "Evidence not checked: the source holds nothing encrypted and no key was given.")
	}
	fmt.Fprintf(m.Stdout, "Sessions not copied: %d sign-ins end; everyone signs in again.\n", rep.SessionsEnded)
	switch {
	case dst.isDir():
		fmt.Fprintf(m.Stdout, "Done in %s. Serve it with: safeguard serve --data %s\n", time.Since(start).Round(time.Millisecond), dst.arg)
	case keysDir != "":
		fmt.Fprintf(m.Stdout, "Done in %s. Serve it with the same keys: safeguard serve --data %s --db URL\n", time.Since(start).Round(time.Millisecond), keysDir)
	default:
		fmt.Fprintf(m.Stdout, "Done in %s.\n", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// migrateKeys loads the key-encryption key the source's data was written
// under and checks it against the source. It returns nil keys only when the
// source holds nothing encrypted and no key was given.
func (m *Main) migrateKeys(ctx context.Context, db *store.DB, keysDir, keyFile string) (*crypt.Keyring, string, error) {
	check, err := db.Setting(ctx, settingKeyCheck)
	hasCheck := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, "", err
	}
	var ring *crypt.Keyring
	var source string
	if v, ok := m.LookupEnv(envMasterKey); ok {
		if ring, err = crypt.ParseMasterKey(v); err != nil {
			return nil, "", fmt.Errorf("%s: %w", envMasterKey, err)
		}
		source = envMasterKey
	} else {
		path := keyFile
		if path == "" && keysDir != "" {
			path = filepath.Join(keysDir, keyFileName)
		}
		if path == "" {
			if hasCheck {
				return nil, "", usagef("migrate-db: the source holds encrypted data: pass --data (its data folder) or --key-file, or set %s", envMasterKey)
			}
			return nil, "", nil
		}
		ring, err = crypt.LoadKeyFile(path)
		if errors.Is(err, crypt.ErrKeyMissing) && !hasCheck {
			return nil, "", nil
		}
		if err != nil {
			return nil, "", err
		}
		source = "key file " + path
	}
	if hasCheck {
		if err := verifyKeyCheck(ctx, db, ring, check); err != nil {
			return nil, "", fmt.Errorf("the key from %s does not open the source's encrypted data (%v)", source, err)
		}
	}
	return ring, source, nil
}

// auditResult is what verifyAuditLog found in an intact log.
type auditResult struct {
	Entries     int64
	Root        audit.Hash
	Checkpoints int
}

// verifyAuditLog replays db's audit log as 'safeguard audit verify' does:
// every hash, the Merkle tree, the stored tree and, when keys are given,
// every checkpoint's signature. Without keys the checkpoints are left out
// and only the chain and tree are checked.
func verifyAuditLog(ctx context.Context, db *store.DB, keys audit.Keys) (auditResult, error) {
	var opts audit.VerifyOptions
	if keys != nil {
		cps, err := db.AuditCheckpoints(ctx)
		if err != nil {
			return auditResult{}, err
		}
		opts = audit.VerifyOptions{Keys: keys, Checkpoints: cps}
	}
	rep, err := audit.Verify(db.AuditRecords(ctx, 1, 0), opts)
	if err != nil {
		return auditResult{}, err
	}
	if rep.Problem == nil && keys != nil {
		rep.Problem = db.CheckStoredTree(ctx, rep.Latest)
	}
	if rep.Problem != nil {
		return auditResult{}, rep.Problem
	}
	return auditResult{Entries: rep.Entries, Root: rep.Root, Checkpoints: rep.Checkpoints}, nil
}

// prepareTarget makes a data folder target ready (creating it, mode 0700)
// and refuses one whose key files differ from the source's. It reports
// whether it created the folder.
func prepareTarget(dst endpoint, keysDir string) (bool, error) {
	if !dst.isDir() {
		return false, nil
	}
	st, err := os.Stat(dst.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dst.dir, 0o700); err != nil {
			return false, fmt.Errorf("create data folder %s: %w", dst.dir, errors.Unwrap(err))
		}
		return true, nil
	case err != nil:
		return false, err
	case !st.IsDir():
		return false, fmt.Errorf("%s is a file, not a folder", dst.dir)
	}
	for _, name := range keyFiles {
		have, err := os.ReadFile(filepath.Join(dst.dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return false, err
		}
		want, err := os.ReadFile(filepath.Join(keysDir, name))
		if err != nil || !bytes.Equal(have, want) {
			return false, fmt.Errorf("the target data folder %s already holds a %s that is not the source's: pick a new folder; nothing was written", dst.dir, name)
		}
	}
	return false, nil
}

// checkTargetEmpty opens the target without migrating it and refuses it
// when it holds data.
func checkTargetEmpty(ctx context.Context, dst endpoint) error {
	if dst.isDir() {
		if _, err := os.Stat(dst.dsn); errors.Is(err, fs.ErrNotExist) {
			return nil
		}
	}
	db, err := store.Open(ctx, dst.dsn, store.Options{SkipMigrations: true})
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	defer db.Close()
	if err := db.CheckEmpty(ctx); err != nil {
		if errors.Is(err, store.ErrTargetNotEmpty) {
			return fmt.Errorf("refusing to copy into %s: %w; nothing was written", db.Location(), err)
		}
		return err
	}
	if have, latest, err := db.SchemaVersion(ctx); err == nil && have > latest {
		return store.ErrSchemaTooNew{Have: have, Know: latest}
	}
	return nil
}

// copyKeyFiles copies the key files of keysDir that exist into dir (the
// master key from keyFile when given), and returns the files it wrote.
func copyKeyFiles(keysDir, dir, keyFile string) ([]string, error) {
	var wrote []string
	for _, name := range keyFiles {
		from := filepath.Join(keysDir, name)
		if name == keyFileName && keyFile != "" {
			from = keyFile
		}
		b, err := os.ReadFile(from)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return wrote, fmt.Errorf("copy keys: %w", err)
		}
		to := filepath.Join(dir, name)
		if fileExists(to) {
			continue // prepareTarget found it equal
		}
		perm := os.FileMode(0o600)
		if name == auditPubKeysName {
			perm = 0o644
		}
		if err := writeFileAtomic(to, b, perm); err != nil {
			return wrote, fmt.Errorf("copy keys: %w", err)
		}
		wrote = append(wrote, to)
	}
	return wrote, nil
}
