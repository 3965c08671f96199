package identity

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/safeguard-health/safeguard/internal/validate"
)

// OrgKind says how the HIPAA Security Rule applies to an organisation: as a
// covered entity (45 CFR 160.103) of some type, or as a business associate or
// one of its subcontractors.
type OrgKind string

// The organisation kinds Safeguard knows.
const (
	KindProvider          OrgKind = "provider"
	KindHealthPlan        OrgKind = "health_plan"
	KindClearinghouse     OrgKind = "clearinghouse"
	KindHybrid            OrgKind = "hybrid"
	KindBusinessAssociate OrgKind = "business_associate"
	KindSubcontractor     OrgKind = "subcontractor"
)

// OrgKinds lists every kind in the order forms offer them.
var OrgKinds = []OrgKind{KindProvider, KindHealthPlan, KindClearinghouse, KindHybrid, KindBusinessAssociate, KindSubcontractor}

// Label is the kind as a person reads it.
func (k OrgKind) Label() string {
	switch k {
	case KindProvider:
		return "Covered entity: health care provider"
	case KindHealthPlan:
		return "Covered entity: health plan"
	case KindClearinghouse:
		return "Covered entity: health care clearinghouse"
	case KindHybrid:
		return "Covered entity: hybrid entity"
	case KindBusinessAssociate:
		return "Business associate"
	case KindSubcontractor:
		return "Subcontractor of a business associate"
	}
	return string(k)
}

// Valid reports whether k is one of OrgKinds.
func (k OrgKind) Valid() bool {
	for _, v := range OrgKinds {
		if k == v {
			return true
		}
	}
	return false
}

// Org is a tenant: a covered entity or business associate whose Security Rule
// programme Safeguard holds. Every record that belongs to one carries its ID.
type Org struct {
	ID   int64
	Slug string // short, URL-safe, unique: "riverside"
	Name string
	Kind OrgKind
	// TimeZone is the IANA name of the zone the organisation's pages show
	// times in ("America/New_York"); stored times and exports stay UTC.
	TimeZone  string
	CreatedAt time.Time
}

// DefaultTimeZone is an organisation's time zone until it chooses one.
const DefaultTimeZone = "UTC"

// CheckTimeZone reports whether name is an IANA time zone this system
// knows, as a field problem on "time_zone".
func CheckTimeZone(name string) error {
	if _, problem := loadZone(name); problem != "" {
		return validate.Error{"time_zone": problem}
	}
	return nil
}

// loadZone returns the zone called name, or what is wrong with the name.
func loadZone(name string) (*time.Location, string) {
	// "Local" is the server's own zone, not a place; "" means UTC to
	// time.LoadLocation, but a form left empty is better told.
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, "must be a time zone name such as America/New_York or Europe/London"
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, "is not a time zone we know: use a name such as America/New_York or Europe/London"
	}
	return loc, ""
}

// Location is the organisation's time zone, UTC where it has none or one
// this system does not know.
func (o Org) Location() *time.Location {
	if o.TimeZone == "" {
		return time.UTC
	}
	loc, problem := loadZone(o.TimeZone)
	if problem != "" {
		return time.UTC
	}
	return loc
}

// Limits on organisation fields.
const (
	MaxSlugLen = 63
	MaxNameLen = 200
)

var slugPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`)

// Normalize trims the fields a person types.
func (o *Org) Normalize() {
	o.Slug = strings.ToLower(strings.TrimSpace(o.Slug))
	o.Name = strings.TrimSpace(o.Name)
	if o.TimeZone = strings.TrimSpace(o.TimeZone); o.TimeZone == "" {
		o.TimeZone = DefaultTimeZone
	}
}

// Validate reports every problem with o's fields.
func (o Org) Validate() error {
	p := validate.Error{}
	switch {
	case o.Slug == "":
		p.Add("slug", "is required")
	case len(o.Slug) < 2 || len(o.Slug) > MaxSlugLen:
		p.Add("slug", "must be 2 to 63 characters")
	case !slugPattern.MatchString(o.Slug):
		p.Add("slug", "may hold only lower-case letters, digits and inner dashes")
	}
	switch {
	case o.Name == "":
		p.Add("name", "is required")
	case utf8.RuneCountInString(o.Name) > MaxNameLen:
		p.Add("name", "must be at most 200 characters")
	case !utf8.ValidString(o.Name):
		p.Add("name", "must be valid UTF-8 text")
	}
	if o.TimeZone != "" { // empty: DefaultTimeZone
		if _, problem := loadZone(o.TimeZone); problem != "" {
			p.Add("time_zone", problem)
		}
	}
	if !o.Kind.Valid() {
		p.Add("kind", "must be one of provider, health_plan, clearinghouse, hybrid, business_associate, subcontractor")
	}
	return p.Err()
}
