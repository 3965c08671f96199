package assessweb

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// The uploads of evidence, attacked: the kernel's upload routes
// (web.Server.UploadRoute) as the evidence routes use them.

// testBoundary separates the parts of the multipart bodies these tests make.
const testBoundary = "sgtestboundary"

// generatedUpload is a multipart body of about size bytes, generated as it
// is read: a csrf field (when csrf is set), then a file of filler.
func generatedUpload(csrf string, size int64, read *atomic.Int64) (contentType string, length int64, body io.Reader) {
	var head strings.Builder
	if csrf != "" {
		fmt.Fprintf(&head, "--%s\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n%s\r\n", testBoundary, csrf)
	}
	fmt.Fprintf(&head, "--%s\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nBig\r\n", testBoundary)
	fmt.Fprintf(&head, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\nContent-Type: text/plain\r\n\r\n", testBoundary)
	tail := "\r\n--" + testBoundary + "--\r\n"
	fill := size - int64(head.Len()+len(tail))
	return "multipart/form-data; boundary=" + testBoundary, size,
		io.MultiReader(&webtest.CountingReader{R: strings.NewReader(head.String()), Count: read}, &webtest.Filler{N: fill, Count: read}, &webtest.CountingReader{R: strings.NewReader(tail), Count: read})
}

// allocated is how many bytes the process has allocated so far, after a
// collection.
func allocated() (total, inuse uint64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc, m.HeapInuse
}

// TestUploadAuthorisedBeforeBodyRead performs the attack of a viewer who
// sends 24 evidence uploads of 25.5 MiB at once, over real HTTP, to another
// organisation's evidence and to their own (where a viewer may not write),
// each with a valid CSRF token in the form. Every one is refused, and the
// server allocates a small fraction of one body, not 24 of them: nothing
// reads an upload before the caller is known to be allowed to send it.
func TestUploadAuthorisedBeforeBodyRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tmp := t.TempDir()
		s := newServer(t, db, web.Config{Keys: webtest.Keyring(t), TempDir: tmp})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "other", Name: "Other", Kind: identity.KindProvider}); err != nil {
			t.Fatal(err)
		}
		webtest.CreateUser(t, db, "lena@example.org", false, org.ID, identity.RoleViewer)
		lena := webtest.LoginFull(t, s, db, "lena@example.org", webtest.Password)
		srv := httptest.NewServer(s)
		defer srv.Close()

		const n = 24
		const size = 25<<20 + 512<<10 // under the route's limit: only authorisation can refuse it
		paths := []string{"/orgs/other/evidence", "/orgs/riverside/evidence", "/api/v1/orgs/other/evidence", "/orgs/riverside/evidence/1/versions"}
		statuses := make([]int, n)
		var read atomic.Int64
		before, inuseBefore := allocated()
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			// Each goroutine ends when its request has been answered.
			go func() {
				defer wg.Done()
				ct, length, body := generatedUpload(lena.CSRF(), size, &read)
				req, err := http.NewRequest("POST", srv.URL+paths[i%len(paths)], body)
				if err != nil {
					t.Error(err)
					return
				}
				if i%2 == 0 {
					req.ContentLength = length // the other half is sent chunked
				}
				req.Header.Set("Content-Type", ct)
				for _, c := range lena.Cookies() {
					req.AddCookie(c)
				}
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Errorf("upload %d: %v", i, err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				statuses[i] = resp.StatusCode
			}()
		}
		wg.Wait()
		after, inuseAfter := allocated()
		for i, code := range statuses {
			if code != http.StatusForbidden && code != http.StatusNotFound {
				t.Errorf("upload %d to %s = %d, want 403 or 404", i, paths[i%len(paths)], code)
			}
		}
		const bound = 10 << 20
		grew := after - before
		t.Logf("24 refused uploads of %d bytes: %d bytes allocated in all, heap in use %+d bytes; %d bytes taken from the senders",
			size, grew, int64(inuseAfter)-int64(inuseBefore), read.Load())
		if grew > bound {
			t.Errorf("24 refused uploads allocated %d bytes, want under %d: the bodies were read before authorisation", grew, bound)
		}
		if list, err := db.EvidenceList(ctx, org.ID); err != nil || len(list) != 0 {
			t.Errorf("EvidenceList() = %d items, %v; want none", len(list), err)
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("spool folder holds %v", left)
		}
	})
}

