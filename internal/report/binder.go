package report

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/safeguard-health/safeguard/internal/audit"
)

// An evidence binder is one zip file an organisation hands to an
// investigator or auditor (§164.316(b)(2)(ii), documentation made available):
// the report, every evidence file, and what proves them without access to
// Safeguard: the latest signed audit checkpoint, the public keys it is
// signed under, and for every file the audit entry that recorded it with its
// inclusion proof against that checkpoint. The manifest ties them together.
//
// What a verifier can rely on, and why: the checkpoint is signed by a
// trusted key; each audit entry hashes to a leaf that the proof places in
// the checkpoint's tree; each entry names the evidence version (or the
// report) and its SHA-256; each file hashes to that SHA-256. Titles and
// linked entries in the manifest are for reading, not proved.

// BinderFormat names the binder layout; it is the manifest's "format".
const BinderFormat = "safeguard evidence binder v1"

// Names inside a binder.
const (
	BinderManifest   = "manifest.json"
	BinderCheckpoint = "checkpoint.txt"
	BinderKeys       = "audit-keys.pub"
	binderEvidence   = "evidence/"
)

// The kinds of file a manifest lists.
const (
	FileReport     = "report"
	FileEvidence   = "evidence"
	FileCheckpoint = "checkpoint"
	FileKeys       = "keys"
)

// BinderAction is the audit action of the entry that records a binder and
// names its report's SHA-256.
const BinderAction = "report.binder"

// Document is a rendered report: its file name in the binder and its bytes.
type Document struct {
	Name string
	Data []byte
}

// NewDocument names data report.pdf when it is a PDF and report.json
// otherwise.
func NewDocument(data []byte) Document {
	if bytes.HasPrefix(data, []byte("%PDF-")) {
		return Document{Name: "report.pdf", Data: data}
	}
	return Document{Name: "report.json", Data: data}
}

// Manifest is manifest.json: what the binder holds and how to check it.
type Manifest struct {
	Format       string         `json:"format"`
	Organisation ManifestOrg    `json:"organisation"`
	Created      time.Time      `json:"created"`
	Report       string         `json:"report"` // the report's file name
	Files        []ManifestFile `json:"files"`  // every file but the manifest
}

// ManifestOrg is the organisation a binder is of.
type ManifestOrg struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// ManifestFile is one file of a binder.
type ManifestFile struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"` // report, evidence, checkpoint or keys
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// For evidence: which version of which evidence the file is.
	EvidenceID  int64  `json:"evidence_id,omitempty"`
	Title       string `json:"title,omitempty"`
	Version     int    `json:"version,omitempty"`
	FileName    string `json:"file_name,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Retired     bool   `json:"retired,omitempty"`
	// LinkedEntries are the assessment entries (citations) the evidence supports.
	LinkedEntries []string `json:"linked_entries,omitempty"`
	// Audit is the audit entry that recorded the file (for evidence, its
	// upload; for the report, the binder's own entry) with its proof.
	Audit *ManifestAudit `json:"audit,omitempty"`
}

// ManifestAudit is an audit entry with its RFC 6962 inclusion proof against
// the binder's checkpoint. Encoding is authoritative; the readable fields
// beside it must agree with it.
type ManifestAudit struct {
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"`
	OrgID    int64     `json:"org_id"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"`
	Object   string    `json:"object"`
	Summary  string    `json:"summary"`
	LeafHash string    `json:"leaf_hash"` // hex
	Encoding string    `json:"encoding"`  // base64 of the canonical encoding
	Proof    []string  `json:"proof"`     // hex, leaf to root
}

// BinderEvidence describes one evidence file as AddEvidence takes it.
type BinderEvidence struct {
	ID            int64
	Title         string
	Version       int
	FileName      string
	ContentType   string
	Retired       bool
	LinkedEntries []string
	// AuditSeq is the audit entry that recorded this version; Close needs
	// its proof.
	AuditSeq int64
}

