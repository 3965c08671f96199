package risk

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/validate"
)

var now = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func fields(err error) validate.Error {
	var v validate.Error
	if errors.As(err, &v) {
		return v
	}
	return nil
}

func TestScales(t *testing.T) {
	for _, s := range []Scale{ThreeByThree(), FiveByFive()} {
		if err := s.Validate(); err != nil {
			t.Errorf("%s: Validate = %v", s.Name, err)
		}
	}
	s := ThreeByThree()
	tests := []struct {
		r    Rating
		want string
		ok   bool
	}{
		{Rating{1, 1}, "Low", true}, {Rating{3, 3}, "Critical", true}, {Rating{2, 3}, "High", true}, {Rating{3, 1}, "Medium", true},
		{Rating{0, 1}, "", false}, {Rating{4, 1}, "", false}, {Rating{1, 4}, "", false},
	}
	for _, tt := range tests {
		lv, ok := s.Level(tt.r)
		if ok != tt.ok || (ok && s.Levels[lv].Label != tt.want) {
			t.Errorf("Level(%v) = %d, %v; want %s, %v", tt.r, lv, ok, tt.want, tt.ok)
		}
	}
	if got := s.Describe(Rating{3, 2}); got != "Likelihood High, impact Medium: High" {
		t.Errorf("Describe = %q", got)
	}

	bad := ThreeByThree()
	bad.Name = ""
	bad.Likelihood = append(bad.Likelihood, Grade{Label: "low"}) // a fourth grade, repeating the first, and no matrix row for it
	bad.Levels[1].Colour = "orange"
	got := fields(bad.Validate())
	for _, f := range []string{"name", "likelihood.4.label", "levels.2.colour", "matrix"} {
		if got[f] == "" {
			t.Errorf("Validate(bad) = %v, want a problem with %s", got, f)
		}
	}
	bad = ThreeByThree()
	bad.Matrix[1][2] = 0
	bad.Matrix[2][1] = 9
	if got := fields(bad.Validate()); got["matrix.2.3"] == "" || got["matrix.3.2"] == "" {
		t.Errorf("Validate(non-monotone, out of range) = %v", got)
	}
}

func TestRescale(t *testing.T) {
	three, five := ThreeByThree(), FiveByFive()
	tests := []struct{ in, want Rating }{
		{Rating{1, 1}, Rating{1, 1}}, {Rating{2, 2}, Rating{3, 3}}, {Rating{3, 3}, Rating{5, 5}}, {Rating{3, 1}, Rating{5, 1}},
	}
	for _, tt := range tests {
		if got := Rescale(tt.in, three, five); got != tt.want {
			t.Errorf("Rescale(%v, 3→5) = %v, want %v", tt.in, got, tt.want)
		}
		if back := Rescale(tt.want, five, three); back != tt.in {
			t.Errorf("Rescale(%v, 5→3) = %v, want %v", tt.want, back, tt.in)
		}
	}
	if got := Rescale(Rating{4, 2}, five, three); got != (Rating{3, 1}) && got != (Rating{2, 2}) && got != (Rating{3, 2}) {
		t.Errorf("Rescale(4,2 5→3) = %v", got)
	}
}

func TestAssetAndFlowValidation(t *testing.T) {
	a := Asset{Name: "  Front desk laptop ", Kind: "laptop", Records: 200, Use: Use{Maintains: true}, EPHI: []string{"schedule", " schedule", ""}}
	a.Normalize()
	if err := a.Validate(); err != nil || a.Name != "Front desk laptop" || len(a.EPHI) != 1 || a.AtRest != EncryptionUnknown {
		t.Fatalf("asset = %+v, %v", a, err)
	}
	if !a.Portable() || !a.HoldsEPHI() || a.Kind.Class() != ClassDevice {
		t.Errorf("laptop: portable %v, holds %v, class %v", a.Portable(), a.HoldsEPHI(), a.Kind.Class())
	}
	bad := Asset{Kind: "spaceship", Records: -1, AtRest: "maybe", Hosting: "moon", Criticality: "extreme", Lifecycle: "zombie"}
	got := fields(bad.Validate())
	for _, f := range []string{"name", "kind", "records", "encrypted_at_rest", "hosting", "criticality", "lifecycle"} {
		if got[f] == "" {
			t.Errorf("Asset.Validate(bad) = %v, want a problem with %s", got, f)
		}
	}

	f := Flow{From: Endpoint{AssetID: 1}, To: Endpoint{Party: " Valley Labs "}, Channel: "hl7"}
	f.Normalize()
	if err := f.Validate(); err != nil || f.To.Party != "Valley Labs" || f.InTransit != EncryptionUnknown {
		t.Fatalf("flow = %+v, %v", f, err)
	}
	for _, tt := range []struct {
		name  string
		f     Flow
		field string
	}{
		{"no start", Flow{To: Endpoint{AssetID: 1}, Channel: "email"}, "from"},
		{"both asset and party", Flow{From: Endpoint{AssetID: 1, Party: "x"}, To: Endpoint{AssetID: 2}, Channel: "email"}, "from"},
		{"to itself", Flow{From: Endpoint{AssetID: 1}, To: Endpoint{AssetID: 1}, Channel: "email"}, "to"},
		{"outside to outside", Flow{From: Endpoint{Party: "a"}, To: Endpoint{Party: "b"}, Channel: "email"}, "to"},
		{"unknown channel", Flow{From: Endpoint{AssetID: 1}, To: Endpoint{AssetID: 2}, Channel: "pigeon"}, "channel"},
	} {
		tt.f.Normalize()
		if fields(tt.f.Validate())[tt.field] == "" {
			t.Errorf("%s: Validate = %v, want a problem with %s", tt.name, tt.f.Validate(), tt.field)
		}
	}
}

