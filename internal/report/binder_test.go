package report

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/safeguard-health/safeguard/internal/audit"
)

// memTree is an in-memory RFC 6962 tree of stored hashes, as the store
// keeps them in audit_tree.
type memTree []tlog.Hash

func (t memTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x >= int64(len(t)) {
			return nil, fmt.Errorf("no hash %d", x)
		}
		out[i] = t[x]
	}
	return out, nil
}

// binderLog is a small audit log with two pieces of evidence of
// organisation 7 (the second in two versions), another organisation's
// entries, and a binder entry; signed by signer.
type binderLog struct {
	recs   []audit.Record
	tree   memTree
	signer *audit.Signer
	keys   []byte
}

func (l *binderLog) add(t *testing.T, e audit.Entry) int64 {
	t.Helper()
	var prev audit.Hash
	if len(l.recs) > 0 {
		prev = l.recs[len(l.recs)-1].Hash
	}
	e.Seq = int64(len(l.recs) + 1)
	e.At = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(e.Seq) * time.Minute)
	if e.Actor == "" {
		e.Actor = "user:1"
	}
	r, err := audit.Seal(e, prev)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := tlog.StoredHashesForRecordHash(e.Seq-1, tlog.Hash(r.Hash), l.tree)
	if err != nil {
		t.Fatal(err)
	}
	l.tree = append(l.tree, hs...)
	l.recs = append(l.recs, r)
	return e.Seq
}

func (l *binderLog) seal(t *testing.T, reportSeq int64, seqs ...int64) Seal {
	t.Helper()
	n := int64(len(l.recs))
	root, err := tlog.TreeHash(n, l.tree)
	if err != nil {
		t.Fatal(err)
	}
	s := Seal{Checkpoint: l.signer.Sign(n, audit.Hash(root), time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)), Keys: l.keys, ReportSeq: reportSeq}
	for _, seq := range append(seqs, reportSeq) {
		p, err := tlog.ProveRecord(n, seq-1, l.tree)
		if err != nil {
			t.Fatal(err)
		}
		ep := EntryProof{Record: l.recs[seq-1]}
		for _, h := range p {
			ep.Proof = append(ep.Proof, audit.Hash(h))
		}
		s.Proofs = append(s.Proofs, ep)
	}
	return s
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

var (
	policy     = []byte("Information security policy\nversion 3\n")
	inventory  = []byte("asset_tag,device\nRFP-001,Laptop\n")
	inventory2 = []byte("asset_tag,device\nRFP-001,Laptop\nRFP-002,Phone\n")
)

// sampleBinder writes a sound binder and returns its bytes with the log
// and signer behind it.
func sampleBinder(t *testing.T) ([]byte, *binderLog) {
	t.Helper()
	s, err := audit.NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	var kf audit.KeyFile
	kf.Add(s.Public())
	keys, _ := kf.MarshalText()
	l := &binderLog{signer: s, keys: keys}
	l.add(t, audit.Entry{OrgID: 7, Action: "org.create", Object: "org:riverside"})
	up3 := l.add(t, audit.Entry{OrgID: 7, Action: "evidence.upload", Object: "evidence:3",
		Summary: fmt.Sprintf("uploaded %q: policy.txt, text/plain, %d bytes, SHA-256 %s", "Policy", len(policy), hexSum(policy))})
	l.add(t, audit.Entry{OrgID: 8, Action: "evidence.upload", Object: "evidence:4", Summary: "another organisation's"})
	l.add(t, audit.Entry{OrgID: 7, Action: "evidence.upload", Object: "evidence:5",
		Summary: fmt.Sprintf("uploaded %q: inv.csv, text/csv, %d bytes, SHA-256 %s", "Inventory", len(inventory), hexSum(inventory))})
	v5 := l.add(t, audit.Entry{OrgID: 7, Action: "evidence.version", Object: "evidence:5",
		Summary: fmt.Sprintf("uploaded version 2 of %q: inv.csv, text/csv, %d bytes, SHA-256 %s", "Inventory", len(inventory2), hexSum(inventory2))})
	doc := NewDocument([]byte(`{"title":"report"}`))
	rep := l.add(t, audit.Entry{OrgID: 7, Action: BinderAction, Object: "org:riverside", Summary: BinderEntrySummary(doc.Name, hexSum(doc.Data), 2)})
	l.add(t, audit.Entry{OrgID: 7, Action: "evidence.download", Object: "evidence:3/v1"})

	var buf bytes.Buffer
	w := NewBinderWriter(&buf, ManifestOrg{ID: 7, Slug: "riverside", Name: "Riverside Family Practice"}, time.Now())
	if err := w.AddReport(doc); err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddEvidence(BinderEvidence{ID: 3, Title: "Policy", Version: 1, FileName: "policy.txt", ContentType: "text/plain; charset=utf-8", AuditSeq: up3,
		LinkedEntries: []string{"164.308(a)(2)"}}, policy); err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddEvidence(BinderEvidence{ID: 5, Title: "Inventory", Version: 2, FileName: "inv.csv", ContentType: "application/pdf", AuditSeq: v5}, inventory2); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(l.seal(t, rep, up3, v5)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), l
}

