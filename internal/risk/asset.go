package risk

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/validate"
)

// Class is what sort of thing an asset is.
type Class string

// Classes of asset.
const (
	ClassSystem Class = "system" // systems, applications and services
	ClassDevice Class = "device"
	ClassPlace  Class = "place"
)

// Kind is the asset's type within its class.
type Kind string

// Kinds of asset, by class. The labels are for forms and reports.
var kinds = []struct {
	Kind  Kind
	Class Class
	Label string
}{
	{"ehr", ClassSystem, "Electronic health record"},
	{"practice_management", ClassSystem, "Practice management or billing"},
	{"email", ClassSystem, "Email"},
	{"portal", ClassSystem, "Patient portal"},
	{"interface", ClassSystem, "Interface (HL7, lab, pharmacy)"},
	{"backup", ClassSystem, "Backup"},
	{"file_share", ClassSystem, "File share or document store"},
	{"fax", ClassSystem, "Fax or fax-to-email"},
	{"cloud_service", ClassSystem, "Other cloud service"},
	{"application", ClassSystem, "Other application"},
	{"server", ClassDevice, "Server"},
	{"workstation", ClassDevice, "Workstation"},
	{"laptop", ClassDevice, "Laptop"},
	{"phone", ClassDevice, "Phone"},
	{"tablet", ClassDevice, "Tablet"},
	{"removable_media", ClassDevice, "Removable media (drive, USB stick, disc)"},
	{"medical_device", ClassDevice, "Medical device"},
	{"network_device", ClassDevice, "Network device (router, firewall, Wi-Fi)"},
	{"printer", ClassDevice, "Printer, scanner or copier"},
	{"site", ClassPlace, "Site (building, clinic)"},
	{"room", ClassPlace, "Room (server closet, records room)"},
}

// Kinds lists the asset kinds in form order.
func Kinds() []Kind {
	out := make([]Kind, len(kinds))
	for i, k := range kinds {
		out[i] = k.Kind
	}
	return out
}

// Class is the class of kind k, empty for an unknown kind.
func (k Kind) Class() Class {
	for _, x := range kinds {
		if x.Kind == k {
			return x.Class
		}
	}
	return ""
}

// Label is k for people.
func (k Kind) Label() string {
	for _, x := range kinds {
		if x.Kind == k {
			return x.Label
		}
	}
	return string(k)
}

// Hosting is where a system runs or a device is kept.
type Hosting string

// Hostings.
const (
	HostingOnSite            Hosting = "on_site"
	HostingCloud             Hosting = "cloud"
	HostingBusinessAssociate Hosting = "business_associate"
)

// Hostings lists the hostings in form order.
func Hostings() []Hosting {
	return []Hosting{HostingOnSite, HostingCloud, HostingBusinessAssociate}
}

// Label is h for people.
func (h Hosting) Label() string {
	switch h {
	case HostingOnSite:
		return "On site"
	case HostingCloud:
		return "Cloud service"
	case HostingBusinessAssociate:
		return "Run by a business associate"
	}
	return string(h)
}

// Encryption says whether data is encrypted (at rest for an asset, in
// transit for a flow).
type Encryption string

// Encryption states.
const (
	EncryptionYes     Encryption = "yes"
	EncryptionPartial Encryption = "partial"
	EncryptionNo      Encryption = "no"
	EncryptionUnknown Encryption = "unknown"
)

// Encryptions lists the states in form order.
func Encryptions() []Encryption {
	return []Encryption{EncryptionYes, EncryptionPartial, EncryptionNo, EncryptionUnknown}
}

// Label is e for people.
func (e Encryption) Label() string {
	switch e {
	case EncryptionYes:
		return "Encrypted"
	case EncryptionPartial:
		return "Partly encrypted"
	case EncryptionNo:
		return "Not encrypted"
	case EncryptionUnknown:
		return "Not known"
	}
	return string(e)
}

// Exposed reports whether e leaves data readable: not, partly or not known
// to be encrypted.
func (e Encryption) Exposed() bool { return e != EncryptionYes }

// Criticality is how much the organisation depends on an asset.
type Criticality string

// Criticalities.
const (
	CriticalityLow    Criticality = "low"
	CriticalityMedium Criticality = "medium"
	CriticalityHigh   Criticality = "high"
)

// Lifecycle is where an asset is in its life.
type Lifecycle string

// Lifecycle states.
const (
	LifecyclePlanned Lifecycle = "planned"
	LifecycleActive  Lifecycle = "active"
	LifecycleRetired Lifecycle = "retired"
)

// Use is what happens to ePHI at an asset, the four verbs of §164.306(a)(1).
type Use struct {
	Creates   bool `json:"creates"`
	Receives  bool `json:"receives"`
	Maintains bool `json:"maintains"`
	Transmits bool `json:"transmits"`
}

// Any reports whether the asset touches ePHI at all.
func (u Use) Any() bool { return u.Creates || u.Receives || u.Maintains || u.Transmits }

