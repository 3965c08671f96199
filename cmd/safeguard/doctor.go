package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/store"
)

// Thresholds of the doctor's checks.
const (
	certWarnBefore  = 30 * 24 * time.Hour
	backupMaxAge    = 48 * time.Hour
	clockMaxSkew    = 2 * time.Second
	diskMinFree     = 1 << 30 // bytes
	diskMinFreePart = 0.10
	// backupPattern is scheduledPattern (backup.go) as a person reads it.
	backupPattern = "safeguard-backup-*.age"
)

// status is a check's verdict.
type status int

const (
	statusOK status = iota
	statusSkip
	statusWarn
	statusFail
)

func (s status) String() string {
	switch s {
	case statusOK:
		return "OK"
	case statusSkip:
		return "SKIP"
	case statusWarn:
		return "WARN"
	}
	return "FAIL"
}

// finding is one line of the doctor's report.
type finding struct {
	Check  string // what was looked at: "data folder", "TLS", ...
	Status status
	Detail string // what was found
	Fix    string // what to do about it; empty when nothing
}

func (f finding) String() string {
	s := fmt.Sprintf("%-4s  %-18s %s", f.Status, f.Check, f.Detail)
	if f.Fix != "" {
		s += " -> fix: " + f.Fix
	}
	return s
}

func ok(check, format string, args ...any) finding {
	return finding{Check: check, Status: statusOK, Detail: fmt.Sprintf(format, args...)}
}

func skip(check, format string, args ...any) finding {
	return finding{Check: check, Status: statusSkip, Detail: fmt.Sprintf(format, args...)}
}

func warn(check, fix, format string, args ...any) finding {
	return finding{Check: check, Status: statusWarn, Detail: fmt.Sprintf(format, args...), Fix: fix}
}

func fail(check, fix, format string, args ...any) finding {
	return finding{Check: check, Status: statusFail, Detail: fmt.Sprintf(format, args...), Fix: fix}
}

// doctorFlags are the doctor's settings. The names match serve's, so that
// the environment file serve runs with (SAFEGUARD_DATA, SAFEGUARD_TLS_CERT,
// ...) points the doctor at the same installation.
type doctorFlags struct {
	*instanceFlags
	addr               string
	tlsCert            string
	tlsKey             string
	tlsSelfSigned      bool
	behindProxy        bool
	checkpointInterval time.Duration
	backupDir          string
	readyzOnly         bool
}

// doctor runs the checks. Its clock and its outside probes are fields, so
// tests can stand in for them.
type doctor struct {
	f        *doctorFlags
	lookEnv  func(string) (string, bool)
	now      func() time.Time
	uid      int // the running user, whom the files should belong to
	ntpState func(ctx context.Context) (synced bool, err error)
	client   *http.Client

	dir string    // the data folder, absolute
	db  *store.DB // nil when the database could not be opened
}

