package assessweb

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// The organisation profile: who the organisation is (its kind, size,
// locations and systems), its security official over time, and what that
// implies for when to assess again (assess.Triggers).

type profileView struct {
	web.Page
	Slug      string
	P         assess.Profile
	Kinds     []kindOption
	Profiles  []kindOption
	Members   []store.Member
	Locations string
	Systems   string
	Official  struct{ UserID, Name, Email, From string }
	CanWrite  bool
	// CanSec: the viewer may change the sign-off rule (org:security).
	CanSec      bool
	ReviewRules []kindOption
	Problems    validate.Error
	Saved       bool
	Triggers    []assess.Trigger
	// Missing are the systems listed that the ePHI inventory does not
	// hold yet, with the kind each would be added as.
	Missing []missingSystem
	// Added counts the systems just added to the inventory.
	Added int
}

type missingSystem struct{ Name, Kind string }

type kindOption struct {
	Value, Label string
	Selected     bool
}

func (h *Handler) profilePage(w http.ResponseWriter, r *http.Request) error {
	o := web.OrgOf(r.Context())
	p, err := h.s.DB().OrgProfile(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	v := &profileView{P: p, Saved: r.URL.Query().Get("saved") == "1", Locations: strings.Join(p.Locations, "\n"), Systems: strings.Join(p.Systems, "\n")}
	if n, err := strconv.Atoi(r.URL.Query().Get("added")); err == nil && n > 0 {
		v.Added = n
	}
	v.Official.From = dateValue(h.s.DB().Now())
	return h.renderProfile(w, r, http.StatusOK, v)
}

func (h *Handler) renderProfile(w http.ResponseWriter, r *http.Request, status int, v *profileView) error {
	o := web.OrgOf(r.Context())
	v.Page = web.Page{Title: "Organisation profile", Breadcrumbs: web.OrgCrumbs(o, web.Crumb{Label: "Profile"})}
	v.Slug, v.CanWrite, v.CanSec = o.Org.Slug, o.Allows(identity.PermOrgWrite), o.Allows(identity.PermOrgSecurity)
	for _, rr := range assess.ReviewRules() {
		v.ReviewRules = append(v.ReviewRules, kindOption{Value: string(rr), Label: rr.Label(), Selected: rr == v.P.ReviewRule})
	}
	for _, k := range identity.OrgKinds {
		v.Kinds = append(v.Kinds, kindOption{Value: string(k), Label: k.Label(), Selected: string(k) == v.P.Kind})
	}
	cat, err := h.s.Catalog()
	if err != nil {
		return err
	}
	for _, p := range cat.Profiles() {
		v.Profiles = append(v.Profiles, kindOption{Value: p.ID, Label: p.Title, Selected: p.ID == v.P.CatalogProfile})
	}
	if v.Members, err = h.s.DB().Members(r.Context(), o.Org.ID); err != nil {
		return err
	}
	stored, err := h.s.DB().OrgProfile(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	v.P.Officials = stored.Officials
	if v.Triggers, err = h.s.DB().Triggers(r.Context(), stored); err != nil {
		return err
	}
	missing, err := h.s.DB().ProfileSystemsMissing(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	for _, name := range missing {
		v.Missing = append(v.Missing, missingSystem{Name: name, Kind: risk.KindFromName(name).Label()})
	}
	h.s.Render(w, r, status, "assess_profile", v)
	return nil
}

// profileSystemsSubmit adds the profile's systems that the inventory does
// not hold yet to it, each of the kind its name suggests.
func (h *Handler) profileSystemsSubmit(w http.ResponseWriter, r *http.Request) error {
	o := web.OrgOf(r.Context())
	added, err := h.s.DB().AddProfileSystems(r.Context(), h.s.Actor(r), o.Org.ID)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/orgs/"+o.Org.Slug+"/profile?added="+strconv.Itoa(len(added))+"#systems-inventory", http.StatusSeeOther)
	return nil
}

func lines(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
}

func (h *Handler) profileSubmit(w http.ResponseWriter, r *http.Request) error {
	o := web.OrgOf(r.Context())
	p, err := h.s.DB().OrgProfile(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	problems := validate.Error{}
	v := &profileView{Locations: r.PostFormValue("locations"), Systems: r.PostFormValue("systems")}
	p.LegalName, p.Kind, p.CatalogProfile = r.PostFormValue("legal_name"), r.PostFormValue("kind"), r.PostFormValue("catalog_profile")
	p.Workforce = parseCount(problems, "workforce", r.PostFormValue("workforce"))
	p.Patients = parseCount(problems, "patients", r.PostFormValue("patients"))
	p.LocationsCount = parseCount(problems, "locations_count", r.PostFormValue("locations_count"))
	p.Locations, p.Systems = lines(v.Locations), lines(v.Systems)
	// The sign-off rule guards the security official's sign-off, so only
	// those who may sign off change it; others' forms do not carry it.
	if rule, ok := r.PostForm["review_rule"]; ok && assess.ReviewRule(strings.TrimSpace(rule[0])) != p.ReviewRule {
		if !o.Allows(identity.PermOrgSecurity) {
			problems.Add("review_rule", "may be changed only by a security officer or an owner")
		}
		p.ReviewRule = assess.ReviewRule(strings.TrimSpace(rule[0]))
	}
	v.Official.UserID, v.Official.Name = r.PostFormValue("official_user"), strings.TrimSpace(r.PostFormValue("official_name"))
	v.Official.Email, v.Official.From = strings.TrimSpace(r.PostFormValue("official_email")), r.PostFormValue("official_from")
	var official *assess.OfficialTerm
	if v.Official.UserID != "" || v.Official.Name != "" {
		official = &assess.OfficialTerm{Name: v.Official.Name, Email: v.Official.Email, From: parseDate(problems, "official.from", v.Official.From)}
		if v.Official.UserID != "" {
			id, err := strconv.ParseInt(v.Official.UserID, 10, 64)
			if err != nil {
				problems.Add("official.user_id", "is not a member of this organisation")
			}
			official.UserID = id
		}
		if official.From.IsZero() {
			problems.Add("official.from", "is required: the date the role was taken on")
		}
	}
	v.P = p
	if len(problems) == 0 {
		_, err = h.s.DB().UpdateOrgProfile(r.Context(), h.s.Actor(r), o.Org.ID, p, official)
		if err == nil {
			http.Redirect(w, r, "/orgs/"+o.Org.Slug+"/profile?saved=1", http.StatusSeeOther)
			return nil
		}
		if problems = problemsOf(err); problems == nil {
			return err
		}
	}
	v.Problems = problems
	return h.renderProfile(w, r, http.StatusUnprocessableEntity, v)
}
