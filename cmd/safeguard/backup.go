package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"filippo.io/age"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/jobs"
	"github.com/safeguard-health/safeguard/internal/store"
)

// A backup is one file: age( gzip( tar ) ). The tar holds, in order:
//
//	SAFEGUARD-BACKUP          a small JSON header: format, version, engine, whether keys are inside
//	database/safeguard.db     SQLite: the database, copied with VACUUM INTO
//	database/dump.NNNNNN      PostgreSQL: the logical dump (store.DumpFormat) in 8 MiB parts
//	keys/master.key           the key-encryption key (left out with --without-keys)
//	keys/audit.key            the audit checkpoint signing key (left out with --without-keys)
//	keys/audit-keys.pub       the public halves of every audit signing key
//	manifest.json             format and schema versions, time, engine, each part's SHA-256
//	                          and size, rows per table, the audit log's size and checkpoint
//
// Evidence files are rows of the database (sealed under the KEK), so they are
// inside the database part. age authenticates the whole stream, so a changed
// or missing byte fails decryption; the manifest's checksums are checked
// again part by part before a restore writes anything into place.
const (
	backupHeaderName    = "SAFEGUARD-BACKUP"
	backupFormat        = "safeguard-backup"
	backupFormatVersion = 1
	partSQLite          = "database/safeguard.db"
	partDumpPrefix      = "database/dump."
	partKEK             = "keys/master.key"
	partAuditKey        = "keys/audit.key"
	partAuditPub        = "keys/audit-keys.pub"
	partManifest        = "manifest.json"
	dumpChunk           = 8 << 20
)

// backupHeader is the first entry: enough to refuse a wrong restore early.
type backupHeader struct {
	Format        string `json:"format"`
	FormatVersion int    `json:"format_version"`
	Engine        string `json:"engine"`
	KeysIncluded  bool   `json:"keys_included"`
}

// backupManifest is the last entry.
type backupManifest struct {
	backupHeader
	SafeguardVersion string        `json:"safeguard_version"`
	CreatedAt        time.Time     `json:"created_at"`
	SchemaVersion    int           `json:"schema_version"`
	Source           string        `json:"source"`
	KEKIDs           []string      `json:"kek_ids,omitempty"`
	Parts            []backupPart  `json:"parts"`
	Tables           []backupTable `json:"tables"`
	Audit            backupAudit   `json:"audit"`
	EvidenceVersions int64         `json:"evidence_versions"`
}

type backupPart struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

type backupTable struct {
	Name string `json:"name"`
	Rows int64  `json:"rows"`
}

type backupAudit struct {
	Entries        int64  `json:"entries"`
	CheckpointSize int64  `json:"checkpoint_size,omitempty"`
	CheckpointRoot string `json:"checkpoint_root,omitempty"`
	CheckpointKey  string `json:"checkpoint_key,omitempty"`
}

const backupSynopsis = "backup [--data DIR | --db URL] -o FILE (--passphrase-stdin | --recipient AGE_PUBLIC_KEY) [--without-keys]"

const backupDesc = "Write an encrypted backup of the whole deployment while it runs: a consistent\n" +
	"snapshot of the database (evidence files and the audit log with its checkpoints are\n" +
	"inside it), the public audit keys and, unless --without-keys, the key-encryption key\n" +
	"and the audit signing key, with a manifest of checksums and row counts.\n\n" +
	"The file is encrypted with age (https://age-encryption.org): --passphrase-stdin reads a\n" +
	"passphrase from the first line of standard input, --recipient encrypts to an age\n" +
	"public key. It is written beside FILE and renamed into place once complete.\n" +
	"Keep a --without-keys backup apart from the key file: restore then needs --key-file."

// backupOptions say what a backup holds and where it goes.
type backupOptions struct {
	recipients  []age.Recipient
	withoutKeys bool
	progress    bool
	// wrap, when set, wraps the file writer (tests use it to fill the disk).
	wrap func(io.Writer) io.Writer
}

