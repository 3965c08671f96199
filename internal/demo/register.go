package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
)

// Riverside's risk register and plan: a dozen risks to the assets of the
// inventory, each rated on the default 3 × 3 scale with its reasons, the
// measures in place linked to the entries the assessment answers, and a
// plan partly done — some tasks finished, one overdue, the rest due in the
// coming months. The unencrypted 2016 backup drive is accepted by Dr
// Alvarez until its replacement arrives, an acceptance that runs out
// within the month.

// demoTask is a task of the plan; due is in days from the load.
type demoTask struct {
	title, owner string
	due          int
	status       risk.TaskStatus
	entries      []string
}

type demoRisk struct {
	title         string
	assets        []string
	threat, vuln  string
	measures      []string
	note          string
	inherent      risk.Rating
	current       risk.Rating
	target        risk.Rating
	likelihoodWhy string
	impactWhy     string
	owner         string
	status        risk.Status
	treatment     risk.Treatment
	// accept: accepted by Dr Alvarez for this many days.
	accept int
	// suggestion: "backup-theft" or "fax-flow", the suggestion it answers.
	suggestion string
	tasks      []demoTask
}

func rt(l, i int) risk.Rating { return risk.Rating{Likelihood: l, Impact: i} }

// The members who own risks and tasks, by email.
const (
	ownerMaria = "maria.alvarez@riverside.example"
	ownerSam   = "sam.okafor@riverside.example"
	ownerPriya = "priya.shah@riverside.example"
)

// upsKey stands for the practice's own vulnerability "no battery backup",
// added before the risks.
const upsKey = "own:ups"