// TestUploadRefusedUnread checks the same at the handler: a refused upload,
// declared or chunked, has not a single byte of its body read.
func TestUploadRefusedUnread(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newServer(t, db, web.Config{Keys: webtest.Keyring(t)})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "other", Name: "Other", Kind: identity.KindProvider}); err != nil {
			t.Fatal(err)
		}
		webtest.CreateUser(t, db, "lena@example.org", false, org.ID, identity.RoleViewer)
		lena := webtest.LoginFull(t, s, db, "lena@example.org", webtest.Password)
		for _, tc := range []struct {
			name, path string
			header     bool // the CSRF token in X-CSRF-Token, not the form
			declared   bool
			want       int
		}{
			{"other organisation", "/orgs/other/evidence", false, true, http.StatusNotFound},
			{"other organisation, chunked", "/orgs/other/evidence", false, false, http.StatusNotFound},
			{"own organisation as viewer", "/orgs/riverside/evidence", false, false, http.StatusForbidden},
			{"own organisation as viewer, header token", "/orgs/riverside/evidence", true, false, http.StatusForbidden},
			{"API, other organisation", "/api/v1/orgs/other/evidence", true, false, http.StatusNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var read atomic.Int64
				csrf := lena.CSRF()
				if tc.header {
					csrf = ""
				}
				ct, length, body := generatedUpload(csrf, 25<<20, &read)
				r := httptest.NewRequest("POST", tc.path, body)
				r.ContentLength = -1
				if tc.declared {
					r.ContentLength = length
				}
				r.Header.Set("Content-Type", ct)
				if tc.header {
					r.Header.Set("X-CSRF-Token", lena.CSRF())
				}
				for _, c := range lena.Cookies() {
					r.AddCookie(c)
				}
				w := httptest.NewRecorder()
				s.ServeHTTP(w, r)
				if w.Code != tc.want || read.Load() != 0 {
					t.Errorf("POST %s = %d after reading %d bytes, want %d after reading none", tc.path, w.Code, read.Load(), tc.want)
				}
			})
		}
	})
}

// TestUploadOverLimit sends uploads over the evidence limit with a valid
// CSRF token: declared too large they are refused unread; sent chunked they
// are refused as the limit is passed. Nothing is stored, and no spool is
// left behind.
func TestUploadOverLimit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tmp := t.TempDir()
		const limit = 1 << 20
		s := newServer(t, db, web.Config{Keys: webtest.Keyring(t), TempDir: tmp, EvidenceLimit: limit})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		webtest.CreateUser(t, db, "priya@example.org", false, org.ID, identity.RoleContributor)
		priya := webtest.LoginFull(t, s, db, "priya@example.org", webtest.Password)
		created := webtest.Upload(t, priya, "/api/v1/orgs/riverside/evidence", map[string]string{"title": "Policy"}, "policy.pdf", []byte(testPDF))
		var first evidenceJSON
		webtest.MustJSON(t, created, http.StatusCreated, &first)
		auditBefore := webtest.AuditSize(t, db)

		for _, tc := range []struct {
			name     string
			path     string
			size     int64
			declared bool
			maxRead  int64
		}{
			{"declared over the route limit", "/orgs/riverside/evidence", limit + web.FormSlack + 1, true, 0},
			{"chunked, file over the evidence limit", "/orgs/riverside/evidence", limit + 4096, false, limit + web.FormSlack + 1},
			{"declared under the route limit, file over the evidence limit", "/orgs/riverside/evidence", limit + 4096, true, limit + web.FormSlack + 1},
			{"chunked, far over", "/orgs/riverside/evidence", 200 << 20, false, limit + web.FormSlack + 1},
			{"new version, chunked", fmt.Sprintf("/orgs/riverside/evidence/%d/versions", first.Evidence.ID), limit + 4096, false, limit + web.FormSlack + 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var read atomic.Int64
				ct, length, body := generatedUpload(priya.CSRF(), tc.size, &read)
				r := httptest.NewRequest("POST", tc.path, body)
				r.ContentLength = -1
				if tc.declared {
					r.ContentLength = length
				}
				r.Header.Set("Content-Type", ct)
				for _, c := range priya.Cookies() {
					r.AddCookie(c)
				}
				w := httptest.NewRecorder()
				s.ServeHTTP(w, r)
				if w.Code != http.StatusRequestEntityTooLarge || read.Load() > tc.maxRead {
					t.Errorf("POST %s = %d after reading %d bytes, want 413 after at most %d", tc.path, w.Code, read.Load(), tc.maxRead)
				}
				if !strings.Contains(w.Body.String(), "at most 1 MiB") {
					t.Errorf("the page does not give the limit: %.500s", w.Body)
				}
				if left, _ := os.ReadDir(tmp); len(left) != 0 {
					t.Errorf("spool folder holds %v", left)
				}
			})
		}
		list, err := db.EvidenceList(ctx, org.ID)
		if err != nil || len(list) != 1 || list[0].CurrentVersion != 1 {
			t.Errorf("EvidenceList() = %+v, %v; want only the first upload", list, err)
		}
		if n := webtest.AuditSize(t, db); n != auditBefore {
			t.Errorf("audit log grew from %d to %d entries on refused uploads", auditBefore, n)
		}
	})
}