func (m *Main) runDoctor(ctx context.Context, args []string) error {
	fs := m.newFlagSet("doctor", "doctor [--data DIR | --db URL] [--addr HOST:PORT] [--backup-dir DIR]",
		"Check an installation and say what to fix: file permissions, keys, TLS certificate,\n"+
			"database schema, audit checkpoints, backups, clock, disk space and, with --addr, that\n"+
			"the running server answers /readyz. One line per check: OK, WARN, FAIL (or SKIP).\n"+
			"Run it as the user the server runs as, with the server's environment file.\n"+
			"Exit 0 when nothing fails (warnings allowed), 1 when a check fails, 2 on usage errors.")
	f := &doctorFlags{instanceFlags: addInstanceFlags(fs, defaultDataDir)}
	fs.StringVar(&f.addr, "addr", "", "address of the running server; when set, GET /readyz must answer 200")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "the server's TLS certificate file (PEM), as given to serve")
	fs.StringVar(&f.tlsKey, "tls-key", "", "the server's TLS private key file (PEM), as given to serve")
	fs.BoolVar(&f.tlsSelfSigned, "tls-self-signed", false, "the server uses the self-signed certificate in the data folder")
	fs.BoolVar(&f.behindProxy, "behind-proxy", false, "a TLS-terminating proxy is in front of the server")
	fs.DurationVar(&f.checkpointInterval, "checkpoint-interval", time.Minute, "the server's --checkpoint-interval; entries left unsigned for twice this long are reported")
	fs.StringVar(&f.backupDir, "backup-dir", "", "serve's --backup-dir, where scheduled backups ("+backupPattern+") go; the newest must be under 2 days old")
	fs.BoolVar(&f.readyzOnly, "readyz-only", false, "check only that the server at --addr answers /readyz: a container's health check")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if f.readyzOnly && f.addr == "" {
		return usagef("--readyz-only needs --addr")
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together: give both")
	}
	if f.addr != "" {
		if _, _, err := net.SplitHostPort(f.addr); err != nil {
			return usagef("--addr %q: want HOST:PORT, e.g. 127.0.0.1:8080", f.addr)
		}
	}
	if f.checkpointInterval < time.Second {
		return usagef("--checkpoint-interval wants at least 1s")
	}
	dir, err := filepath.Abs(f.data)
	if err != nil {
		return usagef("--data %q: %v", f.data, err)
	}
	d := &doctor{
		f: f, lookEnv: m.LookupEnv, now: time.Now, uid: os.Getuid(), ntpState: timedatectlSynced,
		client: &http.Client{Timeout: 5 * time.Second}, dir: dir,
	}
	failed := false
	var counts [4]int
	for _, fd := range d.run(ctx) {
		fmt.Fprintln(m.Stdout, fd)
		counts[fd.Status]++
		failed = failed || fd.Status == statusFail
	}
	fmt.Fprintf(m.Stdout, "doctor: %d OK, %d WARN, %d FAIL, %d SKIP\n", counts[statusOK], counts[statusWarn], counts[statusFail], counts[statusSkip])
	if failed {
		return errCheckFailed
	}
	return nil
}

// run runs every check in order and returns what each found.
func (d *doctor) run(ctx context.Context) []finding {
	if d.f.readyzOnly {
		return []finding{d.checkReady(ctx)}
	}
	var out []finding
	out = append(out, d.checkFiles()...)
	out = append(out, d.openDatabase(ctx)...)
	if d.db != nil {
		defer d.db.Close()
	}
	out = append(out, d.checkKEK(ctx))
	out = append(out, d.checkAuditKeys(ctx))
	out = append(out, d.checkTLS())
	out = append(out, d.checkCheckpoint(ctx))
	out = append(out, d.checkBackups())
	out = append(out, d.checkClock(ctx))
	out = append(out, d.checkDisk())
	if d.f.addr != "" {
		out = append(out, d.checkReady(ctx))
	}
	return out
}

// keyFiles lists the secret files of the installation that exist or
// should, by kind: "key file" for the keys only Safeguard reads, "TLS key"
// for a key an operator may share with the service's group.
func (d *doctor) keyFiles() (paths, kinds []string) {
	add := func(p, kind string) { paths, kinds = append(paths, p), append(kinds, kind) }
	if _, env := d.lookEnv(envMasterKey); !env {
		add(d.kekPath(), "key file")
	}
	add(filepath.Join(d.dir, auditKeyName), "key file")
	if d.f.tlsKey != "" {
		add(d.f.tlsKey, "TLS key")
	}
	if self := filepath.Join(d.dir, "tls", "self-signed.key"); fileExists(self) {
		add(self, "key file")
	}
	return paths, kinds
}

func (d *doctor) kekPath() string {
	if d.f.keyFile != "" {
		return d.f.keyFile
	}
	return filepath.Join(d.dir, keyFileName)
}

// checkFiles checks the data folder and the key files: private to the
// running user. A missing key file is the key checks' to report.
func (d *doctor) checkFiles() []finding {
	const check = "permissions"
	st, err := os.Stat(d.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return []finding{fail(check, "run 'safeguard init --data "+d.dir+"', or pass --data", "data folder %s does not exist", d.dir)}
	case err != nil:
		return []finding{fail(check, "run the doctor as the user the server runs as", "data folder %s: %v", d.dir, errors.Unwrap(err))}
	case !st.IsDir():
		return []finding{fail(check, "pass --data with the data folder", "data folder %s is a file, not a folder", d.dir)}
	}
	out := []finding{modeFinding("data folder", d.dir, st, 0o700, d.uid)}
	if db := filepath.Join(d.dir, dbFileName); d.f.db == "" {
		if st, err := os.Stat(db); err == nil {
			out = append(out, modeFinding("database", db, st, 0o600, d.uid))
		}
	}
	paths, kinds := d.keyFiles()
	for i, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		out = append(out, modeFinding(kinds[i], p, st, 0o600, d.uid))
	}
	return out
}

