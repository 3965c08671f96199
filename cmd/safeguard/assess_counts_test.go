package main

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestAssessOverviewCountsAgree reads the demo assessment's overview, the
// assessments list and the organisation's start page over HTTP, and checks
// that every number they give about the assessment agrees with the others
// and with the JSON API: the entries to answer, how many are answered, the
// five statuses adding up to the entries, the gaps, and what blocks
// sign-off, where each entry is listed once with all its problems.
func TestAssessOverviewCountsAgree(t *testing.T) {
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	const email = "priya.shah@riverside.example"
	api := newAssessAPI(t, s.URL, email, demoPassword(t, s.Stdout.String(), email))
	id := api.draftAssessment()

	var sh struct {
		Posture struct {
			Overall struct {
				Entries        int `json:"entries"`
				Implemented    int `json:"implemented"`
				Partial        int `json:"partial"`
				NotImplemented int `json:"not_implemented"`
				NotApplicable  int `json:"not_applicable"`
				Unanswered     int `json:"unanswered"`
				Overdue        int `json:"overdue"`
			} `json:"overall"`
		} `json:"posture"`
		Blockers []sheetBlocker `json:"blockers"`
	}
	if code := api.call("GET", fmt.Sprintf("/api/v1/orgs/riverside/assessments/%d", id), nil, &sh); code != 200 {
		t.Fatalf("GET assessment = %d", code)
	}
	o := sh.Posture.Overall
	blockedEntries, blockedReviews := map[string]int{}, 0
	for _, b := range sh.Blockers {
		if b.Citation == "" {
			blockedReviews++
		} else {
			blockedEntries[b.Citation]++
		}
	}
	twice := 0
	for _, n := range blockedEntries {
		if n > 1 {
			twice++
		}
	}
	if o.Entries == 0 || o.Unanswered == 0 || blockedReviews == 0 || twice == 0 {
		t.Fatalf("the demo no longer has the case this test is about: posture %+v, %d blockers, %d entries with several", o, len(sh.Blockers), twice)
	}

	page := getPage(t, api, fmt.Sprintf("/orgs/riverside/assessments/%d", id))
	num := func(re string) int {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("the overview has no %s", re)
		}
		n, err := strconv.Atoi(m[1])
		if err != nil {
			t.Fatalf("%s: %v", re, err)
		}
		return n
	}
	counted := func(name string) int {
		t.Helper()
		return num(`<tr data-count="` + name + `"><th scope="row">[^<]+</th><td>(\d+)</td>`)
	}
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"entries to answer (headline)", num(`id="entries-count">(\d+) entries<`), o.Entries},
		{"entries to answer (table)", counted("entries"), o.Entries},
		{"answered (progress)", num(`id="answered-count">(\d+) of \d+<`), o.Entries - o.Unanswered},
		{"answered of", num(`id="answered-count">\d+ of (\d+)<`), o.Entries},
		{"answered (definition)", num(`data-count="answered">(\d+)<`), o.Entries - o.Unanswered},
		{"implemented", counted("implemented"), o.Implemented},
		{"partial", counted("partial"), o.Partial},
		{"not implemented", counted("not_implemented"), o.NotImplemented},
		{"not applicable", counted("not_applicable"), o.NotApplicable},
		{"not answered", counted("unanswered"), o.Unanswered},
		{"gaps", num(`data-count="gaps">(\d+)<`), o.Partial + o.NotImplemented},
		{"overdue", num(`data-count="overdue">(\d+)<`), o.Overdue},
		{"statuses add up", counted("implemented") + counted("partial") + counted("not_implemented") + counted("not_applicable") + counted("unanswered"), counted("entries")},
		{"standards and specifications add up", num(`: (\d+) standards? and`) + num(`and (\d+) implementation specifications?\.`), o.Entries},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if strings.Contains(page, "missing ·") {
		t.Error(`the overview still counts "missing" entries, a number defined nowhere`)
	}

	// What blocks sign-off: each entry once, and the same entries as the API.
	listed := map[string]int{}
	for _, m := range regexp.MustCompile(`<li data-citation="([^"]+)">`).FindAllStringSubmatch(page, -1) {
		listed[html.UnescapeString(m[1])]++
	}
	for c, n := range listed {
		if n != 1 {
			t.Errorf("%s is listed %d times under what blocks sign-off", c, n)
		}
		if blockedEntries[c] == 0 {
			t.Errorf("%s is listed as blocking sign-off, but the API does not say so", c)
		}
	}
	for c := range blockedEntries {
		if listed[c] == 0 {
			t.Errorf("%s blocks sign-off in the API but is not listed on the overview", c)
		}
	}
	want := fmt.Sprintf("%d entries need attention and %d category reviews are still to do", len(blockedEntries), blockedReviews)
	if got := regexp.MustCompile(`<p id="blockers-count">([^<]+)`).FindStringSubmatch(page); got == nil || !strings.HasPrefix(got[1], want) {
		t.Errorf("blockers headline = %q, want it to start %q", got, want)
	}

	// The list and the start page count alike.
	list := getPage(t, api, "/orgs/riverside/assessments")
	row := regexp.MustCompile(fmt.Sprintf(`(?s)href="/orgs/riverside/assessments/%d">.*?<td[^>]*>(\d+)</td></tr>`, id)).FindStringSubmatch(list)
	if row == nil || row[1] != strconv.Itoa(o.Entries) {
		t.Errorf("the assessments list gives %v entries to answer, want %d", row, o.Entries)
	}
	start := getPage(t, api, "/orgs/riverside")
	if want := fmt.Sprintf("sign-off waits for %d entries and %d category reviews", len(blockedEntries), blockedReviews); !strings.Contains(start, want) {
		t.Errorf("the start page does not say %q", want)
	}
}

// getPage fetches a page as a browser would, with the API session's cookie.
func getPage(t *testing.T, a *assessAPI, path string) string {
	t.Helper()
	req, err := http.NewRequest("GET", a.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	resp, err := a.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d", path, resp.StatusCode)
	}
	return string(b)
}