func verifyBytes(b []byte, pinned audit.KeyFile) (BinderSummary, error) {
	return VerifyBinder(bytes.NewReader(b), int64(len(b)), pinned, nil, nil)
}

// rewrite copies the zip b through edit, which may change, drop (nil) or
// add files.
func rewrite(t *testing.T, b []byte, edit func(files map[string][]byte)) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	var order []string
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name] = data
		order = append(order, f.Name)
	}
	edit(files)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	seen := map[string]bool{}
	write := func(name string) {
		data, ok := files[name]
		if !ok || data == nil || seen[name] {
			return
		}
		seen[name] = true
		w, _ := zw.Create(name)
		w.Write(data)
	}
	for _, n := range order {
		write(n)
	}
	for n := range files {
		write(n)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func replaceOnce(t *testing.T, b []byte, old, new string) []byte {
	t.Helper()
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%q not found in %.300s", old, b)
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

func TestBinderRoundTrip(t *testing.T) {
	b, l := sampleBinder(t)
	sum, err := verifyBytes(b, nil)
	if err != nil {
		t.Fatalf("VerifyBinder = %v", err)
	}
	if sum.Evidence != 2 || sum.Entries != 3 || !sum.KeysFromBinder || sum.Checkpoint.TreeSize != int64(len(l.recs)) {
		t.Errorf("summary = %+v", sum)
	}
	want := []string{"report.json", "evidence/3-v1-policy.txt", "evidence/5-v2-inv.csv", BinderCheckpoint, BinderKeys}
	for i, f := range sum.Manifest.Files {
		if i >= len(want) || f.Name != want[i] {
			t.Errorf("file %d = %s, want %v", i, f.Name, want)
		}
	}
	// Text is deflated; files compressed already are stored as they are.
	zr, _ := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	methods := map[string]uint16{}
	for _, f := range zr.File {
		methods[f.Name] = f.Method
	}
	if methods["evidence/3-v1-policy.txt"] != zip.Deflate || methods["evidence/5-v2-inv.csv"] != zip.Store || methods[BinderManifest] != zip.Deflate {
		t.Errorf("zip methods = %v", methods)
	}
	// With the keys file pinned apart, and with a pinned file of another key.
	kf, _ := audit.ParseKeyFile(l.keys)
	if _, err := verifyBytes(b, kf); err != nil {
		t.Errorf("VerifyBinder(pinned) = %v", err)
	}
	other, _ := audit.NewSigner()
	var okf audit.KeyFile
	okf.Add(other.Public())
	if _, err := verifyBytes(b, okf); err == nil || !strings.Contains(err.Error(), "checkpoint.txt: checkpoint of size 7: signed by an unknown key") {
		t.Errorf("VerifyBinder(other key) = %v", err)
	}
}

// TestBinderTamper changes one thing at a time and wants the first problem
// named with its file and entry.
func TestBinderTamper(t *testing.T) {
	b, l := sampleBinder(t)
	const pol, inv = "evidence/3-v1-policy.txt", "evidence/5-v2-inv.csv"
	tests := []struct {
		name string
		edit func(t *testing.T, files map[string][]byte)
		want string
	}{
		{"evidence byte", func(t *testing.T, f map[string][]byte) { f[pol][0] ^= 1 },
			pol + ": SHA-256 is " + hexSum(append([]byte{policy[0] ^ 1}, policy[1:]...)) + ", the manifest says " + hexSum(policy)},
		{"evidence longer", func(t *testing.T, f map[string][]byte) { f[pol] = append(f[pol], '!') },
			fmt.Sprintf("%s: is more than %d bytes, the manifest says %[2]d", pol, len(policy))},
		{"file removed", func(t *testing.T, f map[string][]byte) { f[inv] = nil },
			inv + ": is listed in the manifest but missing from the binder"},
		{"extra file", func(t *testing.T, f map[string][]byte) { f["evidence/extra.txt"] = []byte("x") },
			"evidence/extra.txt: is in the binder but not in the manifest"},
		{"manifest missing", func(t *testing.T, f map[string][]byte) { f[BinderManifest] = nil },
			"manifest.json: is missing"},
		{"manifest hash and file both changed", func(t *testing.T, f map[string][]byte) {
			f[pol] = []byte("Information security policy\nversion 4\n")
			f[BinderManifest] = replaceOnce(t, f[BinderManifest], hexSum(policy), hexSum(f[pol]))
		}, pol + ": audit entry 2: does not record SHA-256 " + hexSum([]byte("Information security policy\nversion 4\n"))},
		{"manifest version changed", func(t *testing.T, f map[string][]byte) {
			f[BinderManifest] = replaceOnce(t, f[BinderManifest], `"version": 2`, `"version": 3`)
		}, inv + ": audit entry 5: does not record version 3"},
		{"manifest evidence id changed", func(t *testing.T, f map[string][]byte) {
			f[BinderManifest] = replaceOnce(t, f[BinderManifest], `"evidence_id": 5`, `"evidence_id": 6`)
		}, inv + `: audit entry 5: is about "evidence:5", not evidence:6`},
		{"manifest organisation changed", func(t *testing.T, f map[string][]byte) {
			f[BinderManifest] = replaceOnce(t, f[BinderManifest], `"id": 7`, `"id": 8`)
		}, "report.json: audit entry 6: belongs to organisation 7, not 8"},
		{"readable summary changed", func(t *testing.T, f map[string][]byte) {
			f[BinderManifest] = replaceOnce(t, f[BinderManifest], `uploaded version 2 of`, `uploaded version 9 of`)
		}, inv + ": audit entry 5: its readable fields in the manifest differ from its encoding"},
		{"proof hash changed", func(t *testing.T, f map[string][]byte) {
			var m Manifest
			if err := json.Unmarshal(f[BinderManifest], &m); err != nil {
				t.Fatal(err)
			}
			m.Files[2].Audit.Proof[1] = strings.Repeat("0", 64)
			f[BinderManifest], _ = json.MarshalIndent(m, "", "  ")
		}, inv + ": audit entry 5: its inclusion proof does not lead to the root"},
		{"leaf hash changed", func(t *testing.T, f map[string][]byte) {
			f[BinderManifest] = replaceOnce(t, f[BinderManifest], l.recs[1].Hash.String(), strings.Repeat("1", 64))
		}, pol + ": audit entry 2: its encoding hashes to leaf " + l.recs[1].Hash.String()},
		{"proof moved to another entry", func(t *testing.T, f map[string][]byte) {
			f[BinderManifest] = replaceOnce(t, f[BinderManifest], `"seq": 2,`, `"seq": 3,`)
		}, pol + ": audit entry 3: its inclusion proof does not lead to the root"},
		{"report changed", func(t *testing.T, f map[string][]byte) { f["report.json"] = []byte(`{"title":"REPORT"}`) },
			"report.json: SHA-256 is"},
		{"checkpoint signature changed", func(t *testing.T, f map[string][]byte) {
			var cp audit.Checkpoint
			if err := cp.UnmarshalText(f[BinderCheckpoint]); err != nil {
				t.Fatal(err)
			}
			cp.Signature[0] ^= 1
			f[BinderCheckpoint], _ = cp.MarshalText()
			f[BinderManifest] = replaceOnce(t, f[BinderManifest], hexSum(l.checkpointText(t)), hexSum(f[BinderCheckpoint]))
		}, "checkpoint.txt: checkpoint of size 7: signature does not match"},
		{"checkpoint of a shorter log", func(t *testing.T, f map[string][]byte) {
			n := int64(5)
			root, _ := tlog.TreeHash(n, l.tree)
			cp := l.signer.Sign(n, audit.Hash(root), time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC))
			f[BinderCheckpoint], _ = cp.MarshalText()
			f[BinderManifest] = replaceOnce(t, f[BinderManifest], hexSum(l.checkpointText(t)), hexSum(f[BinderCheckpoint]))
		}, "report.json: audit entry 6: is outside the checkpoint's tree of 5 entries"},
		{"keys swapped", func(t *testing.T, f map[string][]byte) {
			s, _ := audit.NewSigner()
			var kf audit.KeyFile
			kf.Add(s.Public())
			f[BinderKeys], _ = kf.MarshalText()
			f[BinderManifest] = replaceOnce(t, f[BinderManifest], hexSum(l.keys), hexSum(f[BinderKeys]))
		}, "checkpoint.txt: checkpoint of size 7: signed by an unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := rewrite(t, b, func(f map[string][]byte) { tt.edit(t, f) })
			_, err := verifyBytes(bad, nil)
			var p *BinderProblem
			if !errors.As(err, &p) || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("VerifyBinder = %v, want a problem starting %q", err, tt.want)
			}
		})
	}
}