// EntryProof is an audit record with its inclusion proof.
type EntryProof struct {
	Record audit.Record
	Proof  []audit.Hash
}

// Seal is what closes a binder: the checkpoint, the public keys file, the
// seq of the entry that names the report, and the proofs of that entry and
// of every evidence file's entry, all against Checkpoint.
type Seal struct {
	Checkpoint audit.Checkpoint
	Keys       []byte
	ReportSeq  int64
	Proofs     []EntryProof
}

// BinderWriter writes a binder as a zip, one file at a time, so evidence
// need not be held in memory together. Add the report, then the evidence,
// then Close with the seal; the manifest is written last.
type BinderWriter struct {
	zw    *zip.Writer
	m     Manifest
	seqs  map[string]int64 // file name → audit seq it needs a proof of
	names map[string]bool
	bytes int64
}

// NewBinderWriter starts a binder of org on w.
func NewBinderWriter(w io.Writer, org ManifestOrg, created time.Time) *BinderWriter {
	return &BinderWriter{
		zw:    zip.NewWriter(w),
		m:     Manifest{Format: BinderFormat, Organisation: org, Created: created.UTC().Truncate(time.Second)},
		seqs:  map[string]int64{},
		names: map[string]bool{},
	}
}

// Written is the number of file bytes added so far (before compression).
func (b *BinderWriter) Written() int64 { return b.bytes }

func (b *BinderWriter) add(f ManifestFile, data []byte) error {
	if b.names[f.Name] || f.Name == BinderManifest {
		return fmt.Errorf("binder: %s added twice", f.Name)
	}
	sum := sha256.Sum256(data)
	f.SHA256, f.Size = hex.EncodeToString(sum[:]), int64(len(data))
	method := zip.Store
	if compressible(f) {
		method = zip.Deflate
	}
	w, err := b.zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: method, Modified: b.m.Created})
	if err != nil {
		return fmt.Errorf("binder: %s: %w", f.Name, err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("binder: %s: %w", f.Name, err)
	}
	b.names[f.Name] = true
	b.bytes += f.Size
	b.m.Files = append(b.m.Files, f)
	return nil
}

// compressible reports whether f is worth deflating: text is; PDFs, images
// and office files are compressed already, and deflating them again costs
// most of the time of writing a large binder for a gain of a few percent.
func compressible(f ManifestFile) bool {
	switch f.Kind {
	case FileCheckpoint, FileKeys:
		return true
	case FileReport:
		return path.Ext(f.Name) != ".pdf"
	}
	ct := f.ContentType
	return strings.HasPrefix(ct, "text/") || strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "application/xml")
}

// AddReport adds the report document.
func (b *BinderWriter) AddReport(doc Document) error {
	if b.m.Report != "" {
		return errors.New("binder: a second report")
	}
	name := path.Base(doc.Name)
	if name != doc.Name || name == "." || name == BinderCheckpoint || name == BinderKeys {
		return fmt.Errorf("binder: %q is not a report file name", doc.Name)
	}
	b.m.Report = name
	return b.add(ManifestFile{Name: name, Kind: FileReport}, doc.Data)
}

// AddEvidence adds one evidence file and returns its name in the binder.
func (b *BinderWriter) AddEvidence(e BinderEvidence, data []byte) (string, error) {
	if e.AuditSeq < 1 {
		return "", fmt.Errorf("binder: version %d of evidence %d has no audit entry", e.Version, e.ID)
	}
	name := fmt.Sprintf("%s%d-v%d-%s", binderEvidence, e.ID, e.Version, safeName(e.FileName))
	err := b.add(ManifestFile{Name: name, Kind: FileEvidence, EvidenceID: e.ID, Title: e.Title, Version: e.Version,
		FileName: e.FileName, ContentType: e.ContentType, Retired: e.Retired, LinkedEntries: e.LinkedEntries}, data)
	if err != nil {
		return "", err
	}
	b.seqs[name] = e.AuditSeq
	return name, nil
}