// TestUploadCSRFInStream checks the CSRF token of a streamed upload: it
// must come before the file, and be the session's.
func TestUploadCSRFInStream(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newServer(t, db, web.Config{Keys: webtest.Keyring(t)})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		webtest.CreateUser(t, db, "priya@example.org", false, org.ID, identity.RoleContributor)
		priya := webtest.LoginFull(t, s, db, "priya@example.org", webtest.Password)
		part := func(name, value string) string {
			return fmt.Sprintf("--%s\r\nContent-Disposition: form-data; name=%q\r\n\r\n%s\r\n", testBoundary, name, value)
		}
		file := fmt.Sprintf("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.pdf\"\r\n\r\n%s\r\n", testBoundary, testPDF)
		end := "--" + testBoundary + "--\r\n"
		for _, tc := range []struct {
			name, body string
			want       int
		}{
			{"token after the file", part("title", "T") + file + part("csrf", priya.CSRF()) + end, http.StatusForbidden},
			{"wrong token", part("csrf", "nope") + part("title", "T") + file + end, http.StatusForbidden},
			{"no token", part("title", "T") + file + end, http.StatusForbidden},
			{"token before the file", part("title", "T") + part("csrf", priya.CSRF()) + file + end, http.StatusSeeOther},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := httptest.NewRequest("POST", "/orgs/riverside/evidence", strings.NewReader(tc.body))
				r.Header.Set("Content-Type", "multipart/form-data; boundary="+testBoundary)
				for _, c := range priya.Cookies() {
					r.AddCookie(c)
				}
				w := httptest.NewRecorder()
				s.ServeHTTP(w, r)
				if w.Code != tc.want {
					t.Errorf("POST = %d, want %d; %.300s", w.Code, tc.want, w.Body)
				}
			})
		}
		if list, err := db.EvidenceList(ctx, org.ID); err != nil || len(list) != 1 {
			t.Errorf("EvidenceList() = %d items, %v; want only the upload with its token first", len(list), err)
		}
	})
}

// TestUploadSlots checks the cap on uploads streaming at once: with every
// slot taken by an upload still arriving, the next is answered 503 with
// Retry-After, and once it finishes uploads are taken again.
func TestUploadSlots(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newServer(t, db, web.Config{Keys: webtest.Keyring(t), MaxUploads: 1})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		webtest.CreateUser(t, db, "priya@example.org", false, org.ID, identity.RoleContributor)
		priya := webtest.LoginFull(t, s, db, "priya@example.org", webtest.Password)

		pr, pw := io.Pipe()
		r := httptest.NewRequest("POST", "/api/v1/orgs/riverside/evidence", pr)
		r.Header.Set("Content-Type", "multipart/form-data; boundary="+testBoundary)
		r.Header.Set("X-CSRF-Token", priya.CSRF())
		for _, c := range priya.Cookies() {
			r.AddCookie(c)
		}
		slow := httptest.NewRecorder()
		done := make(chan struct{})
		// The slow upload ends when the pipe is closed below.
		go func() {
			defer close(done)
			s.ServeHTTP(slow, r)
		}()
		// Once the handler has taken this much of the file, it holds the slot.
		fmt.Fprintf(pw, "--%s\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nSlow\r\n--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.pdf\"\r\n\r\n%s", testBoundary, testBoundary, testPDF)

		w := webtest.Upload(t, priya, "/api/v1/orgs/riverside/evidence", map[string]string{"title": "Second"}, "p.pdf", []byte(testPDF))
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Errorf("upload while the slot is taken = %d (Retry-After %q), want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
		}
		fmt.Fprintf(pw, "\r\n--%s--\r\n", testBoundary)
		pw.Close()
		<-done
		if slow.Code != http.StatusCreated {
			t.Errorf("slow upload = %d, want 201; %s", slow.Code, slow.Body)
		}
		w = webtest.Upload(t, priya, "/api/v1/orgs/riverside/evidence", map[string]string{"title": "Third"}, "p.pdf", []byte(testPDF))
		if w.Code != http.StatusCreated {
			t.Errorf("upload after the slot is free = %d, want 201; %s", w.Code, w.Body)
		}
	})
}
