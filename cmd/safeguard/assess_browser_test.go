package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// assessAPI is a signed-in JSON API session with its CSRF token.
type assessAPI struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func newAssessAPI(t *testing.T, base, email, password string) *assessAPI {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	a := &assessAPI{t: t, base: base, c: &http.Client{Jar: jar}}
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	if code := a.call("POST", "/api/v1/login", map[string]string{"email": email, "password": password}, &me); code != 200 {
		t.Fatalf("sign in as %s = %d", email, code)
	}
	a.csrf = me.CSRF
	return a
}

// call sends body as JSON and decodes the answer into out; it returns the status.
func (a *assessAPI) call(method, path string, body, out any) int {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if a.csrf != "" {
		req.Header.Set("X-CSRF-Token", a.csrf)
	}
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			a.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// draftAssessment returns the id of Riverside's assessment in progress.
func (a *assessAPI) draftAssessment() int64 {
	a.t.Helper()
	var list struct {
		Items []struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"items"`
	}
	if code := a.call("GET", "/api/v1/orgs/riverside/assessments", nil, &list); code != 200 {
		a.t.Fatalf("list assessments = %d", code)
	}
	for _, it := range list.Items {
		if it.Status == "draft" {
			return it.ID
		}
	}
	a.t.Fatal("the demo has no assessment in progress")
	return 0
}

type sheetBlocker struct {
	Citation string `json:"citation"`
	Category string `json:"category"`
	Field    string `json:"field"`
}

type demoSheet struct {
	Status    string `json:"status"`
	Responses []struct {
		Citation  string `json:"citation"`
		Status    string `json:"status"`
		Narrative string `json:"narrative"`
	} `json:"responses"`
	Decisions []struct {
		Citation  string            `json:"citation"`
		Outcome   string            `json:"outcome"`
		Factors   map[string]string `json:"factors"`
		DecidedBy string            `json:"decided_by"`
		Version   int               `json:"version"`
	} `json:"decisions"`
	Blockers []sheetBlocker `json:"blockers"`
}

func (a *assessAPI) sheet(id int64) demoSheet {
	a.t.Helper()
	var s demoSheet
	if code := a.call("GET", fmt.Sprintf("/api/v1/orgs/riverside/assessments/%d", id), nil, &s); code != 200 {
		a.t.Fatalf("get assessment = %d", code)
	}
	return s
}

// responseStatus is the status of the response to citation, "" for none.
func (s demoSheet) responseStatus(citation string) string {
	for _, r := range s.Responses {
		if r.Citation == citation {
			return r.Status
		}
	}
	return ""
}

// clearField empties a form field.
func clearField(css string) chromedp.Action[chromedp.Void] {
	q, _ := json.Marshal(css)
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(`+string(q)+`).value = "")`))
		return err
	})
}

// browserSignIn signs in through the login form and opens path.
func browserSignIn(b *browser, base, email, password, path string) {
	b.Do(
		chromedp.Navigate(base+path),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("form.signout")),
	)
}

func checkNoBrowserProblems(t *testing.T, b *browser) {
	t.Helper()
	for _, p := range b.Problems() {
		if !strings.Contains(p, "the server responded with a status of 4") {
			t.Errorf("browser reported: %s", p)
		}
	}
}

