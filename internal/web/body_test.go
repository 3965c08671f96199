package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/allweb"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// testBoundary separates the parts of the multipart bodies these tests make.
const testBoundary = "sgtestboundary"

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
		s := webtest.NewServer(t, db, web.Config{Keys: webtest.Keyring(t), TempDir: tmp, Capabilities: allweb.Capabilities(nil)})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		webtest.CreateUser(t, db, "lena@example.org", false, org.ID, identity.RoleViewer)
		lena := webtest.LoginFull(t, s, db, "lena@example.org", webtest.Password)
		auditBefore := webtest.AuditSize(t, db)
		const gig = 1 << 30
		const multipartCT = "multipart/form-data; boundary=" + testBoundary
		for _, tc := range []struct {
			name, path, contentType string
			signedIn, header        bool
			declared                bool
			want                    int
			maxRead                 int64
		}{
			{"multipart, token in the body", "/account/tokens", multipartCT, true, false, false, http.StatusRequestEntityTooLarge, web.DefaultMaxBody + 1},
			{"multipart, declared length", "/account/tokens", multipartCT, true, false, true, http.StatusRequestEntityTooLarge, 0},
			{"multipart, token in the header", "/account/tokens", multipartCT, true, true, false, http.StatusRequestEntityTooLarge, web.DefaultMaxBody + 1},
			{"URL-encoded", "/account/tokens", "application/x-www-form-urlencoded", true, false, false, http.StatusRequestEntityTooLarge, web.DefaultMaxBody + 1},
			{"JSON API", "/api/v1/tokens", "application/json", true, true, false, http.StatusRequestEntityTooLarge, web.DefaultMaxBody + 1},
			{"not signed in", "/account/tokens", multipartCT, false, false, false, http.StatusUnauthorized, 0},
			{"role does not allow it", "/admin/users", multipartCT, true, false, false, http.StatusForbidden, 0},
			{"another organisation's form", "/orgs/elsewhere/members", multipartCT, true, false, false, http.StatusNotFound, 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var read atomic.Int64
				var body io.Reader = &webtest.Filler{N: gig, Count: &read}
				switch {
				case strings.HasPrefix(tc.contentType, "multipart/"):
					head := fmt.Sprintf("--%s\r\nContent-Disposition: form-data; name=\"name\"; filename=\"a.txt\"\r\n\r\n", testBoundary)
					body = io.MultiReader(&webtest.CountingReader{R: strings.NewReader(head), Count: &read}, body)
				case tc.contentType == "application/json":
					body = io.MultiReader(&webtest.CountingReader{R: strings.NewReader(`{"name":"`), Count: &read}, body)
				default:
					body = io.MultiReader(&webtest.CountingReader{R: strings.NewReader("name="), Count: &read}, body)
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
					for _, c := range lena.Cookies() {
						r.AddCookie(c)
					}
				}
				if tc.header {
					r.Header.Set("X-CSRF-Token", lena.CSRF())
				}
				w := httptest.NewRecorder()
				s.ServeHTTP(w, r)
				if w.Code != tc.want || read.Load() > tc.maxRead {
					t.Errorf("POST %s = %d after reading %d bytes, want %d after at most %d; body %.300s", tc.path, w.Code, read.Load(), tc.want, tc.maxRead, w.Body)
				}
				if tc.want == http.StatusRequestEntityTooLarge && tc.contentType == "application/json" {
					var e web.ErrorBody
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