// modeFinding judges one file's mode and owner against want, the mode it
// should have. A file others may read fails, and so does a key file its
// group may read; a looser mode that lets only the group in (a folder, or a
// TLS key shared with the service's group), or another owner, is a warning.
func modeFinding(kind, path string, st fs.FileInfo, want fs.FileMode, uid int) finding {
	const check = "permissions"
	what := kind + " " + path
	perm := st.Mode().Perm()
	chmod := fmt.Sprintf("chmod %o %s", want, path)
	owner, known := fileOwner(st)
	switch {
	case runtime.GOOS == "windows":
		return skip(check, "%s: modes are not checked on Windows", what)
	case perm&0o007 != 0:
		return fail(check, chmod, "%s is mode %04o: other users may read it", what, perm)
	case perm&0o070 != 0 && kind == "key file":
		return fail(check, chmod, "%s is mode %04o: its group may read it", what, perm)
	case perm&0o070 != 0:
		return warn(check, chmod, "%s is mode %04o: its group may read it", what, perm)
	case known && owner != uid:
		return warn(check, fmt.Sprintf("chown the file to the user the server runs as, or run the doctor as that user (uid %d)", owner),
			"%s belongs to uid %d, not the running user (uid %d)", what, owner, uid)
	}
	return ok(check, "%s is mode %04o, owned by the running user", what, perm)
}

// openDatabase opens the database without migrating it and checks that its
// schema is the one this binary knows.
func (d *doctor) openDatabase(ctx context.Context) []finding {
	const check = "database"
	dsn := d.f.db
	if dsn == "" {
		dsn = filepath.Join(d.dir, dbFileName)
		if !fileExists(dsn) {
			return []finding{fail(check, "run 'safeguard init --data "+d.dir+"', or pass --db with the PostgreSQL URL", "no database at %s", dsn)}
		}
	}
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	db, err := store.Open(octx, dsn, store.Options{SkipMigrations: true, ReadConns: 1, MaxConns: 2})
	if err != nil {
		return []finding{fail(check, "check the URL, that the server runs and that this user may connect", "%s", oneLine(err.Error()))}
	}
	if err := db.Ping(octx); err != nil {
		db.Close()
		return []finding{fail(check, "check that the database server runs and answers", "%s", oneLine(err.Error()))}
	}
	d.db = db
	have, latest, err := db.SchemaVersion(octx)
	if err != nil {
		return []finding{fail(check, "check the database", "read the schema version: %s", oneLine(err.Error()))}
	}
	return []finding{schemaFinding(db.Location(), have, latest, db.Ready(octx))}
}

// schemaFinding judges the database's schema version against the binary's.
func schemaFinding(where string, have, latest int, ready error) finding {
	const check = "database"
	switch {
	case have > latest:
		return fail(check, "run the newer safeguard that migrated it (downgrades are refused), or restore a backup made before the upgrade",
			"%s has schema version %d, newer than this binary's %d", where, have, latest)
	case ready != nil:
		return fail(check, "run 'safeguard migrate' (serve also migrates on start)",
			"%s has schema version %d of %d: %s", where, have, latest, oneLine(ready.Error()))
	}
	return ok(check, "%s reachable, schema version %d (this binary's)", where, have)
}

// checkKEK loads the key-encryption key and, with the database, checks that
// it opens the database's encrypted data.
func (d *doctor) checkKEK(ctx context.Context) finding {
	const check = "encryption key"
	var ring *crypt.Keyring
	source := ""
	if v, env := d.lookEnv(envMasterKey); env {
		r, err := crypt.ParseMasterKey(v)
		if err != nil {
			return fail(check, "set "+envMasterKey+" to the key this installation was created with", "%s: %v", envMasterKey, err)
		}
		ring, source = r, envMasterKey
	} else {
		path := d.kekPath()
		r, err := crypt.LoadKeyFile(path)
		switch {
		case errors.Is(err, crypt.ErrKeyMissing):
			return fail(check, "restore "+path+" from your backup (a new key cannot read the old data), or pass --key-file", "the key file %s is missing", path)
		case err != nil:
			return fail(check, "chmod 600 "+path+" if the mode is the problem; otherwise restore the key file from your backup", "%s", oneLine(err.Error()))
		}
		ring, source = r, path
	}
	if d.db == nil {
		return ok(check, "%s loads (not compared with the database, which did not open)", source)
	}
	check1, err := d.db.Setting(ctx, settingKeyCheck)
	if errors.Is(err, store.ErrNotFound) {
		return ok(check, "%s loads; the database holds nothing encrypted yet", source)
	}
	if err != nil {
		return fail(check, "check the database", "read the key check: %s", oneLine(err.Error()))
	}
	if err := verifyKeyCheck(ctx, d.db, ring, check1); err != nil {
		return fail(check, "use the key this database was created with (--key-file or "+envMasterKey+")",
			"%s does not open this database's encrypted data: %v", source, err)
	}
	return ok(check, "%s loads and opens the database's encrypted data", source)
}

