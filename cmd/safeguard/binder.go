package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/report"
	"github.com/safeguard-health/safeguard/internal/store"
)

// binderReport renders the report document a binder carries (report.pdf
// once the PDF renderer is passed in; report.json until then).
type binderReport func(ctx context.Context, in *instance, org identity.Org) (report.Document, error)

// runBinderCommand runs `report binder` and `report verify-binder`; the
// report command calls it first with its arguments (args[0] is the
// subcommand) and its renderer, and carries on when handled is false. A nil
// doc puts the JSON model in the binder.
func (m *Main) runBinderCommand(ctx context.Context, args []string, doc binderReport) (handled bool, err error) {
	if len(args) == 0 {
		return false, nil
	}
	switch args[0] {
	case "binder":
		return true, m.reportBinder(ctx, args[1:], doc)
	case "verify-binder":
		return true, m.verifyBinder(args[1:])
	}
	return false, nil
}

const binderSynopsis = "report binder --org SLUG -o FILE.zip [--passphrase-stdin | --recipient AGE_PUBLIC_KEY] [--data DIR | --db URL]\n" +
	"       safeguard report verify-binder FILE.zip [--passphrase-stdin | --identity FILE] [--key PUBKEY_FILE]"

const binderDesc = "An evidence binder is one zip file for an investigator or auditor: the report, the\n" +
	"current version of every evidence file of the organisation (decrypted), a manifest\n" +
	"(manifest.json: each file's name, SHA-256, size, evidence and linked entries), the\n" +
	"latest signed audit checkpoint (checkpoint.txt), the checkpoint signing public keys\n" +
	"(audit-keys.pub), and for every file the audit entry that recorded it with its\n" +
	"inclusion proof against the checkpoint. Building one is audited (evidence downloads\n" +
	"and a report.binder entry naming the report's SHA-256).\n\n" +
	"verify-binder checks a binder offline, with no database: every file against the\n" +
	"manifest, nothing missing or extra, the checkpoint's signature, each entry's leaf\n" +
	"hash and inclusion proof, and that each entry names its file's evidence version and\n" +
	"SHA-256. Exit 0 when it holds, 1 naming the first problem, 2 on usage errors.\n" +
	"Without --key the checkpoint is checked against the binder's own keys file, which\n" +
	"proves the binder consistent but not where it came from: pin the first key with\n" +
	"--trust-key FINGERPRINT (as 'safeguard init' printed it), or pass --key with the\n" +
	"public keys file kept apart.\n\n" +
	"Encryption (age, https://age-encryption.org): --passphrase-stdin reads a passphrase\n" +
	"from the first line of standard input; --recipient encrypts to an age public key\n" +
	"(age1...), which the holder of the matching identity file opens with --identity."

// binderItem is one evidence file to put in a binder.
type binderItem struct {
	ev      assess.Evidence
	ver     assess.EvidenceVersion
	entries []string
	seq     int64
}

