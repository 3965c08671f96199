package report

import (
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/risk"
)

// longJustification is a 5,000-character rationale whose end a test looks
// for in every format: nothing may be cut.
var longJustification = func() string {
	var b strings.Builder
	b.WriteString("START-OF-RATIONALE ")
	for i := 0; b.Len() < 5000; i++ {
		b.WriteString("The practice weighed its size, its systems, the cost and the risk analysis. ")
	}
	s := b.String()[:4990]
	return s + " END-OF-RATIONALE"
}()

// sampleModel is a small but complete report model: two categories, a
// decision with a long rationale, assets, flows, risks on the default
// scale, tasks, evidence and a checkpoint.
func sampleModel() *Model {
	ny, _ := time.LoadLocation("America/New_York")
	at := func(d string) time.Time {
		t, err := time.Parse(time.RFC3339, d)
		if err != nil {
			panic(err)
		}
		return t
	}
	sc := risk.ThreeByThree()
	rating := func(l, i int) Rating {
		r := Rating{Likelihood: l, Impact: i, Level: -1}
		if l > 0 && i > 0 {
			r.LikelihoodLabel = sc.Likelihood[l-1].Label
			r.ImpactLabel = sc.Impact[i-1].Label
			r.Level = sc.Matrix[l-1][i-1]
			r.LevelLabel = sc.Levels[r.Level].Label
			r.Colour = sc.Levels[r.Level].Colour
		}
		return r
	}
	m := &Model{
		Generated: at("2026-12-04T15:30:00Z"), Zone: ny, Part: PartFull, ZoneName: "America/New_York",
		PreparedBy: "Maria Lopez", Title: "HIPAA Security Rule risk analysis and compliance report",
		Org: Org{Slug: "riverside", Name: "Riverside Family Practice", LegalName: "Riverside Family Practice, P.C.",
			Kind: "Covered entity — health care provider", Workforce: 14, Patients: 6200,
			Sites: []string{"Main Street clinic", "Oak Avenue clinic"}, Systems: []string{"Cloud EHR", "Billing"},
			Official: "Maria Lopez"},
		CatalogName: "HIPAA Security Rule (in force) 2026.2",
		Assessment: &Assessment{ID: 2, Name: "2026 assessment", Status: "Final", Started: at("2026-09-01T13:00:00Z"),
			Finalised: at("2026-11-20T18:00:00Z"), FinalisedBy: "Maria Lopez",
			Attestation: "I confirm that this assessment reflects the organisation's safeguards as of the date of signing.",
			Reviews:     []Review{{Category: "Administrative safeguards", By: "Sam Okafor", At: at("2026-11-18T15:00:00Z")}}},
		Posture: []Posture{
			{Category: "administrative", Label: "Administrative safeguards", Implemented: 1, Partial: 1},
			{Category: "technical", Label: "Technical safeguards", Implemented: 1, NotImplemented: 1, Unanswered: 1},
		},
		Entries: []Entry{
			{Citation: "164.308(a)(1)(ii)(A)", Title: "Risk analysis", Kind: "specification", Requirement: "required", Category: "administrative",
				Standard: "164.308(a)(1)", Status: "implemented", StatusLabel: "Implemented", Narrative: "We run a yearly risk analysis in Safeguard.", Owner: "Maria Lopez", Evidence: []int64{7}},
			{Citation: "164.308(a)(5)(ii)(B)", Title: "Protection from malicious software", Kind: "specification", Requirement: "addressable", Category: "administrative",
				Standard: "164.308(a)(5)", Status: "partial", StatusLabel: "Partially implemented", Narrative: "Antivirus on the clinic workstations, not yet on the laptops.", Decided: true},
			{Citation: "164.312(a)(2)(iv)", Title: "Encryption and decryption", Kind: "specification", Requirement: "addressable", Category: "technical",
				Standard: "164.312(a)(1)", Status: "not_implemented", StatusLabel: "Not implemented", Narrative: "The old backup drive is not encrypted.", Target: at("2027-02-01T00:00:00Z"), Decided: true},
			{Citation: "164.312(b)", Title: "Audit controls", Kind: "standard", Requirement: "required", Category: "technical",
				Standard: "164.312(b)", Status: "implemented", StatusLabel: "Implemented", Narrative: "The EHR keeps an access log we review monthly."},
			{Citation: "164.312(c)(1)", Title: "Integrity", Kind: "standard", Requirement: "required", Category: "technical", Standard: "164.312(c)(1)", StatusLabel: "Not answered"},
		},
		Decisions: []Decision{
			{Citation: "164.308(a)(5)(ii)(B)", Title: "Protection from malicious software", Outcome: "implement", OutcomeLabel: "Implement as specified",
				Factors: []Factor{{Label: "Size, complexity and capabilities", Text: "Two clinics, fourteen people."}}, DecidedBy: "Maria Lopez", DecidedAt: at("2026-10-02T14:00:00Z")},
			{Citation: "164.312(a)(2)(iv)", Title: "Encryption and decryption", Outcome: "alternative", OutcomeLabel: "Equivalent alternative",
				Alternative: "The backup drive is kept in a locked safe and replaced by an encrypted cloud backup by February.", Rationale: longJustification,
				Factors: []Factor{{Label: "Costs of security measures", Text: "A new encrypted drive costs little; the migration takes a day."},
					{Label: "Probability and criticality of potential risks", Text: "Theft from the safe is unlikely; the drive holds every record."}},
				RiskRef: "2026 risk analysis, risk 3", DecidedBy: "Maria Lopez", DecidedAt: at("2026-10-03T14:00:00Z")},
		},
		Analysis: &Analysis{ID: 2, Name: "2026 risk analysis", Scope: "Both clinics, the cloud EHR, billing and every device holding ePHI.", Status: "Final",
			Started: at("2026-09-02T13:00:00Z"), Finalised: at("2026-11-21T18:00:00Z"), FinalisedBy: "Maria Lopez"},
		Scale: Scale{Name: sc.Name, Likelihood: sc.Likelihood, Impact: sc.Impact, Levels: sc.Levels, Matrix: sc.Matrix},
		Assets: []Asset{
			{ID: 1, Name: "Cloud EHR", Class: "System", Kind: "Electronic health record", Owner: "Maria Lopez", EPHI: []string{"Clinical records", "Demographics"}, Records: 6200,
				Use: "creates, receives, maintains, transmits", AtRest: "Yes", Hosting: "Business associate", Vendor: "ChartCloud", Criticality: "High", Lifecycle: "Active", Reviewed: at("2026-09-10T00:00:00Z")},
			{ID: 2, Name: "Backup drive in the drawer", Class: "Device", Kind: "Removable media", Owner: "Sam Okafor", Place: "Main Street clinic", EPHI: []string{"Clinical records"}, Records: 5400,
				Use: "maintains", AtRest: "No", Hosting: "On site", Criticality: "High", Lifecycle: "Active", Exposed: true},
			{ID: 3, Name: "Main Street clinic", Class: "Place", Kind: "Site", Criticality: "Medium", Lifecycle: "Active", AtRest: "Unknown", Hosting: "On site", Use: ""},
		},
		Flows: []Flow{
			{ID: 1, From: "Cloud EHR", To: "Billing company (business associate)", Channel: "SFTP", InTransit: "Yes", Frequency: "Daily", Volume: "About 80 claims"},
			{ID: 2, From: "Cloud EHR", To: "Backup drive in the drawer", Channel: "Removable media", InTransit: "No", Frequency: "Weekly", Exposed: true},
		},
		MapText: []string{"Cloud EHR sends ePHI to the billing company by SFTP, encrypted.", "Cloud EHR copies ePHI to the backup drive in the drawer, not encrypted."},
		Map:     `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 80" role="img"><title>Data-flow map</title><rect x="5" y="5" width="80" height="30" fill="#fff" stroke="#333"/><text x="10" y="24">Cloud EHR</text></svg>`,
		Risks: []Risk{
			{ID: 3, Title: "Theft of the unencrypted backup drive", Assets: []string{"Backup drive in the drawer"}, Threat: "Theft or loss of a device", ThreatSource: "Human, intentional",
				Vulnerability: "No encryption at rest", Measures: []string{"§164.310(d)(1) Device and media controls"}, MeasuresNote: "The drawer is locked.",
				Inherent: rating(3, 3), Current: rating(2, 3), Target: rating(1, 3), LikelihoodWhy: "The drawer is in a staffed office.", ImpactWhy: "Every patient's record is on it.",
				Owner: "Sam Okafor", Status: "Treated", Strategy: "Mitigate", Identified: at("2026-09-05T00:00:00Z")},
			{ID: 4, Title: "Ransomware on the clinic workstations", Assets: []string{"Main Street clinic"}, Threat: "Ransomware", ThreatSource: "Human, intentional",
				Vulnerability: "Unpatched system", Inherent: rating(3, 3), Current: rating(2, 2), LikelihoodWhy: "Phishing reaches staff weekly.", ImpactWhy: "The EHR is in the cloud; workstations hold little.",
				Owner: "Maria Lopez", Status: "Treated", Strategy: "Accept",
				Acceptance: &Accept{Approver: "Maria Lopez", Reason: "Workstations are re-imaged within a day.", Expires: at("2027-06-30T00:00:00Z"), ApprovedAt: at("2026-10-10T00:00:00Z")}},
			{ID: 5, Title: "Vendor breach at the billing company", Assets: []string{"Cloud EHR"}, Threat: "Breach at a business associate", Vulnerability: "No BAA",
				Inherent: rating(2, 3), Current: rating(0, 0), Status: "Open", Strategy: "Transfer", Party: "Cyber insurance with Acme Mutual"},
		},
		Tasks: []Task{
			{ID: 1, RiskID: 3, Risk: "Theft of the unencrypted backup drive", Title: "Move backups to the encrypted cloud service", Owner: "Sam Okafor",
				Due: at("2027-02-01T00:00:00Z"), Status: "In progress", Entries: []string{"164.312(a)(2)(iv)"}},
			{ID: 2, RiskID: 3, Risk: "Theft of the unencrypted backup drive", Title: "Wipe and destroy the old drive", Owner: "Sam Okafor",
				Due: at("2026-11-01T00:00:00Z"), Status: "To do", Overdue: true, Entries: []string{"164.310(d)(2)(i)"}},
			{ID: 3, RiskID: 4, Risk: "Ransomware on the clinic workstations", Title: "Turn on automatic updates", Owner: "Maria Lopez",
				Due: at("2026-10-01T00:00:00Z"), Status: "Done", DoneAt: at("2026-09-28T00:00:00Z"), Evidence: []int64{7}},
		},
		Evidence: []Evidence{
			{ID: 7, Title: "Risk analysis procedure", Kind: "file", FileName: "risk-procedure.pdf", Version: 2,
				SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Size: 48213,
				Added: at("2026-09-12T00:00:00Z"), AddedBy: "Maria Lopez", Entries: []string{"164.308(a)(1)(ii)(A)"}, AuditSeq: 41},
			{ID: 8, Title: "EHR vendor SOC 2 report", Kind: "link", URL: "https://example.com/soc2", Added: at("2026-09-13T00:00:00Z"), Entries: []string{"164.308(b)(1)"}},
		},
		OpenItems: []OpenItem{
			{Kind: "gap", Ref: "164.312(a)(2)(iv)", Text: "Encryption and decryption is not implemented."},
			{Kind: "unanswered", Ref: "164.312(c)(1)", Text: "Integrity is not answered."},
			{Kind: "overdue_task", Ref: "Task 2", Text: "Wipe and destroy the old drive was due 1 Nov 2026."},
		},
		Audit: &Checkpoint{TreeSize: 1234, Root: "4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce", KeyID: "sg-2026-01",
			Signature: "c2lnbmF0dXJlLWJ5dGVzLWhlcmU=", At: at("2026-12-04T15:29:00Z"),
			Text: "safeguard audit checkpoint v1\n1234\n4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce\n2026-12-04T15:29:00Z\nsg-2026-01\n"},
	}
	m.Inherent = HeatMap{Counts: [][]int{{0, 0, 0}, {0, 0, 1}, {0, 0, 2}}}
	m.Current = HeatMap{Counts: [][]int{{0, 0, 0}, {0, 1, 1}, {0, 0, 0}}, Unrated: 1}
	for _, lv := range sc.Levels {
		m.ByLevel = append(m.ByLevel, LevelCount{Label: lv.Label, Colour: lv.Colour})
	}
	for _, r := range m.Risks {
		if r.Current.Level >= 0 {
			m.ByLevel[r.Current.Level].Count++
		}
	}
	m.Top = []int64{3, 4}
	return m
}
