package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/store"
)

// TestAdminCLI drives org, user and token commands against the data folder of
// a running server, and uses what they make through the server's API.
func TestAdminCLI(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	cli := func(stdin string, args ...string) (string, string, int) {
		m, out, errb := testMain(nil)
		m.Stdin = strings.NewReader(stdin)
		code := m.Run(context.Background(), append(args, "--data", dir))
		return out.String(), errb.String(), code
	}
	if out, errOut, code := cli("", "org", "add", "--slug", "riverside", "--name", "Riverside Family Practice", "--kind", "provider"); code != 0 || !strings.Contains(out, "Added organisation") {
		t.Fatalf("org add = %d %q %q", code, out, errOut)
	}
	tests := []struct {
		name     string
		stdin    string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"org add bad slug", "", []string{"org", "add", "--slug", "Bad Slug", "--name", "X"}, 1, "", "slug: may hold only"},
		{"org add duplicate", "", []string{"org", "add", "--slug", "riverside", "--name", "X"}, 1, "", "already exists"},
		{"org add missing name", "", []string{"org", "add", "--slug", "x1"}, 2, "", "--slug and --name are required"},
		{"user add bad email", "", []string{"user", "add", "--email", "not-an-email"}, 1, "", "email: must be an address"},
		{"user add bad role", "", []string{"user", "add", "--email", "a@example.org", "--org", "riverside", "--role", "boss"}, 2, "", `unknown role "boss"`},
		{"user add unknown org", "", []string{"user", "add", "--email", "a@example.org", "--org", "nowhere", "--role", "viewer"}, 1, "", `no organisation "nowhere"`},
		{"user add weak password", "password123\n", []string{"user", "add", "--email", "a@example.org", "--password-stdin"}, 1, "", "at least 12 characters"},
		{"user add invites", "", []string{"user", "add", "--email", "Priya@Example.org", "--name", "Priya Shah", "--org", "riverside", "--role", "contributor", "--url", "https://sg.example.org"}, 0, "https://sg.example.org/invite/sgi_", ""},
		{"user add with password", "lantern orchard velvet\n", []string{"user", "add", "--email", "owner@example.org", "--org", "riverside", "--role", "owner", "--password-stdin"}, 0, "Added user owner@example.org", ""},
		{"user add duplicate", "", []string{"user", "add", "--email", "priya@example.org"}, 1, "", "already exists"},
		{"token unknown scope", "", []string{"token", "create", "--user", "owner@example.org", "--scope", "root"}, 2, "", `unknown scope "root"`},
		{"token not a member", "", []string{"token", "create", "--user", "owner@example.org", "--scope", "read", "--org", "nowhere"}, 1, "", `no organisation "nowhere"`},
		{"user disable unknown", "", []string{"user", "disable", "ghost@example.org"}, 1, "", "no user with email"},
		{"user list bad format", "", []string{"user", "list", "--format", "xml"}, 2, "", `--format "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := cli(tt.stdin, tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("safeguard %v = %d\nstdout %q (want %q)\nstderr %q (want %q)", tt.args, code, out, tt.wantOut, errOut, tt.wantErr)
			}
		})
	}

	// A token made on the command line works against the running server.
	out, errOut, code := cli("", "token", "create", "--user", "owner@example.org", "--org", "riverside", "--scope", "read", "--expires", "1h")
	if code != 0 || !strings.HasPrefix(out, "sgt_") || !strings.Contains(errOut, "shown only this once") {
		t.Fatalf("token create = %d %q %q", code, out, errOut)
	}
	token := strings.TrimSpace(out)
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/orgs/riverside/members", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var members struct {
		Items []memberJSONForTest `json:"items"`
	}
	json.NewDecoder(resp.Body).Decode(&members)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(members.Items) != 2 {
		t.Errorf("members with the CLI token = %d %+v, want 2 members", resp.StatusCode, members)
	}

	// user list as JSON.
	out, _, code = cli("", "user", "list", "--format", "json")
	var users []struct {
		Email    string `json:"email"`
		Disabled bool   `json:"disabled"`
	}
	if err := json.Unmarshal([]byte(out), &users); err != nil || code != 0 || len(users) != 2 {
		t.Fatalf("user list = %d %q %v", code, out, err)
	}
	// Disabling signs the user out at once and revokes the token.
	c := signIn(t, s.URL, "owner@example.org", "lantern orchard velvet")
	if _, _, code := cli("", "user", "disable", "owner@example.org"); code != 0 {
		t.Fatal("user disable failed")
	}
	if code, _ := httpGet(t, c, s.URL+"/api/v1/me"); code != 401 {
		t.Errorf("session after user disable = %d, want 401", code)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("token after user disable = %d, want 401", resp.StatusCode)
	}
	if _, _, code := cli("", "user", "enable", "owner@example.org"); code != 0 {
		t.Fatal("user enable failed")
	}
	// A password reset clears the password and prints a fresh link.
	out, _, code = cli("", "user", "reset-password", "owner@example.org")
	if code != 0 || !strings.Contains(out, "/invite/sgi_") {
		t.Errorf("reset-password = %d %q", code, out)
	}
	body := strings.NewReader(`{"email":"owner@example.org","password":"lantern orchard velvet"}`)
	resp, err = http.Post(s.URL+"/api/v1/login", "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("old password after reset = %d, want 401", resp.StatusCode)
	}

	// Every command was audited as the person at the terminal.
	db, err := store.Open(context.Background(), filepath.Join(dir, dbFileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	entries, err := db.AuditEntries(context.Background(), 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if strings.HasPrefix(e.Actor, "cli:") {
			seen[e.Action] = true
		}
	}
	for _, want := range []string{"org.create", "user.create", "user.invite", "member.add", "token.create", "user.disable", "user.enable", "user.password"} {
		if !seen[want] {
			t.Errorf("no audit entry %s by a cli: actor; saw %v", want, seen)
		}
	}
}

type memberJSONForTest struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}
