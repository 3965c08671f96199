package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/store"
)

// Riverside's systems and clinics. The patient portal went live this year,
// after last year's assessment, which is one of the reasons a new one is due.
var (
	riversideLocations = []string{"Main Street clinic, 120 Main Street", "Oak Avenue clinic, 45 Oak Avenue"}
	riversideSystems   = []string{"Cloud EHR (ClearChart)", "Lab interface (HL7 to Valley Labs)", "Fax-to-email service",
		"Laptops and phones", "External backup drive (2016)"}
	patientPortal = "Patient portal"
)

const (
	sam   = "Sam Okafor <sam.okafor@riverside.example>"
	maria = "Dr Maria Alvarez <maria.alvarez@riverside.example>"
	ra    = "Risk analysis %d (IT provider BrightPath IT with Sam Okafor)"
)

// answer is a demo response, and for an addressable specification its
// decision.
type answer struct {
	status    assess.ResponseStatus
	narrative string
	owner     string
	naReason  string
	target    int // months from the assessment's start, 0 for none
	decision  *assess.Decision
}

func factors(size, infra, cost, risk string) map[catalog.Factor]string {
	return map[catalog.Factor]string{catalog.FactorSize: size, catalog.FactorInfrastructure: infra, catalog.FactorCost: cost, catalog.FactorRisk: risk}
}

func implemented(why string) *assess.Decision {
	return &assess.Decision{Outcome: catalog.OutcomeImplemented, Factors: factors(
		"Two clinics and 14 workforce members; the practice manager and Sam Okafor can run it.",
		"Supported by the cloud EHR and the Windows laptops we already have.",
		"No extra cost beyond staff time.",
		why)}
}

