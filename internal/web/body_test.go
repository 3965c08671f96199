package web

import (
	"context"
	"encoding/json"
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
)

// filler is a body of n bytes made up as it is read, so that a test can send
// a gigabyte without holding one. It counts what was read from it.
type filler struct {
	n    int64
	read *atomic.Int64
}

func (f *filler) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), f.n))
	for i := range p[:k] {
		p[i] = 'A'
	}
	f.n -= int64(k)
	f.read.Add(int64(k))
	return k, nil
}

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
		io.MultiReader(&countingReader{r: strings.NewReader(head.String()), read: read}, &filler{n: fill, read: read}, &countingReader{r: strings.NewReader(tail), read: read})
}

type countingReader struct {
	r    io.Reader
	read *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read.Add(int64(n))
	return n, err
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
		s, _ := newTestServer(t, db, Config{Keys: mustKeyring(t), TempDir: tmp})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "other", Name: "Other", Kind: identity.KindProvider}); err != nil {
			t.Fatal(err)
		}
		createUser(t, db, "lena@example.org", false, org.ID, identity.RoleViewer)
		lena := loginFull(t, s, db, "lena@example.org", testPassword)
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
				ct, length, body := generatedUpload(lena.csrf, size, &read)
				req, err := http.NewRequest("POST", srv.URL+paths[i%len(paths)], body)
				if err != nil {
					t.Error(err)
					return
				}
				if i%2 == 0 {
					req.ContentLength = length // the other half is sent chunked
				}
				req.Header.Set("Content-Type", ct)
				for _, c := range lena.cookies {
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
		s, _ := newTestServer(t, db, Config{Keys: mustKeyring(t)})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "other", Name: "Other", Kind: identity.KindProvider}); err != nil {
			t.Fatal(err)
		}
		createUser(t, db, "lena@example.org", false, org.ID, identity.RoleViewer)
		lena := loginFull(t, s, db, "lena@example.org", testPassword)
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
				csrf := lena.csrf
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
					r.Header.Set("X-CSRF-Token", lena.csrf)
				}
				for _, c := range lena.cookies {
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

// TestFormBodyBounded performs the attack of a signed-in user who posts a
// gigabyte (generated as it is sent, never held) to an ordinary form: the
// body is refused having been read, at most, up to the route's limit — and
// not at all when its declared length is over it, when the caller is not
// signed in, or when their role does not allow the route.
func TestFormBodyBounded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tmp := t.TempDir()
		s, _ := newTestServer(t, db, Config{Keys: mustKeyring(t), TempDir: tmp})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		createUser(t, db, "lena@example.org", false, org.ID, identity.RoleViewer)
		lena := loginFull(t, s, db, "lena@example.org", testPassword)
		auditBefore := auditCount(t, db)
		const gig = 1 << 30
		const multipartCT = "multipart/form-data; boundary=" + testBoundary
		for _, tc := range []struct {
			name, path, contentType string
			signedIn, header        bool
			declared                bool
			want                    int
			maxRead                 int64
		}{
			{"multipart, token in the body", "/account/tokens", multipartCT, true, false, false, http.StatusRequestEntityTooLarge, defaultMaxBody + 1},
			{"multipart, declared length", "/account/tokens", multipartCT, true, false, true, http.StatusRequestEntityTooLarge, 0},
			{"multipart, token in the header", "/account/tokens", multipartCT, true, true, false, http.StatusRequestEntityTooLarge, defaultMaxBody + 1},
			{"URL-encoded", "/account/tokens", "application/x-www-form-urlencoded", true, false, false, http.StatusRequestEntityTooLarge, defaultMaxBody + 1},
			{"JSON API", "/api/v1/tokens", "application/json", true, true, false, http.StatusRequestEntityTooLarge, defaultMaxBody + 1},
			{"not signed in", "/account/tokens", multipartCT, false, false, false, http.StatusUnauthorized, 0},
			{"role does not allow it", "/admin/users", multipartCT, true, false, false, http.StatusForbidden, 0},
			{"another organisation's form", "/orgs/elsewhere/members", multipartCT, true, false, false, http.StatusNotFound, 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var read atomic.Int64
				var body io.Reader = &filler{n: gig, read: &read}
				switch {
				case strings.HasPrefix(tc.contentType, "multipart/"):
					head := fmt.Sprintf("--%s\r\nContent-Disposition: form-data; name=\"name\"; filename=\"a.txt\"\r\n\r\n", testBoundary)
					body = io.MultiReader(&countingReader{r: strings.NewReader(head), read: &read}, body)
				case tc.contentType == "application/json":
					body = io.MultiReader(&countingReader{r: strings.NewReader(`{"name":"`), read: &read}, body)
				default:
					body = io.MultiReader(&countingReader{r: strings.NewReader("name="), read: &read}, body)
				}
				r := httptest.NewRequest("POST", tc.path, body)
				r.ContentLength = -1
				if tc.declared {
					r.ContentLength = gig
				}
				r.Header.Set("Content-Type", tc.contentType)
				if tc.contentType == "application/json" {
					r.Header.Set("Accept", "application/json")
				}
				if tc.signedIn {
					for _, c := range lena.cookies {
						r.AddCookie(c)
					}
				}
				if tc.header {
					r.Header.Set("X-CSRF-Token", lena.csrf)
				}
				w := httptest.NewRecorder()
				s.ServeHTTP(w, r)
				if w.Code != tc.want || read.Load() > tc.maxRead {
					t.Errorf("POST %s = %d after reading %d bytes, want %d after at most %d; body %.300s", tc.path, w.Code, read.Load(), tc.want, tc.maxRead, w.Body)
				}
				if tc.want == http.StatusRequestEntityTooLarge && tc.contentType == "application/json" {
					var e errorBody
					if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code != "too_large" || !strings.Contains(e.Error.Message, "1 MiB") {
						t.Errorf("error body = %s (%v), want code too_large and the limit", w.Body, err)
					}
				}
			})
		}
		// The log records the refusals, and nothing else.
		for rec, err := range db.AuditRecords(ctx, auditBefore+1, 0) {
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(rec.Action, "auth.") {
				t.Errorf("a refused form was audited as %s: %s", rec.Action, rec.Summary)
			}
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("temp folder holds %v", left)
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
		s, _ := newTestServer(t, db, Config{Keys: mustKeyring(t), TempDir: tmp, EvidenceLimit: limit})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		createUser(t, db, "priya@example.org", false, org.ID, identity.RoleContributor)
		priya := loginFull(t, s, db, "priya@example.org", testPassword)
		created := upload(t, priya, "/api/v1/orgs/riverside/evidence", map[string]string{"title": "Policy"}, "policy.pdf", []byte(testPDF))
		var first evidenceJSON
		mustJSON(t, created, http.StatusCreated, &first)
		auditBefore := auditCount(t, db)

		for _, tc := range []struct {
			name     string
			path     string
			size     int64
			declared bool
			maxRead  int64
		}{
			{"declared over the route limit", "/orgs/riverside/evidence", limit + formSlack + 1, true, 0},
			{"chunked, file over the evidence limit", "/orgs/riverside/evidence", limit + 4096, false, limit + formSlack + 1},
			{"declared under the route limit, file over the evidence limit", "/orgs/riverside/evidence", limit + 4096, true, limit + formSlack + 1},
			{"chunked, far over", "/orgs/riverside/evidence", 200 << 20, false, limit + formSlack + 1},
			{"new version, chunked", fmt.Sprintf("/orgs/riverside/evidence/%d/versions", first.Evidence.ID), limit + 4096, false, limit + formSlack + 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var read atomic.Int64
				ct, length, body := generatedUpload(priya.csrf, tc.size, &read)
				r := httptest.NewRequest("POST", tc.path, body)
				r.ContentLength = -1
				if tc.declared {
					r.ContentLength = length
				}
				r.Header.Set("Content-Type", ct)
				for _, c := range priya.cookies {
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
		if n := auditCount(t, db); n != auditBefore {
			t.Errorf("audit log grew from %d to %d entries on refused uploads", auditBefore, n)
		}
	})
}

func auditCount(t *testing.T, db *store.DB) int64 {
	t.Helper()
	n, err := db.AuditSize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestUploadCSRFInStream checks the CSRF token of a streamed upload: it
// must come before the file, and be the session's.
func TestUploadCSRFInStream(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newTestServer(t, db, Config{Keys: mustKeyring(t)})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		createUser(t, db, "priya@example.org", false, org.ID, identity.RoleContributor)
		priya := loginFull(t, s, db, "priya@example.org", testPassword)
		part := func(name, value string) string {
			return fmt.Sprintf("--%s\r\nContent-Disposition: form-data; name=%q\r\n\r\n%s\r\n", testBoundary, name, value)
		}
		file := fmt.Sprintf("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.pdf\"\r\n\r\n%s\r\n", testBoundary, testPDF)
		end := "--" + testBoundary + "--\r\n"
		for _, tc := range []struct {
			name, body string
			want       int
		}{
			{"token after the file", part("title", "T") + file + part("csrf", priya.csrf) + end, http.StatusForbidden},
			{"wrong token", part("csrf", "nope") + part("title", "T") + file + end, http.StatusForbidden},
			{"no token", part("title", "T") + file + end, http.StatusForbidden},
			{"token before the file", part("title", "T") + part("csrf", priya.csrf) + file + end, http.StatusSeeOther},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := httptest.NewRequest("POST", "/orgs/riverside/evidence", strings.NewReader(tc.body))
				r.Header.Set("Content-Type", "multipart/form-data; boundary="+testBoundary)
				for _, c := range priya.cookies {
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
		s, _ := newTestServer(t, db, Config{Keys: mustKeyring(t), MaxUploads: 1})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		createUser(t, db, "priya@example.org", false, org.ID, identity.RoleContributor)
		priya := loginFull(t, s, db, "priya@example.org", testPassword)

		pr, pw := io.Pipe()
		r := httptest.NewRequest("POST", "/api/v1/orgs/riverside/evidence", pr)
		r.Header.Set("Content-Type", "multipart/form-data; boundary="+testBoundary)
		r.Header.Set("X-CSRF-Token", priya.csrf)
		for _, c := range priya.cookies {
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

		w := upload(t, priya, "/api/v1/orgs/riverside/evidence", map[string]string{"title": "Second"}, "p.pdf", []byte(testPDF))
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Errorf("upload while the slot is taken = %d (Retry-After %q), want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
		}
		fmt.Fprintf(pw, "\r\n--%s--\r\n", testBoundary)
		pw.Close()
		<-done
		if slow.Code != http.StatusCreated {
			t.Errorf("slow upload = %d, want 201; %s", slow.Code, slow.Body)
		}
		w = upload(t, priya, "/api/v1/orgs/riverside/evidence", map[string]string{"title": "Third"}, "p.pdf", []byte(testPDF))
		if w.Code != http.StatusCreated {
			t.Errorf("upload after the slot is free = %d, want 201; %s", w.Code, w.Body)
		}
	})
}
