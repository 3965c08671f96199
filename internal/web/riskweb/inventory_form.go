package riskweb

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// assetForm is the asset form as typed, shown again with its problems.
type assetForm struct {
	Name, Kind, OwnerID, PlaceID, Location string
	// EPHI is the kinds of ePHI, one a line (or separated by commas).
	EPHI, Records                 string
	Use                           risk.Use
	AtRest, Hosting, Vendor       string
	Criticality, Lifecycle, Notes string
	Reviewed                      string // YYYY-MM-DD
	Version                       string
}

func readAssetForm(r *http.Request) assetForm {
	f := r.PostForm
	return assetForm{
		Name: f.Get("name"), Kind: f.Get("kind"), OwnerID: f.Get("owner_id"), PlaceID: f.Get("place_id"),
		Location: f.Get("location"), EPHI: f.Get("ephi"), Records: f.Get("records"),
		Use:    risk.Use{Creates: f.Get("creates") != "", Receives: f.Get("receives") != "", Maintains: f.Get("maintains") != "", Transmits: f.Get("transmits") != ""},
		AtRest: f.Get("encrypted_at_rest"), Hosting: f.Get("hosting"), Vendor: f.Get("vendor"),
		Criticality: f.Get("criticality"), Lifecycle: f.Get("lifecycle"), Notes: f.Get("notes"),
		Reviewed: f.Get("last_reviewed"), Version: f.Get("version"),
	}
}

// formOf fills the form from a saved asset.
func formOf(a risk.Asset) assetForm {
	f := assetForm{
		Name: a.Name, Kind: string(a.Kind), Location: a.Location, EPHI: strings.Join(a.EPHI, "\n"),
		Records: strconv.Itoa(a.Records), Use: a.Use, AtRest: string(a.AtRest), Hosting: string(a.Hosting), Vendor: a.Vendor,
		Criticality: string(a.Criticality), Lifecycle: string(a.Lifecycle), Notes: a.Notes, Version: strconv.Itoa(a.Version),
	}
	if a.OwnerID != 0 {
		f.OwnerID = strconv.FormatInt(a.OwnerID, 10)
	}
	if a.PlaceID != 0 {
		f.PlaceID = strconv.FormatInt(a.PlaceID, 10)
	}
	if !a.Reviewed.IsZero() {
		f.Reviewed = a.Reviewed.Format(time.DateOnly)
	}
	return f
}

// asset reads the form into an asset; what cannot be read (a number that
// is not one) is a problem on its field, nil when there is none.
func (f assetForm) asset() (risk.Asset, validate.Error) {
	p := validate.Error{}
	a := risk.Asset{
		Name: f.Name, Kind: risk.Kind(f.Kind), Location: f.Location, Use: f.Use,
		AtRest: risk.Encryption(f.AtRest), Hosting: risk.Hosting(f.Hosting), Vendor: f.Vendor,
		Criticality: risk.Criticality(f.Criticality), Lifecycle: risk.Lifecycle(f.Lifecycle), Notes: f.Notes,
		EPHI: splitList(f.EPHI),
	}
	id := func(field, v string) int64 {
		if v = strings.TrimSpace(v); v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			p.Add(field, "is not one of the choices")
		}
		return n
	}
	a.OwnerID, a.PlaceID = id("owner_id", f.OwnerID), id("place_id", f.PlaceID)
	if v := strings.TrimSpace(strings.ReplaceAll(f.Records, ",", "")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			p.Add("records", "must be a whole number, such as 2500")
		}
		a.Records = n
	}
	if v := strings.TrimSpace(f.Reviewed); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			p.Add("last_reviewed", "must be a date, such as 2025-03-31")
		}
		a.Reviewed = t
	}
	if v := strings.TrimSpace(f.Version); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			p.Add("version", "is not a version of this asset; reload the page")
		}
		a.Version = n
	}
	a.Normalize()
	if len(p) == 0 {
		return a, nil
	}
	return a, p
}

// splitList reads a list typed one item a line or separated by commas or
// semicolons.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ';' })
}

// assetFilterForm is the inventory's filter as given in the query.
type assetFilterForm struct {
	Kind, Class, Hosting, Lifecycle, Owner, Query string
	EPHI, Unencrypted                             bool
}

// readAssetFilter reads the inventory's filters from the query: kind,
// class, hosting, lifecycle, owner (a member's ID), q (in the name), ephi
// and unencrypted (1 or true). A value that is not one of the choices is a
// problem on its parameter.
func readAssetFilter(r *http.Request) (assetFilterForm, store.AssetFilter, error) {
	q := r.URL.Query()
	f := assetFilterForm{Kind: q.Get("kind"), Class: q.Get("class"), Hosting: q.Get("hosting"), Lifecycle: q.Get("lifecycle"),
		Owner: q.Get("owner"), Query: strings.TrimSpace(q.Get("q"))}
	p := validate.Error{}
	flag := func(name string) bool {
		switch q.Get(name) {
		case "", "0", "false":
			return false
		case "1", "true", "on":
			return true
		}
		p.Add(name, "must be 1 or 0")
		return false
	}
	f.EPHI, f.Unencrypted = flag("ephi"), flag("unencrypted")
	out := store.AssetFilter{Kind: risk.Kind(f.Kind), Class: risk.Class(f.Class), Hosting: risk.Hosting(f.Hosting),
		Lifecycle: risk.Lifecycle(f.Lifecycle), Query: f.Query, EPHIOnly: f.EPHI, Unencrypted: f.Unencrypted}
	if f.Kind != "" && out.Kind.Class() == "" {
		p.Add("kind", "is not a kind of asset")
	}
	if f.Class != "" && !slices.Contains([]risk.Class{risk.ClassSystem, risk.ClassDevice, risk.ClassPlace}, out.Class) {
		p.Add("class", "must be system, device or place")
	}
	if f.Hosting != "" && !slices.Contains(risk.Hostings(), out.Hosting) {
		p.Add("hosting", "must be on_site, cloud or business_associate")
	}
	if f.Lifecycle != "" && !slices.Contains([]risk.Lifecycle{risk.LifecyclePlanned, risk.LifecycleActive, risk.LifecycleRetired}, out.Lifecycle) {
		p.Add("lifecycle", "must be planned, active or retired")
	}
	if f.Owner != "" {
		n, err := strconv.ParseInt(f.Owner, 10, 64)
		if err != nil || n <= 0 {
			p.Add("owner", "must be a member's ID")
		}
		out.OwnerID = n
	}
	if len(f.Query) > risk.MaxName {
		p.Add("q", "must be at most 200 characters")
	}
	return f, out, p.Err()
}

// assetFormData is what the asset form's fields show (the partial
// inventory_asset_fields).
type assetFormData struct {
	Form     assetForm
	Problems validate.Error
	Choices  assetChoices
}

// AssetForm is the add form's data.
func (v *inventoryView) AssetForm() assetFormData {
	return assetFormData{Form: v.Form, Problems: v.Problems, Choices: v.Choices}
}

// AssetForm is the edit form's data.
func (v *assetView) AssetForm() assetFormData {
	return assetFormData{Form: v.Form, Problems: v.Problems, Choices: v.Choices}
}