var riversideRisks = []demoRisk{
	{title: "Theft of the unencrypted 2016 backup drive", assets: []string{"External backup drive (2016)"}, threat: "device_theft", vuln: "no_encryption_at_rest",
		measures: []string{"164.310(a)(1)", "164.310(d)(1)", "164.310(d)(2)(iii)"}, note: "Locked drawer in the manager's office; sign-out log kept by Sam.",
		inherent: rt(2, 3), current: rt(1, 3), target: rt(1, 1),
		likelihoodWhy: "The drive stays in a locked drawer and is signed out only for the nightly copy; a break-in would have to find it.",
		impactWhy:     "It holds an unencrypted copy of the shared drive: scanned forms and letters of about 800 patients, a reportable breach.",
		owner:         ownerSam, status: risk.StatusTreated, treatment: risk.Treatment{Strategy: risk.StrategyAccept}, accept: 20, suggestion: "backup-theft",
		tasks: []demoTask{{title: "Replace the backup drive with an encrypted one and wipe the old drive", owner: ownerSam, due: 45, status: risk.TaskDoing, entries: []string{"164.312(a)(2)(iv)", "164.310(d)(2)(i)"}}}},
	{title: "Ransomware locks the shared drive and the front desk PCs", assets: []string{"Shared drive (file server)", "Front desk PC (Main Street)", "Front desk PC (Oak Avenue)"},
		threat: "ransomware", vuln: "untested_backups", measures: []string{"164.308(a)(5)(ii)(B)", "164.308(a)(7)(ii)(A)", "164.308(a)(7)(ii)(B)"},
		note:     "Managed antivirus from BrightPath IT; nightly copy to the backup drive.",
		inherent: rt(3, 3), current: rt(2, 3), target: rt(1, 2),
		likelihoodWhy: "Ransomware reaches small practices through email every year; antivirus and training make it less likely, not unlikely.",
		impactWhy:     "Scheduling and scanned records would be out for days; the only backup sits on the same network.",
		owner:         ownerSam, status: risk.StatusTreated, treatment: risk.Treatment{Strategy: risk.StrategyMitigate},
		tasks: []demoTask{
			{title: "Test a full restore of the shared drive", owner: ownerSam, due: -30, status: risk.TaskDone, entries: []string{"164.308(a)(7)(ii)(D)"}},
			{title: "Keep a weekly copy off site, disconnected from the network", owner: ownerSam, due: -10, status: risk.TaskTodo, entries: []string{"164.308(a)(7)(ii)(A)"}},
			{title: "Run a ransomware tabletop exercise with both clinics", owner: ownerMaria, due: 75, status: risk.TaskTodo, entries: []string{"164.308(a)(7)(ii)(D)", "164.308(a)(6)(ii)"}},
		}},
	{title: "Ransomware at ClearChart makes the EHR unavailable", assets: []string{"Cloud EHR (ClearChart)"}, threat: "ransomware", vuln: "no_contingency_plan",
		measures: []string{"164.308(a)(7)(ii)(C)", "164.308(b)(1)"}, note: "Paper downtime forms and a call list; ClearChart's BAA requires it to report incidents.",
		inherent: rt(2, 3), current: rt(2, 2), target: rt(2, 1),
		likelihoodWhy: "Cloud EHR vendors have been hit; ClearChart's security is good but outside our control.",
		impactWhy:     "Paper downtime procedures keep the clinics open, slowly, for a few days.",
		owner:         ownerMaria, status: risk.StatusTreated, treatment: risk.Treatment{Strategy: risk.StrategyMitigate},
		tasks: []demoTask{{title: "Print the next day's schedule each evening during an outage", owner: ownerPriya, due: -20, status: risk.TaskDone, entries: []string{"164.308(a)(7)(ii)(C)"}}}},
	{title: "Phishing email captures a Microsoft 365 password", assets: []string{"Email (Microsoft 365)"}, threat: "phishing", vuln: "no_training",
		measures: []string{"164.308(a)(5)(ii)(A)", "164.312(d)"}, note: "Monthly security tips; a second factor on email.",
		inherent: rt(3, 2), current: rt(2, 2), target: rt(1, 2),
		likelihoodWhy: "Several phishing emails reach staff every month; new staff wait until spring for training.",
		impactWhy:     "A mailbox holds referrals and scheduling for some hundreds of patients; the second factor limits what a password alone gives.",
		owner:         ownerSam, status: risk.StatusTreated, treatment: risk.Treatment{Strategy: risk.StrategyMitigate},
		tasks: []demoTask{
			{title: "Quarterly phishing simulation", owner: ownerSam, due: -14, status: risk.TaskDone, entries: []string{"164.308(a)(5)(ii)(A)"}},
			{title: "Security training in each new starter's first week", owner: ownerSam, due: 30, status: risk.TaskTodo, entries: []string{"164.308(a)(5)(i)"}},
		}},
	{title: "Referral faxes intercepted on the telephone network", assets: []string{"Fax-to-email service"}, threat: "interception", vuln: "no_encryption_in_transit",
		measures: []string{"164.312(e)(1)"}, note: "The service delivers faxes by TLS email; the telephone leg is not encrypted.",
		inherent: rt(1, 2), current: rt(1, 2), target: rt(1, 1),
		likelihoodWhy: "Tapping a fax line takes effort few attackers spend on a family practice.",
		impactWhy:     "A referral carries one patient's history; 30 to 40 arrive a day.",
		owner:         ownerPriya, status: risk.StatusTreated, treatment: risk.Treatment{Strategy: risk.StrategyMitigate}, suggestion: "fax-flow",
		tasks: []demoTask{{title: "Ask the three largest referrers to send through the EHR's secure messaging", owner: ownerPriya, due: 40, status: risk.TaskDoing, entries: []string{"164.312(e)(1)"}}}},
	{title: "Referral or records fax sent to the wrong number", assets: []string{"Fax-to-email service"}, threat: "misdirected_message", vuln: "no_training",
		measures: []string{"164.308(a)(5)(ii)(A)"}, note: "One misdirected fax handled as an incident this year.",
		inherent: rt(3, 2), current: rt(2, 2), target: rt(1, 2),
		likelihoodWhy: "It happened once this year; numbers are typed by hand.",
		impactWhy:     "Usually one patient's records, recoverable by asking the recipient to destroy them.",
		owner:         ownerPriya, status: risk.StatusTreated, treatment: risk.Treatment{Strategy: risk.StrategyMitigate},
		tasks: []demoTask{{title: "Saved fax numbers for regular recipients and a second check before sending", owner: ownerPriya, due: -40, status: risk.TaskDone}}},
	{title: "Lost practice phone with portal messages", assets: []string{"Practice phones (6)"}, threat: "device_loss", vuln: "weak_passwords",
		measures: []string{"164.310(d)(2)(iii)", "164.312(a)(2)(iv)"}, note: "Phones encrypted; four-digit PINs.",
		inherent: rt(3, 2), current: rt(2, 1), target: rt(2, 1),
		likelihoodWhy: "A phone was lost this year; they travel with staff between clinics.",
		impactWhy:     "Encrypted; a PIN guard stands between a finder and the portal messages.",
		owner:         ownerSam, status: risk.StatusTreated, treatment: risk.Treatment{Strategy: risk.StrategyMitigate},
		tasks: []demoTask{{title: "Enrol the phones in remote wipe with six-digit PINs", owner: ownerSam, due: -60, status: risk.TaskDone, entries: []string{"164.310(d)(1)"}}}},
	{title: "A staff member looks up a neighbour's record", assets: []string{"Cloud EHR (ClearChart)"}, threat: "insider_snooping", vuln: "no_access_review",
		measures: []string{"164.308(a)(1)(ii)(C)", "164.308(a)(4)(ii)(B)", "164.312(b)"}, note: "Role-based profiles; the EHR logs every access; sanctions in the handbook.",
		inherent: rt(2, 3), current: rt(2, 2), target: rt(1, 2),
		likelihoodWhy: "Staff live in the town they serve; access reports are read only when something is reported.",
		impactWhy:     "One patient's privacy, and the practice's standing in a small town.",
		owner:         ownerSam, status: risk.StatusOpen,
		tasks: []demoTask{{title: "Review the EHR access report every month", owner: ownerSam, due: 20, status: risk.TaskTodo, entries: []string{"164.308(a)(1)(ii)(D)"}}}},
	{title: "Breach at Harbor Medical Billing exposes claims data", assets: []string{"Practice management and billing (Harbor)"}, threat: "vendor_breach", vuln: "excess_access",
		measures: []string{"164.308(b)(1)", "164.314(a)(1)"}, note: "BAA with breach notification within 10 days.",
		inherent: rt(2, 3), current: rt(2, 2),
		likelihoodWhy: "Billing companies are frequent targets; Harbor holds every patient's insurance details.",
		impactWhy:     "Demographics and insurance of about 6,000 patients; Harbor notifies and pays under the BAA and the cyber policy.",
		owner:         ownerMaria, status: risk.StatusTreated,
		treatment: risk.Treatment{Strategy: risk.StrategyTransfer, Party: "Harbor Medical Billing (BAA) and the practice's cyber insurance with Beacon Mutual"}},
	{title: "Power failure at Main Street takes the server closet down", assets: []string{"Main Street clinic", "Server closet", "Shared drive (file server)"}, threat: "power_failure", vuln: upsKey,
		measures: []string{"164.308(a)(7)(ii)(C)"}, note: "Paper downtime forms; the EHR is reachable from Oak Avenue.",
		inherent: rt(2, 2), current: rt(2, 2), target: rt(2, 1),
		likelihoodWhy: "Storms cut power on Main Street once or twice a year.",
		impactWhy:     "The shared drive and the phones stop; an unclean shutdown could corrupt the file server.",
		owner:         ownerSam, status: risk.StatusTreated, treatment: risk.Treatment{Strategy: risk.StrategyMitigate},
		tasks: []demoTask{{title: "Install a battery backup (UPS) in the server closet", owner: ownerSam, due: 90, status: risk.TaskTodo, entries: []string{"164.308(a)(7)(ii)(C)"}}}},
	{title: "Unpatched ECG machine exploited over the clinic network", assets: []string{"ECG machine"}, threat: "unpatched_system", vuln: "unsupported_os",
		measures: []string{"164.308(a)(5)(ii)(B)", "164.310(d)(1)"}, note: "On the device inventory; the vendor patches on request.",
		inherent: rt(2, 3), current: rt(2, 2), target: rt(1, 2),
		likelihoodWhy: "It runs an old Windows the vendor no longer updates, on the same network as the front desk.",
		impactWhy:     "About 300 ECG tracings, and a way into the rest of the network.",
		owner:         ownerSam, status: risk.StatusTreated, treatment: risk.Treatment{Strategy: risk.StrategyMitigate},
		tasks: []demoTask{
			{title: "Ask the vendor for its patch schedule and whether tracings are encrypted", owner: ownerSam, due: 14, status: risk.TaskDoing},
			{title: "Move the ECG machine to a network segment of its own", owner: ownerSam, due: 60, status: risk.TaskTodo, entries: []string{"164.312(e)(1)"}},
		}},
	{title: "Former staff keep access to email or the EHR", assets: []string{"Email (Microsoft 365)", "Cloud EHR (ClearChart)"}, threat: "former_staff_access", vuln: "no_access_review",
		measures: []string{"164.308(a)(3)(ii)(C)", "164.308(a)(4)(ii)(C)"}, note: "Leaver checklist on the last day.",
		inherent: rt(2, 3), current: rt(1, 2),
		likelihoodWhy: "The leaver checklist closes accounts on the last day; the quarterly review catches what it misses.",
		impactWhy:     "A former employee could read records for weeks unnoticed.",
		owner:         ownerSam, status: risk.StatusTreated, treatment: risk.Treatment{Strategy: risk.StrategyMitigate},
		tasks: []demoTask{{title: "Compare EHR and email accounts with the staff list every quarter", owner: ownerSam, due: -5, status: risk.TaskDone, entries: []string{"164.308(a)(4)(ii)(C)"}}}},
	{title: "Dr Alvarez's laptop stolen from her car", assets: []string{"Dr Alvarez's laptop"}, threat: "device_theft", vuln: "no_encryption_at_rest",
		measures: []string{"164.312(a)(2)(iv)", "164.310(d)(2)(iii)"}, note: "BitLocker since last year.",
		inherent: rt(2, 3), current: rt(1, 1),
		likelihoodWhy: "It goes home most evenings; encrypted, theft is still possible but exposes nothing.",
		impactWhy:     "Encrypted with BitLocker: a stolen laptop is a hardware loss, not a breach.",
		owner:         ownerMaria, status: risk.StatusClosed, treatment: risk.Treatment{Strategy: risk.StrategyMitigate, Note: "Closed once BitLocker was confirmed on the laptop."}},
}

