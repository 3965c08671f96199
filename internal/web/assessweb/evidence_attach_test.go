package assessweb

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// TestEvidenceLinksHTTPSOnly: a link must be https, by form and by API, with
// the problem beside the address field; a plain http link recorded before
// the rule is kept and marked on its page.
func TestEvidenceLinksHTTPSOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newServer(t, db, web.Config{Keys: webtest.Keyring(t)})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		webtest.CreateUser(t, db, "priya@example.org", false, org.ID, identity.RoleContributor)
		priya := webtest.LoginFull(t, s, db, "priya@example.org", webtest.Password)

		w := webtest.FormPost(t, priya, "/orgs/riverside/evidence", map[string]string{"title": "Vendor page", "kind": "link", "url": "http://vendor.example.com/security"}, "", nil)
		webtest.WantPage(t, w, http.StatusUnprocessableEntity, `id="link-url-problem"`, "must start with https://", `aria-invalid="true"`)
		w = webtest.SendJSON(t, priya, "POST", "/api/v1/orgs/riverside/evidence", `{"title":"Vendor page","url":"http://vendor.example.com/security"}`)
		var bad web.ErrorBody
		webtest.MustJSON(t, w, http.StatusUnprocessableEntity, &bad)
		if !strings.Contains(bad.Error.Fields["url"], "https://") {
			t.Errorf("http link by API: fields %v, want a problem on url", bad.Error.Fields)
		}
		if list, _, _ := db.EvidenceSearchPage(ctx, org.ID, store.EvidenceSearch{}, store.Page{}); len(list) != 0 {
			t.Errorf("an http link was stored: %+v", list)
		}
		w = webtest.SendJSON(t, priya, "POST", "/api/v1/orgs/riverside/evidence", `{"title":"Vendor page","url":"https://vendor.example.com/security"}`)
		webtest.MustJSON(t, w, http.StatusCreated, &evidenceJSON{})

	})
}

// TestEvidenceOldHTTPLinkKept: a plain http link recorded before the https
// rule (written straight to the table, as an older Safeguard did) is kept
// as it was and marked on the evidence pages.
func TestEvidenceOldHTTPLinkKept(t *testing.T) {
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
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, `INSERT INTO evidence (org_id, title, description, kind, url, current_version, created_by, created_at, updated_at)
		VALUES (?, 'Old intranet policy', '', 'link', 'http://intranet.example/policy', 0, 'test', ?, ?)`, org.ID, db.Now(), db.Now()); err != nil {
		t.Fatal(err)
	}
	list, _, err := db.EvidenceSearchPage(ctx, org.ID, store.EvidenceSearch{Text: "intranet"}, store.Page{})
	if err != nil || len(list) != 1 || !list[0].Insecure() || list[0].URL != "http://intranet.example/policy" {
		t.Fatalf("old http link: %+v %v", list, err)
	}
	webtest.WantPage(t, priya.Get(t, fmt.Sprintf("/orgs/riverside/evidence/%d", list[0].ID)), 200, `id="insecure-link"`, "before Safeguard accepted only https://")
	webtest.WantPage(t, priya.Get(t, "/orgs/riverside/evidence"), 200, "not encrypted (http)")
}