// lastYear is every entry of last year's assessment. Standards are
// answered in their own right (§164.306(c)): how the practice meets the
// standard as a whole, beyond its specifications.
var lastYear = map[string]answer{
	"164.308(a)(1)":        {status: assess.Implemented, owner: "Sam Okafor", narrative: "A yearly cycle run by Sam Okafor with BrightPath IT: risk analysis, treatment plan reviewed quarterly, sanctions, monthly activity review; Dr Alvarez approves it."},
	"164.308(a)(3)":        {status: assess.Implemented, owner: "Practice manager", narrative: "Access to ePHI follows the job: checks before hire, supervision of temporary staff, a leaver checklist on the last day."},
	"164.308(a)(4)":        {status: assess.Implemented, owner: "Sam Okafor", narrative: "Access is granted by role on request to Sam, approved by Dr Alvarez, and recorded in the access log."},
	"164.308(a)(5)":        {status: assess.Implemented, owner: "Sam Okafor", narrative: "Security training at hire and every spring, monthly reminders, and the technical measures the specifications describe."},
	"164.308(a)(6)":        {status: assess.Implemented, owner: "Sam Okafor", narrative: "Staff know to report anything odd to Sam; the incident procedure and log cover response and follow-up."},
	"164.308(a)(7)":        {status: assess.Implemented, owner: "Sam Okafor", narrative: "Written contingency plan covering backup, disaster recovery and downtime operation of both clinics."},
	"164.308(b)(1)":        {status: assess.Implemented, owner: "Dr Maria Alvarez", narrative: "Every vendor that handles ePHI signs a business associate agreement before it starts; the list is kept with the contracts."},
	"164.310(a)(1)":        {status: assess.Implemented, owner: "Practice manager", narrative: "Both clinics are locked and alarmed out of hours; keys are issued by name and visitors escorted."},
	"164.310(d)(1)":        {status: assess.Implemented, owner: "Sam Okafor", narrative: "Every laptop, phone and the backup drive is in the device inventory; disposal and reuse go through BrightPath IT."},
	"164.312(a)(1)":        {status: assess.Implemented, owner: "Sam Okafor", narrative: "Own accounts for everyone, role-based EHR profiles, automatic logoff, break-glass access and encryption where it can be used."},
	"164.312(c)(1)":        {status: assess.Implemented, owner: "Sam Okafor", narrative: "Records are changed only in the EHR, which keeps versions and an audit trail of every change."},
	"164.312(e)(1)":        {status: assess.Implemented, owner: "BrightPath IT", narrative: "ePHI leaves the practice only over TLS: the EHR, the lab interface, the portal and fax-to-email delivery."},
	"164.314(a)(1)":        {status: assess.Implemented, owner: "Dr Maria Alvarez", narrative: "The business associate agreements follow counsel's template with the terms §164.314(a)(2) requires."},
	"164.314(b)(1)":        {status: assess.NotApplicable, naReason: "Riverside is a health care provider, not a group health plan; it has no plan documents."},
	"164.316(b)(1)":        {status: assess.Implemented, owner: "Sam Okafor", narrative: "Policies, procedures, assessments and decisions are written down, kept in the policy binder and in Safeguard."},
	"164.308(a)(1)(ii)(A)": {status: assess.Implemented, owner: "Sam Okafor", narrative: "Risk analysis done with BrightPath IT: inventory of systems holding ePHI, threats, likelihood and impact, risk register."},
	"164.308(a)(1)(ii)(B)": {status: assess.Implemented, owner: "Sam Okafor", narrative: "Risk treatment plan with owners and dates, reviewed at the quarterly staff meeting."},
	"164.308(a)(1)(ii)(C)": {status: assess.Implemented, owner: "Dr Maria Alvarez", narrative: "Sanction policy in the employee handbook; signed by every workforce member."},
	"164.308(a)(1)(ii)(D)": {status: assess.Partial, owner: "Sam Okafor", target: 6, narrative: "EHR access reports reviewed when something is reported; no routine monthly review yet."},
	"164.308(a)(2)":        {status: assess.Implemented, owner: "Dr Maria Alvarez", narrative: "Sam Okafor is the designated security official (appointment letter on file)."},
	"164.308(a)(3)(ii)(A)": {status: assess.Implemented, owner: "Practice manager", narrative: "Cleaning staff and temporary staff supervised; no unsupervised access to workstations.", decision: implemented("Unsupervised access by temporary staff is a moderate risk.")},
	"164.308(a)(3)(ii)(B)": {status: assess.Implemented, owner: "Practice manager", narrative: "Background checks and reference checks before hire.", decision: implemented("Insider misuse of records is a moderate, high-impact risk.")},
	"164.308(a)(3)(ii)(C)": {status: assess.Implemented, owner: "Practice manager", narrative: "Leaver checklist: EHR account, email, building keys and phone returned on the last day.", decision: implemented("Former staff keeping access is likely without a checklist.")},
	"164.308(a)(4)(ii)(A)": {status: assess.NotApplicable, naReason: "Riverside contains no health care clearinghouse; claims go through Harbor Medical Billing, a business associate."},
	"164.308(a)(4)(ii)(B)": {status: assess.Implemented, owner: "Sam Okafor", narrative: "Role-based EHR profiles (clinician, front desk, billing) approved by Dr Alvarez.", decision: implemented("Excess access to records is a likely, high-impact risk.")},
	"164.308(a)(4)(ii)(C)": {status: assess.Implemented, owner: "Sam Okafor", narrative: "Access requests and changes by email to Sam, kept in the access log.", decision: implemented("Access creep after role changes is likely.")},
	"164.308(a)(5)(ii)(A)": {status: assess.Implemented, owner: "Sam Okafor", narrative: "Monthly security tip by email; phishing reminder posters in both clinics.", decision: implemented("Phishing is the most likely threat to a small practice.")},
	"164.308(a)(5)(ii)(B)": {status: assess.Implemented, owner: "BrightPath IT", narrative: "Managed antivirus on every laptop, updates pushed by BrightPath IT.", decision: implemented("Ransomware is a likely, critical risk.")},
	"164.308(a)(5)(ii)(C)": {status: assess.Partial, owner: "Sam Okafor", narrative: "Repeated failed log-ins lock Windows accounts; the EHR vendor alerts on failed log-ins.", decision: &assess.Decision{
		Outcome:     catalog.OutcomeAlternative,
		Alternative: "Windows locks an account after 5 failed log-ins and BrightPath IT's monthly report lists lock-outs; the EHR vendor e-mails Sam on repeated failures.",
		Rationale:   "Monitoring every log-in attempt needs a log collection service the practice cannot run or afford; lock-outs and vendor alerts catch the same attacks.",
		Factors: factors("No one on staff can watch logs daily.", "No central log server; the EHR is hosted by the vendor.",
			"A monitoring service quoted at $400 a month.", "Password guessing is a moderate risk; lock-out blocks it.")}},
	"164.308(a)(5)(ii)(D)": {status: assess.Implemented, owner: "Sam Okafor", narrative: "Passphrases of 12+ characters, no reuse; EHR requires a second factor.", decision: implemented("Stolen passwords are a likely, high-impact risk.")},
	"164.308(a)(6)(ii)":    {status: assess.Implemented, owner: "Sam Okafor", narrative: "Incident procedure: report to Sam, log, contain, assess breach; two incidents handled this year (lost phone, misdirected fax)."},
	"164.308(a)(7)(ii)(A)": {status: assess.Implemented, owner: "BrightPath IT", narrative: "The EHR vendor backs up the EHR; the shared drive is copied nightly to the external backup drive."},
	"164.308(a)(7)(ii)(B)": {status: assess.Implemented, owner: "Sam Okafor", narrative: "Disaster recovery plan: EHR reachable from any clinic or home; spare laptops at Oak Avenue."},
	"164.308(a)(7)(ii)(C)": {status: assess.Implemented, owner: "Dr Maria Alvarez", narrative: "Paper downtime forms and a call list; the other clinic takes over scheduling."},
	"164.308(a)(7)(ii)(D)": {status: assess.Partial, owner: "Sam Okafor", target: 9, narrative: "Restore of the shared drive tested once; no full exercise of the plan yet.", decision: &assess.Decision{
		Outcome: catalog.OutcomeAlternative,
		Alternative: "Instead of a full exercise of the contingency plan, BrightPath IT restores the shared drive from backup once a year while Sam Okafor watches, " +
			"and the plan's call list and EHR downtime steps are read through at the spring staff meeting; what fails is fixed and the plan revised.",
		Rationale: "A full exercise would close both clinics for half a day; for a two-site practice whose EHR is hosted by its vendor, a yearly restore test and " +
			"a walk-through test the parts the practice runs itself.",
		Factors: factors("Two clinics, 14 staff, no in-house IT.", "The EHR and its backups are the vendor's; the practice restores only the shared drive.",
			"A full exercise costs half a day of closed clinics.", "An untested plan may fail when needed; the restore test covers the likeliest failure.")}},
	"164.308(a)(7)(ii)(E)": {status: assess.Implemented, owner: "Sam Okafor", narrative: "EHR and phones critical; lab interface and fax important; the rest can wait a week.", decision: implemented("Knowing what to restore first shortens an outage.")},
	"164.308(a)(8)":        {status: assess.Implemented, owner: "Sam Okafor", narrative: "This assessment, repeated every year and after major changes."},
	"164.308(b)(3)":        {status: assess.Implemented, owner: "Dr Maria Alvarez", narrative: "BAAs with ClearChart (EHR), Harbor Medical Billing, BrightPath IT and the fax-to-email service."},
	"164.310(a)(2)(i)":     {status: assess.Implemented, owner: "Practice manager", narrative: "After-hours access during an emergency by the manager or Dr Alvarez, per the contingency plan.", decision: implemented("Low likelihood; covered by the contingency plan.")},
	"164.310(a)(2)(ii)":    {status: assess.Implemented, owner: "Practice manager", narrative: "Locked doors, alarm, records room and server closet locked.", decision: implemented("Break-ins are rare but would expose records.")},
	"164.310(a)(2)(iii)": {status: assess.Implemented, owner: "Practice manager", narrative: "Keys issued by name; visitors sign in and are escorted.", decision: &assess.Decision{
		Outcome:     catalog.OutcomeAlternative,
		Alternative: "Visitor sign-in book and escort by front-desk staff; numbered keys issued by name and collected at leaving.",
		Rationale:   "An electronic badge system is out of proportion for two small clinics where staff know every colleague by sight.",
		Factors: factors("Two clinics of 6-8 people each.", "The landlord's building has no badge readers.",
			"Badge readers quoted at $6,000 per clinic.", "Unauthorised entry is unlikely during opening hours with staff present.")}},
	"164.310(a)(2)(iv)":  {status: assess.Implemented, owner: "Practice manager", narrative: "Landlord repairs to doors and locks recorded in the facility log.", decision: implemented("Low risk; the log costs nothing.")},
	"164.310(b)":         {status: assess.Implemented, owner: "Sam Okafor", narrative: "Workstation use policy: screens away from patients, no personal use of clinic laptops."},
	"164.310(c)":         {status: assess.Implemented, owner: "Sam Okafor", narrative: "Privacy filters at front desk; laptops cable-locked; screens lock automatically."},
	"164.310(d)(2)(i)":   {status: assess.Implemented, owner: "BrightPath IT", narrative: "Old drives wiped and shredded by BrightPath IT with certificates of destruction."},
	"164.310(d)(2)(ii)":  {status: assess.Implemented, owner: "BrightPath IT", narrative: "Laptops re-imaged before they pass to another person."},
	"164.310(d)(2)(iii)": {status: assess.Implemented, owner: "Sam Okafor", narrative: "Device inventory spreadsheet: who holds each laptop, phone and the backup drive.", decision: implemented("Lost devices are the most common incident.")},
	"164.310(d)(2)(iv)":  {status: assess.Implemented, owner: "BrightPath IT", narrative: "The shared drive is backed up before equipment moves.", decision: implemented("Moves are rare; backups are nightly anyway.")},
	"164.312(a)(2)(i)":   {status: assess.Implemented, owner: "Sam Okafor", narrative: "Everyone has their own EHR and Windows account; no shared log-ins."},
	"164.312(a)(2)(ii)":  {status: assess.Implemented, owner: "Sam Okafor", narrative: "The EHR vendor's break-glass account, sealed envelope in the safe."},
	"164.312(a)(2)(iii)": {status: assess.Implemented, owner: "Sam Okafor", narrative: "EHR logs off after 10 minutes idle; Windows locks after 5 minutes.", decision: implemented("Unattended screens in exam rooms are a likely risk.")},
	"164.312(a)(2)(iv)": {status: assess.Partial, owner: "Sam Okafor", target: 12, narrative: "Laptops are encrypted with BitLocker and phones with device encryption, as specified. " +
		"The 2016 external backup drive cannot be encrypted; until it is replaced it is protected by the alternative measure recorded in the decision. " +
		"Replacing it with an encrypted drive is a risk management task: Sam Okafor, by the target date.", decision: &assess.Decision{
		Outcome: catalog.OutcomeAlternative,
		Alternative: "For the one device that cannot be encrypted, the 2016 backup drive: it never leaves the Main Street clinic, is kept in a locked drawer in the " +
			"manager's office with a sign-out log checked weekly, holds only the shared drive (the EHR is backed up, encrypted, by its vendor), and is listed in " +
			"the device inventory. Together these keep the drive's ePHI from anyone who is not authorised, which is what encryption at rest protects against.",
		Rationale: "Encryption as specified is in place on every laptop and phone. The backup software in use supports only this drive model and cannot encrypt " +
			"it, so encrypting it is not possible without replacing both; the measures above protect it equivalently in the meantime. The replacement is not " +
			"a reason for this decision but a task of the risk management plan (§164.308(a)(1)(ii)(B)), with an owner and a date on the response.",
		Factors: factors("A small practice without in-house IT.", "The backup software supports only this drive model.",
			"Replacement drive and software licence about $1,800 plus BrightPath IT's time, planned for next year.",
			"Theft of the drive is unlikely (locked drawer, one site, sign-out log) but its impact would be high, hence the alternative now and the replacement.")}},
	"164.312(b)":       {status: assess.Implemented, owner: "Sam Okafor", narrative: "The EHR keeps an audit trail of every access; Windows security logs kept 90 days."},
	"164.312(c)(2)":    {status: assess.Implemented, owner: "Sam Okafor", narrative: "EHR audit trail and record versions show any change to a record.", decision: implemented("Undetected alteration of records is unlikely but critical.")},
	"164.312(d)":       {status: assess.Implemented, owner: "Sam Okafor", narrative: "Passwords plus a second factor on the EHR and on email."},
	"164.312(e)(2)(i)": {status: assess.Implemented, owner: "BrightPath IT", narrative: "EHR, lab interface and portal use TLS; the lab interface checks message acknowledgements.", decision: implemented("Interception is unlikely with TLS.")},
	"164.312(e)(2)(ii)": {status: assess.Implemented, owner: "BrightPath IT", narrative: "TLS for the EHR and lab interface; faxes arrive as e-mail over TLS.", decision: &assess.Decision{
		Outcome:     catalog.OutcomeAlternative,
		Alternative: "Faxes are delivered by the fax-to-email service only to a mailbox that accepts TLS connections; staff send ePHI to patients through the EHR's secure messaging, never plain e-mail.",
		Rationale:   "End-to-end encryption of fax-to-email is not offered by the service, and referring practices still send faxes.",
		Factors: factors("Front desk handles 30-40 faxes a day.", "The fax service supports TLS delivery only.",
			"A secure fax product quoted at three times the price.", "Interception in transit is unlikely; misdirection is the likelier risk, handled by procedure.")}},
	"164.314(a)(2)(i)":   {status: assess.Implemented, owner: "Dr Maria Alvarez", narrative: "Every BAA contains the §164.314(a)(2)(i) terms (reviewed by counsel)."},
	"164.314(a)(2)(ii)":  {status: assess.NotApplicable, naReason: "Neither Riverside nor any of its business associates is a governmental entity."},
	"164.314(a)(2)(iii)": {status: assess.Implemented, owner: "Dr Maria Alvarez", narrative: "BAAs require business associates to bind their subcontractors."},
	"164.314(b)(2)":      {status: assess.NotApplicable, naReason: "Riverside is a health care provider, not a group health plan."},
	"164.316(a)":         {status: assess.Implemented, owner: "Sam Okafor", narrative: "Security policies in the shared policy binder, approved by Dr Alvarez."},
	"164.316(b)(2)(i)":   {status: assess.Implemented, owner: "Sam Okafor", narrative: "Policies and assessments kept at least six years."},
	"164.316(b)(2)(ii)":  {status: assess.Implemented, owner: "Sam Okafor", narrative: "Policies available to staff in both clinics and online."},
	"164.316(b)(2)(iii)": {status: assess.Implemented, owner: "Sam Okafor", narrative: "Policies reviewed every year with this assessment."},
}

