package riskweb

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/problem"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// The inventory: assets, flows, the rating scale, the organisation's own
// threats and vulnerabilities.

func (h *Handler) registerInventory(s *web.Server) {
	read, write := identity.PermOrgRead, identity.PermOrgWrite
	const page, api = "/orgs/{org}", "/api/v1/orgs/{org}"

	s.Route("GET "+page+"/inventory", read, h.inventoryPage)
	s.Route("POST "+page+"/inventory", write, h.inventoryCreate)
	s.Route("GET "+page+"/inventory/{id}", read, h.assetPage)
	s.Route("POST "+page+"/inventory/{id}", write, h.assetSubmit)
	s.Route("POST "+page+"/inventory/{id}/delete", write, h.assetDelete)
	s.Route("GET "+api+"/assets", read, h.apiAssets)
	s.Doc("GET "+api+"/assets", web.APIDoc{Summary: "The organisation's assets", Response: risk.Asset{}, List: true, Query: []web.Param{
		{Name: "q", Description: "words in the name"}, {Name: "kind"}, {Name: "class"}, {Name: "hosting"}, {Name: "lifecycle"}, {Name: "owner"}}})
	s.Route("POST "+api+"/assets", write, h.apiAssetCreate)
	s.Doc("POST "+api+"/assets", web.APIDoc{Summary: "Add an asset", Request: risk.Asset{}, Response: risk.Asset{}, Status: http.StatusCreated})
	s.Route("GET "+api+"/assets/{id}", read, h.apiAsset)
	s.Doc("GET "+api+"/assets/{id}", web.APIDoc{Summary: "One asset", Response: risk.Asset{}, ETag: true})
	s.Route("PATCH "+api+"/assets/{id}", write, h.apiAssetUpdate)
	s.Doc("PATCH "+api+"/assets/{id}", web.APIDoc{Summary: "Change the fields of an asset the body carries, from the version it gives (or If-Match)", Request: risk.Asset{}, Response: risk.Asset{}, ETag: true})
	s.Route("DELETE "+api+"/assets/{id}", write, h.apiAssetDelete)
	s.Doc("DELETE "+api+"/assets/{id}", web.APIDoc{Summary: "Remove an asset"})
	s.Route("GET "+api+"/assets/{id}/history", read, h.apiAssetHistory)
	s.Doc("GET "+api+"/assets/{id}/history", web.APIDoc{Summary: "Every version of an asset, newest first", Response: store.AssetVersion{}, List: true})

	s.Route("GET "+page+"/map", read, h.mapPage)
	s.Route("GET "+page+"/flows", read, h.flowsPage)
	s.Route("POST "+page+"/flows", write, h.flowCreate)
	s.Route("POST "+page+"/flows/{id}/delete", write, h.flowDelete)
	s.Route("GET "+api+"/flows", read, h.apiFlows)
	s.Doc("GET "+api+"/flows", web.APIDoc{Summary: "The organisation's data flows", Response: risk.Flow{}, List: true, Query: []web.Param{
		{Name: "asset", Description: "an asset ID at either end"}, {Name: "channel"}, {Name: "unencrypted", Description: "true: only flows without encryption"}}})
	s.Route("POST "+api+"/flows", write, h.apiFlowCreate)
	s.Doc("POST "+api+"/flows", web.APIDoc{Summary: "Add a data flow", Request: risk.Flow{}, Response: risk.Flow{}, Status: http.StatusCreated})
	s.Route("GET "+api+"/flows/{id}", read, h.apiFlow)
	s.Doc("GET "+api+"/flows/{id}", web.APIDoc{Summary: "One data flow", Response: risk.Flow{}, ETag: true})
	s.Route("PATCH "+api+"/flows/{id}", write, h.apiFlowUpdate)
	s.Doc("PATCH "+api+"/flows/{id}", web.APIDoc{Summary: "Change the fields of a data flow the body carries, from the version it gives (or If-Match)", Request: risk.Flow{}, Response: risk.Flow{}, ETag: true})
	s.Route("DELETE "+api+"/flows/{id}", write, h.apiFlowDelete)
	s.Doc("DELETE "+api+"/flows/{id}", web.APIDoc{Summary: "Remove a data flow"})
	s.Route("GET "+api+"/flows/{id}/history", read, h.apiFlowHistory)
	s.Doc("GET "+api+"/flows/{id}/history", web.APIDoc{Summary: "Every version of a data flow, newest first", Response: store.FlowVersion{}, List: true})

	s.Route("GET "+page+"/threats", read, h.threatsPage)
	s.Route("POST "+page+"/threats", write, h.threatsSubmit)
	s.Route("GET "+api+"/threats", read, h.apiThreats)
	s.Doc("GET "+api+"/threats", web.APIDoc{Summary: "The threat library and the organisation's own threats", Response: risk.Threat{}, List: true})
	s.Route("POST "+api+"/threats", write, h.apiThreatCreate)
	s.Doc("POST "+api+"/threats", web.APIDoc{Summary: "Add a threat of the organisation's own", Request: risk.Threat{}, Response: risk.Threat{}, Status: http.StatusCreated})
	s.Route("GET "+api+"/vulnerabilities", read, h.apiVulnerabilities)
	s.Doc("GET "+api+"/vulnerabilities", web.APIDoc{Summary: "The vulnerability library and the organisation's own", Response: risk.Vulnerability{}, List: true})
	s.Route("POST "+api+"/vulnerabilities", write, h.apiVulnerabilityCreate)
	s.Doc("POST "+api+"/vulnerabilities", web.APIDoc{Summary: "Add a vulnerability of the organisation's own", Request: risk.Vulnerability{}, Response: risk.Vulnerability{}, Status: http.StatusCreated})
}