func (l *binderLog) checkpointText(t *testing.T) []byte {
	n := int64(len(l.recs))
	root, _ := tlog.TreeHash(n, l.tree)
	cp := l.signer.Sign(n, audit.Hash(root), time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC))
	text, _ := cp.MarshalText()
	return text
}

func TestBinderNotZip(t *testing.T) {
	_, err := verifyBytes([]byte("hello"), nil)
	if err == nil || !strings.HasPrefix(err.Error(), "binder: not a zip file") {
		t.Errorf("VerifyBinder(not zip) = %v", err)
	}
}

func TestEvidenceEntryProblem(t *testing.T) {
	sum := hexSum(policy)
	up := audit.Entry{OrgID: 7, Action: "evidence.upload", Object: "evidence:3", Summary: `uploaded "x": a, b, 1 bytes, SHA-256 ` + sum}
	ver := audit.Entry{OrgID: 7, Action: "evidence.version", Object: "evidence:3", Summary: `uploaded version 2 of "x": a, b, 1 bytes, SHA-256 ` + sum}
	tests := []struct {
		e    audit.Entry
		v    int
		want string
	}{
		{up, 1, ""},
		{ver, 2, ""},
		{up, 2, "does not record version 2"},
		{ver, 1, "is evidence.version, not the upload of version 1"},
		{ver, 3, "does not record version 3"},
		{up, 0, "is no version"},
	}
	for _, tt := range tests {
		got := EvidenceEntryProblem(tt.e, 7, 3, tt.v, sum)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("EvidenceEntryProblem(%s, v%d) = %q, want %q", tt.e.Action, tt.v, got, tt.want)
		}
	}
	if got := EvidenceEntryProblem(up, 7, 3, 1, hexSum(inventory)); !strings.HasPrefix(got, "does not record SHA-256") {
		t.Errorf("EvidenceEntryProblem(other sum) = %q", got)
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"../../etc/passwd":      "_.._etc_passwd",
		"Policy v3 (final).pdf": "Policy_v3__final_.pdf",
		"":                      "file",
		"...":                   "file",
		"résumé.txt":            "r_sum_.txt",
	} {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewDocument(t *testing.T) {
	if d := NewDocument([]byte("%PDF-1.7 ...")); d.Name != "report.pdf" {
		t.Errorf("NewDocument(pdf).Name = %s", d.Name)
	}
	if d := NewDocument([]byte("{}")); d.Name != "report.json" {
		t.Errorf("NewDocument(json).Name = %s", d.Name)
	}
}