// TestBrowserAssessGuided walks the demo contributor through two standards
// of guided mode: each "Save and continue" saves the answers, and the
// progress bar moves; a standard still unfinished (a decision missing) is
// left with "Skip for now" (TestBrowserGuidedNavigation tests that stay).
func TestBrowserAssessGuided(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	const email = "priya.shah@riverside.example"
	pw := demoPassword(t, s.Stdout.String(), email)
	api := newAssessAPI(t, s.URL, email, pw)
	id := api.draftAssessment()
	guided := fmt.Sprintf("/orgs/riverside/assessments/%d/guided", id)

	browserSignIn(b, s.URL, email, pw, guided)
	b.Do(chromedp.Navigate(s.URL+guided), chromedp.WaitVisible(chromedp.CSS("#guided-progress")))
	progress := func() int {
		return value(b, chromedp.Evaluate[int](`document.getElementById("guided-progress").value`))
	}
	var walked []string
	for step := range 2 {
		std := b.Eval(`document.getElementById("standard-h").dataset.standard`)
		before := progress()
		entries := value(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("section.guided-entry h3 .citation")].map(e => e.textContent)`))
		if len(entries) == 0 {
			t.Fatalf("step %d (%s): no entries on the page", step, std)
		}
		// Guided mode opens at a standard with something to finish.
		unanswered := value(b, chromedp.Evaluate[int](`[...document.querySelectorAll("section.guided-entry")].filter(s => !s.querySelector("input[type=radio][name$=status]:checked")).length`))
		if b.Eval(`String(document.querySelectorAll("#standard-contents .pill.bad").length)`) == "0" {
			t.Fatalf("step %d: guided mode opened at %s, which has nothing to finish", step, std)
		}
		// Answer the first entry by typing, the others as implemented.
		b.Do(
			chromedp.Click(chromedp.CSS("#s0-status-partial")),
			clearField("#s0-narrative"),
			chromedp.SendKeys(chromedp.CSS("#s0-narrative"), fmt.Sprintf("Guided answer %d: being rolled out at both sites.", step)),
			clearField("#s0-owner"),
			chromedp.SendKeys(chromedp.CSS("#s0-owner"), "Priya Shah"),
		)
		b.Eval(`[...document.querySelectorAll("section.guided-entry")].slice(1).forEach(s => { const r = s.querySelector("input[type=radio][value=implemented]"); if (!s.querySelector("input[type=radio][name$=status]:checked")) r.click(); }), "ok"`)
		b.Do(
			chromedp.Click(chromedp.CSS("#save-continue")),
			chromedp.WaitVisible(chromedp.CSS(`#standard-h:not([data-standard="`+std+`"]), #save-skip`)),
		)
		if b.Eval(`String(!!document.getElementById("save-skip"))`) == "true" {
			b.Do(chromedp.Click(chromedp.CSS("#save-skip")), chromedp.WaitVisible(chromedp.CSS(`#standard-h:not([data-standard="`+std+`"])`)))
		}
		if after := progress(); after != before+unanswered {
			t.Errorf("step %d (%s): progress %d → %d, want +%d", step, std, before, after, unanswered)
		}
		if txt := b.Text("#guided-progress-label"); !strings.Contains(txt, fmt.Sprintf("%d of", progress())) {
			t.Errorf("progress text %q does not say %d answered", txt, progress())
		}
		walked = append(walked, entries[0])
	}

	// The answers are saved, with the narrative typed in the browser.
	sh := api.sheet(id)
	for i, c := range walked {
		found := false
		for _, r := range sh.Responses {
			if r.Citation == c {
				found = true
				if r.Status != "partial" || !strings.Contains(r.Narrative, fmt.Sprintf("Guided answer %d", i)) {
					t.Errorf("%s saved as %q %q", c, r.Status, r.Narrative)
				}
			}
		}
		if !found {
			t.Errorf("%s: no response saved", c)
		}
	}
	// Resumable: opening guided mode again lands on a standard with
	// something to finish, not on the first one.
	b.Do(chromedp.Navigate(s.URL+guided), chromedp.WaitVisible(chromedp.CSS("#guided-progress")))
	if b.Eval(`String(document.querySelectorAll("#standard-contents .pill.bad").length)`) == "0" {
		t.Error("guided mode reopened at a standard with nothing to finish")
	}
	checkNoBrowserProblems(t, b)
}