// TestEvidenceSearchScoped: the search finds the organisation's evidence by
// the words of its title, a page at a time, current only when asked; it
// never shows another organisation's evidence, on the API, the evidence
// page or an entry's page.
func TestEvidenceSearchScoped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		keys := webtest.Keyring(t)
		s := newServer(t, db, web.Config{Keys: keys})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "harbor", Name: "Harbor", Kind: identity.KindBusinessAssociate})
		if err != nil {
			t.Fatal(err)
		}
		webtest.CreateUser(t, db, "priya@example.org", false, org.ID, identity.RoleContributor)
		webtest.CreateUser(t, db, "eve@example.org", false, other.ID, identity.RoleOwner)
		priya := webtest.LoginFull(t, s, db, "priya@example.org", webtest.Password)
		eve := webtest.LoginFull(t, s, db, "eve@example.org", webtest.Password)
		link := func(orgID int64, title string) assess.Evidence {
			e, err := db.CreateEvidence(ctx, store.Actor{Name: "test"}, keys, orgID, assess.Evidence{Title: title, Kind: assess.EvidenceLink, URL: "https://example.com/" + url.PathEscape(title)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		var ours []assess.Evidence
		for i := range 25 {
			ours = append(ours, link(org.ID, fmt.Sprintf("Backup policy %02d", i)))
		}
		access := link(org.ID, "Access control policy")
		retired := link(org.ID, "Backup policy (old)")
		if _, err := db.RetireEvidence(ctx, store.Actor{Name: "test"}, org.ID, retired.ID); err != nil {
			t.Fatal(err)
		}
		theirs := link(other.ID, "Backup policy of Harbor")
		link(other.ID, "Harbor access control policy")

		// The API: every word, any case; paged; current only on request.
		type page struct {
			Evidence []assess.Evidence `json:"evidence"`
			Next     *string           `json:"next_cursor"`
		}
		walk := func(c *webtest.Client, slug, query string) []assess.Evidence {
			var all []assess.Evidence
			cursor := ""
			for range 10 {
				var p page
				webtest.DecodeJSON200(t, c, "/api/v1/orgs/"+slug+"/evidence?limit=10&"+query+"&cursor="+url.QueryEscape(cursor), &p)
				all = append(all, p.Evidence...)
				if p.Next == nil {
					return all
				}
				cursor = *p.Next
			}
			t.Fatalf("%s: more than 10 pages", query)
			return nil
		}
		got := walk(priya, "riverside", "q=BACKUP+policy")
		if len(got) != 26 {
			t.Errorf("q=BACKUP policy found %d, want 26 (25 and the retired one)", len(got))
		}
		got = walk(priya, "riverside", "q=backup&current=true")
		if len(got) != 25 || slices.ContainsFunc(got, func(e assess.Evidence) bool { return e.ID == retired.ID }) {
			t.Errorf("current=true found %d, want the 25 current", len(got))
		}
		for _, e := range walk(priya, "riverside", "q=policy") {
			if e.OrgID != org.ID {
				t.Errorf("riverside's search found %q of org %d", e.Title, e.OrgID)
			}
		}
		if got = walk(priya, "riverside", "q=harbor"); len(got) != 0 {
			t.Errorf("q=harbor in riverside found %+v", got)
		}
		if got = walk(eve, "harbor", "q=policy"); len(got) != 2 || slices.ContainsFunc(got, func(e assess.Evidence) bool { return e.OrgID != other.ID }) {
			t.Errorf("harbor's search = %+v", got)
		}
		if got = walk(priya, "riverside", "q=100%25"); len(got) != 0 {
			t.Errorf("a %% in the search is a wildcard: %+v", got)
		}
		if w := eve.Get(t, "/api/v1/orgs/riverside/evidence?q=policy"); w.Code != http.StatusNotFound && w.Code != http.StatusForbidden {
			t.Errorf("another organisation's member searching riverside = %d", w.Code)
		}

		// The entry page's search (without JavaScript: a GET of the page).
		a := newAssessment(t, db, org.ID, "2026 assessment")
		entry := fmt.Sprintf("/orgs/riverside/assessments/%d/entries/164.308(a)(7)(ii)(A)", a.ID)
		w := priya.Get(t, entry)
		webtest.WantPage(t, w, 200, `id="evidence-q"`, `form="evidence-search"`, `id="evidence-search"`)
		for _, e := range append(ours, access) {
			if strings.Contains(w.Body.String(), e.Title) {
				t.Fatalf("the entry page lists %q before any search: it must not offer every piece of evidence", e.Title)
			}
		}
		w = priya.Get(t, entry+"?evidence_q=backup")
		body := w.Body.String()
		webtest.WantPage(t, w, 200, "Backup policy 24", `name="attach" value="`+itoa64(ours[24].ID)+`"`, "More results")
		if n := strings.Count(body, `name="attach"`); n != evidenceFound {
			t.Errorf("a search page shows %d results, want %d", n, evidenceFound)
		}
		for _, e := range []assess.Evidence{theirs, retired, access} {
			if strings.Contains(body, e.Title) {
				t.Errorf("the entry page's search for backup shows %q", e.Title)
			}
		}
		w = priya.Get(t, entry+"?evidence_q=harbor")
		webtest.WantPage(t, w, 200, "No current evidence has “harbor” in its title.")

		// Attach without JavaScript: the button saves the response with the
		// evidence added; Detach takes it off. Another organisation's
		// evidence cannot be attached.
		form := url.Values{"status": {"implemented"}, "narrative": {"Nightly backups to the cloud."}, "evidence_offered": {"1"}, "attach": {itoa64(ours[3].ID)}}
		w = webtest.PostForm(t, priya, entry, form)
		webtest.WantPage(t, w, http.StatusSeeOther)
		if loc := w.Header().Get("Location"); !strings.HasSuffix(loc, "?saved=attach#evidence") {
			t.Errorf("attach went to %q", loc)
		}
		sh, err := db.AssessmentSheet(ctx, org.ID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r, _ := sh.Response("164.308(a)(7)(ii)(A)"); !slices.Equal(r.EvidenceIDs, []int64{ours[3].ID}) || r.Narrative != "Nightly backups to the cloud." {
			t.Errorf("after attach the response is %+v", r)
		}
		w = priya.Get(t, entry+"?saved=attach")
		webtest.WantPage(t, w, 200, "Evidence attached and the response saved.", `aria-label="Detach Backup policy 03"`)
		form = url.Values{"status": {"implemented"}, "narrative": {"Nightly backups to the cloud."}, "evidence_offered": {"1"}, "evidence": {itoa64(ours[3].ID)}, "attach": {itoa64(theirs.ID)}}
		w = webtest.PostForm(t, priya, entry, form)
		webtest.WantPage(t, w, http.StatusUnprocessableEntity, "must be evidence of this organisation")
		form = url.Values{"status": {"implemented"}, "narrative": {"Nightly backups to the cloud."}, "evidence_offered": {"1"}, "evidence": {itoa64(ours[3].ID)}, "detach": {itoa64(ours[3].ID)}}
		webtest.WantPage(t, webtest.PostForm(t, priya, entry, form), http.StatusSeeOther)
		sh, _ = db.AssessmentSheet(ctx, org.ID, a.ID)
		if r, _ := sh.Response("164.308(a)(7)(ii)(A)"); len(r.EvidenceIDs) != 0 {
			t.Errorf("after detach the response links %v", r.EvidenceIDs)
		}

		// Guided mode checks posted evidence against the organisation's own
		// too (it reads only the evidence posted, not all of it).
		guided := fmt.Sprintf("/orgs/riverside/assessments/%d/guided", a.ID)
		form = url.Values{"standard": {"164.308(a)(7)"}, "s1-status": {"implemented"}, "s1-narrative": {"Nightly backups to the cloud, tested monthly."},
			"s1-evidence_offered": {"1"}, "s1-evidence": {itoa64(theirs.ID)}}
		webtest.WantPage(t, webtest.PostForm(t, priya, guided, form), http.StatusUnprocessableEntity, "must be evidence of this organisation")
		form.Set("s1-evidence", itoa64(ours[5].ID))
		form.Set("skip", "1")
		if w := webtest.PostForm(t, priya, guided, form); w.Code != http.StatusSeeOther && w.Code != http.StatusOK {
			t.Errorf("guided save with our evidence = %d", w.Code)
		}
		sh, _ = db.AssessmentSheet(ctx, org.ID, a.ID)
		if r, _ := sh.Response("164.308(a)(7)(ii)(A)"); !slices.Equal(r.EvidenceIDs, []int64{ours[5].ID}) {
			t.Errorf("after the guided save the response links %v", r.EvidenceIDs)
		}

		// A plain-form upload from the entry page comes back to it, with
		// the new evidence offered to attach; anywhere else it is not sent.
		w = webtest.FormPost(t, priya, "/orgs/riverside/evidence", map[string]string{"title": "Restore test", "kind": "file", "return_to": "/orgs/riverside/assessments/" + itoa64(a.ID) + "/entries/164.308(a)(7)(ii)(A)"}, "restore.txt", []byte("Restored the EHR export on 2 March.\n"))
		webtest.WantPage(t, w, http.StatusSeeOther)
		loc := w.Header().Get("Location")
		if !strings.HasPrefix(loc, "/orgs/riverside/assessments/"+itoa64(a.ID)+"/entries/164.308(a)(7)(ii)(A)?uploaded=") {
			t.Fatalf("upload from the entry page went to %q", loc)
		}
		loc, _, _ = strings.Cut(loc, "#") // a browser does not send the fragment
		webtest.WantPage(t, priya.Get(t, loc), 200, "The new evidence was added", `aria-label="Attach Restore test"`)
		for _, back := range []string{"https://evil.example/x", "//evil.example/orgs/riverside/assessments/1/entries/x", "/orgs/harbor/assessments/1/entries/x", "/orgs/riverside/assessments/1/../../../x/entries/y", "/orgs/riverside/profile"} {
			if got := returnTo("riverside", back); got != "" {
				t.Errorf("returnTo(%q) = %q, want \"\"", back, got)
			}
		}
	})
}

// newAssessment starts an assessment against the current rule.
func newAssessment(t *testing.T, db *store.DB, orgID int64, name string) assess.Assessment {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	a, err := assess.New(cat, "current", name, db.Now(), db.Now().AddDate(0, 3, 0))
	if err != nil {
		t.Fatal(err)
	}
	a, err = db.CreateAssessment(context.Background(), store.Actor{Name: "test"}, orgID, a)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
