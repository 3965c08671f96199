package identity

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/validate"
)

func TestParseRoleMap(t *testing.T) {
	m, err := ParseRoleMap(`
# Groups from the directory
hipaa-officers = security_officer
  staff=contributor
cn=auditors,ou=groups,dc=example,dc=org = riverside:auditor
Group With Spaces = harbor-billing : viewer
`)
	if err != nil {
		t.Fatalf("ParseRoleMap() = %v", err)
	}
	want := RoleMap{
		{Group: "hipaa-officers", Role: RoleSecurityOfficer},
		{Group: "staff", Role: RoleContributor},
		{Group: "cn=auditors,ou=groups,dc=example,dc=org", Org: "riverside", Role: RoleAuditor},
		{Group: "Group With Spaces", Org: "harbor-billing", Role: RoleViewer},
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("ParseRoleMap() = %+v, want %+v", m, want)
	}
	back, err := ParseRoleMap(m.String())
	if err != nil || !reflect.DeepEqual(back, m) {
		t.Errorf("ParseRoleMap(String()) = %+v, %v, want %+v", back, err, m)
	}

	for _, tt := range []struct{ name, text, want string }{
		{"no equals", "staff contributor", "line 1: want GROUP = ROLE"},
		{"unknown role", "staff = admin", `unknown role "admin"`},
		{"no group", " = viewer", "group name is missing"},
		{"twice", "a = viewer\na = owner", "mapped twice"},
		{"bad org", "a = Not A Slug:viewer", "not an organisation's short name"},
		{"control", "a\x01b = viewer", "one line"},
		{"long", strings.Repeat("g", 300) + " = viewer", "at most 256 bytes"},
		{"not utf-8", "\xff = viewer", "UTF-8"},
		{"line number", "a = viewer\n\n# c\nb = boss", "line 4:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRoleMap(tt.text)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseRoleMap(%q) = %v, want an error with %q", tt.text, err, tt.want)
			}
		})
	}
	var many strings.Builder
	for i := range maxRoleMap + 1 {
		many.WriteString(strings.Repeat("x", i+1) + " = viewer\n")
	}
	if _, err := ParseRoleMap(many.String()); err == nil {
		t.Errorf("ParseRoleMap(%d mappings) = nil, want an error", maxRoleMap+1)
	}
}

func TestRoleMapResolve(t *testing.T) {
	m := RoleMap{
		{Group: "staff", Role: RoleContributor},
		{Group: "officers", Role: RoleSecurityOfficer},
		{Group: "readers", Role: RoleViewer},
		{Group: "staff", Org: "harbor", Role: RoleViewer},
	}
	tests := []struct {
		groups []string
		want   map[string]Role
	}{
		{nil, map[string]Role{}},
		{[]string{"nobody"}, map[string]Role{}},
		{[]string{"readers"}, map[string]Role{"": RoleViewer}},
		{[]string{"readers", "officers", "staff"}, map[string]Role{"": RoleSecurityOfficer, "harbor": RoleViewer}},
		{[]string{"Staff"}, map[string]Role{}}, // groups match exactly
	}
	for _, tt := range tests {
		if got := m.Resolve(tt.groups); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Resolve(%q) = %v, want %v", tt.groups, got, tt.want)
		}
	}
}

