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