func (m *Main) reportBinder(ctx context.Context, args []string, doc binderReport) error {
	fs := m.newFlagSet("report binder", binderSynopsis, binderDesc)
	f := addInstanceFlags(fs, defaultDataDir)
	org := fs.String("org", "", "the organisation's slug")
	out := fs.String("o", "", "the binder file to write (a .zip, or .zip.age when encrypted)")
	passStdin := fs.Bool("passphrase-stdin", false, "encrypt the binder with a passphrase read from the first line of standard input")
	recipient := fs.String("recipient", "", "encrypt the binder to this age public key (age1...)")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	switch {
	case *org == "":
		return usagef("report binder: --org is required")
	case *out == "":
		return usagef("report binder: -o FILE is required")
	case *passStdin && *recipient != "":
		return usagef("report binder: give --passphrase-stdin or --recipient, not both")
	}
	var recipients []age.Recipient
	switch {
	case *passStdin:
		pass, err := m.readPassphrase()
		if err != nil {
			return err
		}
		r, err := age.NewScryptRecipient(pass)
		if err != nil {
			return usagef("report binder: %v", err)
		}
		recipients = append(recipients, r)
	case *recipient != "":
		rs, err := age.ParseRecipients(strings.NewReader(*recipient))
		if err != nil || len(rs) == 0 {
			return usagef("report binder: --recipient %q is not an age public key (age1...)", *recipient)
		}
		recipients = rs
	}
	if doc == nil {
		doc = jsonBinderReport
	}
	log := m.quietLogger()
	in, err := m.openInstance(ctx, f, openExisting, log)
	if err != nil {
		return err
	}
	defer in.Close()
	o, err := in.db.Org(ctx, *org)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no organisation %q (see 'safeguard org list')", *org)
	} else if err != nil {
		return err
	}
	start := time.Now()
	items, err := binderItems(ctx, in.db, o)
	if err != nil {
		return err
	}
	d, err := doc(ctx, in, o)
	if err != nil {
		return fmt.Errorf("report for the binder: %w", err)
	}
	actor := store.Actor{Name: "cli:" + m.cliUser()}
	bw := binderWrite{m: m, in: in, org: o, items: items, doc: d, actor: actor}
	size, cp, err := bw.writeFile(ctx, *out, recipients)
	if err != nil {
		return err
	}
	enc := "not encrypted"
	switch {
	case *passStdin:
		enc = "encrypted with a passphrase (age)"
	case *recipient != "":
		enc = "encrypted to " + *recipient + " (age)"
	}
	fmt.Fprintf(m.Stdout, "Evidence binder of %s written to %s: %s, %d evidence files, %s, %s, in %s.\n",
		o.Slug, *out, d.Name, len(items), byteCount(size), enc, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(m.Stdout, "Audit checkpoint of %d entries, root %s, signed by %s.\n", cp.TreeSize, cp.Root, cp.KeyID)
	return nil
}

// readPassphrase reads a passphrase from the first line of standard input.
func (m *Main) readPassphrase() (string, error) {
	line, err := bufio.NewReader(m.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read passphrase: %w", err)
	}
	pass := strings.TrimRight(line, "\r\n")
	if pass == "" {
		return "", usagef("--passphrase-stdin: standard input holds no passphrase")
	}
	return pass, nil
}

