package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// deployDir is the repository's deploy folder.
const deployDir = "../../deploy"

// unitFile reads a systemd unit into section -> key -> values (a key may
// repeat).
func unitFile(t *testing.T, name string) map[string]map[string][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(deployDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			out[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: %q is not KEY=VALUE inside a section", name, n, line)
			}
			out[section][k] = append(out[section][k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSystemdUnit checks the service's identity and hardening directives,
// and, where systemd-analyze is installed, that systemd accepts every unit.
func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	u := unitFile(t, "safeguard.service")
	svc := u["Service"]
	want := map[string]string{
		"User":                    "safeguard",
		"EnvironmentFile":         "/etc/safeguard/env",
		"ExecStart":               "/usr/local/bin/safeguard serve",
		"Restart":                 "on-failure",
		"NoNewPrivileges":         "yes",
		"ProtectSystem":           "strict",
		"ReadWritePaths":          "/var/lib/safeguard",
		"PrivateTmp":              "yes",
		"ProtectHome":             "yes",
		"CapabilityBoundingSet":   "",
		"AmbientCapabilities":     "",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"SystemCallFilter":        "@system-service",
		"MemoryMax":               "1G",
		"UMask":                   "0077",
		"StateDirectoryMode":      "0700",
	}
	for k, v := range want {
		got, ok := svc[k]
		if !ok || got[0] != v {
			t.Errorf("[Service] %s = %q, want %q", k, got, v)
		}
	}
	// The environment file comes after the defaults, so that it overrides them.
	if got := svc["Environment"]; len(got) == 0 || got[0] != "SAFEGUARD_DATA=/var/lib/safeguard" {
		t.Errorf("[Service] Environment = %q, want SAFEGUARD_DATA=/var/lib/safeguard first", got)
	}
	if got := u["Install"]["WantedBy"]; len(got) != 1 || got[0] != "multi-user.target" {
		t.Errorf("[Install] WantedBy = %q, want multi-user.target", got)
	}
	// serve takes the scheduled backups, into a folder it may write.
	if got := svc["ReadWritePaths"]; len(got) != 2 || got[1] != "-/var/backups/safeguard" {
		t.Errorf("[Service] ReadWritePaths = %q, want the data folder and -/var/backups/safeguard", got)
	}
	env, err := os.ReadFile(filepath.Join(deployDir, "env.example"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nSAFEGUARD_BACKUP_DIR=/var/backups/safeguard\n", "\nSAFEGUARD_BACKUP_RECIPIENT=age1"} {
		if !strings.Contains(string(env), want) {
			t.Errorf("env.example lacks %q", want)
		}
	}
	if s := unitFile(t, "safeguard-doctor.service")["Service"]; s["User"][0] != "safeguard" || s["EnvironmentFile"][0] != "/etc/safeguard/env" ||
		s["Type"][0] != "oneshot" || s["ExecStart"][0] != "/usr/local/bin/safeguard doctor" {
		t.Errorf("safeguard-doctor.service: want 'safeguard doctor' as a oneshot as safeguard with /etc/safeguard/env, got %v", s)
	}
	if tm := unitFile(t, "safeguard-doctor.timer")["Timer"]; len(tm["OnCalendar"]) == 0 || tm["Persistent"][0] != "true" {
		t.Errorf("safeguard-doctor.timer: want OnCalendar and Persistent=true, got %v", tm)
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze is not installed: the units were only parsed")
		return
	}
	// verify wants the ExecStart binaries to exist: point them at this test.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	names := []string{"safeguard.service", "safeguard-doctor.service", "safeguard-doctor.timer"}
	var paths []string
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(deployDir, n))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(tmp, n)
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(b), "/usr/local/bin/safeguard", self)), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	out, err := exec.Command(analyze, append([]string{"verify"}, paths...)...).CombinedOutput()
	// Unknown or misspelt keys are reported on the output with exit 0.
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestContainerfile checks the container recipe, which is not built here.
func TestContainerfile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(deployDir, "Containerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string // instructions, continuation lines joined, comments dropped
	cur := ""
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "#") || (l == "" && cur == "") {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		lines = append(lines, strings.Join(strings.Fields(cur+l), " "))
		cur = ""
	}
	var froms, users []string
	has := func(prefix string) string {
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
		return ""
	}
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "FROM "):
			froms = append(froms, l)
		case strings.HasPrefix(l, "USER "):
			users = append(users, l)
		}
	}
	if len(froms) < 2 {
		t.Errorf("FROM lines = %q, want a build stage and a runtime stage", froms)
	}
	pinned := regexp.MustCompile(`^FROM \S+(@sha256:[0-9a-f]{64}|:[^\s@]*[0-9][^\s@]*)( AS \S+)?$`)
	for _, f := range froms {
		if !pinned.MatchString(f) || strings.Contains(f, ":latest") {
			t.Errorf("%q: want the base image pinned by digest or a versioned tag", f)
		}
	}
	if !strings.Contains(froms[len(froms)-1], "distroless/static") && !strings.Contains(froms[len(froms)-1], "scratch") {
		t.Errorf("runtime stage %q: want distroless/static or scratch", froms[len(froms)-1])
	}
	build := has("RUN CGO_ENABLED=0 go build")
	if build == "" || !strings.Contains(build, "-trimpath") || !strings.Contains(build, "./cmd/safeguard") {
		t.Errorf("build line %q: want CGO_ENABLED=0 go build -trimpath ./cmd/safeguard", build)
	}
	if len(users) == 0 {
		t.Error("no USER: the image would run as root")
	} else if u := strings.Fields(users[len(users)-1])[1]; u == "root" || u == "0" || strings.HasPrefix(u, "0:") || strings.HasPrefix(u, "root:") {
		t.Errorf("final %q runs as root", users[len(users)-1])
	}
	for _, want := range []string{`VOLUME ["/data"]`, "EXPOSE 8443", "ENV SAFEGUARD_DATA=/data", `ENTRYPOINT ["/usr/local/bin/safeguard"]`} {
		if has(want) == "" {
			t.Errorf("no line starting %q", want)
		}
	}
	hc := has("HEALTHCHECK ")
	if hc == "" || !strings.Contains(hc, `"doctor"`) || strings.Contains(hc, "curl") || strings.Contains(hc, "wget") || strings.Contains(hc, "CMD-SHELL") {
		t.Errorf("HEALTHCHECK %q: want the binary's own check in exec form (the image has no shell or curl)", hc)
	}
	// Nothing secret is baked in: no keys copied, no secrets in ENV or ARG,
	// and the build context is not copied whole (a data folder may lie in it).
	secret := regexp.MustCompile(`(?i)master_key|password|secret|token|smtp_url|\.key\b|\.pem\b|private`)
	for _, l := range lines {
		verb, _, _ := strings.Cut(l, " ")
		switch verb {
		case "ENV", "ARG", "COPY", "ADD", "LABEL":
			if secret.MatchString(l) {
				t.Errorf("%q may bake a secret into the image", l)
			}
		}
		if verb == "COPY" && regexp.MustCompile(`^COPY (--\S+ )*\. `).MatchString(l) {
			t.Errorf("%q copies the whole build context, which may hold a data folder and its keys", l)
		}
	}
}