// pathID reads the {id} of a path; anything but a positive number is a 404
// naming what was looked for.
func pathID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &web.HTTPError{Code: http.StatusNotFound, Msg: "There is no such " + what + "."}
	}
	return id, nil
}

func assetURL(slug string, id int64) string { return fmt.Sprintf("/orgs/%s/inventory/%d", slug, id) }

// option is one choice of a select.
type option struct {
	Value, Label string
}

// optionGroup is a labelled group of choices (an <optgroup>).
type optionGroup struct {
	Label   string
	Options []option
}

// kindGroups are the asset kinds by class, for selects.
func kindGroups() []optionGroup {
	groups := []optionGroup{{Label: "Systems and applications"}, {Label: "Devices"}, {Label: "Places"}}
	at := map[risk.Class]int{risk.ClassSystem: 0, risk.ClassDevice: 1, risk.ClassPlace: 2}
	for _, k := range risk.Kinds() {
		g := &groups[at[k.Class()]]
		g.Options = append(g.Options, option{string(k), k.Label()})
	}
	return groups
}

func encryptionOptions() []option {
	var out []option
	for _, e := range risk.Encryptions() {
		out = append(out, option{string(e), e.Label()})
	}
	return out
}

func hostingOptions() []option {
	var out []option
	for _, h := range risk.Hostings() {
		out = append(out, option{string(h), h.Label()})
	}
	return out
}

var criticalityOptions = []option{{"low", "Low"}, {"medium", "Medium"}, {"high", "High"}}

var lifecycleOptions = []option{{"planned", "Planned"}, {"active", "In use"}, {"retired", "Retired"}}

// assetChoices are what the asset form offers: the members who may own an
// asset and the places an asset may be in.
type assetChoices struct {
	Kinds       []optionGroup
	Members     []option
	Places      []option
	Encryptions []option
	Hostings    []option
	Criticality []option
	Lifecycles  []option
}

// placesShown bounds the places the form offers.
const placesShown = store.MaxPageLimit

func (h *Handler) assetChoices(r *http.Request, orgID int64) (assetChoices, error) {
	c := assetChoices{Kinds: kindGroups(), Encryptions: encryptionOptions(), Hostings: hostingOptions(),
		Criticality: criticalityOptions, Lifecycles: lifecycleOptions}
	members, err := h.s.DB().Members(r.Context(), orgID)
	if err != nil {
		return c, err
	}
	for _, m := range members {
		label := m.User.Name
		if label == "" || label == m.User.Email {
			label = m.User.Email
		} else {
			label += " (" + m.User.Email + ")"
		}
		c.Members = append(c.Members, option{strconv.FormatInt(m.User.ID, 10), label})
	}
	places, _, err := h.s.DB().Assets(r.Context(), orgID, store.AssetFilter{Class: risk.ClassPlace}, store.Page{Limit: placesShown})
	if err != nil {
		return c, err
	}
	for _, p := range places {
		c.Places = append(c.Places, option{strconv.FormatInt(p.ID, 10), p.Name})
	}
	return c, nil
}