func (m *Main) runBackup(ctx context.Context, args []string) error {
	fs := m.newFlagSet("backup", backupSynopsis, backupDesc)
	f := addInstanceFlags(fs, defaultDataDir)
	out := fs.String("o", "", "the backup file to write (e.g. safeguard-2026-12-05.backup.age)")
	passStdin := fs.Bool("passphrase-stdin", false, "encrypt with a passphrase read from the first line of standard input")
	recipient := fs.String("recipient", "", "encrypt to this age public key (age1...)")
	withoutKeys := fs.Bool("without-keys", false, "leave the key-encryption key and the audit signing key out (restore then needs --key-file)")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *out == "" {
		return usagef("backup: -o FILE is required")
	}
	recipients, err := m.backupRecipients("backup", *passStdin, *recipient)
	if err != nil {
		return err
	}
	in, err := m.openInstance(ctx, f, openExisting, m.quietLogger())
	if err != nil {
		return err
	}
	defer in.Close()
	start := time.Now()
	man, size, err := m.backupToFile(ctx, in, *out, backupOptions{recipients: recipients, withoutKeys: *withoutKeys, progress: isTerminal(m.Stderr)})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Backup of %s (%s, schema %d) written to %s: %s in %s.\n", in.db.Location(), man.Engine, man.SchemaVersion,
		*out, byteCount(size), time.Since(start).Round(time.Millisecond))
	var rows int64
	for _, t := range man.Tables {
		rows += t.Rows
	}
	fmt.Fprintf(m.Stdout, "  %d tables, %d rows, %d evidence file versions, %d audit entries", len(man.Tables), rows, man.EvidenceVersions, man.Audit.Entries)
	if man.Audit.CheckpointRoot != "" {
		fmt.Fprintf(m.Stdout, " (checkpoint of %d, root %s)", man.Audit.CheckpointSize, man.Audit.CheckpointRoot)
	}
	fmt.Fprintln(m.Stdout, ".")
	if man.KeysIncluded {
		fmt.Fprintln(m.Stdout, "  The key-encryption key and the audit signing key are inside: guard the file and its passphrase or identity like the keys themselves.")
	} else {
		fmt.Fprintln(m.Stdout, "  Without keys: keep the key file (master.key) and audit.key safe elsewhere; restore needs --key-file.")
	}
	return nil
}

// backupRecipients reads the encryption flags: a passphrase from standard
// input or an age public key, exactly one of them.
func (m *Main) backupRecipients(cmd string, passStdin bool, recipient string) ([]age.Recipient, error) {
	switch {
	case passStdin && recipient != "":
		return nil, usagef("%s: give --passphrase-stdin or --recipient, not both", cmd)
	case passStdin:
		pass, err := m.readPassphrase()
		if err != nil {
			return nil, err
		}
		r, err := age.NewScryptRecipient(pass)
		if err != nil {
			return nil, usagef("%s: %v", cmd, err)
		}
		return []age.Recipient{r}, nil
	case recipient != "":
		rs, err := age.ParseRecipients(strings.NewReader(recipient))
		if err != nil || len(rs) == 0 {
			return nil, usagef("%s: --recipient %q is not an age public key (age1...)", cmd, recipient)
		}
		return rs, nil
	}
	return nil, usagef("%s: a backup is always encrypted: give --passphrase-stdin or --recipient AGE_PUBLIC_KEY", cmd)
}