// loadRegister records Riverside's risks and plan.
func loadRegister(ctx context.Context, db *store.DB, orgID int64) error {
	people := map[string]int64{}
	for _, email := range []string{ownerMaria, ownerSam, ownerPriya} {
		u, err := db.UserByEmail(ctx, email)
		if err != nil {
			return fmt.Errorf("demo register: %w", err)
		}
		people[email] = u.ID
	}
	choices, err := db.RiskChoices(ctx, orgID)
	if err != nil {
		return fmt.Errorf("demo register: %w", err)
	}
	assets := map[string]int64{}
	for _, c := range choices.Assets {
		assets[c.Label] = c.ID
	}
	ups, err := db.CreateVulnerability(ctx, Actor, orgID, risk.Vulnerability{Title: "No battery backup (UPS) for the server closet",
		Description: "A power cut stops the file server at once, without a clean shutdown.", Entries: []string{"164.308(a)(7)(ii)(C)"}})
	if err != nil {
		return fmt.Errorf("demo register: %w", err)
	}
	suggestions := map[string]string{"backup-theft": fmt.Sprintf("asset:%d:device_theft", assets["External backup drive (2016)"])}
	fax, _, err := db.Flows(ctx, orgID, store.FlowFilter{Channel: "fax"}, store.Page{Limit: 10})
	if err != nil {
		return fmt.Errorf("demo register: %w", err)
	}
	for _, f := range fax {
		if f.From.Party == "Referring practices" {
			suggestions["fax-flow"] = fmt.Sprintf("flow:%d", f.ID)
		}
	}
	now := db.Now().UTC()
	day := func(n int) time.Time { return now.AddDate(0, 0, n) }
	for _, d := range riversideRisks {
		rk := risk.Risk{Title: d.title, Threat: d.threat, Vulnerability: d.vuln, Measures: d.measures, MeasuresNote: d.note,
			Inherent: d.inherent, Current: d.current, Target: d.target, LikelihoodWhy: d.likelihoodWhy, ImpactWhy: d.impactWhy,
			OwnerID: people[d.owner], Status: d.status, Treatment: d.treatment, Suggestion: suggestions[d.suggestion]}
		if rk.Vulnerability == upsKey {
			rk.Vulnerability = ups.Key
		}
		for _, name := range d.assets {
			id, ok := assets[name]
			if !ok {
				return fmt.Errorf("demo risk %q: no asset %q in the inventory", d.title, name)
			}
			rk.AssetIDs = append(rk.AssetIDs, id)
		}
		if d.accept > 0 {
			rk.Treatment.Acceptance = &risk.Acceptance{ApproverID: people[ownerMaria], Expires: day(d.accept),
				Reason: "The replacement encrypted drive is on order; until it arrives the old drive stays locked away with a sign-out log."}
		}
		saved, err := db.CreateRisk(ctx, Actor, orgID, rk)
		if err != nil {
			return fmt.Errorf("demo risk %q: %w", d.title, err)
		}
		for _, t := range d.tasks {
			if _, err := db.CreateTask(ctx, Actor, orgID, risk.Task{RiskID: saved.ID, Title: t.title, OwnerID: people[t.owner],
				Due: day(t.due), Status: t.status, Entries: t.entries}); err != nil {
				return fmt.Errorf("demo task %q: %w", t.title, err)
			}
		}
	}
	return nil
}