// checkAuditKeys loads the checkpoint signing key and compares the public
// keys file with the keys the database has registered.
func (d *doctor) checkAuditKeys(ctx context.Context) finding {
	const check = "audit keys"
	k := auditKeys{dir: d.dir}
	pubs, err := k.file()
	if errors.Is(err, fs.ErrNotExist) {
		return fail(check, "restore "+auditPubKeysName+" from a backup or the --checkpoint-dir mirror; on a new folder run 'safeguard init'", "%s is missing", k.pubPath())
	}
	if err != nil {
		return fail(check, "restore "+auditPubKeysName+" from a backup or the --checkpoint-dir mirror", "%s", oneLine(err.Error()))
	}
	b, err := os.ReadFile(k.keyPath())
	if errors.Is(err, fs.ErrNotExist) {
		return fail(check, "restore "+auditKeyName+" from your backup (a new key would not be endorsed by the old one)", "the signing key %s is missing", k.keyPath())
	}
	if err != nil {
		return fail(check, "run the doctor as the user the server runs as", "%s: %v", k.keyPath(), errors.Unwrap(err))
	}
	s, err := audit.ParseSigner(b)
	if err != nil {
		return fail(check, "restore "+auditKeyName+" from your backup", "%s: %v", k.keyPath(), err)
	}
	if !pubs.Has(s.ID()) {
		return fail(check, "restore the original signing key, or run 'safeguard audit rotate-key'", "the signing key %s is not listed in %s", s.ID(), k.pubPath())
	}
	if _, err := pubs.Trust(nil); err != nil {
		return fail(check, "restore "+auditPubKeysName+" from a backup or the --checkpoint-dir mirror", "%s: %s", k.pubPath(), oneLine(err.Error()))
	}
	if d.db == nil {
		return ok(check, "signing key %s loads and %s lists it (not compared with the database)", s.ID(), k.pubPath())
	}
	registered, err := d.db.AuditKeys(ctx)
	if err != nil {
		return fail(check, "check the database", "%s", oneLine(err.Error()))
	}
	return auditKeysFinding(pubs, registered, s.ID(), k.pubPath())
}

// auditKeysFinding compares the keys file with the database's keys. A key
// only the database knows was not made by this installation's key chain.
func auditKeysFinding(pubs audit.KeyFile, registered audit.Keys, signer, pubPath string) finding {
	const check = "audit keys"
	var onlyDB, onlyFile []string
	for id := range registered {
		if !pubs.Has(id) {
			onlyDB = append(onlyDB, id)
		}
	}
	for _, k := range pubs {
		if _, found := registered[k.ID()]; !found {
			onlyFile = append(onlyFile, k.ID())
		}
	}
	slices.Sort(onlyDB)
	slices.Sort(onlyFile)
	switch {
	case len(onlyDB) > 0:
		return fail(check, "find out who added it: checkpoints it signs will not verify; restore "+auditPubKeysName+" if it lost keys",
			"the database registers key(s) %s that %s does not list", strings.Join(onlyDB, ", "), pubPath)
	case len(onlyFile) > 0 && slices.Contains(onlyFile, signer):
		return warn(check, "start the server once (it registers its signing key), or run 'safeguard init'",
			"the signing key %s is not yet registered in the database", signer)
	case len(onlyFile) > 0:
		return warn(check, "check that this keys file belongs to this database",
			"%s lists key(s) %s the database does not register", pubPath, strings.Join(onlyFile, ", "))
	}
	return ok(check, "signing key %s loads; %s and the database list the same %d key(s)", signer, filepath.Base(pubPath), len(pubs))
}

