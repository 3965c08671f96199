package demo

import (
	"context"
	"fmt"
	"slices"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/store"
)

// securityPolicy is the demo's information security policy, written for
// the demo.
const securityPolicy = `Riverside Family Practice — Information security policy
Version 3, approved by Maria Alvarez (owner) and Sam Okafor (security official)

1. Purpose
We keep our patients' health information confidential, accurate and
available to the people who care for them. This policy says how.

2. Responsibility
Sam Okafor is the security official. He keeps this policy, the risk analysis
and the records that show we follow them, and he reviews them every year and
whenever we add a system, a location or have an incident.

3. Access
Everyone has their own account. Access follows the job: front desk, clinical
and billing roles see what their work needs. Leavers lose access on their
last day; the practice manager works through the leaver checklist.

4. Devices
Every laptop and phone that can reach patient information is on the device
inventory, has its disk encrypted, locks after five minutes and can be wiped
remotely. Lost or stolen devices are reported to Sam the same day.

5. Incidents
Anyone who suspects a problem — a misdirected fax, a lost phone, a strange
email — tells Sam at once. We record what happened, what we did and what we
changed.

6. Sanctions
Breaking this policy leads to retraining and, if it is serious or repeated,
to disciplinary action up to dismissal. Sanctions are recorded.

7. Review
This policy is reviewed every January and after any significant change.
`

// deviceInventory is the demo's device inventory.
const deviceInventory = `asset_tag,device,assigned_to,location,encrypted,remote_wipe,last_checked
RFP-001,Laptop (Windows 11),Dr. Ana Reyes,Main clinic,yes,yes,2026-01-12
RFP-002,Laptop (Windows 11),Sam Okafor,Main clinic,yes,yes,2026-01-12
RFP-003,Laptop (macOS),Priya Shah,Main clinic,yes,yes,2026-01-12
RFP-004,Front desk PC,Front desk,Main clinic,yes,no,2026-01-12
RFP-005,Front desk PC,Front desk,Eastside clinic,yes,no,2026-01-13
RFP-006,Phone (iOS),Dr. Ana Reyes,Main clinic,yes,yes,2026-01-12
RFP-007,Phone (Android),Maria Alvarez,Main clinic,yes,yes,2026-01-12
RFP-008,Backup drive,Server cupboard,Main clinic,yes,n/a,2026-01-12
`

// loadEvidence adds Riverside's evidence and links it to this year's
// assessment.
func loadEvidence(ctx context.Context, db *store.DB, keys *crypt.Keyring, orgID int64) error {
	type item struct {
		ev        assess.Evidence
		file      *store.EvidenceFile
		citations []string
	}
	items := []item{
		{assess.Evidence{Title: "Information security policy", Kind: assess.EvidenceFile,
			Description: "The practice's security policy, version 3, approved in January."},
			&store.EvidenceFile{Filename: "information-security-policy.txt", Data: []byte(securityPolicy)},
			[]string{"164.308(a)(2)", "164.308(a)(1)(ii)(C)", "164.308(a)(6)(ii)"}},
		{assess.Evidence{Title: "Device inventory", Kind: assess.EvidenceFile,
			Description: "Every laptop, phone, PC and backup drive that can reach patient information, checked in January."},
			&store.EvidenceFile{Filename: "device-inventory.csv", Data: []byte(deviceInventory)},
			[]string{"164.310(d)(2)(iii)", "164.310(c)"}},
		{assess.Evidence{Title: "EHR vendor security overview", Kind: assess.EvidenceLink, URL: "https://ehr-vendor.example.com/security",
			Description: "The EHR vendor's description of its encryption, automatic logoff and sign-in controls."},
			nil, []string{"164.312(a)(2)(iii)", "164.312(d)"}},
	}
	links := map[string][]int64{}
	for _, it := range items {
		e, err := db.CreateEvidence(ctx, Actor, keys, orgID, it.ev, it.file)
		if err != nil {
			return fmt.Errorf("demo evidence %q: %w", it.ev.Title, err)
		}
		for _, c := range it.citations {
			links[c] = append(links[c], e.ID)
		}
	}
	// Link them to the responses of the assessment in progress.
	list, err := db.Assessments(ctx, orgID)
	if err != nil {
		return fmt.Errorf("demo evidence: %w", err)
	}
	for _, a := range list {
		if !a.Editable() {
			continue
		}
		sheet, err := db.AssessmentSheet(ctx, orgID, a.ID)
		if err != nil {
			return fmt.Errorf("demo evidence: %w", err)
		}
		citations := make([]string, 0, len(links))
		for c := range links {
			citations = append(citations, c)
		}
		slices.Sort(citations)
		for _, c := range citations {
			r, ok := sheet.Response(c)
			if !ok {
				continue
			}
			r.EvidenceIDs = append(r.EvidenceIDs, links[c]...)
			if _, err := db.SaveResponse(ctx, Actor, orgID, a.ID, r); err != nil {
				return fmt.Errorf("demo evidence link %s: %w", c, err)
			}
		}
	}
	return nil
}