// TestBrowserAssessDecision records an addressable decision for automatic
// logoff: without the §164.306(b)(2) factors the form comes back with the
// problems beside the fields and nothing is saved; with them it is saved
// and the page says who decided when.
func TestBrowserAssessDecision(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	const email = "priya.shah@riverside.example"
	pw := demoPassword(t, s.Stdout.String(), email)
	api := newAssessAPI(t, s.URL, email, pw)
	id := api.draftAssessment()
	const citation = "164.312(a)(2)(iii)"
	entry := fmt.Sprintf("/orgs/riverside/assessments/%d/entries/%s", id, citation)
	version := func() int {
		for _, d := range api.sheet(id).Decisions {
			if d.Citation == citation {
				return d.Version
			}
		}
		return 0
	}
	v0 := version()

	browserSignIn(b, s.URL, email, pw, entry)
	b.Do(
		chromedp.Navigate(s.URL+entry),
		chromedp.WaitVisible(chromedp.CSS("#save-decision")),
		chromedp.Click(chromedp.CSS("#outcome-alternative")),
		clearField("#alternative"),
		chromedp.SendKeys(chromedp.CSS("#alternative"), "Workstations lock after 5 minutes through Windows policy; the EHR ends its session after 15."),
		clearField("#rationale"),
		chromedp.SendKeys(chromedp.CSS("#rationale"), "Exam-room PCs are shared; an EHR-level logoff alone would interrupt care, the screen lock protects the same risk."),
		clearField("#risk_analysis_ref"),
		chromedp.SendKeys(chromedp.CSS("#risk_analysis_ref"), "Risk analysis 2026, risk R-7"),
	)
	for _, f := range []string{"size", "infrastructure", "cost", "risk"} {
		b.Do(clearField("#factor-" + f))
	}
	b.Do(chromedp.Click(chromedp.CSS("#save-decision")), chromedp.WaitVisible(chromedp.CSS("#factor-size-problem")))
	for _, f := range []string{"size", "infrastructure", "cost", "risk"} {
		attrs := value(b, chromedp.Attributes(chromedp.CSS("#factor-"+f)))
		if attrs["aria-invalid"] != "true" || !strings.Contains(attrs["aria-describedby"], "factor-"+f+"-problem") {
			t.Errorf("factor %s: aria-invalid=%q aria-describedby=%q", f, attrs["aria-invalid"], attrs["aria-describedby"])
		}
		if p := b.Text("#factor-" + f + "-problem"); !strings.Contains(p, "is required") {
			t.Errorf("factor %s problem: %q", f, p)
		}
	}
	if p := b.Text("#page-problem"); !strings.Contains(p, "not saved") {
		t.Errorf("page problem %q", p)
	}
	// What was typed is kept.
	if got := value(b, chromedp.Value(chromedp.CSS("#alternative"))); !strings.Contains(got, "Windows policy") {
		t.Errorf("alternative after the refusal: %q", got)
	}
	if v := version(); v != v0 {
		t.Errorf("a refused decision was saved: version %d → %d", v0, v)
	}

	factors := map[string]string{
		"size":           "Fourteen staff at two sites; the practice manager runs IT with BrightPath IT.",
		"infrastructure": "Windows 11 workstations joined to the domain; the EHR is hosted.",
		"cost":           "The screen lock costs nothing; an EHR badge-tap add-on would cost $9,000 a year.",
		"risk":           "Unattended exam-room PCs are the likeliest way for a patient to see another's record.",
	}
	for f, text := range factors {
		b.Do(chromedp.SendKeys(chromedp.CSS("#factor-"+f), text))
	}
	b.Do(chromedp.Click(chromedp.CSS("#save-decision")), chromedp.WaitVisible(chromedp.CSS("#saved-notice")))
	if d := b.Text("#decided"); !strings.Contains(d, "Priya Shah") || !strings.Contains(d, fmt.Sprintf("version %d", v0+1)) {
		t.Errorf("decided note %q", d)
	}
	for _, d := range api.sheet(id).Decisions {
		if d.Citation == citation {
			if d.Outcome != "alternative" || d.Factors["cost"] != factors["cost"] || d.Version != v0+1 {
				t.Errorf("saved decision: %+v", d)
			}
		}
	}
	checkNoBrowserProblems(t, b)
}

