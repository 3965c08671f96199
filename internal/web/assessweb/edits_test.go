package assessweb

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// hiddenFields returns the hidden fields of a page, as a browser would
// send them back.
func hiddenFields(body string) url.Values {
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(body, -1) {
		v.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return v
}

// TestMultiEntrySavesAreAtomic drives guided mode and the expert table as a
// browser would: the page is loaded, its hidden versions sent back with the
// person's edits of several entries. When someone else saved the last entry
// after the page was loaded, or one entry is invalid, nothing is saved, no
// audit entry is written, every value typed comes back in the form and the
// problem shows beside its entry and in the list at the top; saving again
// saves every changed entry, each with one audit entry, and no other.
func TestMultiEntrySavesAreAtomic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newServer(t, db, web.Config{})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		webtest.CreateUser(t, db, "priya@example.org", false, org.ID, identity.RoleContributor)
		priya := webtest.LoginFull(t, s, db, "priya@example.org", webtest.Password)
		w := webtest.PostForm(t, priya, "/orgs/riverside/assessments", url.Values{"name": {"2026 assessment"}, "catalog_profile": {"current"}})
		webtest.WantPage(t, w, 303)
		base := w.Header().Get("Location")
		as, err := db.Assessments(ctx, org.ID)
		if err != nil || len(as) != 1 {
			t.Fatalf("assessments %v %v", as, err)
		}
		id := as[0].ID
		webtest.CreateUser(t, db, "sam@example.org", false, org.ID, identity.RoleSecurityOfficer)
		sam, err := db.UserByEmail(ctx, "sam@example.org")
		if err != nil {
			t.Fatal(err)
		}
		other := store.Actor{Name: "user:" + itoa64(sam.ID)}
		audits := func() int {
			t.Helper()
			es, _, err := db.AuditSearch(ctx, store.AuditFilter{OrgID: org.ID, Action: "assess.response"})
			if err != nil {
				t.Fatal(err)
			}
			return len(es)
		}
		response := func(citation string) assess.Response {
			t.Helper()
			sh, err := db.AssessmentSheet(ctx, org.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := sh.Response(citation)
			return r
		}

		t.Run("table", func(t *testing.T) {
			rows := []string{"164.308(a)(1)(ii)(A)", "164.308(a)(5)(ii)(B)", "164.312(b)"}
			edit := func(form url.Values, last string) url.Values {
				for i, c := range rows {
					form.Set(c+".status", "partial")
					form.Set(c+".narrative", "Table edit "+strings.Repeat("I", i+1)+" by Priya")
					form.Set(c+".owner", "Priya")
					form.Set(c+".target_date", "2026-12-01")
				}
				form.Set(rows[2]+".status", last)
				return form
			}
			page := priya.Get(t, base+"/table")
			webtest.WantPage(t, page, 200, `id="table-form"`, `id="table-save"`)
			loadedForm := hiddenFields(page.Body.String())
			if loadedForm.Get("164.312(b).version") != "0" || loadedForm.Get("164.312(b).digest") == "" {
				t.Fatalf("the table carries no version for 164.312(b): %v", loadedForm)
			}
			// Someone else answers the last row after the page was loaded.
			if _, err := db.SaveResponse(ctx, other, org.ID, id, assess.Response{Citation: rows[2], Status: assess.Implemented, Narrative: "Sam's answer"}); err != nil {
				t.Fatal(err)
			}
			before := audits()
			w := webtest.PostForm(t, priya, base+"/table", edit(hiddenFields(page.Body.String()), "partial"))
			webtest.WantPage(t, w, 422, "Nothing was saved", `id="f-e-164-312-b-conflict"`, `href="#f-e-164-312-b-conflict"`, "Test sam@example.org saved this entry",
				"Table edit I by Priya", "Table edit II by Priya", "Table edit III by Priya")
			for _, c := range rows[:2] {
				if r := response(c); r.Version != 0 {
					t.Errorf("conflict on the last row: %s was saved (version %d)", c, r.Version)
				}
			}
			if r := response(rows[2]); r.Narrative != "Sam's answer" || r.Version != 1 {
				t.Errorf("conflict on the last row: 164.312(b) = %q version %d, want Sam's, version 1", r.Narrative, r.Version)
			}
			if n := audits() - before; n != 0 {
				t.Errorf("conflict on the last row wrote %d audit entries, want 0", n)
			}
			again := hiddenFields(w.Body.String())
			if again.Get("164.312(b).version") != "1" {
				t.Errorf("after the conflict the row is loaded at version %q, want 1 (Sam's)", again.Get("164.312(b).version"))
			}

			// An invalid last row: the other rows' edits stay in the form.
			w = webtest.PostForm(t, priya, base+"/table", edit(again, "not_applicable"))
			webtest.WantPage(t, w, 422, "Nothing was saved", `id="f-e-164-312-b-status-problem"`, `href="#f-e-164-312-b-status"`,
				"Table edit I by Priya", "Table edit II by Priya", `<option value="partial" selected>`)
			if strings.Contains(w.Body.String(), `id="f-e-164-308-a-1-ii-A-status-problem"`) {
				t.Error("a valid row is marked as a problem")
			}
			if n := audits() - before; n != 0 || response(rows[0]).Version != 0 {
				t.Errorf("an invalid row: %d audit entries written, first row at version %d; want none", n, response(rows[0]).Version)
			}

			// Saved: the three changed rows, one audit entry each, no other row.
			w = webtest.PostForm(t, priya, base+"/table", edit(hiddenFields(w.Body.String()), "partial"))
			webtest.WantPage(t, w, 303)
			if loc := w.Header().Get("Location"); !strings.Contains(loc, "/table?saved=") {
				t.Errorf("saved, redirected to %q", loc)
			}
			for i, c := range rows {
				if r := response(c); r.Status != assess.Partial || !strings.Contains(r.Narrative, "Table edit "+strings.Repeat("I", i+1)) {
					t.Errorf("%s saved as %q %q", c, r.Status, r.Narrative)
				}
			}
			if n := audits() - before; n != 3 {
				t.Errorf("saving three rows wrote %d audit entries, want 3", n)
			}
			loc, _, _ := strings.Cut(w.Header().Get("Location"), "#")
			webtest.WantPage(t, priya.Get(t, loc), 200, "Saved 3 entries", `class="saved"`)
			// Saving the page again unchanged writes nothing.
			before = audits()
			w = webtest.PostForm(t, priya, base+"/table", edit(hiddenFields(priya.Get(t, base+"/table").Body.String()), "partial"))
			webtest.WantPage(t, w, 303)
			if n := audits() - before; n != 0 {
				t.Errorf("saving unchanged rows wrote %d audit entries", n)
			}
		})

		t.Run("guided", func(t *testing.T) {
			const standard = "164.308(a)(7)"
			page := priya.Get(t, base+"/guided?standard="+url.QueryEscape(standard))
			webtest.WantPage(t, page, 200, `data-standard="`+standard+`"`)
			var entries []string
			for _, e := range as[0].Entries {
				if e.Assessable() && e.Standard == standard {
					entries = append(entries, e.Citation)
				}
			}
			if len(entries) < 3 {
				t.Fatalf("%s has %d entries, want at least 3", standard, len(entries))
			}
			last := len(entries) - 1
			edit := func(form url.Values, lastStatus string) url.Values {
				form.Set("standard", standard)
				for i := range entries {
					p := "s" + itoa64(int64(i)) + "-"
					form.Set(p+"status", "implemented")
					form.Set(p+"narrative", "Guided edit "+itoa64(int64(i))+" by Priya")
				}
				form.Set("s"+itoa64(int64(last))+"-status", lastStatus)
				return form
			}
			loadedForm := hiddenFields(page.Body.String())
			if _, err := db.SaveResponse(ctx, other, org.ID, id, assess.Response{Citation: entries[last], Status: assess.Partial, Narrative: "Sam's plan"}); err != nil {
				t.Fatal(err)
			}
			before := audits()
			lastID := "s" + itoa64(int64(last)) + "-"
			w := webtest.PostForm(t, priya, base+"/guided", edit(loadedForm, "implemented"))
			webtest.WantPage(t, w, 422, "Nothing was saved", `id="`+lastID+`conflict"`, `href="#`+lastID+`conflict"`, "Test sam@example.org saved this entry",
				"Guided edit 0 by Priya", "Guided edit 1 by Priya", "Guided edit "+itoa64(int64(last))+" by Priya")
			if strings.Contains(w.Body.String(), "Nothing was saved") && audits() != before {
				t.Errorf("the page says nothing was saved, but %d audit entries were written", audits()-before)
			}
			for _, c := range entries[:last] {
				if r := response(c); r.Version != 0 {
					t.Errorf("conflict on the last entry: %s was saved (version %d)", c, r.Version)
				}
			}
			if r := response(entries[last]); r.Narrative != "Sam's plan" {
				t.Errorf("conflict on the last entry: it was overwritten with %q", r.Narrative)
			}

			// An invalid entry in the middle keeps the others' edits.
			form := edit(hiddenFields(w.Body.String()), "implemented")
			form.Set("s1-target_date", "next week")
			w = webtest.PostForm(t, priya, base+"/guided", form)
			webtest.WantPage(t, w, 422, "Nothing was saved", `id="s1-target_date-problem"`, `href="#s1-target_date"`, "Guided edit 0 by Priya", "Guided edit 2 by Priya", `value="next week"`)
			if !strings.Contains(w.Body.String(), `id="s0-status-implemented" value="implemented" checked`) {
				t.Error("the first entry's status was not kept in the form")
			}
			if r := response(entries[0]); r.Version != 0 || audits() != before {
				t.Errorf("an invalid entry: the first one was saved (version %d), %d audit entries", r.Version, audits()-before)
			}

			// Saved: every entry of the standard, one audit entry each; the
			// last one replaces Sam's answer, which Priya has now seen.
			w = webtest.PostForm(t, priya, base+"/guided", edit(hiddenFields(w.Body.String()), "implemented"))
			webtest.WantPage(t, w, 303)
			for i, c := range entries {
				if r := response(c); r.Status != assess.Implemented || r.Narrative != "Guided edit "+itoa64(int64(i))+" by Priya" {
					t.Errorf("%s saved as %q %q", c, r.Status, r.Narrative)
				}
			}
			if n := audits() - before; n != len(entries) {
				t.Errorf("saving %d entries wrote %d audit entries", len(entries), n)
			}
		})
	})
}
