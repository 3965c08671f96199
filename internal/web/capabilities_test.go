package web_test

import (
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/allweb"
)

// The kernel's tests run against a server with every capability, as
// production runs (see AllCapabilities in server_test.go).
func init() {
	web.AllCapabilities = func() []web.Capability { return allweb.Capabilities(nil) }
}