// thisYear lists the entries already answered in this year's assessment, in
// the order they were worked on; the rest are still open. Decisions are
// recorded for some addressable ones only, so the blockers show.
var thisYear = []string{
	"164.308(a)(1)(ii)(A)", "164.308(a)(1)(ii)(B)", "164.308(a)(1)(ii)(C)", "164.308(a)(1)(ii)(D)", "164.308(a)(2)",
	"164.308(a)(3)(ii)(A)", "164.308(a)(3)(ii)(B)", "164.308(a)(3)(ii)(C)", "164.308(a)(4)(ii)(A)", "164.308(a)(4)(ii)(B)",
	"164.308(a)(4)(ii)(C)", "164.308(a)(5)(ii)(A)", "164.308(a)(5)(ii)(B)", "164.308(a)(5)(ii)(C)", "164.308(a)(6)(ii)",
	"164.308(a)(7)(ii)(A)", "164.308(a)(7)(ii)(D)", "164.310(a)(2)(ii)", "164.310(b)", "164.310(c)",
	"164.310(d)(2)(iii)", "164.312(a)(2)(i)", "164.312(a)(2)(iii)", "164.312(d)",
	"164.316(a)", "164.316(b)(1)", "164.316(b)(2)(i)", "164.316(b)(2)(ii)", "164.316(b)(2)(iii)",
}