// assetRow is one asset as the inventory lists it: names, not codes.
type assetRow struct {
	Asset     risk.Asset
	URL       string
	KindLabel string
	Owner     string
	Hosting   string
	AtRest    string
	// Exposed marks an asset holding ePHI that is not known to be
	// encrypted at rest.
	Exposed bool
}

func (h *Handler) assetRows(r *http.Request, slug string, list []risk.Asset) ([]assetRow, error) {
	var actors []string
	for _, a := range list {
		if a.OwnerID != 0 {
			actors = append(actors, fmt.Sprintf("user:%d", a.OwnerID))
		}
	}
	people, err := h.s.People(r.Context(), actors...)
	if err != nil {
		return nil, err
	}
	out := make([]assetRow, len(list))
	for i, a := range list {
		out[i] = assetRow{Asset: a, URL: assetURL(slug, a.ID), KindLabel: a.Kind.Label(), Hosting: a.Hosting.Label(),
			AtRest: a.AtRest.Label(), Exposed: (a.HoldsEPHI() || a.Use.Any()) && a.AtRest.Exposed()}
		if a.OwnerID != 0 {
			out[i].Owner = people.Name(fmt.Sprintf("user:%d", a.OwnerID))
		}
		if a.Kind.Class() == risk.ClassPlace && !a.Use.Any() && a.Records == 0 {
			// A building or room is not encrypted or unencrypted; what is
			// kept in it is, and is listed as its own asset.
			out[i].AtRest = "—"
		}
	}
	return out, nil
}

// classCount is the number of assets of one class.
type classCount struct {
	Class risk.Class
	Label string
	Count int
	URL   string
}

type inventoryView struct {
	web.Page
	Org      identity.Org
	CanWrite bool
	Rows     []assetRow
	NextURL  string
	Counts   []classCount
	Total    int
	Filter   assetFilterForm
	// Filtered is set when the list is narrowed by a filter.
	Filtered bool
	// Imported is how many assets an import just added.
	Imported int
	Choices  assetChoices
	Form     assetForm
	Problems validate.Error
	// Map is the data-flow map, drawn on the server as SVG, for an
	// inventory small enough to show it whole (inlineMapLimit).
	Map template.HTML
}

func (h *Handler) inventoryPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderInventory(w, r, http.StatusOK, assetForm{Use: risk.Use{Maintains: true}}, nil)
}

func (h *Handler) renderInventory(w http.ResponseWriter, r *http.Request, status int, form assetForm, problems validate.Error) error {
	a := web.OrgOf(r.Context())
	fq, filter, err := readAssetFilter(r)
	if err != nil {
		return err
	}
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	list, next, err := h.s.DB().Assets(r.Context(), a.Org.ID, filter, pg)
	if err != nil {
		return err
	}
	v := &inventoryView{
		Page: web.Page{Title: "ePHI inventory", Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "ePHI inventory"})},
		Org:  a.Org, CanWrite: a.Allows(identity.PermOrgWrite), Filter: fq, Filtered: filter != store.AssetFilter{},
		NextURL: web.NextPageURL(r, next), Form: form, Problems: problems,
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("imported")); err == nil && n > 0 {
		v.Imported = n
	}
	if v.Rows, err = h.assetRows(r, a.Org.Slug, list); err != nil {
		return err
	}
	counts, err := h.s.DB().AssetCounts(r.Context(), a.Org.ID)
	if err != nil {
		return err
	}
	for _, c := range []risk.Class{risk.ClassSystem, risk.ClassDevice, risk.ClassPlace} {
		v.Counts = append(v.Counts, classCount{Class: c, Label: c.Label(), Count: counts[c],
			URL: "/orgs/" + a.Org.Slug + "/inventory?class=" + string(c)})
		v.Total += counts[c]
	}
	if v.Map, err = h.inlineMap(r, a.Org, v.Total); err != nil {
		return err
	}
	if v.CanWrite {
		if v.Choices, err = h.assetChoices(r, a.Org.ID); err != nil {
			return err
		}
	} else {
		v.Choices = assetChoices{Kinds: kindGroups(), Encryptions: encryptionOptions(), Hostings: hostingOptions(), Lifecycles: lifecycleOptions}
	}
	h.s.Render(w, r, status, "inventory", v)
	return nil
}

