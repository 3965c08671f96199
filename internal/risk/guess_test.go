package risk

import "testing"

func TestKindFromName(t *testing.T) {
	for _, c := range []struct {
		name string
		want Kind
	}{
		{"Cloud EHR (athena)", "ehr"},
		{"EMR", "ehr"},
		{"Patient portal", "portal"},
		{"Microsoft 365 email", "email"},
		{"E-mail", "email"},
		{"Fax-to-email service", "fax"},
		{"eFax", "fax"},
		{"Nightly backup", "backup"},
		{"Backup drive (2016)", "removable_media"},
		{"Front desk laptop", "laptop"},
		{"EHR laptops", "laptop"},
		{"Doctors' phones", "phone"},
		{"iPad for check-in", "tablet"},
		{"File server", "server"},
		{"Billing", "practice_management"},
		{"Lab interface (HL7)", "interface"},
		{"Dictation", "application"},
		{"", "application"},
	} {
		got := KindFromName(c.name)
		if got != c.want {
			t.Errorf("KindFromName(%q) = %q, want %q", c.name, got, c.want)
		}
		if got.Class() == "" {
			t.Errorf("KindFromName(%q) = %q, not a kind", c.name, got)
		}
	}
}

// A suggestion's reason reads as a sentence whatever the encryption state.
func TestSuggestReasonUnknownEncryption(t *testing.T) {
	flows := []Flow{{ID: 7, From: Endpoint{Party: "ECG machine"}, To: Endpoint{Party: "EHR"}, Channel: "lan", InTransit: EncryptionUnknown}}
	got := Suggest(Library{}, nil, flows, nil, nil)
	if len(got) != 1 || got[0].Reason != "ePHI goes by local network and is not known to be encrypted in transit." {
		t.Errorf("Suggest(unknown encryption) = %+v", got)
	}
}
