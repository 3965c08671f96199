package assessweb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

const testPDF = "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

func TestEvidence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		keys, err := crypt.NewKeyring()
		if err != nil {
			t.Fatal(err)
		}
		s := newServer(t, db, web.Config{Keys: keys})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "other", Name: "Other", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		webtest.CreateUser(t, db, "priya@example.org", false, org.ID, identity.RoleContributor)
		webtest.CreateUser(t, db, "lena@example.org", false, org.ID, identity.RoleViewer)
		webtest.CreateUser(t, db, "eve@example.org", false, other.ID, identity.RoleOwner)
		priya := webtest.LoginFull(t, s, db, "priya@example.org", webtest.Password)
		lena := webtest.LoginFull(t, s, db, "lena@example.org", webtest.Password)
		eve := webtest.LoginFull(t, s, db, "eve@example.org", webtest.Password)
		const base = "/api/v1/orgs/riverside/evidence"

		// Upload a PDF through the API.
		w := webtest.Upload(t, priya, base, map[string]string{"title": "Information security policy", "description": "Signed by the owner"}, "policy.pdf", []byte(testPDF))
		var created evidenceJSON
		webtest.MustJSON(t, w, http.StatusCreated, &created)
		id := created.Evidence.ID
		if created.Evidence.Kind != assess.EvidenceFile || len(created.Versions) != 1 || created.Versions[0].ContentType != "application/pdf" {
			t.Fatalf("created %+v", created)
		}

		// A new version keeps the first.
		w = webtest.Upload(t, priya, fmt.Sprintf("%s/%d/versions", base, id), nil, "policy-v2.pdf", []byte(testPDF+"% v2\n"))
		var v2 assess.EvidenceVersion
		webtest.MustJSON(t, w, http.StatusCreated, &v2)
		if v2.Version != 2 {
			t.Errorf("version = %+v", v2)
		}
		var item evidenceJSON
		webtest.MustJSON(t, priya.Get(t, fmt.Sprintf("%s/%d", base, id)), http.StatusOK, &item)
		if len(item.Versions) != 2 || item.Evidence.CurrentVersion != 2 {
			t.Errorf("item = %+v", item)
		}

		// Download: attachment, sniffed type, nosniff, no-store, the bytes
		// whose checksum was recorded.
		for _, path := range []string{fmt.Sprintf("%s/%d/versions/1/download", base, id), fmt.Sprintf("/orgs/riverside/evidence/%d/versions/1/download", id)} {
			w = lena.Get(t, path)
			if w.Code != http.StatusOK {
				t.Fatalf("GET %s = %d %s", path, w.Code, w.Body)
			}
			h := w.Header()
			sum := sha256.Sum256(w.Body.Bytes())
			if w.Body.String() != testPDF || hex.EncodeToString(sum[:]) != created.Versions[0].SHA256 {
				t.Errorf("downloaded %q", w.Body)
			}
			if h.Get("Content-Type") != "application/pdf" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-store" ||
				h.Get("Content-Disposition") != `attachment; filename=policy.pdf` || h.Get("Repr-Digest") != "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":" {
				t.Errorf("headers %v", h)
			}
		}

		// The pages list it and show its versions.
		if w = lena.Get(t, "/orgs/riverside/evidence"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Information security policy") || strings.Contains(w.Body.String(), "Upload a file") {
			t.Errorf("list page for a viewer = %d", w.Code)
		}
		if w = priya.Get(t, "/orgs/riverside/evidence"); !strings.Contains(w.Body.String(), "Upload a file") || !strings.Contains(w.Body.String(), "upload.js") {
			t.Errorf("list page for a contributor lacks the upload form")
		}
		if w = lena.Get(t, fmt.Sprintf("/orgs/riverside/evidence/%d", id)); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "policy-v2.pdf") || !strings.Contains(w.Body.String(), created.Versions[0].SHA256) {
			t.Errorf("item page = %d %s", w.Code, w.Body)
		}

		// A viewer may not upload.
		if w = webtest.Upload(t, lena, base, map[string]string{"title": "x"}, "x.pdf", []byte(testPDF)); w.Code != http.StatusForbidden {
			t.Errorf("viewer upload = %d", w.Code)
		}

		// Forbidden type: an ELF program named policy.pdf.
		w = webtest.Upload(t, priya, base, map[string]string{"title": "Policy"}, "policy.pdf", []byte("\x7fELF\x02\x01\x01\x00rest"))
		var bad web.ErrorBody
		webtest.MustJSON(t, w, http.StatusUnprocessableEntity, &bad)
		if !strings.Contains(bad.Error.Fields["file"], "program") {
			t.Errorf("ELF: %+v", bad)
		}
		// A PDF named .docx.
		w = webtest.Upload(t, priya, base, map[string]string{"title": "Policy"}, "policy.docx", []byte(testPDF))
		webtest.MustJSON(t, w, http.StatusUnprocessableEntity, &bad)
		if !strings.Contains(bad.Error.Fields["file"], "PDF") {
			t.Errorf("mismatched extension: %+v", bad)
		}
		// Without scripts: the form comes back with the problem by the field.
		w = webtest.FormPost(t, priya, "/orgs/riverside/evidence", map[string]string{"title": "Policy", "kind": "file"}, "page.txt", []byte("<html><script>alert(1)</script>"))
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="ev-file-problem"`) || !strings.Contains(w.Body.String(), "HTML") {
			t.Errorf("HTML upload by form = %d", w.Code)
		}
		// A plain form upload that works redirects to the new item.
		w = webtest.FormPost(t, priya, "/orgs/riverside/evidence", map[string]string{"title": "Device inventory", "kind": "file"}, "devices.csv", []byte("device,owner\nlaptop-1,Priya\n"))
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/orgs/riverside/evidence/") {
			t.Errorf("form upload = %d %s", w.Code, w.Header())
		}

		// Over the limit: 413 with a clear message, by script and by form.
		// (A server on the same database with a limit of 1 KiB.)
		small := priya.On(newServer(t, db, web.Config{Keys: keys, EvidenceLimit: 1024}))
		big := []byte(strings.Repeat("a", 1025))
		w = webtest.Upload(t, small, base, map[string]string{"title": "Big"}, "big.txt", big)
		webtest.MustJSON(t, w, http.StatusRequestEntityTooLarge, &bad)
		if !strings.Contains(bad.Error.Message, "at most 1 KiB") {
			t.Errorf("413 message %q", bad.Error.Message)
		}
		huge := bytes.Repeat([]byte("a"), 3<<20)
		if w = webtest.FormPost(t, small, "/orgs/riverside/evidence", map[string]string{"title": "Huge", "kind": "file"}, "huge.txt", huge); w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "too large") {
			t.Errorf("huge form upload = %d", w.Code)
		}

		// Link evidence, by JSON and by form; a javascript: address is refused.
		w = webtest.SendJSON(t, priya, "POST", base, `{"title":"EHR vendor security","url":"https://ehr.example.com/security"}`)
		var link evidenceJSON
		webtest.MustJSON(t, w, http.StatusCreated, &link)
		if link.Evidence.Kind != assess.EvidenceLink || link.Evidence.URL != "https://ehr.example.com/security" {
			t.Errorf("link %+v", link)
		}
		w = webtest.SendJSON(t, priya, "POST", base, `{"title":"bad","url":"javascript:alert(1)"}`)
		webtest.MustJSON(t, w, http.StatusUnprocessableEntity, &bad)
		if bad.Error.Fields["url"] == "" {
			t.Errorf("javascript link: %+v", bad)
		}
		w = webtest.FormPost(t, priya, "/orgs/riverside/evidence", map[string]string{"title": "Backup vendor", "kind": "link", "url": "https://backup.example.com/soc2"}, "", nil)
		if w.Code != http.StatusSeeOther {
			t.Errorf("link form = %d %s", w.Code, w.Body)
		}

		// Another organisation's evidence is not found.
		for _, path := range []string{fmt.Sprintf("/api/v1/orgs/other/evidence/%d", id), fmt.Sprintf("/api/v1/orgs/other/evidence/%d/versions/1/download", id)} {
			if w = eve.Get(t, path); w.Code != http.StatusNotFound {
				t.Errorf("GET %s by another org = %d", path, w.Code)
			}
		}
		if w = eve.Get(t, fmt.Sprintf("%s/%d", base, id)); w.Code != http.StatusNotFound {
			t.Errorf("eve reading riverside = %d", w.Code)
		}

		// Retire: kept, no new versions.
		if w = webtest.FormPost(t, priya, fmt.Sprintf("/orgs/riverside/evidence/%d/retire", id), map[string]string{}, "", nil); w.Code != http.StatusSeeOther {
			t.Errorf("retire = %d %s", w.Code, w.Body)
		}
		if w = webtest.Upload(t, priya, fmt.Sprintf("%s/%d/versions", base, id), nil, "p3.pdf", []byte(testPDF)); w.Code != http.StatusConflict {
			t.Errorf("version of retired evidence = %d", w.Code)
		}

		// Tampering is refused (store tests alter the database; here the
		// wrapped key is opened with a keyring that lacks its KEK, which is
		// an error but not tampering).
		other2 := newServer(t, db, web.Config{Keys: webtest.Keyring(t)})
		w = lena.On(other2).Get(t, fmt.Sprintf("%s/%d/versions/2/download", base, id))
		webtest.MustJSON(t, w, http.StatusInternalServerError, &bad)
		if bad.Error.Code == "evidence_tampered" || strings.Contains(w.Body.String(), "%PDF") {
			t.Errorf("download with the wrong keyring: %s", w.Body)
		}

		entries, err := db.AuditEntries(ctx, org.ID, 1000)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, e := range entries {
			got[e.Action]++
		}
		for action, n := range map[string]int{"evidence.upload": 2, "evidence.version": 1, "evidence.download": 2, "evidence.link": 2, "evidence.retire": 1, "evidence.tamper_detected": 0} {
			if got[action] != n {
				t.Errorf("audit %s = %d, want %d", action, got[action], n)
			}
		}

		var list struct {
			Evidence []assess.Evidence `json:"evidence"`
		}
		webtest.MustJSON(t, lena.Get(t, base), http.StatusOK, &list)
		if len(list.Evidence) != 4 {
			b, _ := json.Marshal(list)
			t.Errorf("list = %s", b)
		}
	})
}

// TestEvidenceTamperedDownload alters the recorded checksum directly in the
// database file: the download is refused with evidence_tampered, serves no
// bytes, and is audited.
func TestEvidenceTamperedDownload(t *testing.T) {
	ctx := context.Background()
	path := storetest.SQLiteURL(t)
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := newServer(t, db, web.Config{Keys: webtest.Keyring(t)})
	org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
	if err != nil {
		t.Fatal(err)
	}
	webtest.CreateUser(t, db, "priya@example.org", false, org.ID, identity.RoleContributor)
	priya := webtest.LoginFull(t, s, db, "priya@example.org", webtest.Password)
	var created evidenceJSON
	webtest.MustJSON(t, webtest.Upload(t, priya, "/api/v1/orgs/riverside/evidence", map[string]string{"title": "Policy"}, "policy.pdf", []byte(testPDF)), http.StatusCreated, &created)

	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, `UPDATE evidence_versions SET sha256 = ? WHERE evidence_id = ?`, strings.Repeat("0", 64), created.Evidence.ID); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/api/v1/orgs/riverside/evidence/%d/versions/1/download", "/orgs/riverside/evidence/%d/versions/1/download"} {
		w := priya.Get(t, fmt.Sprintf(p, created.Evidence.ID))
		if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "%PDF") || w.Header().Get("Content-Disposition") != "" ||
			!strings.Contains(w.Body.String(), "integrity check") {
			t.Errorf("tampered download = %d %v %s", w.Code, w.Header(), w.Body)
		}
	}
	entries, err := db.AuditEntries(ctx, org.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Action == "evidence.tamper_detected" {
			n++
		}
		if e.Action == "evidence.download" {
			t.Errorf("a refused download was audited as a download: %+v", e)
		}
	}
	if n != 2 {
		t.Errorf("%d tamper_detected entries, want 2", n)
	}
}
