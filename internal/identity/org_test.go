package identity

import (
	"errors"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/validate"
)

func TestOrgValidate(t *testing.T) {
	good := Org{Slug: "riverside", Name: "Riverside Family Practice", Kind: KindProvider}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(%+v) = %v, want nil", good, err)
	}
	if ny := (Org{Slug: "ok", Name: "x", Kind: KindProvider, TimeZone: "America/New_York"}); ny.Validate() != nil || ny.Location().String() != "America/New_York" {
		t.Errorf("Validate(%+v) = %v, Location() = %v, want nil, America/New_York", ny, ny.Validate(), ny.Location())
	}
	tests := []struct {
		name  string
		org   Org
		field string
	}{
		{"empty slug", Org{Name: "x", Kind: KindProvider}, "slug"},
		{"short slug", Org{Slug: "a", Name: "x", Kind: KindProvider}, "slug"},
		{"upper slug", Org{Slug: "River", Name: "x", Kind: KindProvider}, "slug"},
		{"dash end", Org{Slug: "river-", Name: "x", Kind: KindProvider}, "slug"},
		{"long slug", Org{Slug: strings.Repeat("a", 64), Name: "x", Kind: KindProvider}, "slug"},
		{"no name", Org{Slug: "ok", Kind: KindProvider}, "name"},
		{"long name", Org{Slug: "ok", Name: strings.Repeat("é", 201), Kind: KindProvider}, "name"},
		{"bad kind", Org{Slug: "ok", Name: "x", Kind: "hospital"}, "kind"},
		{"unknown zone", Org{Slug: "ok", Name: "x", Kind: KindProvider, TimeZone: "Mars/Olympus_Mons"}, "time_zone"},
		{"server's zone", Org{Slug: "ok", Name: "x", Kind: KindProvider, TimeZone: "Local"}, "time_zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var verr validate.Error
			err := tt.org.Validate()
			if !errors.As(err, &verr) {
				t.Fatalf("Validate() = %v, want validate.Error", err)
			}
			if _, ok := verr[tt.field]; !ok {
				t.Errorf("Validate() fields = %v, want a problem with %q", verr, tt.field)
			}
		})
	}
}

func TestOrgNormalize(t *testing.T) {
	o := Org{Slug: "  Riverside ", Name: "  Riverside  "}
	o.Normalize()
	if o.Slug != "riverside" || o.Name != "Riverside" {
		t.Errorf("Normalize() = %q, %q, want riverside, Riverside", o.Slug, o.Name)
	}
}