// binderItems finds the current version of each of org's evidence files,
// the entries it is linked to and the audit entry that recorded it.
func binderItems(ctx context.Context, db *store.DB, o identity.Org) ([]binderItem, error) {
	list, err := db.EvidenceList(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	var items []binderItem
	// Oldest first, as the evidence was added.
	for _, e := range slices.Backward(list) {
		if e.Kind != assess.EvidenceFile || e.CurrentVersion < 1 {
			continue
		}
		vs, _, err := db.EvidenceVersions(ctx, o.ID, e.ID, store.Page{Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(vs) == 0 || vs[0].Version != e.CurrentVersion {
			return nil, fmt.Errorf("evidence %d: version %d is not stored", e.ID, e.CurrentVersion)
		}
		it := binderItem{ev: e, ver: vs[0]}
		uses, _, err := store.Collect(func(p store.Page) ([]store.EvidenceUse, *store.Key, error) {
			return db.EvidenceUsePage(ctx, o.ID, e.ID, p)
		}, 0)
		if err != nil {
			return nil, err
		}
		for _, u := range uses {
			it.entries = append(it.entries, u.Citation)
		}
		slices.Sort(it.entries)
		it.entries = slices.Compact(it.entries)
		recs, err := db.EvidenceVersionRecords(ctx, o.ID, e.ID)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if report.EvidenceEntryProblem(r.Entry, o.ID, e.ID, it.ver.Version, it.ver.SHA256) == "" {
				it.seq = r.Seq
				break
			}
		}
		if it.seq == 0 {
			return nil, fmt.Errorf("evidence %d %q: no audit entry records version %d with SHA-256 %s; run 'safeguard audit verify'",
				e.ID, e.Title, it.ver.Version, it.ver.SHA256)
		}
		items = append(items, it)
	}
	return items, nil
}

// jsonBinderReport is the report a binder carries until the PDF renderer is
// passed in: the report model's organisation, evidence and latest
// checkpoint, as JSON.
func jsonBinderReport(ctx context.Context, in *instance, o identity.Org) (report.Document, error) {
	items, err := binderItems(ctx, in.db, o)
	if err != nil {
		return report.Document{}, err
	}
	md := report.Model{Generated: time.Now().UTC(), ZoneName: o.TimeZone, Part: report.PartFull, Title: "Evidence binder — " + o.Name,
		Org: report.Org{Slug: o.Slug, Name: o.Name, Sites: []string{}, Systems: []string{}}, Evidence: []report.Evidence{}}
	for _, it := range items {
		md.Evidence = append(md.Evidence, report.Evidence{ID: it.ev.ID, Title: it.ev.Title, Description: it.ev.Description,
			Kind: string(it.ev.Kind), FileName: it.ver.Filename, Version: it.ver.Version, SHA256: it.ver.SHA256, Size: it.ver.Size,
			Added: it.ver.UploadedAt, AddedBy: it.ver.UploadedBy, Entries: it.entries, AuditSeq: it.seq})
	}
	if cp, err := in.db.LatestAuditCheckpoint(ctx); err == nil {
		text, _ := cp.MarshalText()
		md.Audit = &report.Checkpoint{TreeSize: cp.TreeSize, Root: cp.Root.String(), KeyID: cp.KeyID, At: cp.At, Text: string(text)}
	} else if !errors.Is(err, store.ErrNotFound) {
		return report.Document{}, err
	}
	b, err := json.MarshalIndent(md, "", "  ")
	if err != nil {
		return report.Document{}, err
	}
	return report.NewDocument(append(b, '\n')), nil
}

// binderWrite is one binder being written.
type binderWrite struct {
	m     *Main
	in    *instance
	org   identity.Org
	items []binderItem
	doc   report.Document
	actor store.Actor
}

// writeFile writes the binder to a temporary file beside path, encrypted
// to recipients when there are any, and renames it to path once complete:
// a failure leaves nothing at path. It returns the file's size.
func (b *binderWrite) writeFile(ctx context.Context, path string, recipients []age.Recipient) (size int64, cp audit.Checkpoint, err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return 0, cp, fmt.Errorf("binder: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	buf := bufio.NewWriterSize(tmp, 1<<20)
	var w io.Writer = buf
	var ew io.WriteCloser
	if len(recipients) > 0 {
		if ew, err = age.Encrypt(buf, recipients...); err != nil {
			return 0, cp, fmt.Errorf("binder: encrypt: %w", err)
		}
		w = ew
	}
	if cp, err = b.write(ctx, w); err != nil {
		return 0, cp, err
	}
	if ew != nil {
		if err = ew.Close(); err != nil {
			return 0, cp, fmt.Errorf("binder: encrypt: %w", err)
		}
	}
	if err = buf.Flush(); err != nil {
		return 0, cp, fmt.Errorf("binder: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return 0, cp, fmt.Errorf("binder: %w", err)
	}
	st, err := tmp.Stat()
	if err != nil {
		return 0, cp, fmt.Errorf("binder: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return 0, cp, fmt.Errorf("binder: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return 0, cp, fmt.Errorf("binder: %w", err)
	}
	return st.Size(), cp, nil
}

// write writes the zip: the report, each evidence file as the store opens
// it (decrypted and checked against its SHA-256, each download audited),
// then the audit entry for the binder, a checkpoint covering it, and the
// proofs.
func (b *binderWrite) write(ctx context.Context, w io.Writer) (audit.Checkpoint, error) {
	db := b.in.db
	bw := report.NewBinderWriter(w, report.ManifestOrg{ID: b.org.ID, Slug: b.org.Slug, Name: b.org.Name}, time.Now())
	if err := bw.AddReport(b.doc); err != nil {
		return audit.Checkpoint{}, err
	}
	progress := b.progress()
	seqs := make([]int64, 0, len(b.items)+1)
	for i, it := range b.items {
		_, data, err := db.OpenEvidence(ctx, b.actor, b.in.keys, b.org.ID, it.ev.ID, it.ver.Version)
		if err != nil {
			return audit.Checkpoint{}, fmt.Errorf("evidence %d %q: %w", it.ev.ID, it.ev.Title, err)
		}
		if _, err := bw.AddEvidence(report.BinderEvidence{ID: it.ev.ID, Title: it.ev.Title, Version: it.ver.Version,
			FileName: it.ver.Filename, ContentType: it.ver.ContentType, Retired: it.ev.Retired(), LinkedEntries: it.entries,
			AuditSeq: it.seq}, data); err != nil {
			return audit.Checkpoint{}, err
		}
		seqs = append(seqs, it.seq)
		progress(i+1, bw.Written())
	}
	progress(-1, 0)
	sum := sha256.Sum256(b.doc.Data)
	summary := report.BinderEntrySummary(b.doc.Name, hex.EncodeToString(sum[:]), len(b.items))
	object := "org:" + b.org.Slug
	if err := db.AppendAudit(ctx, b.actor, audit.Entry{OrgID: b.org.ID, Action: report.BinderAction, Object: object, Summary: summary}); err != nil {
		return audit.Checkpoint{}, err
	}
	reportSeq, err := findAuditEntry(ctx, db, b.org.ID, b.actor.Name, report.BinderAction, object, summary)
	if err != nil {
		return audit.Checkpoint{}, err
	}
	k := auditKeys{dir: b.in.dataDir}
	s, err := k.signer(ctx, db, b.m.quietLogger())
	if err != nil {
		return audit.Checkpoint{}, err
	}
	cp, _, err := db.CheckpointAudit(ctx, s)
	if err != nil {
		return cp, err
	}
	keys, err := os.ReadFile(k.pubPath())
	if err != nil {
		return cp, fmt.Errorf("audit public keys: %w", err)
	}
	seal := report.Seal{Checkpoint: cp, Keys: keys, ReportSeq: reportSeq}
	err = db.ProveAuditEntries(ctx, cp, append(seqs, reportSeq), func(p store.AuditProof) error {
		seal.Proofs = append(seal.Proofs, report.EntryProof{Record: p.Record, Proof: p.Proof})
		return nil
	})
	if err != nil {
		return cp, err
	}
	return cp, bw.Close(seal)
}

// findAuditEntry returns the seq of the newest entry of the organisation
// with exactly these fields, looking back over its last thousand entries
// (the entry was appended a moment ago).
func findAuditEntry(ctx context.Context, db *store.DB, orgID int64, actor, action, object, summary string) (int64, error) {
	list, err := db.AuditEntries(ctx, orgID, 1000)
	if err != nil {
		return 0, err
	}
	for _, e := range list {
		if e.Actor == actor && e.Action == action && e.Object == object && e.Summary == summary {
			return e.Seq, nil
		}
	}
	return 0, fmt.Errorf("the audit entry %s for %s was not found after it was written", action, object)
}

// progress returns a function that draws how many evidence files are in
// the binder on a terminal (done < 0 ends the line); elsewhere it does
// nothing.
func (b *binderWrite) progress() func(done int, bytes int64) {
	if !isTerminal(b.m.Stderr) || len(b.items) == 0 {
		return func(int, int64) {}
	}
	start, total := time.Now(), len(b.items)
	return func(done int, n int64) {
		if done < 0 {
			fmt.Fprintln(b.m.Stderr)
			return
		}
		pct := 100 * float64(done) / float64(total)
		bar := strings.Repeat("#", min(int(pct/5), 20))
		fmt.Fprintf(b.m.Stderr, "\rbinder [%-20s] %5.1f%% %d/%d evidence files, %s, %s", bar, pct, done, total, byteCount(n), time.Since(start).Round(time.Second))
	}
}

// byteCount writes n bytes for a person.
func byteCount(n int64) string {
	switch {
	case n >= 10<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 10<<10:
		return fmt.Sprintf("%d KB", n>>10)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// ageHeader starts every age-encrypted file.
const ageHeader = "age-encryption.org/v1\n"

func (m *Main) verifyBinder(args []string) error {
	fs := m.newFlagSet("report verify-binder", binderSynopsis, binderDesc)
	passStdin := fs.Bool("passphrase-stdin", false, "decrypt the binder with a passphrase read from the first line of standard input")
	identityFile := fs.String("identity", "", "decrypt the binder with this age identity file (AGE-SECRET-KEY-...)")
	keyFile := fs.String("key", "", "check the checkpoint against this public keys file ("+auditPubKeysName+"), kept apart from the binder")
	var pins fingerprints
	fs.Var(&pins, "trust-key", "the fingerprint (sha256:...) of the first signing key, as init printed it; later keys must be endorsed by it (repeatable)")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("report verify-binder: want one FILE")
	}
	if *passStdin && *identityFile != "" {
		return usagef("report verify-binder: give --passphrase-stdin or --identity, not both")
	}
	file := fs.Arg(0)
	fail := func(format string, args ...any) error {
		fmt.Fprintf(m.Stdout, "binder %s does not verify: %s\n", file, fmt.Sprintf(format, args...))
		return errCheckFailed
	}
	var ids []age.Identity
	switch {
	case *passStdin:
		pass, err := m.readPassphrase()
		if err != nil {
			return err
		}
		id, err := age.NewScryptIdentity(pass)
		if err != nil {
			return usagef("report verify-binder: %v", err)
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
	}
	var pinned audit.KeyFile
	if *keyFile != "" {
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			return fmt.Errorf("--key: %w", err)
		}
		if pinned, err = audit.ParseKeyFile(b); err != nil {
			return fmt.Errorf("--key %s: %w", *keyFile, err)
		}
		if len(pinned) == 0 {
			return fmt.Errorf("--key %s lists no key", *keyFile)
		}
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	var r io.ReaderAt = f
	size := st.Size()
	head := make([]byte, len(ageHeader))
	n, _ := f.ReadAt(head, 0)
	encrypted := string(head[:n]) == ageHeader
	switch {
	case encrypted && ids == nil:
		return usagef("report verify-binder: %s is encrypted: pass --passphrase-stdin or --identity FILE", file)
	case encrypted:
		r, size, err = age.DecryptReaderAt(f, size, ids...)
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			what := "the identity file does not open it"
			if *passStdin {
				what = "the passphrase does not open it"
			}
			return fail("%s", what)
		} else if err != nil {
			return fail("it does not decrypt: %v", err)
		}
	case ids != nil:
		fmt.Fprintf(m.Stderr, "safeguard: %s is not encrypted; the passphrase or identity is not needed\n", file)
	}
	var progress func(int64)
	if isTerminal(m.Stderr) {
		start := time.Now()
		progress = func(n int64) {
			fmt.Fprintf(m.Stderr, "\rverifying %s of %s, %s", byteCount(n), byteCount(size), time.Since(start).Round(time.Second))
		}
	}
	start := time.Now()
	sum, err := report.VerifyBinder(r, size, pinned, pins, progress)
	if progress != nil {
		fmt.Fprintln(m.Stderr)
	}
	var p *report.BinderProblem
	if errors.As(err, &p) {
		return fail("%s", p.Error())
	} else if err != nil {
		return err
	}
	man, cp := sum.Manifest, sum.Checkpoint
	fmt.Fprintf(m.Stdout, "binder %s verified: %s (%s), made %s\n", file, man.Organisation.Name, man.Organisation.Slug, man.Created.Format(time.RFC3339))
	fmt.Fprintf(m.Stdout, "  report %s, %d evidence files, %s; %d audit entries proved\n", man.Report, sum.Evidence, byteCount(sum.Bytes), sum.Entries)
	fmt.Fprintf(m.Stdout, "  checkpoint: %d entries, root %s, signed by %s at %s\n", cp.TreeSize, cp.Root, cp.KeyID, cp.At.Format(time.RFC3339))
	source := *keyFile
	if sum.KeysFromBinder {
		source = "the binder's own " + report.BinderKeys
	}
	if len(pins) > 0 {
		source += ", first key pinned by --trust-key"
	} else if sum.KeysFromBinder {
		source += " (compare the first key's fingerprint with the one 'safeguard init' printed, or pass --trust-key or --key)"
	}
	fmt.Fprintf(m.Stdout, "  keys: %s; trusted: %s\n", source, strings.Join(sum.Fingerprints, ", "))
	fmt.Fprintf(m.Stdout, "  checked in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}
