// Package allweb lists the capabilities the server serves beside the
// kernel's own routes: cmd/safeguard wires this list into web.New, and the
// route × role test (access_test.go) builds its server from it, so that
// every route of every capability is checked for every role.
package allweb

import (
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/accountweb"
	"github.com/safeguard-health/safeguard/internal/web/adminweb"
	"github.com/safeguard-health/safeguard/internal/web/assessweb"
	"github.com/safeguard-health/safeguard/internal/web/auditweb"
	"github.com/safeguard-health/safeguard/internal/web/catalogweb"
	"github.com/safeguard-health/safeguard/internal/web/orgweb"
	"github.com/safeguard-health/safeguard/internal/web/reportweb"
	"github.com/safeguard-health/safeguard/internal/web/riskweb"
	"github.com/safeguard-health/safeguard/internal/web/ssoweb"
)

// Capabilities returns every capability, serving the catalogue cat (nil:
// the embedded one).
func Capabilities(cat *catalog.Catalog) []web.Capability {
	return []web.Capability{
		accountweb.New(),
		catalogweb.New(cat),
		ssoweb.New(),
		assessweb.New(),
		orgweb.New(),
		auditweb.New(),
		adminweb.New(),
		riskweb.New(),
		reportweb.New(),
	}
}