// thisYearChanges are this year's answers that differ from last year's.
var thisYearChanges = map[string]answer{
	"164.308(a)(1)(ii)(D)": {status: assess.Implemented, owner: "Sam Okafor", narrative: "Monthly review of the EHR access report since March; findings logged."},
	"164.308(a)(6)(ii)":    {status: assess.Implemented, owner: "Sam Okafor", narrative: "Incident procedure used twice this year; the misdirected fax led to a cover-sheet check."},
	"164.308(a)(7)(ii)(D)": {status: assess.Partial, owner: "Sam Okafor", target: -1, narrative: "Tabletop exercise planned but not yet held."},
	"164.310(c)":           {status: assess.Partial, owner: "Practice manager", target: 2, narrative: "Oak Avenue front desk still lacks a privacy filter."},
}

// loadAssessments gives Riverside its profile, last year's signed-off
// assessment and this year's, half done. It moves db's clock back while it
// records last year, so every date reads as it would have happened.
func loadAssessments(ctx context.Context, db *store.DB, orgID int64) error {
	cat, err := catalog.Default()
	if err != nil {
		return err
	}
	official := func(email string, from time.Time) (*assess.OfficialTerm, error) {
		u, err := db.UserByEmail(ctx, email)
		if err != nil {
			return nil, err
		}
		return &assess.OfficialTerm{UserID: u.ID, From: from}, nil
	}
	actorOf := func(email string) (store.Actor, error) {
		u, err := db.UserByEmail(ctx, email)
		if err != nil {
			return store.Actor{}, err
		}
		return store.Actor{Name: fmt.Sprintf("user:%d", u.ID)}, nil
	}
	// Sam reviews and Dr Alvarez signs off, each as themselves: sign-off
	// needs a reviewer other than the signer in a practice of many.
	samActor, err := actorOf("sam.okafor@riverside.example")
	if err != nil {
		return err
	}
	mariaActor, err := actorOf("maria.alvarez@riverside.example")
	if err != nil {
		return err
	}
	realNow := db.Now
	defer func() { db.Now = realNow }()
	today := realNow().UTC()
	at := func(t time.Time) { db.Now = func() time.Time { return t } }

	// The profile as it was last year, with the security official's history.
	lastStart := today.AddDate(-1, -1, 0)
	at(lastStart)
	p, err := db.OrgProfile(ctx, orgID)
	if err != nil {
		return err
	}
	p.LegalName, p.Workforce, p.Patients = "Riverside Family Practice, P.C.", 14, 6000
	p.Locations, p.Systems, p.CatalogProfile = riversideLocations, riversideSystems, catalog.ProfileCurrent
	for _, o := range []struct {
		email string
		years int
	}{{"maria.alvarez@riverside.example", 4}, {"sam.okafor@riverside.example", 2}} {
		term, err := official(o.email, today.AddDate(-o.years, 0, 0))
		if err != nil {
			return err
		}
		if p, err = db.UpdateOrgProfile(ctx, Actor, orgID, p, term); err != nil {
			return fmt.Errorf("demo profile: %w", err)
		}
	}

	// Last year's assessment, answered in full and signed off.
	a, err := assess.New(cat, catalog.ProfileCurrent, fmt.Sprintf("%d Security Rule assessment", lastStart.Year()), lastStart, lastStart.AddDate(0, 1, 0))
	if err != nil {
		return err
	}
	if a, err = db.CreateAssessment(ctx, Actor, orgID, a); err != nil {
		return fmt.Errorf("demo assessment: %w", err)
	}
	for _, e := range a.Entries {
		if !e.Assessable() {
			continue
		}
		ans, ok := lastYear[e.Citation]
		if !ok {
			return fmt.Errorf("demo assessment: no answer for %s", e.Citation)
		}
		if err := record(ctx, db, orgID, a, e, ans, lastStart, lastStart.Year()); err != nil {
			return err
		}
	}
	at(lastStart.AddDate(0, 0, 20))
	if _, err := db.SubmitAssessment(ctx, samActor, orgID, a.ID); err != nil {
		return fmt.Errorf("demo submit: %w", err)
	}
	at(lastStart.AddDate(0, 0, 21))
	for _, c := range a.Categories() {
		if _, err := db.ReviewCategory(ctx, samActor, orgID, a.ID, assess.CategoryReview{Category: c, ReviewedBy: sam, Note: "Reviewed with BrightPath IT."}); err != nil {
			return fmt.Errorf("demo review: %w", err)
		}
	}
	at(lastStart.AddDate(0, 0, 28))
	if _, err := db.FinaliseAssessment(ctx, mariaActor, orgID, a.ID, assess.SignOff{By: maria, Attested: true}); err != nil {
		return fmt.Errorf("demo sign-off: %w", err)
	}

	// This year: the patient portal went live, and the new assessment is
	// about half done.
	start := today.AddDate(0, 0, -20)
	at(start)
	p.Systems = append(p.Systems, patientPortal)
	if _, err := db.UpdateOrgProfile(ctx, Actor, orgID, p, nil); err != nil {
		return err
	}
	b, err := assess.New(cat, catalog.ProfileCurrent, fmt.Sprintf("%d Security Rule assessment", start.Year()), start, start.AddDate(0, 2, 0))
	if err != nil {
		return err
	}
	if b, err = db.CreateAssessment(ctx, Actor, orgID, b); err != nil {
		return err
	}
	for i, c := range thisYear {
		e, ok := b.Entry(c)
		if !ok {
			return fmt.Errorf("demo assessment: no entry %s", c)
		}
		ans, changed := thisYearChanges[c]
		if !changed {
			ans = lastYear[c]
		}
		// Every third addressable decision is still to be written.
		if i%3 == 2 {
			ans.decision = nil
		}
		if err := record(ctx, db, orgID, b, e, ans, start, start.Year()); err != nil {
			return err
		}
	}
	_, err = db.ReviewCategory(ctx, samActor, orgID, b.ID, assess.CategoryReview{Category: catalog.Documentation, ReviewedBy: sam, Note: "Policies unchanged since last year."})
	if err != nil {
		return fmt.Errorf("demo review: %w", err)
	}
	return nil
}

// record saves one demo answer and its decision.
func record(ctx context.Context, db *store.DB, orgID int64, a assess.Assessment, e assess.EntrySnapshot, ans answer, start time.Time, year int) error {
	r := assess.Response{Citation: e.Citation, Status: ans.status, Narrative: ans.narrative, Owner: ans.owner, NAReason: ans.naReason}
	if ans.target != 0 {
		r.TargetDate = start.AddDate(0, ans.target, 0)
	}
	if _, err := db.SaveResponse(ctx, Actor, orgID, a.ID, r); err != nil {
		return fmt.Errorf("demo response %s: %w", e.Citation, err)
	}
	if ans.decision == nil || e.Requirement != catalog.Addressable {
		return nil
	}
	d := *ans.decision
	d.Citation, d.DecidedBy, d.DecidedAt = e.Citation, sam, start.AddDate(0, 0, 7)
	if d.Outcome.RequiresReason() {
		d.RiskAnalysisRef = fmt.Sprintf(ra, year)
	}
	if _, err := db.SaveDecision(ctx, Actor, orgID, a.ID, d); err != nil {
		return fmt.Errorf("demo decision %s: %w", e.Citation, err)
	}
	return nil
}
