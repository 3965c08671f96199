package ssoweb_test

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/ssoweb"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// TestTemplatesRenderZeroValues renders each of the single sign-on settings page with
// its zero value, so a template that breaks on missing data fails here
// rather than in production.
func TestTemplatesRenderZeroValues(t *testing.T) {
	t.Parallel()
	h := ssoweb.New()
	s := webtest.NewServer(t, storetest.SQLite(t), web.Config{Capabilities: []web.Capability{h}})
	pages, err := fs.Glob(h.Templates(), "[a-z]*.html")
	if err != nil || len(pages) == 0 {
		t.Fatalf("single sign-on templates = %v, %v", pages, err)
	}
	for _, p := range pages {
		name := strings.TrimSuffix(p, ".html")
		data, ok := ssoweb.ZeroViews[name]
		if !ok {
			t.Errorf("page %q has no zero value in ZeroViews; add one", name)
			continue
		}
		w := httptest.NewRecorder()
		s.Render(w, httptest.NewRequest(http.MethodGet, "/", nil), http.StatusOK, name, data)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "</html>") {
			t.Errorf("render(%q, zero) = %d, incomplete page", name, w.Code)
		}
	}
}
