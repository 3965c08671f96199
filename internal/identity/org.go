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
	ID        int64
	Slug      string // short, URL-safe, unique: "riverside"
	Name      string
	Kind      OrgKind
	CreatedAt time.Time
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
	if !o.Kind.Valid() {
		p.Add("kind", "must be one of provider, health_plan, clearinghouse, hybrid, business_associate, subcontractor")
	}
	return p.Err()
}
