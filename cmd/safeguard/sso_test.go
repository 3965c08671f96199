package main

import (
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/identity"
)

func TestSSOFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "oidc-secret")
	if err := os.WriteFile(secretFile, []byte("from-the-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	issuer := "https://login.example.org"
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    func(c *identity.SSOConfig) bool
		wantErr string
	}{
		{name: "none", want: func(c *identity.SSOConfig) bool { return c == nil }},
		{name: "secret from a file", args: []string{"--oidc-issuer", issuer, "--oidc-client-id", "sg", "--oidc-client-secret-file", secretFile,
			"--oidc-jit", "--oidc-groups-claim", "groups", "--oidc-role-map", "staff=riverside:contributor", "--oidc-role-map", "officers = riverside:security_officer",
			"--oidc-allowed-domains", "riverside.example,Example.ORG", "--oidc-trust-mfa"},
			want: func(c *identity.SSOConfig) bool {
				return c != nil && c.ClientSecret == "from-the-file" && c.JIT && c.Enabled && len(c.RoleMap) == 2 && c.TrustMFA && !c.LinkByEmail &&
					c.RoleMap[1].Role == identity.RoleSecurityOfficer && strings.Join(c.AllowedDomains, " ") == "riverside.example example.org"
			}},
		{name: "secret and settings from the environment", env: map[string]string{
			"SAFEGUARD_OIDC_ISSUER": issuer, "SAFEGUARD_OIDC_CLIENT_ID": "sg", envOIDCSecret: "from-the-env",
			"SAFEGUARD_OIDC_ROLE_MAP": "staff = riverside:viewer\nboss = riverside:owner", "SAFEGUARD_OIDC_GROUPS_CLAIM": "groups"},
			want: func(c *identity.SSOConfig) bool {
				return c != nil && c.ClientSecret == "from-the-env" && c.ClientID == "sg" && len(c.RoleMap) == 2 && !c.TrustMFA
			}},
		{name: "trust only when told", args: []string{"--oidc-issuer", issuer, "--oidc-client-id", "sg", "--oidc-link-by-email"},
			env: map[string]string{envOIDCSecret: "x"}, want: func(c *identity.SSOConfig) bool { return c != nil && c.LinkByEmail && !c.TrustMFA }},
		{name: "trust without a provider", args: []string{"--oidc-trust-mfa"}, wantErr: "--oidc-issuer is required"},
		{name: "no secret", args: []string{"--oidc-issuer", issuer, "--oidc-client-id", "sg"}, wantErr: "needs a client secret"},
		{name: "two secrets", args: []string{"--oidc-issuer", issuer, "--oidc-client-id", "sg", "--oidc-client-secret-file", secretFile},
			env: map[string]string{envOIDCSecret: "x"}, wantErr: "exclude each other"},
		{name: "no issuer", args: []string{"--oidc-client-id", "sg"}, wantErr: "--oidc-issuer is required"},
		{name: "plain http issuer", args: []string{"--oidc-issuer", "http://login.example.org", "--oidc-client-id", "sg"},
			env: map[string]string{envOIDCSecret: "x"}, wantErr: "--oidc-issuer must use https"},
		{name: "no client ID", args: []string{"--oidc-issuer", issuer}, env: map[string]string{envOIDCSecret: "x"}, wantErr: "--oidc-client-id is required"},
		{name: "bad role map", args: []string{"--oidc-issuer", issuer, "--oidc-client-id", "sg", "--oidc-groups-claim", "g", "--oidc-role-map", "staff = boss"},
			env: map[string]string{envOIDCSecret: "x"}, wantErr: "--oidc-role-map"},
		{name: "role map without organisation", args: []string{"--oidc-issuer", issuer, "--oidc-client-id", "sg", "--oidc-groups-claim", "g", "--oidc-role-map", "staff = viewer"},
			env: map[string]string{envOIDCSecret: "x"}, wantErr: "name the organisation"},
		{name: "missing file", args: []string{"--oidc-issuer", issuer, "--oidc-client-id", "sg", "--oidc-client-secret-file", filepath.Join(dir, "nope")},
			wantErr: "--oidc-client-secret-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, _ := testMain(tt.env)
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			f := addSSOFlags(fs)
			if err := m.parseFlags(fs, tt.args); err != nil {
				t.Fatal(err)
			}
			c, err := f.config(m.LookupEnv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("config() = %+v, %v, want an error with %q", c, err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.want(c) {
				t.Errorf("config() = %+v, %v", c, err)
			}
		})
	}
	var ue usageError
	m, _, _ := testMain(nil)
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	f := addSSOFlags(fs)
	if err := m.parseFlags(fs, []string{"--oidc-client-id", "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.config(m.LookupEnv); !errors.As(err, &ue) {
		t.Errorf("config() = %v, want a usage error (exit 2)", err)
	}
}

func TestServeWithSSO(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A mistake in the flags is a usage error found before the data folder
	// is touched.
	_, errOut, code := run(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "bad"), "--oidc-issuer", "https://login.example.org")
	if code != 2 || !strings.Contains(errOut, "client secret") {
		t.Errorf("serve --oidc-issuer without a secret = %d %q, want 2 and a word about the secret", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad")); err == nil {
		t.Error("a refused start created the data folder")
	}

	// A provider that does not answer: the server starts, and the sign-in
	// page says the provider cannot be reached.
	env := map[string]string{envOIDCSecret: "s3cret-value"}
	srv := startServer(t, env, "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "ok"),
		"--oidc-issuer", "http://127.0.0.1:1", "--oidc-client-id", "safeguard")
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	status, body := httpGet(t, noFollow, srv.URL+"/login/sso")
	if status != http.StatusBadGateway || !strings.Contains(body, "could not reach your identity provider") {
		t.Errorf("GET /login/sso with an unreachable provider = %d, want 502 and a clear message; body:\n%s", status, body)
	}
	if strings.Contains(srv.Stdout.String()+srv.Stderr.String(), "s3cret-value") {
		t.Error("the client secret appears in the server's output")
	}
}