// safeName keeps a file name's letters, digits, dots, dashes and
// underscores, so that no name leaves the evidence folder or confuses an
// unzip tool, and bounds its length.
func safeName(s string) string {
	var out strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			out.WriteRune(r)
		default:
			out.WriteByte('_')
		}
	}
	name := strings.TrimLeft(out.String(), ".")
	if len(name) > 100 {
		name = name[len(name)-100:]
	}
	if name == "" {
		name = "file"
	}
	return name
}

// Close writes the checkpoint, the keys file and the manifest with every
// file's audit entry and proof, and finishes the zip. It does not close the
// underlying writer.
func (b *BinderWriter) Close(s Seal) error {
	if b.m.Report == "" {
		return errors.New("binder: no report")
	}
	b.seqs[b.m.Report] = s.ReportSeq
	proofs := map[int64]EntryProof{}
	for _, p := range s.Proofs {
		proofs[p.Record.Seq] = p
	}
	for i := range b.m.Files {
		f := &b.m.Files[i]
		seq, ok := b.seqs[f.Name]
		if !ok {
			continue
		}
		p, ok := proofs[seq]
		if !ok {
			return fmt.Errorf("binder: %s: no proof of audit entry %d", f.Name, seq)
		}
		a, err := manifestAudit(p)
		if err != nil {
			return fmt.Errorf("binder: %s: %w", f.Name, err)
		}
		f.Audit = a
	}
	text, _ := s.Checkpoint.MarshalText()
	if err := b.add(ManifestFile{Name: BinderCheckpoint, Kind: FileCheckpoint}, text); err != nil {
		return err
	}
	if err := b.add(ManifestFile{Name: BinderKeys, Kind: FileKeys}, s.Keys); err != nil {
		return err
	}
	m, err := json.MarshalIndent(b.m, "", "  ")
	if err != nil {
		return err
	}
	w, err := b.zw.CreateHeader(&zip.FileHeader{Name: BinderManifest, Method: zip.Deflate, Modified: b.m.Created})
	if err != nil {
		return err
	}
	if _, err := w.Write(append(m, '\n')); err != nil {
		return err
	}
	return b.zw.Close()
}

func manifestAudit(p EntryProof) (*ManifestAudit, error) {
	r := p.Record
	enc, err := audit.Encode(r.Version, r.Entry, r.PrevHash)
	if err != nil {
		return nil, err
	}
	a := &ManifestAudit{Seq: r.Seq, At: r.At.UTC(), OrgID: r.OrgID, Actor: r.Actor, Action: r.Action, Object: r.Object,
		Summary: r.Summary, LeafHash: r.Hash.String(), Encoding: base64.StdEncoding.EncodeToString(enc), Proof: []string{}}
	for _, h := range p.Proof {
		a.Proof = append(a.Proof, h.String())
	}
	return a, nil
}

// EvidenceEntryProblem says why e is not the audit entry that recorded
// version v of evidence id of organisation orgID with SHA-256 sum, or ""
// when it is. The store writes evidence.upload for the first version and
// evidence.version ("uploaded version N of ...") for each later one, each
// summary ending in "SHA-256 " and the digest.
func EvidenceEntryProblem(e audit.Entry, orgID, id int64, v int, sum string) string {
	switch {
	case e.OrgID != orgID:
		return fmt.Sprintf("belongs to organisation %d, not %d", e.OrgID, orgID)
	case e.Object != fmt.Sprintf("evidence:%d", id):
		return fmt.Sprintf("is about %q, not evidence:%d", e.Object, id)
	case v == 1 && e.Action != "evidence.upload":
		return fmt.Sprintf("is %s, not the upload of version 1", e.Action)
	case v > 1 && (e.Action != "evidence.version" || !strings.HasPrefix(e.Summary, fmt.Sprintf("uploaded version %d of ", v))):
		return fmt.Sprintf("does not record version %d (it is %s: %q)", v, e.Action, e.Summary)
	case v < 1:
		return fmt.Sprintf("version %d is no version", v)
	case !strings.HasSuffix(e.Summary, "SHA-256 "+sum):
		return fmt.Sprintf("does not record SHA-256 %s (it says %q)", sum, e.Summary)
	}
	return ""
}