// checkTLS checks the certificate the server serves, if it serves one.
func (d *doctor) checkTLS() finding {
	const check = "TLS"
	switch {
	case d.f.tlsCert != "" && d.f.tlsSelfSigned:
		return fail(check, "drop one of them from the server's settings", "--tls-cert and --tls-self-signed are both set: serve refuses to start")
	case d.f.tlsCert != "":
		return certFinding(d.f.tlsCert, d.f.tlsKey, false, d.now())
	case d.f.tlsSelfSigned:
		dir := filepath.Join(d.dir, "tls")
		cert, key := filepath.Join(dir, "self-signed.crt"), filepath.Join(dir, "self-signed.key")
		if !fileExists(cert) {
			return ok(check, "self-signed: serve creates %s on its first start", cert)
		}
		return certFinding(cert, key, true, d.now())
	case d.f.behindProxy:
		return ok(check, "plain HTTP behind a TLS-terminating proxy (--behind-proxy): the proxy's certificate is not checked here")
	}
	host := ""
	if d.f.addr != "" {
		host, _, _ = net.SplitHostPort(d.f.addr)
	}
	if host == "" || isLoopback(host) {
		return ok(check, "no TLS: plain HTTP on a loopback address only")
	}
	return fail(check, "give --tls-cert and --tls-key, or --tls-self-signed, or --behind-proxy if a TLS proxy is in front",
		"%s is not a loopback address and no TLS is configured: serve refuses to start", d.f.addr)
}

// certFinding checks a certificate file: that it parses, is valid now and
// for 30 more days, and that the key file belongs to it. A self-signed
// certificate that is due is replaced by serve at its next start.
func certFinding(certPath, keyPath string, selfSigned bool, now time.Time) finding {
	const check = "TLS"
	leaf, err := readLeaf(certPath)
	if err != nil {
		return fail(check, "give --tls-cert the PEM certificate file", "%s: %v", certPath, err)
	}
	if _, err := tls.LoadX509KeyPair(certPath, keyPath); err != nil {
		return fail(check, "give --tls-key the private key of this certificate", "%s does not go with %s: %s", keyPath, certPath, oneLine(err.Error()))
	}
	left := leaf.NotAfter.Sub(now)
	until := leaf.NotAfter.UTC().Format("2006-01-02")
	renew := "renew the certificate and restart the server"
	if selfSigned {
		renew = "restart the server: it makes a new self-signed certificate (browsers will show a new fingerprint)"
	}
	switch {
	case now.Before(leaf.NotBefore):
		return fail(check, "check the system clock, or use a certificate valid now", "%s is not valid before %s", certPath, leaf.NotBefore.UTC().Format(time.RFC3339))
	case left <= 0:
		if selfSigned {
			return warn(check, renew, "%s expired on %s", certPath, until)
		}
		return fail(check, renew, "%s expired on %s", certPath, until)
	case left < certWarnBefore:
		return warn(check, renew, "%s expires on %s, in %d days", certPath, until, int(left.Hours()/24))
	}
	return ok(check, "%s valid until %s (%d days); the key matches", certPath, until, int(left.Hours()/24))
}

// readLeaf parses the first certificate of a PEM file.
func readLeaf(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.Unwrap(err)
	}
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, errors.New("no PEM certificate in the file")
		}
		if blk.Type == "CERTIFICATE" {
			return x509.ParseCertificate(blk.Bytes)
		}
	}
}

// checkCheckpoint checks that the audit log's entries are covered by a
// signed checkpoint soon after they are written. An idle log needs no new
// checkpoint, so the age that counts is that of the oldest entry no
// checkpoint covers.
func (d *doctor) checkCheckpoint(ctx context.Context) finding {
	const check = "audit checkpoint"
	if d.db == nil {
		return skip(check, "the database did not open")
	}
	size, err := d.db.AuditSize(ctx)
	if err != nil {
		return fail(check, "check the database", "%s", oneLine(err.Error()))
	}
	cp, err := d.db.LatestAuditCheckpoint(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fail(check, "check the database", "%s", oneLine(err.Error()))
	}
	var oldest time.Time
	if size > cp.TreeSize {
		for r, err := range d.db.AuditRecords(ctx, cp.TreeSize+1, cp.TreeSize+1) {
			if err != nil {
				return fail(check, "check the database", "%s", oneLine(err.Error()))
			}
			oldest = r.At
			break
		}
	}
	return checkpointFinding(cp, size, oldest, d.f.checkpointInterval, d.now())
}

