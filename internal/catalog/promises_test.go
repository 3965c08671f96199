package catalog

import (
	"io/fs"
	"strings"
	"testing"
)

// TestGuidancePromisesOnlyWhatExists reads every text the catalogue ships
// (guidance, questions, the FAQ, the proposed rule's notes) for features of
// Safeguard that do not exist yet. Guidance must say only what Safeguard does
// today; when a capability lands (the risk analysis, the registers, policy
// templates), its phrase leaves this list and the guidance may name it.
func TestGuidancePromisesOnlyWhatExists(t *testing.T) {
	notYet := []string{
		"risk module", "safeguard's risk", "safeguard's asset register", "safeguard's device register", "safeguard's templates",
		"safeguard keeps them versioned", "safeguard's register", "safeguard's policy",
	}
	err := fs.WalkDir(data, "data", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := fs.ReadFile(data, path)
		if err != nil {
			return err
		}
		text := strings.ToLower(string(b))
		for _, p := range notYet {
			if i := strings.Index(text, p); i >= 0 {
				t.Errorf("%s promises %q, which Safeguard does not have yet: …%s…", path, p, text[max(0, i-60):min(len(text), i+60)])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