// backupToFile writes a backup of in to path through a temporary file beside
// it, renamed into place once complete and synced: a failure (a full disk,
// a cancelled context) leaves nothing at path and no temporary file. It
// records the backup in the audit log.
func (m *Main) backupToFile(ctx context.Context, in *instance, path string, opts backupOptions) (man backupManifest, size int64, err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return man, 0, fmt.Errorf("backup: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	cw := &countWriter{w: tmp}
	var w io.Writer = cw
	if opts.wrap != nil {
		w = opts.wrap(w)
	}
	if opts.progress {
		start := time.Now()
		done := make(chan struct{})
		stopped := make(chan struct{})
		// The progress line is redrawn every half second until the file is
		// written (done is closed on return).
		go func() {
			defer close(stopped)
			t := time.NewTicker(500 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					fmt.Fprintf(m.Stderr, "\rbackup: %s written, %s", byteCount(cw.n.Load()), time.Since(start).Round(time.Second))
				}
			}
		}()
		defer func() {
			close(done)
			<-stopped
			fmt.Fprintf(m.Stderr, "\rbackup: %s written, %s\n", byteCount(cw.n.Load()), time.Since(start).Round(time.Millisecond))
		}()
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	ew, err := age.Encrypt(bw, opts.recipients...)
	if err != nil {
		return man, 0, fmt.Errorf("backup: encrypt: %w", err)
	}
	if man, err = m.writeBackup(ctx, in, ew, opts); err != nil {
		return man, 0, backupWriteError(err)
	}
	if err = ew.Close(); err != nil {
		return man, 0, backupWriteError(err)
	}
	if err = bw.Flush(); err != nil {
		return man, 0, backupWriteError(err)
	}
	if err = tmp.Sync(); err != nil {
		return man, 0, backupWriteError(err)
	}
	if err = tmp.Close(); err != nil {
		return man, 0, backupWriteError(err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return man, 0, fmt.Errorf("backup: %w", err)
	}
	size = cw.n.Load()
	summary := fmt.Sprintf("backup written to %s: %s, %s, schema %d, %d audit entries, %d evidence versions, keys %s",
		filepath.Base(path), byteCount(size), man.Engine, man.SchemaVersion, man.Audit.Entries, man.EvidenceVersions, map[bool]string{true: "included", false: "left out"}[man.KeysIncluded])
	if err := in.db.AppendAudit(ctx, store.Actor{Name: "cli:" + m.cliUser()}, audit.Entry{Action: "backup.create", Object: "backup", Summary: summary}); err != nil {
		return man, size, fmt.Errorf("backup written to %s, but recording it in the audit log failed: %w", path, err)
	}
	return man, size, nil
}

// backupWriteError says plainly that the disk is full when it is.
func backupWriteError(err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("backup: the disk is full (%v); nothing was written", err)
	}
	return fmt.Errorf("backup: %w; nothing was written", err)
}

// writeBackup writes the tar stream of a backup of in to w.
func (m *Main) writeBackup(ctx context.Context, in *instance, w io.Writer, opts backupOptions) (backupManifest, error) {
	man := backupManifest{
		backupHeader:     backupHeader{Format: backupFormat, FormatVersion: backupFormatVersion, Engine: string(in.db.Dialect()), KeysIncluded: !opts.withoutKeys},
		SafeguardVersion: version(),
		CreatedAt:        time.Now().UTC().Truncate(time.Second),
		Source:           in.db.Location(),
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return man, err
	}
	tw := &backupTar{tw: tar.NewWriter(zw), at: man.CreatedAt}
	head, _ := json.MarshalIndent(man.backupHeader, "", "  ")
	if err := tw.add(backupHeaderName, head, nil); err != nil {
		return man, err
	}
	var snap store.Snapshot
	switch in.db.Dialect() {
	case store.SQLite:
		spool := filepath.Join(in.dataDir, "tmp")
		if err := os.MkdirAll(spool, 0o700); err != nil {
			return man, err
		}
		path := filepath.Join(spool, fmt.Sprintf("backup-%d.db", time.Now().UnixNano()))
		defer os.Remove(path)
		if snap, err = in.db.SnapshotSQLite(ctx, path); err != nil {
			return man, err
		}
		f, err := os.Open(path)
		if err != nil {
			return man, err
		}
		st, err := f.Stat()
		if err == nil {
			err = tw.addStream(partSQLite, st.Size(), f, &man.Parts)
		}
		f.Close()
		if err != nil {
			return man, err
		}
	default:
		cw := &chunkWriter{tw: tw, parts: &man.Parts}
		if snap, err = in.db.Dump(ctx, cw); err != nil {
			return man, err
		}
		if err := cw.flush(); err != nil {
			return man, err
		}
	}
	man.SchemaVersion = snap.SchemaVersion
	for _, t := range snap.Tables {
		man.Tables = append(man.Tables, backupTable{Name: t, Rows: snap.Rows[t]})
	}
	man.Audit.Entries, man.EvidenceVersions = snap.AuditEntries, snap.EvidenceFiles
	if cp := snap.Checkpoint; cp != nil {
		man.Audit.CheckpointSize, man.Audit.CheckpointRoot, man.Audit.CheckpointKey = cp.TreeSize, cp.Root.String(), cp.KeyID
	}
	keys := auditKeys{dir: in.dataDir}
	if !opts.withoutKeys {
		text, err := in.keys.MarshalKeyFile()
		if err != nil {
			return man, err
		}
		if err := tw.add(partKEK, text, &man.Parts); err != nil {
			return man, err
		}
		man.KEKIDs = in.keys.IDs()
		if b, err := os.ReadFile(keys.keyPath()); err == nil {
			if err := tw.add(partAuditKey, b, &man.Parts); err != nil {
				return man, err
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return man, fmt.Errorf("audit signing key: %w", err)
		}
	}
	if b, err := os.ReadFile(keys.pubPath()); err == nil {
		if err := tw.add(partAuditPub, b, &man.Parts); err != nil {
			return man, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return man, fmt.Errorf("audit public keys: %w", err)
	}
	text, _ := json.MarshalIndent(man, "", "  ")
	if err := tw.add(partManifest, text, nil); err != nil {
		return man, err
	}
	if err := tw.tw.Close(); err != nil {
		return man, err
	}
	return man, zw.Close()
}

// backupTar writes tar entries, recording each part's checksum and size.
type backupTar struct {
	tw *tar.Writer
	at time.Time
}

func (b *backupTar) add(name string, data []byte, parts *[]backupPart) error {
	return b.addStream(name, int64(len(data)), bytes.NewReader(data), parts)
}

func (b *backupTar) addStream(name string, size int64, r io.Reader, parts *[]backupPart) error {
	if err := b.tw.WriteHeader(&tar.Header{Name: name, Size: size, Mode: 0o600, ModTime: b.at, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(b.tw, h), r)
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("backup part %s: wrote %d bytes, want %d", name, n, size)
	}
	if parts != nil {
		*parts = append(*parts, backupPart{Name: name, SHA256: hex.EncodeToString(h.Sum(nil)), Size: size})
	}
	return nil
}

// chunkWriter cuts a stream into tar entries of dumpChunk bytes, because a
// tar entry needs its size before its bytes and a dump is not spooled to
// disk unencrypted.
type chunkWriter struct {
	tw    *backupTar
	parts *[]backupPart
	buf   []byte
	n     int
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		room := dumpChunk - len(c.buf)
		k := min(room, len(p))
		c.buf = append(c.buf, p[:k]...)
		p, written = p[k:], written+k
		if len(c.buf) == dumpChunk {
			if err := c.flush(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

func (c *chunkWriter) flush() error {
	if len(c.buf) == 0 && c.n > 0 {
		return nil
	}
	c.n++
	err := c.tw.add(fmt.Sprintf("%s%06d", partDumpPrefix, c.n), c.buf, c.parts)
	c.buf = c.buf[:0]
	return err
}

// countWriter counts the bytes written through it; the count is read by the
// progress goroutine.
type countWriter struct {
	w io.Writer
	n atomic.Int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// backupProblem is a backup file that cannot be restored: damaged, cut
// short, not a backup, or not opened by the passphrase or identity given.
type backupProblem struct{ msg string }

func (p *backupProblem) Error() string { return p.msg }

func damaged(file string, err error) error {
	return &backupProblem{msg: fmt.Sprintf("the backup %s is damaged or cut short (%v); nothing was restored", file, oneLine(err.Error()))}
}

// readBackup decrypts and reads the backup in file, calling visit for each
// part (with the part's bytes, which it must read to the end or not at all),
// and checks every part against the manifest's checksum and size. It returns
// the manifest only when everything matched. header is called with the
// first entry, before any part.
func readBackup(file string, ids []age.Identity, passphrase bool, header func(backupHeader) error, visit func(name string, r io.Reader) error) (backupManifest, error) {
	var man backupManifest
	f, err := os.Open(file)
	if err != nil {
		return man, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	if head, _ := br.Peek(len(ageHeader)); string(head) != ageHeader {
		return man, &backupProblem{msg: fmt.Sprintf("%s is not a Safeguard backup (not an age-encrypted file)", file)}
	}
	dr, err := age.Decrypt(br, ids...)
	var nm *age.NoIdentityMatchError
	if errors.As(err, &nm) {
		what := "the identity file does not open it"
		if passphrase {
			what = "the passphrase does not open it"
		}
		return man, &backupProblem{msg: fmt.Sprintf("cannot decrypt %s: %s", file, what)}
	} else if err != nil {
		return man, damaged(file, err)
	}
	zr, err := gzip.NewReader(dr)
	if err != nil {
		return man, damaged(file, err)
	}
	tr := tar.NewReader(zr)
	got := map[string]backupPart{}
	var order []string
	first, haveManifest := true, false
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return man, damaged(file, err)
		}
		if first {
			first = false
			var hd backupHeader
			b, err := io.ReadAll(io.LimitReader(tr, 1<<16))
			if err != nil {
				return man, damaged(file, err)
			}
			if h.Name != backupHeaderName || json.Unmarshal(b, &hd) != nil || hd.Format != backupFormat {
				return man, &backupProblem{msg: fmt.Sprintf("%s is not a Safeguard backup", file)}
			}
			if hd.FormatVersion > backupFormatVersion {
				return man, &backupProblem{msg: fmt.Sprintf("%s is a backup of format %d; this safeguard reads up to %d: use a newer safeguard", file, hd.FormatVersion, backupFormatVersion)}
			}
			if err := header(hd); err != nil {
				return man, err
			}
			continue
		}
		if h.Name == partManifest {
			b, err := io.ReadAll(io.LimitReader(tr, 64<<20))
			if err != nil {
				return man, damaged(file, err)
			}
			if err := json.Unmarshal(b, &man); err != nil {
				return man, damaged(file, fmt.Errorf("manifest: %w", err))
			}
			haveManifest = true
			continue
		}
		if haveManifest || h.Typeflag != tar.TypeReg {
			return man, damaged(file, fmt.Errorf("unexpected entry %q", h.Name))
		}
		hs := sha256.New()
		cr := &hashReader{r: tr, h: hs}
		if err := visit(h.Name, cr); err != nil {
			if cr.err != nil {
				return man, damaged(file, cr.err)
			}
			return man, err
		}
		// Whatever visit left unread is hashed too.
		if _, err := io.Copy(io.Discard, cr); err != nil {
			return man, damaged(file, err)
		}
		got[h.Name] = backupPart{Name: h.Name, SHA256: hex.EncodeToString(hs.Sum(nil)), Size: cr.n}
		order = append(order, h.Name)
	}
	// The stream must end where age says it ends: a cut is an error above.
	if !haveManifest {
		return man, damaged(file, errors.New("no manifest"))
	}
	if len(man.Parts) != len(got) {
		return man, damaged(file, fmt.Errorf("the manifest lists %d parts, the file holds %d", len(man.Parts), len(got)))
	}
	for i, p := range man.Parts {
		g, ok := got[p.Name]
		if !ok || order[i] != p.Name {
			return man, damaged(file, fmt.Errorf("part %s is missing or out of place", p.Name))
		}
		if g.SHA256 != p.SHA256 || g.Size != p.Size {
			return man, damaged(file, fmt.Errorf("part %s has SHA-256 %s and %d bytes, the manifest says %s and %d", p.Name, g.SHA256, g.Size, p.SHA256, p.Size))
		}
	}
	return man, nil
}

// hashReader hashes and counts what is read through it, and keeps the
// error of the backup stream itself (decryption, decompression), so that a
// damaged file is told apart from a failure to write what was read.
type hashReader struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	err error
}

func (r *hashReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		r.err = err
	}
	return n, err
}

const restoreSynopsis = "restore (--data DIR | --db URL) FILE (--passphrase-stdin | --identity FILE) [--key-file FILE]"

const restoreDesc = "Restore a backup into an empty data folder (SQLite) or an empty PostgreSQL database,\n" +
	"and prove it: every part is checked against the manifest before anything is put in\n" +
	"place; then the audit log is verified, every evidence file is decrypted and its SHA-256\n" +
	"checked, and the row counts are compared with the manifest. The drill is recorded in\n" +
	"each organisation's audit log as a contingency-plan test (45 CFR 164.308(a)(7)(ii)(D)).\n\n" +
	"A data folder is written in a temporary folder beside it and moved into place at the\n" +
	"end; a PostgreSQL database is loaded in one transaction (its key files go to --data).\n" +
	"A target that is not empty is refused. A backup made --without-keys needs --key-file."

// restoreSummary is what a restore checked.
type restoreSummary struct {
	tables, rows   int64
	audit          *audit.Report
	evidence       store.EvidenceCheck
	migrated       bool
	checkpointNote string
	orgs           int
}

func (m *Main) runRestore(ctx context.Context, args []string) error {
	fs := m.newFlagSet("restore", restoreSynopsis, restoreDesc)
	f := addInstanceFlags(fs, "")
	passStdin := fs.Bool("passphrase-stdin", false, "decrypt with a passphrase read from the first line of standard input")
	identityFile := fs.String("identity", "", "decrypt with this age identity file (AGE-SECRET-KEY-...)")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("restore: want one backup FILE (run 'safeguard restore --help')")
	}
	file := fs.Arg(0)
	if f.data == "" && f.db == "" {
		return usagef("restore: say where to restore: --data DIR (SQLite) or --db postgres://... (with --data DIR for its key files)")
	}
	if f.db != "" && !strings.HasPrefix(f.db, "postgres://") && !strings.HasPrefix(f.db, "postgresql://") {
		return usagef("restore: --db takes a postgres:// URL; restore a SQLite backup with --data DIR")
	}
	if f.data == "" {
		f.data = defaultDataDir
	}
	var ids []age.Identity
	switch {
	case *passStdin && *identityFile != "":
		return usagef("restore: give --passphrase-stdin or --identity, not both")
	case *passStdin:
		pass, err := m.readPassphrase()
		if err != nil {
			return err
		}
		id, err := age.NewScryptIdentity(pass)
		if err != nil {
			return usagef("restore: %v", err)
		}
		ids = append(ids, id)
	case *identityFile != "":
		b, err := os.ReadFile(*identityFile)
		if err != nil {
			return fmt.Errorf("--identity: %w", err)
		}
		if ids, err = age.ParseIdentities(bytes.NewReader(b)); err != nil {
			return fmt.Errorf("--identity %s: %w", *identityFile, err)
		}
	default:
		return usagef("restore: give --passphrase-stdin or --identity FILE to decrypt the backup")
	}
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	dir, err := filepath.Abs(f.data)
	if err != nil {
		return err
	}
	if err := checkEmptyFolder(dir); err != nil {
		return err
	}
	start := time.Now()
	r := &restore{m: m, file: file, ids: ids, passphrase: *passStdin, dir: dir, dbURL: f.db, keyFile: f.keyFile}
	man, sum, err := r.run(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Restored %s (%s, schema %d, made %s by safeguard %s) into %s in %s.\n", file, man.Engine, man.SchemaVersion,
		man.CreatedAt.Format(time.RFC3339), man.SafeguardVersion, r.where(), time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(m.Stdout, "  parts: %d, every SHA-256 matches the manifest\n", len(man.Parts))
	fmt.Fprintf(m.Stdout, "  rows: %d in %d tables, as the manifest counts them\n", sum.rows, sum.tables)
	fmt.Fprintf(m.Stdout, "  audit log intact: %d entries, root %s, %d checkpoints checked\n", sum.audit.Entries, hex.EncodeToString(sum.audit.Root[:]), sum.audit.Checkpoints)
	fmt.Fprintf(m.Stdout, "  evidence: %d file versions decrypted, %s, every SHA-256 matches\n", sum.evidence.Versions, byteCount(sum.evidence.Bytes))
	fmt.Fprintf(m.Stdout, "  recorded as %s in the audit log of %d organisations%s\n", store.RestoreTestAction, sum.orgs, sum.checkpointNote)
	if !man.KeysIncluded {
		fmt.Fprintf(m.Stdout, "  keys were not in the backup: start with --key-file %s, and copy audit.key into %s before serving\n", r.keyFile, dir)
	}
	return nil
}

// checkEmptyFolder refuses a data folder that exists and holds anything.
func checkEmptyFolder(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("restore: %s: %w", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("restore: %s is not empty; a restore never overwrites anything: restore into a new folder", dir)
	}
	return nil
}

// restore is one run of the restore command.
type restore struct {
	m          *Main
	file       string
	ids        []age.Identity
	passphrase bool
	dir        string // the data folder to create
	dbURL      string // PostgreSQL, or "" for SQLite in dir
	keyFile    string
}

func (r *restore) where() string {
	if r.dbURL != "" {
		return "PostgreSQL (keys in " + r.dir + ")"
	}
	return r.dir
}

// run restores into a temporary folder beside r.dir (and, for PostgreSQL,
// the database in one transaction), checks it, records the drill and moves
// the folder into place.
func (r *restore) run(ctx context.Context) (man backupManifest, sum restoreSummary, err error) {
	parent := filepath.Dir(r.dir)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return man, sum, fmt.Errorf("restore: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(r.dir)+".restore-*")
	if err != nil {
		return man, sum, fmt.Errorf("restore: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	var db *store.DB
	if r.dbURL != "" {
		if db, err = store.Open(ctx, r.dbURL, store.Options{SkipMigrations: true}); err != nil {
			return man, sum, err
		}
		defer db.Close()
		ok, why, err := db.IsEmpty(ctx)
		if err != nil {
			return man, sum, err
		}
		if !ok {
			return man, sum, fmt.Errorf("restore: the database %s is not empty (%s); a restore never overwrites anything: restore into a new database", db.Location(), why)
		}
	}
	header := func(h backupHeader) error {
		switch {
		case h.Engine == string(store.SQLite) && r.dbURL != "":
			return fmt.Errorf("restore: %s is a backup of a SQLite database: restore it into a data folder (--data DIR), then move it to PostgreSQL with 'safeguard migrate-db'", r.file)
		case h.Engine == string(store.Postgres) && r.dbURL == "":
			return fmt.Errorf("restore: %s is a backup of a PostgreSQL database: restore it with --db postgres://... (an empty database) and --data DIR for its keys", r.file)
		case h.Engine != string(store.SQLite) && h.Engine != string(store.Postgres):
			return fmt.Errorf("restore: %s is a backup of an unknown engine %q", r.file, h.Engine)
		case !h.KeysIncluded && r.keyFile == "":
			if _, env := r.m.LookupEnv(envMasterKey); !env {
				return usagef("restore: %s was made --without-keys: pass --key-file FILE (or set %s) with the key-encryption key", r.file, envMasterKey)
			}
		}
		return nil
	}
	// The first pass writes the files of the data folder into tmp; dump
	// parts are only checked. Nothing outside tmp is written before every
	// checksum matched.
	files := map[string]struct {
		name string
		mode os.FileMode
	}{
		partSQLite:   {dbFileName, 0o600},
		partKEK:      {keyFileName, 0o600},
		partAuditKey: {auditKeyName, 0o600},
		partAuditPub: {auditPubKeysName, 0o644},
	}
	progress := r.progress()
	man, err = readBackup(r.file, r.ids, r.passphrase, header, func(name string, rd io.Reader) error {
		if strings.HasPrefix(name, partDumpPrefix) {
			return nil
		}
		to, ok := files[name]
		if !ok {
			return fmt.Errorf("restore: the backup holds an unknown part %q: use the safeguard version that made it", name)
		}
		return writeFileFrom(filepath.Join(tmp, to.name), rd, to.mode, progress)
	})
	progress(-1)
	if err != nil {
		return man, sum, err
	}
	if r.dbURL != "" {
		if err := r.loadPostgres(ctx, db); err != nil {
			return man, sum, err
		}
		db.Close()
	}
	sum, err = r.check(ctx, tmp, man)
	if err != nil && r.dbURL != "" {
		return man, sum, fmt.Errorf("%w (the database now holds the restored data, which failed this check: keep it to investigate, or drop it)", err)
	} else if err != nil {
		return man, sum, err
	}
	// Into place: the empty target folder, if there is one, is replaced.
	if err := os.Remove(r.dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return man, sum, fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(tmp, r.dir); err != nil {
		return man, sum, fmt.Errorf("restore: move %s into place: %w", tmp, err)
	}
	return man, sum, nil
}

// loadPostgres reads the backup a second time and streams its dump into db
// in one transaction, committed only once the stream has ended and every
// checksum matched again.
func (r *restore) loadPostgres(ctx context.Context, db *store.DB) error {
	pr, pw := io.Pipe()
	type result struct {
		sum store.LoadSummary
		err error
	}
	done := make(chan result, 1)
	// The loader ends when the pipe is closed: at the end of the stream,
	// or with the error that stopped the reading.
	go func() {
		s, err := db.LoadDump(ctx, pr, nil)
		pr.CloseWithError(err)
		done <- result{s, err}
	}()
	_, err := readBackup(r.file, r.ids, r.passphrase, func(backupHeader) error { return nil }, func(name string, rd io.Reader) error {
		if !strings.HasPrefix(name, partDumpPrefix) {
			return nil
		}
		_, err := io.Copy(pw, rd)
		return err
	})
	if err != nil {
		pw.CloseWithError(err)
		<-done
		return err
	}
	pw.Close()
	res := <-done
	if res.err != nil {
		return fmt.Errorf("restore: load into PostgreSQL (nothing was kept): %w", res.err)
	}
	return nil
}

// check opens the restored deployment in tmp and proves it: row counts,
// the audit log, every evidence file; then records the drill.
func (r *restore) check(ctx context.Context, tmp string, man backupManifest) (sum restoreSummary, err error) {
	m := r.m
	in, err := m.openInstance(ctx, &instanceFlags{data: tmp, db: r.dbURL, keyFile: r.keyFile}, openExisting, m.quietLogger())
	if err != nil {
		return sum, fmt.Errorf("restore: open the restored data: %w", err)
	}
	defer in.Close()
	have, _, err := in.db.SchemaVersion(ctx)
	if err != nil {
		return sum, err
	}
	sum.migrated = have != man.SchemaVersion
	rows, err := in.db.TableRows(ctx)
	if err != nil {
		return sum, err
	}
	for _, t := range man.Tables {
		sum.tables++
		sum.rows += t.Rows
		if sum.migrated {
			continue // newer migrations may have moved rows
		}
		if got, ok := rows[t.Name]; !ok || got != t.Rows {
			return sum, fmt.Errorf("restore: table %s holds %d rows after the restore, the manifest counts %d", t.Name, got, t.Rows)
		}
	}
	// The audit log, as 'audit verify' checks it, against the public keys
	// restored beside it.
	keys, err := auditKeys{dir: tmp}.trusted(nil)
	if err != nil {
		return sum, fmt.Errorf("restore: audit keys: %w", err)
	}
	cps, err := in.db.AuditCheckpoints(ctx)
	if err != nil {
		return sum, err
	}
	rep, err := audit.Verify(in.db.AuditRecords(ctx, 1, 0), audit.VerifyOptions{Keys: keys, Checkpoints: cps})
	if err != nil {
		return sum, err
	}
	if rep.Problem == nil {
		rep.Problem = in.db.CheckStoredTree(ctx, rep.Latest)
	}
	if rep.Problem != nil {
		return sum, fmt.Errorf("restore: the restored audit log does not verify: %s", rep.Problem.Error())
	}
	if rep.Entries != man.Audit.Entries {
		return sum, fmt.Errorf("restore: the restored audit log holds %d entries, the manifest %d", rep.Entries, man.Audit.Entries)
	}
	if man.Audit.CheckpointRoot != "" && (rep.Latest == nil || rep.Latest.Root.String() != man.Audit.CheckpointRoot) {
		return sum, errors.New("restore: the restored audit log's latest checkpoint is not the one the manifest names")
	}
	sum.audit = &rep
	var progress func(int64)
	if isTerminal(m.Stderr) && man.EvidenceVersions > 0 {
		progress = func(n int64) {
			fmt.Fprintf(m.Stderr, "\rchecking evidence %d/%d", n, man.EvidenceVersions)
		}
	}
	sum.evidence, err = in.db.CheckAllEvidence(ctx, in.keys, progress)
	if progress != nil {
		fmt.Fprintln(m.Stderr)
	}
	if err != nil {
		return sum, err
	}
	if len(sum.evidence.Failed) > 0 {
		return sum, fmt.Errorf("restore: %d evidence file versions fail their check, first %s", len(sum.evidence.Failed), sum.evidence.Failed[0])
	}
	// The drill, in every organisation's log, and a checkpoint over it
	// when the signing key came back too.
	summary := fmt.Sprintf("restore test of backup %s (made %s, %s, schema %d): %d parts matched the manifest; %d rows in %d tables; "+
		"audit log of %d entries verified, root %s; %d evidence versions decrypted and their SHA-256 matched",
		filepath.Base(r.file), man.CreatedAt.Format(time.RFC3339), man.Engine, man.SchemaVersion, len(man.Parts), sum.rows, sum.tables,
		rep.Entries, hex.EncodeToString(rep.Root[:]), sum.evidence.Versions)
	if sum.orgs, err = in.db.RecordRestoreTest(ctx, store.Actor{Name: "cli:" + m.cliUser()}, "backup:"+filepath.Base(r.file), summary); err != nil {
		return sum, err
	}
	k := auditKeys{dir: tmp}
	if _, err := os.Stat(k.keyPath()); err == nil {
		s, err := k.signer(ctx, in.db, m.quietLogger())
		if err != nil {
			return sum, err
		}
		cp, _, err := in.db.CheckpointAudit(ctx, s)
		if err != nil {
			return sum, err
		}
		sum.checkpointNote = fmt.Sprintf(" (checkpoint of %d entries signed)", cp.TreeSize)
	}
	return sum, nil
}

// progress draws the bytes restored on a terminal; n < 0 ends the line.
func (r *restore) progress() func(n int64) {
	if !isTerminal(r.m.Stderr) {
		return func(int64) {}
	}
	start := time.Now()
	var total int64
	return func(n int64) {
		if n < 0 {
			fmt.Fprintln(r.m.Stderr)
			return
		}
		total += n
		fmt.Fprintf(r.m.Stderr, "\rrestore: %s read, %s", byteCount(total), time.Since(start).Round(time.Second))
	}
}

// writeFileFrom writes r to a new file at path, synced.
func writeFileFrom(path string, r io.Reader, mode os.FileMode, progress func(int64)) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			if _, err := f.Write(buf[:n]); err != nil {
				f.Close()
				return err
			}
			progress(int64(n))
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			f.Close()
			return rerr
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Scheduled backups, taken by serve.

// backupScheduleFlags are serve's flags for backups on a schedule.
type backupScheduleFlags struct {
	dir       string
	every     time.Duration
	keep      int
	recipient string
}

func addBackupScheduleFlags(fs *flag.FlagSet) *backupScheduleFlags {
	f := &backupScheduleFlags{}
	fs.StringVar(&f.dir, "backup-dir", "", "take encrypted backups on a schedule into this folder (with --backup-recipient)")
	fs.DurationVar(&f.every, "backup-every", 24*time.Hour, "with --backup-dir: how often to take a backup")
	fs.IntVar(&f.keep, "backup-keep", 7, "with --backup-dir: how many scheduled backups to keep; older ones it made are deleted")
	fs.StringVar(&f.recipient, "backup-recipient", "", "with --backup-dir: the age public key (age1...) scheduled backups are encrypted to")
	return f
}

// scheduledName is the name of a scheduled backup; only files matching
// scheduledPattern are ever deleted by pruning.
const scheduledLayout = "20060102T150405Z"

var scheduledPattern = regexp.MustCompile(`^safeguard-backup-\d{8}T\d{6}Z\.age$`)

// backupJob returns the scheduled backup as a function the job runner can
// call: take a backup into f.dir, then delete the oldest scheduled backups
// beyond f.keep.
func (m *Main) backupJob(in *instance, f *backupScheduleFlags, recipients []age.Recipient, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		name := "safeguard-backup-" + time.Now().UTC().Format(scheduledLayout) + ".age"
		path := filepath.Join(f.dir, name)
		start := time.Now()
		man, size, err := m.backupToFile(ctx, in, path, backupOptions{recipients: recipients})
		if err != nil {
			return err
		}
		log.Info("backup written", slog.String("file", path), slog.Int64("bytes", size), slog.Int("schema", man.SchemaVersion),
			slog.Int64("audit_entries", man.Audit.Entries), slog.Duration("took", time.Since(start)))
		removed, err := pruneBackups(f.dir, f.keep)
		for _, r := range removed {
			log.Info("old backup deleted", slog.String("file", r))
		}
		return err
	}
}

// pruneBackups deletes the oldest scheduled backups in dir beyond keep.
// Files whose names do not match scheduledPattern are never touched.
func pruneBackups(dir string, keep int) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && scheduledPattern.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names) // the timestamp sorts oldest first
	var removed []string
	for len(names) > keep {
		p := filepath.Join(dir, names[0])
		if err := os.Remove(p); err != nil {
			return removed, err
		}
		removed = append(removed, p)
		names = names[1:]
	}
	return removed, nil
}

// startScheduledBackups registers the backup job with the job runner when
// --backup-dir is set: every --backup-every, one replica takes a backup
// into its --backup-dir and prunes the oldest beyond --backup-keep. The
// runner stops the job (cancelling a backup in progress) before the
// database closes.
func (m *Main) startScheduledBackups(runner *jobs.Runner, in *instance, f *backupScheduleFlags, log *slog.Logger) error {
	if f.dir == "" {
		return nil
	}
	if f.every < time.Minute {
		return usagef("--backup-every %s: want at least 1m", f.every)
	}
	if f.keep < 1 {
		return usagef("--backup-keep %d: want at least 1", f.keep)
	}
	if f.recipient == "" {
		return usagef("--backup-dir needs --backup-recipient AGE_PUBLIC_KEY: scheduled backups are encrypted to a key whose secret half is kept elsewhere")
	}
	recipients, err := age.ParseRecipients(strings.NewReader(f.recipient))
	if err != nil || len(recipients) == 0 {
		return usagef("--backup-recipient %q is not an age public key (age1...)", f.recipient)
	}
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return fmt.Errorf("--backup-dir: %w", err)
	}
	// One replica takes each period's backup (internal/jobs runs a job once
	// per period across replicas); a backup cut off by a shutdown leaves no
	// file behind and is taken again.
	return runner.Register("backup", f.every, m.backupJob(in, f, recipients, log))
}