func TestSSOConfigValidate(t *testing.T) {
	good := SSOConfig{OrgID: 7, Enabled: true, Issuer: "https://login.example.org/tenant", ClientID: "safeguard",
		GroupsClaim: "groups", RoleMap: RoleMap{{Group: "staff", Role: RoleContributor}}, JIT: true, AllowedDomains: []string{"example.org"}}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(good) = %v", err)
	}
	deployment := SSOConfig{Issuer: "http://127.0.0.1:9999", ClientID: "x", RedirectURL: "https://safeguard.example.org/login/sso/callback",
		GroupsClaim: "groups", RoleMap: RoleMap{{Group: "staff", Org: "riverside", Role: RoleViewer}}, JIT: true}
	if err := deployment.Validate(); err != nil {
		t.Fatalf("Validate(deployment) = %v", err)
	}
	tests := []struct {
		name  string
		edit  func(c *SSOConfig)
		field string
	}{
		{"no issuer", func(c *SSOConfig) { c.Issuer = "" }, "issuer"},
		{"http issuer", func(c *SSOConfig) { c.Issuer = "http://login.example.org" }, "issuer"},
		{"issuer with query", func(c *SSOConfig) { c.Issuer = "https://login.example.org/?tenant=1" }, "issuer"},
		{"issuer with fragment", func(c *SSOConfig) { c.Issuer = "https://login.example.org/#x" }, "issuer"},
		{"issuer with user", func(c *SSOConfig) { c.Issuer = "https://me@login.example.org" }, "issuer"},
		{"relative issuer", func(c *SSOConfig) { c.Issuer = "/login" }, "issuer"},
		{"ftp issuer", func(c *SSOConfig) { c.Issuer = "ftp://login.example.org" }, "issuer"},
		{"no client", func(c *SSOConfig) { c.ClientID = "" }, "client_id"},
		{"client with space", func(c *SSOConfig) { c.ClientID = "a b" }, "client_id"},
		{"org redirect", func(c *SSOConfig) { c.RedirectURL = "https://x.example.org/cb" }, "redirect_url"},
		{"bad scope", func(c *SSOConfig) { c.Scopes = []string{`a"b`} }, "scopes"},
		{"bad claim", func(c *SSOConfig) { c.GroupsClaim = "a b" }, "groups_claim"},
		{"mapping without claim", func(c *SSOConfig) { c.GroupsClaim = "" }, "groups_claim"},
		{"org mapping names an org", func(c *SSOConfig) { c.RoleMap[0].Org = "harbor" }, "role_map"},
		{"bad mapping role", func(c *SSOConfig) { c.RoleMap[0].Role = "admin" }, "role_map"},
		{"bad default role", func(c *SSOConfig) { c.DefaultRole = "admin" }, "default_role"},
		{"JIT without roles", func(c *SSOConfig) { c.RoleMap = nil }, "jit"},
		{"bad domain", func(c *SSOConfig) { c.AllowedDomains = []string{"exa mple.org"} }, "allowed_domains"},
		{"domain without dot", func(c *SSOConfig) { c.AllowedDomains = []string{"localhost"} }, "allowed_domains"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			c.RoleMap = append(RoleMap(nil), good.RoleMap...)
			tt.edit(&c)
			var verr validate.Error
			if err := c.Validate(); !errors.As(err, &verr) || verr[tt.field] == "" {
				t.Errorf("Validate() = %v, want a problem with %s", err, tt.field)
			}
		})
	}
	bad := deployment
	bad.RoleMap = RoleMap{{Group: "staff", Role: RoleViewer}}
	bad.DefaultRole = RoleViewer
	var verr validate.Error
	if err := bad.Validate(); !errors.As(err, &verr) || verr["role_map"] == "" || verr["default_role"] == "" {
		t.Errorf("Validate(deployment without orgs) = %v, want problems with role_map and default_role", err)
	}
}

func TestSSOConfigHelpers(t *testing.T) {
	c := SSOConfig{Issuer: " https://x.example.org ", Scopes: []string{"openid", "email", "groups", "email"},
		AllowedDomains: []string{" Example.ORG", "@example.com", "example.org"}}
	c.Normalize()
	if c.Issuer != "https://x.example.org" || !reflect.DeepEqual(c.Scopes, []string{"email", "groups"}) ||
		!reflect.DeepEqual(c.AllowedDomains, []string{"example.org", "example.com"}) {
		t.Errorf("Normalize() = %+v", c)
	}
	if got := c.RequestScopes(); !reflect.DeepEqual(got, []string{"openid", "email", "groups"}) {
		t.Errorf("RequestScopes() = %q", got)
	}
	if got := (SSOConfig{}).RequestScopes(); !reflect.DeepEqual(got, []string{"openid", "email", "profile"}) {
		t.Errorf("default RequestScopes() = %q", got)
	}
	for email, want := range map[string]bool{"a@example.org": true, "a@EXAMPLE.com": true, "a@evil.example.org": false, "a@example.org.evil": false, "noat": false} {
		if got := c.AllowsEmail(email); got != want {
			t.Errorf("AllowsEmail(%q) = %t, want %t", email, got, want)
		}
	}
	if !(SSOConfig{}).AllowsEmail("anyone@anywhere.example") {
		t.Error("AllowsEmail with no domains = false, want true")
	}
	if got := SplitList(" email,profile\ngroups  "); !reflect.DeepEqual(got, []string{"email", "profile", "groups"}) {
		t.Errorf("SplitList() = %q", got)
	}
	for amr, want := range map[string]bool{"": false, "pwd": false, "pwd mfa": true, "otp": true, "hwk": true, "swk": false} {
		if got := AMRShowsMFA(strings.Fields(amr)); got != want {
			t.Errorf("AMRShowsMFA(%q) = %t, want %t", amr, got, want)
		}
	}
}

// FuzzParseRoleMap checks that the parser never panics, that whatever it
// accepts is valid, and that the text form reads back to the same map.
func FuzzParseRoleMap(f *testing.F) {
	for _, s := range []string{
		"staff = contributor",
		"cn=a,dc=b = riverside:owner\n# comment\n\nx=viewer",
		"a = b:c:viewer",
		" = viewer",
		"a == viewer",
		"#a = viewer",
		"a\r\n= viewer",
		"é = auditor",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		m, err := ParseRoleMap(text)
		if err != nil {
			return
		}
		if err := m.check(); err != nil {
			t.Fatalf("ParseRoleMap(%q) accepted an invalid map: %v", text, err)
		}
		back, err := ParseRoleMap(m.String())
		if err != nil {
			t.Fatalf("ParseRoleMap(String()) = %v for %q", err, m.String())
		}
		if len(back) != len(m) || (len(m) > 0 && !reflect.DeepEqual(back, m)) {
			t.Fatalf("round trip of %q: %+v, want %+v", text, back, m)
		}
	})
}