// Asset is one entry of the ePHI inventory: a system, a device or a place.
type Asset struct {
	ID    int64  `json:"id"`
	OrgID int64  `json:"org_id"`
	Name  string `json:"name"`
	Kind  Kind   `json:"kind"`
	// OwnerID is the member responsible for the asset (0: none yet).
	OwnerID int64 `json:"owner_id,omitempty"`
	// PlaceID is the asset of class place where this one is (0: none).
	PlaceID  int64  `json:"place_id,omitempty"`
	Location string `json:"location,omitempty"`
	// EPHI lists the kinds of ePHI held ("clinical notes", "billing").
	EPHI        []string    `json:"ephi"`
	Records     int         `json:"records"`
	Use         Use         `json:"use"`
	AtRest      Encryption  `json:"encrypted_at_rest"`
	Hosting     Hosting     `json:"hosting"`
	Vendor      string      `json:"vendor,omitempty"`
	Criticality Criticality `json:"criticality"`
	Lifecycle   Lifecycle   `json:"lifecycle"`
	Notes       string      `json:"notes,omitempty"`
	Reviewed    time.Time   `json:"last_reviewed,omitzero"`
	Version     int         `json:"version"`
	UpdatedAt   time.Time   `json:"updated_at,omitzero"`
}

// Lengths.
const (
	MaxName  = 200
	MaxText  = 10_000
	MaxItems = 50
)

// Normalize trims what people type and fills the defaults of a new asset.
func (a *Asset) Normalize() {
	a.Name, a.Location, a.Vendor, a.Notes = strings.TrimSpace(a.Name), strings.TrimSpace(a.Location), strings.TrimSpace(a.Vendor), strings.TrimSpace(a.Notes)
	a.EPHI = cleanList(a.EPHI)
	if a.AtRest == "" {
		a.AtRest = EncryptionUnknown
	}
	if a.Hosting == "" {
		a.Hosting = HostingOnSite
	}
	if a.Criticality == "" {
		a.Criticality = CriticalityMedium
	}
	if a.Lifecycle == "" {
		a.Lifecycle = LifecycleActive
	}
}

// Validate reports every problem with a (normalised), by field.
func (a Asset) Validate() error {
	p := validate.Error{}
	if a.Name == "" {
		p.Add("name", "is required")
	}
	text(p, "name", a.Name, MaxName)
	text(p, "location", a.Location, MaxName)
	text(p, "vendor", a.Vendor, MaxName)
	text(p, "notes", a.Notes, MaxText)
	if a.Kind.Class() == "" {
		p.Add("kind", "must be one of "+joinKinds())
	}
	if a.Records < 0 || a.Records > 1_000_000_000 {
		p.Add("records", "must be a number from 0 to 1,000,000,000")
	}
	if len(a.EPHI) > MaxItems {
		p.Add("ephi", fmt.Sprintf("may list at most %d kinds of ePHI", MaxItems))
	}
	for i, s := range a.EPHI {
		text(p, fmt.Sprintf("ephi.%d", i), s, MaxName)
	}
	if !slices.Contains(Encryptions(), a.AtRest) {
		p.Add("encrypted_at_rest", "must be yes, partial, no or unknown")
	}
	if !slices.Contains(Hostings(), a.Hosting) {
		p.Add("hosting", "must be on_site, cloud or business_associate")
	}
	if !slices.Contains([]Criticality{CriticalityLow, CriticalityMedium, CriticalityHigh}, a.Criticality) {
		p.Add("criticality", "must be low, medium or high")
	}
	if !slices.Contains([]Lifecycle{LifecyclePlanned, LifecycleActive, LifecycleRetired}, a.Lifecycle) {
		p.Add("lifecycle", "must be planned, active or retired")
	}
	if a.PlaceID != 0 && a.PlaceID == a.ID {
		p.Add("place_id", "cannot be the asset itself")
	}
	return p.Err()
}

// HoldsEPHI reports whether a keeps ePHI (creates or maintains it, or has
// records).
func (a Asset) HoldsEPHI() bool { return a.Use.Creates || a.Use.Maintains || a.Records > 0 }

// Portable reports whether a is a device that leaves the building easily.
func (a Asset) Portable() bool {
	return slices.Contains([]Kind{"laptop", "phone", "tablet", "removable_media"}, a.Kind)
}

func joinKinds() string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k.Kind)
	}
	return strings.Join(s, ", ")
}

func text(p validate.Error, field, s string, max int) {
	if len(s) > max {
		p.Add(field, fmt.Sprintf("must be at most %d characters", max))
	}
}

func cleanList(in []string) []string {
	out := []string{}
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Label is the class for people.
func (c Class) Label() string {
	switch c {
	case ClassSystem:
		return "Systems and applications"
	case ClassDevice:
		return "Devices"
	case ClassPlace:
		return "Places"
	}
	return string(c)
}

// Label is the criticality for people.
func (c Criticality) Label() string {
	if c == "" {
		return ""
	}
	return strings.ToUpper(string(c[:1])) + string(c[1:])
}

// Label is the lifecycle state for people.
func (l Lifecycle) Label() string {
	if l == "" {
		return ""
	}
	return strings.ToUpper(string(l[:1])) + string(l[1:])
}

// Words lists the verbs of u, "creates, receives", or "" for none.
func (u Use) Words() string {
	var w []string
	for _, v := range []struct {
		on   bool
		word string
	}{{u.Creates, "creates"}, {u.Receives, "receives"}, {u.Maintains, "maintains"}, {u.Transmits, "transmits"}} {
		if v.on {
			w = append(w, v.word)
		}
	}
	return strings.Join(w, ", ")
}