// checkpointFinding judges the latest checkpoint cp (zero when none) of a
// log of size entries, the oldest of those it does not cover written at
// oldest.
func checkpointFinding(cp audit.Checkpoint, size int64, oldest time.Time, interval time.Duration, now time.Time) finding {
	const check = "audit checkpoint"
	limit := 2 * interval
	fix := "start the server (it signs checkpoints every --checkpoint-interval), or run 'safeguard audit checkpoint --export FILE'"
	switch {
	case size == 0:
		return ok(check, "the audit log is empty")
	case cp.TreeSize == 0 && now.Sub(oldest) > limit:
		return warn(check, fix, "no checkpoint signed yet; the first entry is %s old", roundAge(now.Sub(oldest)))
	case cp.TreeSize == 0:
		return ok(check, "no checkpoint yet; the log's entries are younger than %s", limit)
	case size > cp.TreeSize && now.Sub(oldest) > limit:
		return warn(check, fix, "latest checkpoint is %s old and leaves %d entries unsigned, the oldest %s old (over 2 x --checkpoint-interval)",
			roundAge(now.Sub(cp.At)), size-cp.TreeSize, roundAge(now.Sub(oldest)))
	}
	return ok(check, "latest checkpoint %s old covers %d of %d entries", roundAge(now.Sub(cp.At)), cp.TreeSize, size)
}

func roundAge(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return d.Round(time.Minute).String()
	}
	return d.Round(time.Second).String()
}

// checkBackups finds the newest backup file in --backup-dir.
func (d *doctor) checkBackups() finding {
	const check = "backup"
	if d.f.backupDir == "" {
		return warn(check, "schedule backups with serve's --backup-dir and --backup-recipient (SAFEGUARD_BACKUP_DIR in the server's environment) and give the doctor the same --backup-dir",
			"no --backup-dir: the age of the last backup is unknown")
	}
	entries, err := os.ReadDir(d.f.backupDir)
	if err != nil {
		return warn(check, "pass serve's --backup-dir, or create it: install -d -m 0700 -o safeguard "+d.f.backupDir,
			"backup folder %s: %v", d.f.backupDir, errors.Unwrap(err))
	}
	var newest string
	var newestAt time.Time
	for _, e := range entries {
		if !e.Type().IsRegular() || !scheduledPattern.MatchString(e.Name()) {
			continue
		}
		st, err := e.Info()
		if err != nil {
			continue
		}
		if st.ModTime().After(newestAt) {
			newest, newestAt = e.Name(), st.ModTime()
		}
	}
	return backupFinding(d.f.backupDir, newest, newestAt, d.now())
}

func backupFinding(dir, newest string, at, now time.Time) finding {
	const check = "backup"
	fix := "check that serve runs with --backup-dir " + dir + " and --backup-recipient (its log says why a backup failed), or run 'safeguard backup'"
	if newest == "" {
		return warn(check, fix, "no backup (%s) in %s", backupPattern, dir)
	}
	if age := now.Sub(at); age > backupMaxAge {
		return warn(check, fix, "the newest backup %s is %s old (over 2 days)", newest, roundAge(age))
	}
	return ok(check, "the newest backup %s is %s old", newest, roundAge(now.Sub(at)))
}

// checkClock compares this machine's clock with PostgreSQL's, or, for
// SQLite, asks systemd whether the clock is synchronised.
func (d *doctor) checkClock(ctx context.Context) finding {
	const check = "clock"
	if d.db != nil && d.db.Dialect() == store.Postgres {
		before := d.now()
		server, err := d.db.ServerTime(ctx)
		after := d.now()
		if err != nil {
			return fail(check, "check the database", "%s", oneLine(err.Error()))
		}
		// The server read its clock somewhere within the round trip.
		local := before.Add(after.Sub(before) / 2)
		return skewFinding(server.Sub(local), after.Sub(before))
	}
	synced, err := d.ntpState(ctx)
	if err != nil {
		return skip(check, "cannot tell whether the system clock is synchronised (%v); check NTP by hand", err)
	}
	if !synced {
		return warn(check, "enable time synchronisation: timedatectl set-ntp true (systemd-timesyncd or chrony)", "the system clock is not synchronised (timedatectl)")
	}
	return ok(check, "the system clock is synchronised (timedatectl)")
}