func TestRiskValidation(t *testing.T) {
	s := ThreeByThree()
	ok := Risk{Title: "Theft of the backup drive", AssetIDs: []int64{3, 3}, Threat: "device_theft", Vulnerability: "no_encryption_at_rest",
		Inherent: Rating{2, 3}, Current: Rating{1, 3}, LikelihoodWhy: "Locked drawer.", ImpactWhy: "6,000 patients."}
	ok.Normalize()
	if err := ok.Validate(s, now); err != nil || len(ok.AssetIDs) != 1 || ok.Status != StatusOpen {
		t.Fatalf("Validate(ok) = %v, %+v", err, ok)
	}
	accept := ok
	accept.Status = StatusTreated
	accept.Treatment = Treatment{Strategy: StrategyAccept, Acceptance: &Acceptance{ApproverID: 1, Reason: "Replacement next quarter.", Expires: now.AddDate(0, 6, 0)}}
	if err := accept.Validate(s, now); err != nil {
		t.Errorf("Validate(accepted) = %v", err)
	}
	if accept.Expired(now) || !accept.Expired(now.AddDate(1, 0, 0)) {
		t.Error("Expired is wrong")
	}
	tests := []struct {
		name  string
		edit  func(*Risk)
		field string
	}{
		{"likelihood off the scale", func(r *Risk) { r.Current.Likelihood = 4 }, "current.likelihood"},
		{"impact off the scale", func(r *Risk) { r.Inherent.Impact = 0 }, "inherent.impact"},
		{"no assets", func(r *Risk) { r.AssetIDs = nil }, "asset_ids"},
		{"no rationale", func(r *Risk) { r.LikelihoodWhy = "" }, "likelihood_rationale"},
		{"current above inherent", func(r *Risk) { r.Current = Rating{3, 3} }, "current"},
		{"treated without strategy", func(r *Risk) { r.Status = StatusTreated }, "treatment.strategy"},
		{"transfer without party", func(r *Risk) { r.Treatment.Strategy = StrategyTransfer }, "treatment.party"},
		{"accept without acceptance", func(r *Risk) { r.Treatment.Strategy = StrategyAccept }, "treatment.acceptance"},
		{"acceptance in the past", func(r *Risk) {
			r.Treatment = Treatment{Strategy: StrategyAccept, Acceptance: &Acceptance{ApproverID: 1, Reason: "x", Expires: now.AddDate(0, 0, -1)}}
		}, "treatment.acceptance.expires"},
		{"acceptance for ever", func(r *Risk) {
			r.Treatment = Treatment{Strategy: StrategyAccept, Acceptance: &Acceptance{ApproverID: 1, Reason: "x", Expires: now.AddDate(10, 0, 0)}}
		}, "treatment.acceptance.expires"},
		{"acceptance without approver", func(r *Risk) {
			r.Treatment = Treatment{Strategy: StrategyAccept, Acceptance: &Acceptance{Reason: "x", Expires: now.AddDate(1, 0, 0)}}
		}, "treatment.acceptance.approver_id"},
	}
	for _, tt := range tests {
		r := ok
		tt.edit(&r)
		if got := fields(r.Validate(s, now)); got[tt.field] == "" {
			t.Errorf("%s: Validate = %v, want a problem with %s", tt.name, got, tt.field)
		}
	}

	task := Task{Title: " Buy an encrypted drive ", RiskID: 1, OwnerID: 2, Due: now.AddDate(0, -1, 0)}
	task.Normalize()
	if err := task.Validate(); err != nil || !task.Overdue(now) || task.Status != TaskTodo {
		t.Errorf("task = %+v, %v, overdue %v", task, err, task.Overdue(now))
	}
	task.Status = TaskDone
	if task.Overdue(now) {
		t.Error("a done task is overdue")
	}
	if got := fields((Task{}).Validate()); got["title"] == "" || got["owner_id"] == "" || got["due"] == "" || got["risk_id"] == "" {
		t.Errorf("Task{}.Validate = %v", got)
	}
}

