package accountweb_test

import (
	"testing"

	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/accountweb"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// TestTemplatesRenderZeroValues renders each of the account's pages with
// its zero value, so a template that breaks on missing data fails here
// rather than in production.
func TestTemplatesRenderZeroValues(t *testing.T) {
	t.Parallel()
	h := accountweb.New()
	s := webtest.NewServer(t, storetest.SQLite(t), web.Config{Capabilities: []web.Capability{h}})
	webtest.RenderZeroValues(t, s, h.Templates(), accountweb.ZeroViews)
}