func skewFinding(skew, rtt time.Duration) finding {
	const check = "clock"
	abs := skew
	if abs < 0 {
		abs = -abs
	}
	if abs > clockMaxSkew+rtt/2 {
		return warn(check, "synchronise both machines' clocks with NTP (timedatectl set-ntp true, or chrony)",
			"this machine's clock and the database server's differ by %s (over %s)", skew.Round(time.Millisecond), clockMaxSkew)
	}
	return ok(check, "this machine's clock and the database server's agree within %s", abs.Round(time.Millisecond)+rtt.Round(time.Millisecond))
}

// timedatectlSynced asks systemd whether the clock is synchronised.
func timedatectlSynced(ctx context.Context) (bool, error) {
	path, err := exec.LookPath("timedatectl")
	if err != nil {
		return false, errors.New("timedatectl is not installed")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "show", "--property=NTPSynchronized", "--value").Output()
	if err != nil {
		return false, errors.New("timedatectl did not answer: no systemd here")
	}
	switch strings.TrimSpace(string(out)) {
	case "yes":
		return true, nil
	case "no":
		return false, nil
	}
	return false, fmt.Errorf("timedatectl said %q", strings.TrimSpace(string(out)))
}

// checkDisk checks the free space where the data folder lives.
func (d *doctor) checkDisk() finding {
	const check = "disk space"
	free, total, err := diskSpace(d.dir)
	if err != nil {
		return skip(check, "%v", err)
	}
	return diskFinding(d.dir, free, total)
}

func diskFinding(dir string, free, total uint64) finding {
	const check = "disk space"
	part := 0.0
	if total > 0 {
		part = float64(free) / float64(total)
	}
	gb := float64(free) / (1 << 30)
	if free < diskMinFree || part < diskMinFreePart {
		return warn(check, "free space or move the data folder to a larger disk: SQLite and the audit log need room to grow",
			"%.1f GiB free (%.0f%%) where %s lives (warn under 1 GiB or 10%%)", gb, part*100, dir)
	}
	return ok(check, "%.1f GiB free (%.0f%%) where %s lives", gb, part*100, dir)
}

// checkReady asks the running server whether it is ready.
func (d *doctor) checkReady(ctx context.Context) finding {
	const check = "readyz"
	u, client, err := d.readyURL()
	if err != nil {
		return fail(check, "check --tls-cert", "%v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fail(check, "check --addr", "%v", err)
	}
	resp, err := client.Do(req)
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		err = ue.Err // the URL is in the line already
	}
	if err != nil {
		return fail(check, "start the server (systemctl start safeguard), or check --addr", "GET %s: %s", u, oneLine(err.Error()))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fail(check, "read the server's log (journalctl -u safeguard): the database is unreachable or not migrated",
			"GET %s answered %d %s", u, resp.StatusCode, oneLine(string(body)))
	}
	return ok(check, "GET %s answered 200", u)
}

// readyURL is /readyz at --addr, over TLS when the server serves TLS, with
// a client that trusts the configured certificate besides the system's.
func (d *doctor) readyURL() (string, *http.Client, error) {
	host, port, _ := net.SplitHostPort(d.f.addr)
	if host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified() {
		host = "127.0.0.1"
	}
	addr := net.JoinHostPort(host, port)
	certPath := d.f.tlsCert
	if d.f.tlsSelfSigned {
		certPath = filepath.Join(d.dir, "tls", "self-signed.crt")
	}
	if certPath == "" {
		return "http://" + addr + "/readyz", d.client, nil
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if b, err := os.ReadFile(certPath); err == nil {
		roots.AppendCertsFromPEM(b)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	if isLoopback(host) {
		// Reached on loopback, the server is known by a name its
		// certificate carries.
		tr.TLSClientConfig.ServerName = "localhost"
		if leaf, err := readLeaf(certPath); err == nil && len(leaf.DNSNames) > 0 {
			tr.TLSClientConfig.ServerName = leaf.DNSNames[0]
		}
	}
	return "https://" + addr + "/readyz", &http.Client{Timeout: d.client.Timeout, Transport: tr}, nil
}