func TestShippedLibrary(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	lib, err := Shipped(cat)
	if err != nil {
		t.Fatal(err)
	}
	if len(lib.Threats) < 20 || len(lib.Vulnerabilities) < 20 {
		t.Errorf("library: %d threats, %d vulnerabilities", len(lib.Threats), len(lib.Vulnerabilities))
	}
	for _, src := range Sources() {
		if !slices.ContainsFunc(lib.Threats, func(th Threat) bool { return th.Source == src }) {
			t.Errorf("no threat from source %s", src)
		}
	}
	for _, k := range []string{"ransomware", "phishing", "device_theft", "insider_snooping", "improper_disposal", "misdirected_message", "power_failure", "flood", "fire", "vendor_breach", "unpatched_system"} {
		if _, ok := lib.Threat(k); !ok {
			t.Errorf("no threat %s", k)
		}
	}
	for _, k := range []string{"no_encryption_at_rest", "shared_accounts", "no_mfa", "unsupported_os", "untested_backups", "no_baa"} {
		if _, ok := lib.Vulnerability(k); !ok {
			t.Errorf("no vulnerability %s", k)
		}
	}
	prof, _ := cat.Profile(catalog.ProfileCurrent)
	if err := ValidateThreat(Threat{Title: "Drone", Source: "aerial", Entries: []string{"164.999"}}, prof); fields(err)["source"] == "" || fields(err)["entries.0"] == "" {
		t.Errorf("ValidateThreat(bad) = %v", err)
	}
}

func TestSuggest(t *testing.T) {
	cat, _ := catalog.Default()
	lib, err := Shipped(cat)
	if err != nil {
		t.Fatal(err)
	}
	assets := []Asset{
		{ID: 1, Name: "Backup drive", Kind: "removable_media", Use: Use{Maintains: true}, AtRest: EncryptionNo, Lifecycle: LifecycleActive},
		{ID: 2, Name: "Dr A's laptop", Kind: "laptop", Use: Use{Maintains: true}, AtRest: EncryptionYes, Lifecycle: LifecycleActive},
		{ID: 3, Name: "Old laptop", Kind: "laptop", Use: Use{Maintains: true}, AtRest: EncryptionNo, Lifecycle: LifecycleRetired},
		{ID: 4, Name: "EHR", Kind: "ehr", Use: Use{Maintains: true}, AtRest: EncryptionUnknown, Lifecycle: LifecycleActive},
	}
	flows := []Flow{
		{ID: 7, From: Endpoint{Party: "Referring practices"}, To: Endpoint{AssetID: 4}, Channel: "fax", InTransit: EncryptionPartial},
		{ID: 8, From: Endpoint{AssetID: 4}, To: Endpoint{Party: "Valley Labs"}, Channel: "hl7", InTransit: EncryptionYes},
	}
	a, err := assess.New(cat, catalog.ProfileCurrent, "2026", now, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	sheet := &assess.Sheet{Assessment: a, Responses: []assess.Response{
		{Citation: "164.312(b)", Status: assess.NotImplemented},
		{Citation: "164.312(a)(2)(iii)", Status: assess.NotImplemented},
		{Citation: "164.312(d)", Status: assess.Implemented},
	}, Decisions: []assess.Decision{{Citation: "164.312(a)(2)(iii)", Outcome: catalog.OutcomeNotImplemented}}}
	got := Suggest(lib, assets, flows, sheet, []string{"asset:1:device_loss"})
	var keys []string
	for _, s := range got {
		keys = append(keys, s.Key)
		if s.Title == "" || s.Reason == "" {
			t.Errorf("suggestion %s has no title or reason", s.Key)
		}
	}
	want := []string{"asset:1:device_theft", "flow:7", "gap:164.312(a)(2)(iii)", "gap:164.312(b)"}
	slices.Sort(keys)
	if !slices.Equal(keys, want) {
		t.Errorf("Suggest keys = %v, want %v", keys, want)
	}
	for _, s := range got {
		if s.Key == "gap:164.312(b)" && (s.Vulnerability == "" || !strings.Contains(s.Reason, "not implemented")) {
			t.Errorf("gap suggestion = %+v", s)
		}
	}
}
