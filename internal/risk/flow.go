package risk

import (
	"slices"
	"strings"

	"github.com/safeguard-health/safeguard/internal/validate"
)

// Channel is how ePHI travels along a flow.
type Channel string

// Channels, with their labels for forms.
var channels = []struct {
	Channel Channel
	Label   string
}{
	{"hl7", "HL7 or other interface"},
	{"api", "Web service or API"},
	{"sftp", "SFTP or file transfer"},
	{"email", "Email"},
	{"portal", "Web portal"},
	{"fax", "Fax or fax-to-email"},
	{"vpn", "VPN or private network"},
	{"lan", "Local network"},
	{"sync", "Sync or backup to a service"},
	{"media", "Courier or removable media"},
	{"paper", "Paper printed from a system"},
	{"other", "Other"},
}

// Channels lists the channels in form order.
func Channels() []Channel {
	out := make([]Channel, len(channels))
	for i, c := range channels {
		out[i] = c.Channel
	}
	return out
}

// Label is c for people.
func (c Channel) Label() string {
	for _, x := range channels {
		if x.Channel == c {
			return x.Label
		}
	}
	return string(c)
}

// Endpoint is one end of a flow: an asset of the inventory, or a party
// outside it (a business associate, a lab, patients).
type Endpoint struct {
	AssetID int64  `json:"asset_id,omitempty"`
	Party   string `json:"party,omitempty"`
}

// Name is the endpoint for people, given the asset names by ID.
func (e Endpoint) Name(assets map[int64]string) string {
	if e.AssetID != 0 {
		return assets[e.AssetID]
	}
	return e.Party
}

// Flow is one way ePHI moves: from an endpoint to another, by a channel.
type Flow struct {
	ID        int64      `json:"id"`
	OrgID     int64      `json:"org_id"`
	From      Endpoint   `json:"from"`
	To        Endpoint   `json:"to"`
	Channel   Channel    `json:"channel"`
	InTransit Encryption `json:"encrypted_in_transit"`
	// Frequency and Volume are free text: "continuous", "daily", "about
	// 40 faxes a day".
	Frequency   string `json:"frequency,omitempty"`
	Volume      string `json:"volume,omitempty"`
	Description string `json:"description,omitempty"`
	Version     int    `json:"version"`
}

// Normalize trims what people type.
func (f *Flow) Normalize() {
	f.From.Party, f.To.Party = strings.TrimSpace(f.From.Party), strings.TrimSpace(f.To.Party)
	f.Frequency, f.Volume, f.Description = strings.TrimSpace(f.Frequency), strings.TrimSpace(f.Volume), strings.TrimSpace(f.Description)
	if f.InTransit == "" {
		f.InTransit = EncryptionUnknown
	}
}

// Validate reports every problem with f (normalised). Whether the assets
// exist in the organisation is the store's to check; the fields are named
// "from.asset_id" and "to.asset_id".
func (f Flow) Validate() error {
	p := validate.Error{}
	for _, e := range []struct {
		field string
		end   Endpoint
	}{{"from", f.From}, {"to", f.To}} {
		switch {
		case e.end.AssetID == 0 && e.end.Party == "":
			p.Add(e.field, "is required: an asset of the inventory or an outside party")
		case e.end.AssetID != 0 && e.end.Party != "":
			p.Add(e.field, "must be an asset or an outside party, not both")
		case e.end.AssetID < 0:
			p.Add(e.field+".asset_id", "is not an asset of this organisation")
		}
		text(p, e.field+".party", e.end.Party, MaxName)
	}
	if f.From.AssetID == 0 && f.To.AssetID == 0 && f.From.Party != "" && f.To.Party != "" {
		p.Add("to", "one end must be an asset of the inventory")
	}
	if f.From == f.To && (f.From.AssetID != 0 || f.From.Party != "") {
		p.Add("to", "must differ from where the flow starts")
	}
	if !slices.Contains(Channels(), f.Channel) {
		p.Add("channel", "must be one of "+strings.Join(channelNames(), ", "))
	}
	if !slices.Contains(Encryptions(), f.InTransit) {
		p.Add("encrypted_in_transit", "must be yes, partial, no or unknown")
	}
	text(p, "frequency", f.Frequency, MaxName)
	text(p, "volume", f.Volume, MaxName)
	text(p, "description", f.Description, MaxText)
	return p.Err()
}

func channelNames() []string {
	out := make([]string, len(channels))
	for i, c := range channels {
		out[i] = string(c.Channel)
	}
	return out
}