// BinderEntrySummary is the summary of the audit entry that records a
// binder; it names the report and its SHA-256, which a verifier checks.
func BinderEntrySummary(report string, sum string, files int) string {
	return fmt.Sprintf("evidence binder with %d evidence files; %s SHA-256 %s", files, report, sum)
}

func reportEntryProblem(e audit.Entry, orgID int64, name, sum string) string {
	switch {
	case e.OrgID != orgID:
		return fmt.Sprintf("belongs to organisation %d, not %d", e.OrgID, orgID)
	case e.Action != BinderAction:
		return fmt.Sprintf("is %s, not %s", e.Action, BinderAction)
	case !strings.HasSuffix(e.Summary, "; "+name+" SHA-256 "+sum):
		return fmt.Sprintf("does not record %s with SHA-256 %s (it says %q)", name, sum, e.Summary)
	}
	return ""
}

// BinderProblem is the first thing wrong with a binder: the file (and the
// audit entry, when one is at fault) and what is wrong.
type BinderProblem struct {
	File   string
	Seq    int64
	Detail string
}

func (p *BinderProblem) Error() string {
	s := p.File
	if p.Seq > 0 {
		s += fmt.Sprintf(": audit entry %d", p.Seq)
	}
	return s + ": " + p.Detail
}

// BinderSummary is what VerifyBinder found in a sound binder.
type BinderSummary struct {
	Manifest   Manifest
	Checkpoint audit.Checkpoint
	Evidence   int   // evidence files
	Bytes      int64 // every file's size, the manifest's aside
	Entries    int   // audit entries proved
	// KeysFromBinder is true when the keys trusted were the binder's own
	// (no pinned keys file given): the check then proves consistency, not
	// origin, unless the first key's fingerprint is compared by hand.
	KeysFromBinder bool
	Fingerprints   []string // of the trusted keys, sorted
}

