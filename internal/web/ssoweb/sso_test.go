package ssoweb_test

import (
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
	webtest.RenderZeroValues(t, s, h.Templates(), ssoweb.ZeroViews)
}