// TestBrowserAssessSignOff has the security officer enrol a second factor,
// see exactly what blocks sign-off, review every category, submit and sign
// the assessment off in the browser; afterwards the pages have no edit
// controls and an edit is refused.
func TestBrowserAssessSignOff(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	out := s.Stdout.String()
	priya := newAssessAPI(t, s.URL, "priya.shah@riverside.example", demoPassword(t, out, "priya.shah@riverside.example"))
	id := priya.draftAssessment()
	overview := fmt.Sprintf("/orgs/riverside/assessments/%d", id)

	// The security officer must enrol a second factor before anything opens.
	const email = "sam.okafor@riverside.example"
	b.Do(
		chromedp.Navigate(s.URL+overview),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), demoPassword(t, out, email)),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#totp-begin")),
	)
	enrolTOTP(t, b)
	b.Do(chromedp.WaitNotPresent(chromedp.CSS("#recovery-codes")), chromedp.WaitVisible(chromedp.CSS("form.signout")))

	// The overview lists exactly what blocks sign-off, each with a link.
	b.Do(chromedp.Navigate(s.URL+overview), chromedp.WaitVisible(chromedp.CSS("#blockers")))
	blockers := b.Text("#blockers")
	for _, want := range []string{"has no answer", "has no documented decision", "have not been reviewed"} {
		if !strings.Contains(blockers, want) {
			t.Errorf("blockers do not mention %q:\n%s", want, blockers)
		}
	}
	links := value(b, chromedp.Evaluate[int](`document.querySelectorAll("#blockers a[href*='/entries/']").length`))
	if links == 0 {
		t.Error("no blocker links to the entry to fix")
	}

	// The contributor completes the answers and decisions through the API.
	factors := map[string]string{"size": "Small practice.", "infrastructure": "Hosted EHR.", "cost": "Affordable.", "risk": "Assessed in the risk analysis."}
	for _, bl := range priya.sheet(id).Blockers {
		path := fmt.Sprintf("/api/v1/orgs/riverside/assessments/%d", id)
		var code int
		switch bl.Field {
		case "status":
			code = priya.call("PATCH", path+"/responses/"+url.PathEscape(bl.Citation), map[string]string{"status": "implemented", "narrative": "In place."}, nil)
		case "na_reason":
			code = priya.call("PATCH", path+"/responses/"+url.PathEscape(bl.Citation), map[string]string{"na_reason": "No clearinghouse functions."}, nil)
		case "plan":
			code = priya.call("PATCH", path+"/responses/"+url.PathEscape(bl.Citation), map[string]string{"owner": "Sam Okafor", "target_date": "2099-03-31"}, nil)
		case "decision":
			// The decision agrees with the response (an alternative where
			// the response says partly in place).
			decision := map[string]any{"outcome": "implemented", "factors": factors}
			if priya.sheet(id).responseStatus(bl.Citation) == "partial" {
				decision = map[string]any{"outcome": "alternative", "alternative": "A compensating measure.", "rationale": "Not reasonable as written.",
					"risk_analysis_ref": "RA 2026", "factors": factors}
			}
			code = priya.call("PUT", path+"/decisions/"+url.PathEscape(bl.Citation), decision, nil)
		default:
			continue
		}
		if code != 200 {
			t.Fatalf("completing %s %s = %d", bl.Citation, bl.Field, code)
		}
	}

	// Only the reviews are left; the security officer records them, submits
	// and tries to sign off.
	b.Do(chromedp.Navigate(s.URL+overview), chromedp.WaitVisible(chromedp.CSS("#blockers")))
	if n := value(b, chromedp.Evaluate[int](`document.querySelectorAll("#blockers a[href*='/entries/']").length`)); n != 0 {
		t.Errorf("%d entry blockers left after completing them", n)
	}
	b.Do(chromedp.Click(chromedp.CSS("#submit-review")), chromedp.WaitVisible(chromedp.CSS("#finalise")))
	if st := b.Text("#assessment-status"); st != "In review" {
		t.Errorf("status after submitting: %q", st)
	}
	// Signing off with reviews missing is refused, with the blockers listed.
	b.Do(chromedp.Click(chromedp.CSS("#attest")), chromedp.Click(chromedp.CSS("#finalise")), chromedp.WaitVisible(chromedp.CSS("#page-problem")))
	if p := b.Text("#page-problem"); !strings.Contains(p, "cannot be signed off yet") {
		t.Errorf("sign-off with blockers: %q", p)
	}
	for {
		pending := value(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".reviews > li")].filter(li => li.querySelector(".pill.bad")).map(li => li.id)`))
		if len(pending) == 0 {
			break
		}
		b.Do(
			chromedp.SendKeys(chromedp.CSS("#"+pending[0]+"-note"), "Reviewed with the practice manager."),
			chromedp.Click(chromedp.CSS("#"+pending[0]+"-submit")),
			chromedp.WaitVisible(chromedp.CSS("#"+pending[0]+" .pill.ok")),
		)
	}
	// The statement must be confirmed: the browser will not send the form
	// without the tick.
	b.Do(chromedp.WaitVisible(chromedp.CSS("#no-blockers")), chromedp.Click(chromedp.CSS("#finalise")))
	if invalid := value(b, chromedp.Evaluate[bool](`!document.querySelector("#attest").checkValidity()`)); !invalid {
		t.Error("the attestation box is not required")
	}
	// Sam reviewed every category himself; in a practice of several people
	// he cannot also sign off.
	b.Do(chromedp.Click(chromedp.CSS("#attest")), chromedp.Click(chromedp.CSS("#finalise")), chromedp.WaitVisible(chromedp.CSS("#reviewers-problem")))
	if p := b.Text("#reviewers-problem"); !strings.Contains(p, "somebody other than the signer") {
		t.Errorf("reviewers problem %q", p)
	}
	// Dr Alvarez, the owner, signs off what Sam reviewed.
	const maria = "maria.alvarez@riverside.example"
	b.Do(
		chromedp.Click(chromedp.CSS("form.signout button")),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.Navigate(s.URL+overview),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), maria),
		chromedp.SendKeys(chromedp.CSS("#password"), demoPassword(t, out, maria)),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#totp-begin")),
	)
	enrolTOTP(t, b)
	// Enrolment ends on a page of its own; wait for it before moving on, or
	// the navigation below races it.
	b.Do(chromedp.WaitNotPresent(chromedp.CSS("#recovery-codes")), chromedp.WaitVisible(chromedp.CSS("form.signout")))
	b.Do(chromedp.Navigate(s.URL+overview), chromedp.WaitVisible(chromedp.CSS("#attestation-text")))
	if text := b.Text("#attestation-text"); !strings.Contains(text, "not the risk analysis") {
		t.Errorf("attestation %q", text)
	}
	b.Do(chromedp.Click(chromedp.CSS("#attest")), chromedp.Click(chromedp.CSS("#finalise")), chromedp.WaitVisible(chromedp.CSS("#final-note")))
	if note := b.Text("#final-note"); !strings.Contains(note, "Final — signed off by Dr Maria Alvarez") || !strings.Contains(note, "kept while in effect") {
		t.Errorf("final note %q", note)
	}
	if st := b.Text("#signed-statement"); !strings.Contains(st, "confirming") {
		t.Errorf("signed statement %q", st)
	}

	// No edit controls remain, and an edit is refused.
	for _, path := range []string{overview, overview + "/table", overview + "/guided", overview + "/entries/164.312(a)(2)(iii)"} {
		b.Do(chromedp.Navigate(s.URL+path), chromedp.WaitVisible(chromedp.CSS("#final-note")))
		if n := value(b, chromedp.Evaluate[int](`document.querySelectorAll("main form:not([method=get]) textarea, main form:not([method=get]) select, main form:not([method=get]) input[type=radio], #review-h ~ ul form, #finalise, #submit-review").length`)); n != 0 {
			t.Errorf("%s: %d edit controls on a final assessment", path, n)
		}
	}
	if code := priya.call("PATCH", fmt.Sprintf("/api/v1/orgs/riverside/assessments/%d/responses/%s", id, url.PathEscape("164.312(b)")), map[string]string{"status": "partial"}, nil); code != http.StatusConflict {
		t.Errorf("editing a final assessment = %d, want 409", code)
	}
	// A form POST from the page is refused the same way.
	status := value(b, chromedp.Evaluate[string](`fetch(location.pathname, {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"},
		body: "csrf=" + encodeURIComponent(document.querySelector("meta[name=sg-csrf]").content) + "&status=partial"}).then(r => String(r.status))`, chromedp.EvalAwaitPromise))
	if status != "409" {
		t.Errorf("a form POST to the final assessment's entry = %s, want 409", status)
	}
	checkNoBrowserProblems(t, b)
}