// VerifyBinder checks the binder in r (size bytes) with no database: every
// file against the manifest, no file missing or extra, the checkpoint's
// signature, and each audit entry's leaf hash, inclusion proof and what it
// names. The checkpoint is checked against the keys that pinned (a public
// keys file kept apart, with pins the fingerprints of its first keys)
// trusts, or, when pinned is nil, against the binder's own keys file.
// progress, when not nil, is called with the bytes hashed so far. A binder
// that fails a check is a *BinderProblem; other errors are I/O.
func VerifyBinder(r io.ReaderAt, size int64, pinned audit.KeyFile, pins []string, progress func(int64)) (BinderSummary, error) {
	var sum BinderSummary
	bad := func(file string, seq int64, format string, args ...any) error {
		return &BinderProblem{File: file, Seq: seq, Detail: fmt.Sprintf(format, args...)}
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return sum, bad("binder", 0, "not a zip file (%v)", err)
	}
	inZip := map[string]*zip.File{}
	for _, f := range zr.File {
		if inZip[f.Name] != nil {
			return sum, bad(f.Name, 0, "is in the zip twice")
		}
		inZip[f.Name] = f
	}
	mf := inZip[BinderManifest]
	if mf == nil {
		return sum, bad(BinderManifest, 0, "is missing")
	}
	mb, err := readZipFile(mf, 64<<20)
	if err != nil {
		return sum, bad(BinderManifest, 0, "cannot be read: %v", err)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(mb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return sum, bad(BinderManifest, 0, "is not a valid manifest: %v", err)
	}
	if m.Format != BinderFormat {
		return sum, bad(BinderManifest, 0, "format %q, want %q", m.Format, BinderFormat)
	}
	sum.Manifest = m

	// Every file listed is there, and nothing else is.
	listed := map[string]*ManifestFile{}
	kinds := map[string][]string{}
	for i := range m.Files {
		f := &m.Files[i]
		if listed[f.Name] != nil || f.Name == BinderManifest {
			return sum, bad(BinderManifest, 0, "lists %s twice", f.Name)
		}
		listed[f.Name] = f
		kinds[f.Kind] = append(kinds[f.Kind], f.Name)
		if inZip[f.Name] == nil {
			return sum, bad(f.Name, 0, "is listed in the manifest but missing from the binder")
		}
	}
	for _, f := range zr.File {
		if f.Name != BinderManifest && listed[f.Name] == nil {
			return sum, bad(f.Name, 0, "is in the binder but not in the manifest")
		}
	}
	for _, k := range []string{FileReport, FileCheckpoint, FileKeys} {
		if len(kinds[k]) != 1 {
			return sum, bad(BinderManifest, 0, "lists %d files of kind %s, want 1", len(kinds[k]), k)
		}
	}
	for k, names := range kinds {
		if k != FileReport && k != FileEvidence && k != FileCheckpoint && k != FileKeys {
			return sum, bad(names[0], 0, "has unknown kind %q in the manifest", k)
		}
	}
	if kinds[FileReport][0] != m.Report {
		return sum, bad(BinderManifest, 0, "names the report %s but lists %s as the report", m.Report, kinds[FileReport][0])
	}
	if kinds[FileCheckpoint][0] != BinderCheckpoint || kinds[FileKeys][0] != BinderKeys {
		return sum, bad(BinderManifest, 0, "the checkpoint and keys must be %s and %s", BinderCheckpoint, BinderKeys)
	}

	// Every file's bytes against the manifest.
	var hashed int64
	var cpText, keysText []byte
	for _, f := range m.Files {
		zf := inZip[f.Name]
		h := sha256.New()
		rc, err := zf.Open()
		if err != nil {
			return sum, bad(f.Name, 0, "cannot be read: %v", err)
		}
		var keep bytes.Buffer
		var w io.Writer = h
		if f.Kind == FileCheckpoint || f.Kind == FileKeys {
			if f.Size > 1<<20 {
				rc.Close()
				return sum, bad(f.Name, 0, "is %d bytes according to the manifest; a %s file is a few hundred", f.Size, f.Kind)
			}
			w = io.MultiWriter(h, &keep)
		}
		n, err := io.Copy(w, io.LimitReader(rc, f.Size+1))
		rc.Close()
		if err != nil {
			return sum, bad(f.Name, 0, "cannot be read: %v", err)
		}
		got := hex.EncodeToString(h.Sum(nil))
		if n != f.Size {
			return sum, bad(f.Name, 0, "is %s bytes, the manifest says %d", sizeText(n, f.Size), f.Size)
		}
		if got != f.SHA256 {
			return sum, bad(f.Name, 0, "SHA-256 is %s, the manifest says %s", got, f.SHA256)
		}
		hashed += n
		if progress != nil {
			progress(hashed)
		}
		switch f.Kind {
		case FileCheckpoint:
			cpText = keep.Bytes()
		case FileKeys:
			keysText = keep.Bytes()
		}
	}
	sum.Bytes = hashed

	// The checkpoint, signed by a trusted key.
	var cp audit.Checkpoint
	if err := cp.UnmarshalText(cpText); err != nil {
		return sum, bad(BinderCheckpoint, 0, "%v", err)
	}
	sum.Checkpoint = cp
	keyFile := pinned
	if keyFile == nil {
		sum.KeysFromBinder = true
		kf, err := audit.ParseKeyFile(keysText)
		if err != nil {
			return sum, bad(BinderKeys, 0, "%v", err)
		}
		keyFile = kf
	}
	keys, err := keyFile.Trust(pins)
	if err != nil {
		file := BinderKeys
		if !sum.KeysFromBinder {
			file = "the pinned keys file"
		}
		return sum, bad(file, 0, "%v", err)
	}
	for _, pub := range keys {
		sum.Fingerprints = append(sum.Fingerprints, audit.Fingerprint(pub))
	}
	slices.Sort(sum.Fingerprints)
	if err := keys.Check(&cp); err != nil {
		return sum, bad(BinderCheckpoint, 0, "%v (key %s)", err, cp.KeyID)
	}

	// Each audit entry: its leaf hash, its place in the tree, what it names.
	for _, f := range m.Files {
		switch f.Kind {
		case FileEvidence, FileReport:
		default:
			if f.Audit != nil {
				return sum, bad(f.Name, 0, "has an audit entry in the manifest; only evidence and the report do")
			}
			continue
		}
		a := f.Audit
		if a == nil {
			return sum, bad(f.Name, 0, "has no audit entry in the manifest")
		}
		e, problem := checkManifestAudit(a, cp)
		if problem != "" {
			return sum, bad(f.Name, a.Seq, "%s", problem)
		}
		if f.Kind == FileEvidence {
			if p := EvidenceEntryProblem(e, m.Organisation.ID, f.EvidenceID, f.Version, f.SHA256); p != "" {
				return sum, bad(f.Name, a.Seq, "%s", p)
			}
			sum.Evidence++
		} else if p := reportEntryProblem(e, m.Organisation.ID, f.Name, f.SHA256); p != "" {
			return sum, bad(f.Name, a.Seq, "%s", p)
		}
		sum.Entries++
	}
	return sum, nil
}

func sizeText(n, want int64) string {
	if n > want {
		return fmt.Sprintf("more than %d", want)
	}
	return fmt.Sprint(n)
}

// checkManifestAudit decodes a's entry, recomputes its leaf hash from the
// encoding, holds the readable fields to it, and checks its inclusion proof
// against cp. It returns the entry, or what is wrong.
func checkManifestAudit(a *ManifestAudit, cp audit.Checkpoint) (audit.Entry, string) {
	enc, err := base64.StdEncoding.DecodeString(a.Encoding)
	if err != nil {
		return audit.Entry{}, "its encoding is not base64"
	}
	_, e, _, err := audit.Decode(enc)
	if err != nil {
		return e, fmt.Sprintf("its encoding does not decode: %v", err)
	}
	leaf := audit.LeafHash(enc)
	if leaf.String() != a.LeafHash {
		return e, fmt.Sprintf("its encoding hashes to leaf %s, the manifest says %s", leaf, a.LeafHash)
	}
	same := e.At.Equal(a.At) && e.OrgID == a.OrgID && e.Actor == a.Actor && e.Action == a.Action &&
		e.Object == a.Object && e.Summary == a.Summary
	if !same {
		return e, "its readable fields in the manifest differ from its encoding"
	}
	if a.Seq < 1 || a.Seq > cp.TreeSize {
		return e, fmt.Sprintf("is outside the checkpoint's tree of %d entries", cp.TreeSize)
	}
	proof := make(tlog.RecordProof, len(a.Proof))
	for i, s := range a.Proof {
		h, err := audit.ParseHash(s)
		if err != nil {
			return e, fmt.Sprintf("proof hash %d is malformed", i+1)
		}
		proof[i] = tlog.Hash(h)
	}
	if err := tlog.CheckRecord(proof, cp.TreeSize, tlog.Hash(cp.Root), a.Seq-1, tlog.Hash(leaf)); err != nil {
		return e, fmt.Sprintf("its inclusion proof does not lead to the root %s of the checkpoint of %d entries", cp.Root, cp.TreeSize)
	}
	e.Seq = a.Seq
	return e, ""
}

// readZipFile reads f whole, refusing more than limit bytes.
func readZipFile(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}
