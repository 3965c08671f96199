package orgweb

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// securityView is an organisation's settings: its time zone, and its
// security settings.
type securityView struct {
	web.Page
	Org         identity.Org
	Security    store.OrgSecurity
	IdleMinutes int
	// TimeZone is the zone as typed; Zones are the ones the form suggests.
	TimeZone string
	Zones    []string
	Problems validate.Error
	Saved    bool
}

// suggestedZones are the zones the settings form offers while typing: the
// United States' and a few more. Any IANA name is accepted.
var suggestedZones = []string{
	"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
	"America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico", "Pacific/Guam", "America/Toronto",
	"Europe/London", "UTC",
}

func settingsCrumbs(a *web.OrgAccess) web.Page {
	return web.Page{Title: "Settings", Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "Settings"})}
}

func (h *Handler) securityPage(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	sec, err := h.s.DB().OrgSecurity(r.Context(), a.Org.ID)
	if err != nil {
		return err
	}
	h.s.Render(w, r, http.StatusOK, "security", &securityView{Page: settingsCrumbs(a), Org: a.Org, Security: sec,
		IdleMinutes: int(sec.IdleTimeout / time.Minute), TimeZone: a.Org.TimeZone, Zones: suggestedZones, Saved: r.URL.Query().Get("saved") == "1"})
	return nil
}

func (h *Handler) securitySubmit(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	sec := store.OrgSecurity{RequireMFA: r.PostFormValue("require_mfa") == "on"}
	minutes := strings.TrimSpace(r.PostFormValue("idle_minutes"))
	if minutes != "" && minutes != "0" {
		n, err := strconv.Atoi(minutes)
		if err != nil {
			n = -1
		}
		sec.IdleTimeout = time.Duration(n) * time.Minute
	}
	// A form without the field (an older page) leaves the zone as it is.
	zone := a.Org.TimeZone
	if _, ok := r.PostForm["time_zone"]; ok {
		zone = strings.TrimSpace(r.PostFormValue("time_zone"))
	}
	if err := h.s.DB().SetOrgSettings(r.Context(), h.s.Actor(r), a.Org.ID, sec, zone); err != nil {
		var problems validate.Error
		if errors.As(err, &problems) {
			h.s.Render(w, r, http.StatusUnprocessableEntity, "security", &securityView{Page: settingsCrumbs(a), Org: a.Org, Security: sec,
				IdleMinutes: int(sec.IdleTimeout / time.Minute), TimeZone: zone, Zones: suggestedZones, Problems: problems})
			return nil
		}
		return err
	}
	http.Redirect(w, r, "/orgs/"+a.Org.Slug+"/settings/security?saved=1", http.StatusSeeOther)
	return nil
}

// orgSettingsJSON is the body of PATCH /api/v1/orgs/{org}: the fields to
// change, the others left out.
type orgSettingsJSON struct {
	TimeZone *string `json:"time_zone"`
}

// apiOrgUpdate changes the organisation's settings through the API and
// answers with the organisation as it now is.
func (h *Handler) apiOrgUpdate(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	var req orgSettingsJSON
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	org := a.Org
	if req.TimeZone != nil {
		if err := h.s.DB().SetOrgTimeZone(r.Context(), h.s.Actor(r), a.Org.ID, *req.TimeZone); err != nil {
			return err
		}
		org.TimeZone = strings.TrimSpace(*req.TimeZone)
	}
	h.s.WriteJSON(w, r, http.StatusOK, org.JSON(a.Role))
	return nil
}
