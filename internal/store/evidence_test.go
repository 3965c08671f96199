package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/validate"
)

const policyText = "Riverside information security policy: every laptop is encrypted, Fernwood unique marker 7731.\n"

func auditActions(t *testing.T, db *store.DB, orgID int64) map[string]int {
	t.Helper()
	entries, err := db.AuditEntries(context.Background(), orgID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range entries {
		out[e.Action]++
	}
	return out
}

func TestEvidence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		keys, err := crypt.NewKeyring()
		if err != nil {
			t.Fatal(err)
		}
		org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "other", Name: "Other", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}

		// Bad input: nothing saved.
		_, err = db.CreateEvidence(ctx, cli, keys, org.ID, assess.Evidence{Kind: assess.EvidenceFile}, &store.EvidenceFile{Filename: "policy.pdf", Data: []byte("\x7fELF\x02")})
		var p validate.Error
		if !errors.As(err, &p) || p["title"] == "" || !strings.Contains(p["file"], "program") {
			t.Errorf("bad evidence: %v", err)
		}
		if _, err := db.CreateEvidence(ctx, cli, keys, org.ID, assess.Evidence{Title: "x", Kind: assess.EvidenceLink, URL: "javascript:alert(1)"}, nil); !errors.As(err, &p) || p["url"] == "" {
			t.Errorf("javascript link: %v", err)
		}

		e, err := db.CreateEvidence(ctx, cli, keys, org.ID, assess.Evidence{Title: " Security policy ", Kind: assess.EvidenceFile},
			&store.EvidenceFile{Filename: "../policy.txt", Data: []byte(policyText)})
		if err != nil {
			t.Fatal(err)
		}
		if e.Title != "Security policy" || e.CurrentVersion != 1 || e.ID == 0 {
			t.Errorf("created %+v", e)
		}
		v2 := []byte("version two of the policy\n")
		v, err := db.AddEvidenceVersion(ctx, cli, keys, org.ID, e.ID, store.EvidenceFile{Filename: "policy-2.txt", Data: v2})
		if err != nil || v.Version != 2 {
			t.Fatalf("AddEvidenceVersion = %+v, %v", v, err)
		}
		vs, next, err := db.EvidenceVersions(ctx, org.ID, e.ID, store.Page{Limit: 10})
		if err != nil || next != nil || len(vs) != 2 || vs[0].Version != 2 || vs[1].Filename != "policy.txt" || vs[1].ContentType != "text/plain; charset=utf-8" {
			t.Fatalf("versions = %+v, %v", vs, err)
		}
		sum := sha256.Sum256([]byte(policyText))
		if vs[1].SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("sha256 = %s", vs[1].SHA256)
		}
		got, data, err := db.OpenEvidence(ctx, cli, keys, org.ID, e.ID, 1)
		if err != nil || string(data) != policyText || got.Version != 1 {
			t.Fatalf("OpenEvidence = %+v, %q, %v", got, data, err)
		}
		if _, data, err := db.OpenEvidence(ctx, cli, keys, org.ID, e.ID, 2); err != nil || !bytes.Equal(data, v2) {
			t.Fatalf("OpenEvidence(2) = %q, %v", data, err)
		}

		// Another organisation sees nothing of it.
		if _, err := db.Evidence(ctx, other.ID, e.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Evidence(other) = %v", err)
		}
		if _, _, err := db.OpenEvidence(ctx, cli, keys, other.ID, e.ID, 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("OpenEvidence(other) = %v", err)
		}
		if _, err := db.AddEvidenceVersion(ctx, cli, keys, other.ID, e.ID, store.EvidenceFile{Filename: "x.txt", Data: []byte("x")}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AddEvidenceVersion(other) = %v", err)
		}

		// The plaintext is not in the database.
		for _, table := range []string{"evidence_versions", "evidence", "data_keys"} {
			dump, err := store.DumpTableForTest(ctx, db, table)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(dump, []byte("Fernwood unique marker")) || bytes.Contains(dump, []byte("version two")) {
				t.Errorf("plaintext found in %s", table)
			}
		}

		// Links.
		link, err := db.CreateEvidence(ctx, cli, keys, org.ID, assess.Evidence{Title: "EHR vendor security", Kind: assess.EvidenceLink, URL: "https://ehr.example.com/security"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddEvidenceVersion(ctx, cli, keys, org.ID, link.ID, store.EvidenceFile{Filename: "x.txt", Data: []byte("x")}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("version of a link = %v", err)
		}
		list, err := db.EvidenceList(ctx, org.ID)
		if err != nil || len(list) != 2 || list[0].ID != link.ID {
			t.Errorf("EvidenceList = %+v, %v", list, err)
		}
		if list, _ := db.EvidenceList(ctx, other.ID); len(list) != 0 {
			t.Errorf("other org list = %+v", list)
		}

		// Tampering with the ciphertext: refused and audited.
		if err := store.FlipEvidenceByteForTest(ctx, db, e.ID, 1, 30); err != nil {
			t.Fatal(err)
		}
		if _, data, err := db.OpenEvidence(ctx, cli, keys, org.ID, e.ID, 1); !errors.Is(err, store.ErrEvidenceTampered) || data != nil {
			t.Errorf("tampered ciphertext: %q, %v", data, err)
		}
		// Tampering with the recorded digest: refused and audited.
		if err := store.ExecForTest(ctx, db, fmt.Sprintf(`UPDATE evidence_versions SET sha256 = '%064d' WHERE evidence_id = %d AND version = 2`, 0, e.ID)); err != nil {
			t.Fatal(err)
		}
		if _, data, err := db.OpenEvidence(ctx, cli, keys, org.ID, e.ID, 2); !errors.Is(err, store.ErrEvidenceTampered) || data != nil {
			t.Errorf("tampered digest: %q, %v", data, err)
		}
		// Sealed bytes moved to another row do not open there.
		if _, err := db.AddEvidenceVersion(ctx, cli, keys, org.ID, e.ID, store.EvidenceFile{Filename: "p3.txt", Data: []byte("three\n")}); err != nil {
			t.Fatal(err)
		}
		if err := store.ExecForTest(ctx, db, fmt.Sprintf(`UPDATE evidence_versions SET sha256 = (SELECT sha256 FROM evidence_versions WHERE evidence_id = %[1]d AND version = 1) WHERE evidence_id = %[1]d AND version = 3`, e.ID)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.OpenEvidence(ctx, cli, keys, org.ID, e.ID, 3); !errors.Is(err, store.ErrEvidenceTampered) {
			t.Errorf("moved digest: %v", err)
		}

		// Retire: kept, audited, no new versions.
		r, err := db.RetireEvidence(ctx, cli, org.ID, link.ID)
		if err != nil || !r.Retired() {
			t.Fatalf("RetireEvidence = %+v, %v", r, err)
		}
		if _, err := db.RetireEvidence(ctx, cli, org.ID, link.ID); !errors.Is(err, store.ErrConflict) {
			t.Errorf("retire twice = %v", err)
		}
		if got, err := db.Evidence(ctx, org.ID, link.ID); err != nil || !got.Retired() {
			t.Errorf("retired evidence = %+v, %v", got, err)
		}

		acts := auditActions(t, db, org.ID)
		for action, n := range map[string]int{"evidence.upload": 1, "evidence.version": 2, "evidence.download": 2, "evidence.tamper_detected": 3, "evidence.link": 1, "evidence.retire": 1} {
			if acts[action] != n {
				t.Errorf("audit %s: %d entries, want %d (all: %v)", action, acts[action], n, acts)
			}
		}

		// Responses link only the organisation's own evidence.
		a, err := db.CreateAssessment(ctx, cli, org.ID, newAssessment(t, "2026", db.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveResponse(ctx, cli, org.ID, a.ID, assess.Response{Citation: "164.316(b)(1)", Status: assess.Implemented, Narrative: "kept", EvidenceIDs: []int64{e.ID, link.ID}}); err != nil {
			t.Fatalf("SaveResponse with evidence: %v", err)
		}
		theirs, err := db.CreateEvidence(ctx, cli, keys, other.ID, assess.Evidence{Title: "theirs", Kind: assess.EvidenceLink, URL: "https://other.example/x"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, ids := range [][]int64{{theirs.ID}, {e.ID, 999999}} {
			_, err := db.SaveResponse(ctx, cli, org.ID, a.ID, assess.Response{Citation: "164.316(b)(1)", Status: assess.Implemented, Narrative: "kept", EvidenceIDs: ids})
			if !errors.As(err, &p) || p["evidence_ids"] == "" {
				t.Errorf("SaveResponse(%v) = %v, want a problem on evidence_ids", ids, err)
			}
		}
		sheet, err := db.AssessmentSheet(ctx, org.ID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := sheet.Response("164.316(b)(1)"); !ok || r.Version != 1 || len(r.EvidenceIDs) != 2 {
			t.Errorf("response after refused saves = %+v", r)
		}
		uses, next, err := db.EvidenceUsePage(ctx, org.ID, link.ID, store.Page{})
		if err != nil || len(uses) != 1 || uses[0].Citation != "164.316(b)(1)" || uses[0].AssessmentID != a.ID || next != nil {
			t.Errorf("EvidenceUsePage = %+v, %v, %v", uses, next, err)
		}
		if uses, _, err := db.EvidenceUsePage(ctx, other.ID, link.ID, store.Page{}); len(uses) != 0 || !errors.Is(err, store.ErrNotFound) {
			t.Errorf("EvidenceUsePage(other) = %+v, %v, want ErrNotFound", uses, err)
		}

		// Migration 17 fills the links from responses saved before it: run
		// its backfill on an emptied table and the uses come back.
		backfill, err := store.EvidenceLinkBackfill(db)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`DELETE FROM assess_response_evidence`, backfill} {
			if err := store.ExecForTest(ctx, db, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		for _, ev := range []int64{e.ID, link.ID} {
			if uses, _, err := db.EvidenceUsePage(ctx, org.ID, ev, store.Page{}); err != nil || len(uses) != 1 || uses[0].Citation != "164.316(b)(1)" {
				t.Errorf("EvidenceUsePage(%d) after the backfill = %+v, %v", ev, uses, err)
			}
		}
	})
}
