package safeguard_test

import (
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/safeguard-health/safeguard"

// domain packages hold the rules of the domain: they may import the standard
// library and each other, never storage, HTTP, templates or a logger.
var domain = []string{"catalog", "assess", "risk", "register", "identity", "audit", "crypt", "validate", "problem"}

// forbiddenInDomain are the imports that would tie a domain package to an
// adapter.
var forbiddenInDomain = []string{"database/sql", "net/http", "html/template", "log/slog", "log"}

// thirdPartyInDomain names the libraries DESIGN.md lets a domain package
// use, each a module path or package path with everything beneath it:
// identity ("domain + crypto") the Go team's extended cryptography
// (argon2id, and what it needs) and the one-time password library (with the
// QR encoder its key type draws with); audit ("stdlib + x/mod/sumdb/tlog")
// the Go team's transparency-log hashing.
var thirdPartyInDomain = map[string][]string{
	module + "/internal/identity": {"golang.org/x/crypto", "golang.org/x/sys", "github.com/pquerna/otp", "github.com/boombuler/barcode"},
	module + "/internal/audit":    {"golang.org/x/mod/sumdb/tlog"},
}

func allowedThirdParty(pkg, dep string) bool {
	for _, allowed := range thirdPartyInDomain[pkg] {
		if dep == allowed || strings.HasPrefix(dep, allowed+"/") {
			return true
		}
	}
	return false
}

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	// go test caches results by the files a test touches; the go command
	// reads the sources in another process, so stat them here to make an
	// edited import invalidate the cached result.
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		_, err = os.Stat(path)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-json", "-deps=false", "./...")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(out)
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("go list: %v", err)
	}
	return pkgs
}

// webtest is the test harness of capability packages: only their tests
// (and cmd's) may use it.
const webtest = module + "/internal/web/webtest"

// isCapability reports whether path is a capability package beneath the web
// kernel (internal/web/<capability>web).
func isCapability(path string) bool {
	rest, ok := strings.CutPrefix(path, module+"/internal/web/")
	return ok && !strings.Contains(rest, "/") && strings.HasSuffix(rest, "web")
}

// allweb lists every capability for cmd to wire and for the route × role
// test: it alone, besides cmd, imports capability packages.
const allweb = module + "/internal/web/allweb"

func isDomain(path string) bool {
	for _, d := range domain {
		if path == module+"/internal/"+d {
			return true
		}
	}
	return false
}

// TestDependencyDirection keeps the layering of DESIGN.md: domain packages
// import only the standard library and other domain packages; nothing but
// cmd and the capability packages beneath internal/web imports the web
// kernel; capability packages never import each other, and the kernel none
// of them; only cmd (through allweb, which lists them) wires them.
func TestDependencyDirection(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 5 {
		t.Fatalf("go list found %d packages, want the whole module", len(pkgs))
	}
	for _, p := range pkgs {
		for _, imp := range p.Deps {
			if strings.HasPrefix(imp, module+"/cmd/") && !strings.HasPrefix(p.ImportPath, module+"/cmd/") {
				t.Errorf("%s depends on %s: nothing may import cmd", p.ImportPath, imp)
			}
			if imp == module+"/internal/web" && !strings.HasPrefix(p.ImportPath, module+"/cmd/") && !isCapability(p.ImportPath) && p.ImportPath != webtest && p.ImportPath != allweb {
				t.Errorf("%s depends on %s: only cmd and capability packages may import web", p.ImportPath, imp)
			}
			if isCapability(imp) && !strings.HasPrefix(p.ImportPath, module+"/cmd/") && p.ImportPath != allweb {
				t.Errorf("%s depends on %s: a capability package is imported by cmd and allweb alone (never by the kernel or another capability)", p.ImportPath, imp)
			}
			if imp == allweb && !strings.HasPrefix(p.ImportPath, module+"/cmd/") {
				t.Errorf("%s depends on %s: only cmd wires the capabilities", p.ImportPath, imp)
			}
			if imp == webtest && !strings.HasPrefix(p.ImportPath, module+"/cmd/") {
				t.Errorf("%s depends on %s outside its tests", p.ImportPath, imp)
			}
		}
		if !isDomain(p.ImportPath) {
			continue
		}
		for _, imp := range p.Imports {
			for _, bad := range forbiddenInDomain {
				if imp == bad {
					t.Errorf("domain package %s imports %s", p.ImportPath, bad)
				}
			}
		}
		for _, imp := range p.Deps {
			if strings.HasPrefix(imp, module+"/") && !isDomain(imp) {
				t.Errorf("domain package %s depends on %s, which is not a domain package", p.ImportPath, imp)
			}
			if !strings.HasPrefix(imp, module+"/") && strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") && !allowedThirdParty(p.ImportPath, imp) {
				t.Errorf("domain package %s depends on third-party %s: domain packages use the standard library only", p.ImportPath, imp)
			}
		}
	}
}