func (h *Handler) inventoryCreate(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	form := readAssetForm(r)
	asset, problems := form.asset()
	if problems == nil {
		var err error
		asset, err = h.s.DB().CreateAsset(r.Context(), h.s.Actor(r), a.Org.ID, asset)
		if !errors.As(err, &problems) && err != nil {
			return err
		}
	} else {
		addProblems(problems, asset.Validate())
	}
	if problems != nil {
		return h.renderInventory(w, r, http.StatusUnprocessableEntity, form, problems)
	}
	http.Redirect(w, r, assetURL(a.Org.Slug, asset.ID)+"?added=1", http.StatusSeeOther)
	return nil
}

// addProblems adds the field problems of err to p.
func addProblems(p validate.Error, err error) {
	var v validate.Error
	if errors.As(err, &v) {
		for f, m := range v {
			p.Add(f, m)
		}
	}
}

type assetView struct {
	web.Page
	Org      identity.Org
	CanWrite bool
	Row      assetRow
	Place    string
	PlaceURL string
	Use      []string
	Choices  assetChoices
	Form     assetForm
	Problems validate.Error
	// Added and Saved confirm the change just made.
	Added, Saved bool
	Flows        []flowRow
	FlowsNextURL string
	History      []historyRow
	HistoryNext  string
	// Refused explains why the asset could not be deleted.
	Refused string
}

// historyRow is one saved version of an asset, for people.
type historyRow struct {
	Version int
	SavedAt time.Time
	SavedBy string
	Summary string
}

// rowsPerSection is how many flows or versions the asset page shows
// before linking to more.
const rowsPerSection = 20

func (h *Handler) assetPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderAsset(w, r, http.StatusOK, nil, nil, "")
}

func (h *Handler) renderAsset(w http.ResponseWriter, r *http.Request, status int, form *assetForm, problems validate.Error, refused string) error {
	a := web.OrgOf(r.Context())
	id, err := pathID(r, "asset")
	if err != nil {
		return err
	}
	asset, err := h.s.DB().Asset(r.Context(), a.Org.ID, id)
	if err != nil {
		return err
	}
	rows, err := h.assetRows(r, a.Org.Slug, []risk.Asset{asset})
	if err != nil {
		return err
	}
	v := &assetView{
		Page: web.Page{Title: asset.Name, Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "ePHI inventory", URL: "/orgs/" + a.Org.Slug + "/inventory"}, web.Crumb{Label: asset.Name})},
		Org:  a.Org, CanWrite: a.Allows(identity.PermOrgWrite), Row: rows[0], Problems: problems, Refused: refused,
		Added: r.URL.Query().Get("added") != "", Saved: r.URL.Query().Get("saved") != "",
	}
	for _, u := range []struct {
		on   bool
		verb string
	}{{asset.Use.Creates, "created"}, {asset.Use.Receives, "received"}, {asset.Use.Maintains, "kept"}, {asset.Use.Transmits, "sent on"}} {
		if u.on {
			v.Use = append(v.Use, u.verb)
		}
	}
	if asset.PlaceID != 0 {
		names, err := h.s.DB().AssetNames(r.Context(), a.Org.ID, []int64{asset.PlaceID})
		if err != nil {
			return err
		}
		v.Place, v.PlaceURL = names[asset.PlaceID], assetURL(a.Org.Slug, asset.PlaceID)
	}
	if form != nil {
		v.Form = *form
	} else {
		v.Form = formOf(asset)
	}
	if v.CanWrite {
		if v.Choices, err = h.assetChoices(r, a.Org.ID); err != nil {
			return err
		}
	}
	fpg, err := web.PageQueryOf(r, "flows", rowsPerSection)
	if err != nil {
		return err
	}
	flows, fnext, err := h.s.DB().Flows(r.Context(), a.Org.ID, store.FlowFilter{AssetID: id}, fpg)
	if err != nil {
		return err
	}
	if v.Flows, err = h.flowRows(r, a.Org.Slug, flows); err != nil {
		return err
	}
	v.FlowsNextURL = web.NextPageURLOf(r, "flows", fnext, "flows-h")
	hpg, err := web.PageQueryOf(r, "versions", rowsPerSection)
	if err != nil {
		return err
	}
	hist, hnext, err := h.s.DB().AssetHistory(r.Context(), a.Org.ID, id, hpg)
	if err != nil {
		return err
	}
	v.HistoryNext = web.NextPageURLOf(r, "versions", hnext, "history-h")
	actors := make([]string, len(hist))
	for i, ver := range hist {
		actors[i] = ver.SavedBy
	}
	people, err := h.s.People(r.Context(), actors...)
	if err != nil {
		return err
	}
	for i, ver := range hist {
		row := historyRow{Version: ver.Asset.Version, SavedAt: ver.SavedAt, SavedBy: people.Name(ver.SavedBy)}
		if i+1 < len(hist) {
			row.Summary = changesBetween(hist[i+1].Asset, ver.Asset)
		} else if ver.Asset.Version == 1 {
			row.Summary = "Added to the inventory"
		}
		v.History = append(v.History, row)
	}
	h.s.Render(w, r, status, "inventory_item", v)
	return nil
}

