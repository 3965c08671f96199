package ssoweb

import "github.com/safeguard-health/safeguard/internal/web"

// ZeroViews is each page's view model at its zero value, for the template
// test.
var ZeroViews = map[string]web.PageData{
	"sso": &ssoSettingsView{},
}
