package risk

import (
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// Source is where a threat comes from, the four kinds of threat source
// NIST SP 800-30 names (nature, people acting on purpose or by mistake,
// the environment) plus technical failures.
type Source string

// Threat sources.
const (
	SourceNatural            Source = "natural"
	SourceHumanIntentional   Source = "human_intentional"
	SourceHumanUnintentional Source = "human_unintentional"
	SourceEnvironmental      Source = "environmental"
	SourceTechnical          Source = "technical"
)

// Sources lists the sources in form order.
func Sources() []Source {
	return []Source{SourceHumanIntentional, SourceHumanUnintentional, SourceTechnical, SourceEnvironmental, SourceNatural}
}

// Label is s for people.
func (s Source) Label() string {
	switch s {
	case SourceNatural:
		return "Natural"
	case SourceHumanIntentional:
		return "Human, intentional"
	case SourceHumanUnintentional:
		return "Human, unintentional"
	case SourceEnvironmental:
		return "Environmental"
	case SourceTechnical:
		return "Technical"
	}
	return string(s)
}

// Threat is something that could harm ePHI. Shipped threats have a key of
// their own; an organisation's own have "org:" and their ID.
type Threat struct {
	Key         string `json:"key"`
	Source      Source `json:"source"`
	Title       string `json:"title"`
	Description string `json:"description"`
	// Entries are the catalogue entries whose safeguards address it.
	Entries []string `json:"entries"`
	// Own is true for a threat the organisation added.
	Own bool `json:"own,omitempty"`
}

// Vulnerability is a weakness a threat can exploit.
type Vulnerability struct {
	Key         string   `json:"key"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Entries     []string `json:"entries"`
	Own         bool     `json:"own,omitempty"`
}

// Library is the shipped catalogue of threats and vulnerabilities.
type Library struct {
	Threats         []Threat        `json:"threats"`
	Vulnerabilities []Vulnerability `json:"vulnerabilities"`
}

//go:embed data/threats.json
var data embed.FS

// Shipped loads the shipped library and checks that every catalogue entry
// it names exists in cat's current profile.
func Shipped(cat *catalog.Catalog) (Library, error) {
	b, err := data.ReadFile("data/threats.json")
	if err != nil {
		return Library{}, err
	}
	var l Library
	if err := json.Unmarshal(b, &l); err != nil {
		return Library{}, fmt.Errorf("threat library: %w", err)
	}
	prof, err := cat.Profile(catalog.ProfileCurrent)
	if err != nil {
		return Library{}, err
	}
	seen := map[string]bool{}
	check := func(key, title string, entries []string) error {
		if key == "" || strings.HasPrefix(key, "org:") || seen[key] {
			return fmt.Errorf("threat library: key %q is empty, reserved or repeated", key)
		}
		seen[key] = true
		if title == "" || len(entries) == 0 {
			return fmt.Errorf("threat library: %s needs a title and catalogue entries", key)
		}
		for _, c := range entries {
			if _, err := prof.Entry(c); err != nil {
				return fmt.Errorf("threat library: %s names %s, which is not in the catalogue", key, c)
			}
		}
		return nil
	}
	for _, t := range l.Threats {
		if !slices.Contains(Sources(), t.Source) {
			return Library{}, fmt.Errorf("threat library: %s has source %q", t.Key, t.Source)
		}
		if err := check(t.Key, t.Title, t.Entries); err != nil {
			return Library{}, err
		}
	}
	for _, v := range l.Vulnerabilities {
		if err := check(v.Key, v.Title, v.Entries); err != nil {
			return Library{}, err
		}
	}
	return l, nil
}

// Threat returns the threat with key k.
func (l Library) Threat(k string) (Threat, bool) {
	i := slices.IndexFunc(l.Threats, func(t Threat) bool { return t.Key == k })
	if i < 0 {
		return Threat{}, false
	}
	return l.Threats[i], true
}

// Vulnerability returns the vulnerability with key k.
func (l Library) Vulnerability(k string) (Vulnerability, bool) {
	i := slices.IndexFunc(l.Vulnerabilities, func(v Vulnerability) bool { return v.Key == k })
	if i < 0 {
		return Vulnerability{}, false
	}
	return l.Vulnerabilities[i], true
}

// ValidateThreat reports the problems with an organisation's own threat;
// entries must be citations of prof.
func ValidateThreat(t Threat, prof *catalog.Profile) error {
	p := validate.Error{}
	if strings.TrimSpace(t.Title) == "" {
		p.Add("title", "is required")
	}
	text(p, "title", t.Title, MaxName)
	text(p, "description", t.Description, MaxText)
	if !slices.Contains(Sources(), t.Source) {
		p.Add("source", "must be one of natural, human_intentional, human_unintentional, environmental, technical")
	}
	checkEntries(p, t.Entries, prof)
	return p.Err()
}

// ValidateVulnerability reports the problems with an organisation's own
// vulnerability.
func ValidateVulnerability(v Vulnerability, prof *catalog.Profile) error {
	p := validate.Error{}
	if strings.TrimSpace(v.Title) == "" {
		p.Add("title", "is required")
	}
	text(p, "title", v.Title, MaxName)
	text(p, "description", v.Description, MaxText)
	checkEntries(p, v.Entries, prof)
	return p.Err()
}

func checkEntries(p validate.Error, entries []string, prof *catalog.Profile) {
	if len(entries) > MaxItems {
		p.Add("entries", fmt.Sprintf("may name at most %d catalogue entries", MaxItems))
	}
	for i, c := range entries {
		if _, err := prof.Entry(c); err != nil {
			p.Add(fmt.Sprintf("entries.%d", i), fmt.Sprintf("%q is not a citation of the rule", c))
		}
	}
}