// changesBetween names, for people, what changed from one version to the
// next.
func changesBetween(old, a risk.Asset) string {
	var out []string
	add := func(changed bool, what string) {
		if changed {
			out = append(out, what)
		}
	}
	add(old.Name != a.Name, "name")
	add(old.Kind != a.Kind, "type")
	add(old.OwnerID != a.OwnerID, "owner")
	add(old.PlaceID != a.PlaceID || old.Location != a.Location, "location")
	add(fmt.Sprint(old.EPHI) != fmt.Sprint(a.EPHI) || old.Records != a.Records, "ePHI held")
	add(old.Use != a.Use, "use of ePHI")
	add(old.AtRest != a.AtRest, "encryption at rest")
	add(old.Hosting != a.Hosting || old.Vendor != a.Vendor, "hosting")
	add(old.Criticality != a.Criticality, "criticality")
	add(old.Lifecycle != a.Lifecycle, "status")
	add(old.Notes != a.Notes, "notes")
	add(!old.Reviewed.Equal(a.Reviewed), "last reviewed")
	if len(out) == 0 {
		return "Saved without changes"
	}
	s := "Changed " + out[0]
	for i, o := range out[1:] {
		if i == len(out)-2 {
			s += " and " + o
		} else {
			s += ", " + o
		}
	}
	return s
}

func (h *Handler) assetSubmit(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	id, err := pathID(r, "asset")
	if err != nil {
		return err
	}
	form := readAssetForm(r)
	asset, problems := form.asset()
	asset.ID = id
	if problems == nil {
		_, err = h.s.DB().UpdateAsset(r.Context(), h.s.Actor(r), a.Org.ID, asset)
		if errors.Is(err, store.ErrConflict) {
			return h.renderAsset(w, r, http.StatusConflict, &form, validate.Error{"version": conflictMessage(err)}, "")
		}
		if !errors.As(err, &problems) && err != nil {
			return err
		}
	} else {
		addProblems(problems, asset.Validate())
	}
	if problems != nil {
		return h.renderAsset(w, r, http.StatusUnprocessableEntity, &form, problems, "")
	}
	http.Redirect(w, r, assetURL(a.Org.Slug, id)+"?saved=1", http.StatusSeeOther)
	return nil
}

// conflictMessage is the message a person reads for a refused change.
func conflictMessage(err error) string {
	if p, ok := problem.As(err); ok {
		return p.Message
	}
	return "Someone else changed this since you opened it; reload it and make your change again."
}

func (h *Handler) assetDelete(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	id, err := pathID(r, "asset")
	if err != nil {
		return err
	}
	if !confirmed(r) {
		x, err := h.s.DB().Asset(r.Context(), a.Org.ID, id)
		if err != nil {
			return err
		}
		return h.renderConfirm(w, r, &confirmView{
			Page:    web.Page{Title: "Delete an asset", Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "ePHI inventory", URL: "/orgs/" + a.Org.Slug + "/inventory"}, web.Crumb{Label: x.Name, URL: assetURL(a.Org.Slug, id)}, web.Crumb{Label: "Delete"})},
			Heading: "Delete " + x.Name + "?", Question: "Delete " + x.Name + " from the inventory?",
			Consequence: "Delete only an asset entered by mistake; one no longer in use is better kept with the status “Retired”. Its history stays in the audit log.",
			Action:      assetURL(a.Org.Slug, id) + "/delete", Back: assetURL(a.Org.Slug, id), Button: "Delete " + x.Name,
		})
	}
	err = h.s.DB().DeleteAsset(r.Context(), h.s.Actor(r), a.Org.ID, id)
	if errors.Is(err, store.ErrConflict) {
		return h.renderAsset(w, r, http.StatusConflict, nil, nil, conflictMessage(err))
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/orgs/"+a.Org.Slug+"/inventory?deleted=1", http.StatusSeeOther)
	return nil
}
