package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The sections of the PDF report, in the order they print.

func (d *pdfDoc) cover() {
	m := d.m
	d.newPage()
	d.y = 30
	d.paraAt(pdfMarginL, pdfWidth, m.Title, "B", 22, colHeading)
	d.gap(2)
	d.paraAt(pdfMarginL, pdfWidth, m.Org.Name, "B", 15, colInk)
	switch m.Part {
	case PartSummary:
		d.paraAt(pdfMarginL, pdfWidth, "Cover and executive summary", "", 11, colMuted)
	case PartAsset:
		name := ""
		if len(m.Assets) > 0 {
			name = m.Assets[0].Name
		}
		d.paraAt(pdfMarginL, pdfWidth, "One asset: "+name+", with its data flows, risks and tasks", "", 11, colMuted)
	}
	if m.Draft {
		d.gap(2)
		d.paraAt(pdfMarginL, pdfWidth, "DRAFT: this report shows work that has not been signed off.", "B", 12, colMark)
	}
	d.gap(6)
	d.heading(pdfSecScope, 0)
	t := d.kv(9).hold()
	o := m.Org
	t.pair("Organisation", o.Name)
	t.pair("Legal name", o.LegalName)
	t.pair("Kind", o.Kind)
	if o.Workforce > 0 {
		t.pair("Workforce", strconv.Itoa(o.Workforce)+" people")
	}
	if o.Patients > 0 {
		t.pair("Patients", grouped(o.Patients))
	}
	t.pair("Security official", o.Official)
	t.pair("Sites in scope", orNone(strings.Join(o.Sites, "\n")))
	t.pair("Systems in scope", orNone(strings.Join(o.Systems, "\n")))
	t.pair("Period", d.period())
	t.pair("Catalogue", m.CatalogName)
	t.pair("Risk scale", m.Scale.Name)
	t.pair("Prepared by", m.PreparedBy)
	generated := m.DateTime(m.Generated)
	if m.ZoneName != "" {
		generated += " (dates and times in this report are " + m.ZoneName + ")"
	}
	t.pair("Generated", generated)
	if a := m.Assessment; a != nil {
		t.pair("Assessment", fmt.Sprintf("%s (%s), started %s", a.Name, a.Status, m.Date(a.Started)))
		t.pair("Assessment signed off", signOff(m, a.FinalisedBy, a.Finalised))
		for _, r := range a.Reviews {
			s := fmt.Sprintf("%s: reviewed by %s on %s", r.Category, r.By, m.DateTime(r.At))
			if r.Note != "" {
				s += "\n" + r.Note
			}
			t.pair("Category review", s)
		}
		t.pair("Attestation", orNone(a.Attestation))
	} else {
		t.pair("Assessment", "No assessment is part of this report.")
	}
	if a := m.Analysis; a != nil {
		t.pair("Risk analysis", fmt.Sprintf("%s (%s), started %s", a.Name, a.Status, m.Date(a.Started)))
		t.pair("Analysis scope", a.Scope)
		t.pair("Risk analysis signed off", signOff(m, a.FinalisedBy, a.Finalised))
	} else {
		t.pair("Risk analysis", "None started: the inventory, the register and the plan are shown as they stand on "+m.Date(m.Generated)+".")
	}
	// The cover is one page: a long scope is set a little smaller rather
	// than leave its last rows alone on a second page.
	for _, size := range []float64{8.5, 8} {
		if d.y+t.height() <= pdfBottom {
			break
		}
		t.size = size
	}
	t.flush()
}

func signOff(m *Model, by string, at time.Time) string {
	if at.IsZero() {
		return "Not signed off"
	}
	if by == "" {
		by = "(not recorded)"
	}
	return "By " + by + " on " + m.DateTime(at)
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "None recorded"
	}
	return s
}

// period is the time the report covers: from the earliest start of the
// assessment and the analysis to their latest sign-off, or to the day the
// report was made while either is open.
func (d *pdfDoc) period() string {
	m := d.m
	var from, to time.Time
	open := false
	for _, p := range []struct{ start, end time.Time }{
		func() (r struct{ start, end time.Time }) {
			if m.Assessment != nil {
				r.start, r.end = m.Assessment.Started, m.Assessment.Finalised
			}
			return
		}(),
		func() (r struct{ start, end time.Time }) {
			if m.Analysis != nil {
				r.start, r.end = m.Analysis.Started, m.Analysis.Finalised
			}
			return
		}(),
	} {
		if p.start.IsZero() {
			continue
		}
		if from.IsZero() || p.start.Before(from) {
			from = p.start
		}
		if p.end.IsZero() {
			open = true
		} else if p.end.After(to) {
			to = p.end
		}
	}
	if from.IsZero() {
		return "As of " + m.Date(m.Generated)
	}
	if open || to.IsZero() {
		to = m.Generated
	}
	return m.Date(from) + " to " + m.Date(to)
}

func (d *pdfDoc) method() {
	d.section(pdfSecMethod)
	d.para("This report documents the organisation's risk analysis and risk management under the HIPAA Security Rule "+
		"(45 CFR 164.308(a)(1)(ii)(A) and (B)) and its assessment of every standard and implementation specification of the rule. "+
		"The analysis followed the steps HHS describes in its guidance on risk analysis:", "", 9.5)
	for _, s := range []string{
		"Scope. Every site, system, device and workforce practice that creates, receives, maintains or transmits electronic protected health information (ePHI) is in scope, whatever the medium.",
		"Where ePHI lives and moves. Each asset holding ePHI was recorded with the kinds of ePHI, the number of records, who owns it, where it is hosted and whether it is encrypted at rest; each movement of ePHI between assets and outside parties was recorded with its channel and whether it is encrypted in transit.",
		"Threats and vulnerabilities. For each asset the reasonably anticipated threats (natural, human, environmental) were paired with the weaknesses they could exploit; each pair is one risk.",
		"Current measures. The safeguards already in place against each risk were recorded, with how they work, and linked to the catalogue entries they implement.",
		"Likelihood. How likely each threat is to exploit its vulnerability, given the current measures, was graded on the scale below, with the reason for the grade.",
		"Impact. How much harm would follow, to patients and to the organisation, was graded on the same scale, with the reason for the grade.",
		"Level. Likelihood and impact together give the level of each risk from the matrix below: before any measure (inherent), as things stand (current), and as planned (target).",
		"Further measures. Each risk above the level the organisation accepts was given a treatment: mitigate, transfer, avoid, or accept with a named approver, a reason and an expiry date. Mitigations became tasks with owners and due dates.",
		"Documentation. The analysis, the decisions on every addressable specification and the evidence behind them are kept, as this report, for six years from the date they were made or last in effect (45 CFR 164.316(b)).",
		"Periodic review. The analysis is reviewed at least once a year and whenever operations, systems or the environment change in a way that could affect ePHI; the tasks and risk acceptances carry their own dates.",
	} {
		d.bullet(s, 9.5)
	}
	d.gap(2)
	d.heading("The risk scale", 1)
	sc := d.m.Scale
	d.para("Risks are rated on the scale \""+sc.Name+"\". A risk rated on an earlier scale says so; its level is that scale's.", "", 9.5)
	t := d.table(8.5, true, column{title: "Likelihood", width: 20, bold: true}, column{title: "When to choose it", width: 80})
	for i, g := range sc.Likelihood {
		t.row(c(fmt.Sprintf("%d. %s", i+1, g.Label)), c(g.Meaning))
	}
	d.gap(3)
	t = d.table(8.5, true, column{title: "Impact", width: 20, bold: true}, column{title: "When to choose it", width: 80})
	for i, g := range sc.Impact {
		t.row(c(fmt.Sprintf("%d. %s", i+1, g.Label)), c(g.Meaning))
	}
	d.gap(3)
	t = d.table(8.5, true, column{title: "Level", width: 20}, column{title: "Order", width: 80})
	for i, l := range sc.Levels {
		t.row(cell{text: l.Label, fill: l.Colour, bold: true}, c(levelOrder(i, len(sc.Levels))))
	}
	d.gap(4)
	d.levelMatrix()
}

func levelOrder(i, n int) string {
	switch i {
	case 0:
		return "Lowest"
	case n - 1:
		return "Highest"
	}
	return fmt.Sprintf("%d of %d", i+1, n)
}

// summary is the executive summary, on exactly one page: lists that do
// not fit end with how many more there are and where they are in full.
func (d *pdfDoc) summary() {
	m := d.m
	d.newPage()
	d.sectionPage = d.f.PageNo()
	d.heading(pdfSecSummary, 0)
	t := d.kv(9)
	if a := m.Assessment; a != nil {
		t.rowWithin(pdfBottom, c("Assessment"), c(fmt.Sprintf("%s: %s. %s.", a.Name, a.Status, signOff(m, a.FinalisedBy, a.Finalised))))
	}
	if a := m.Analysis; a != nil {
		t.rowWithin(pdfBottom, c("Risk analysis"), c(fmt.Sprintf("%s: %s. %s.", a.Name, a.Status, signOff(m, a.FinalisedBy, a.Finalised))))
	}
	total, impl := 0, 0
	for _, p := range m.Posture {
		total += p.Total()
		impl += p.Implemented
	}
	overdue := 0
	for _, tk := range m.Tasks {
		if tk.Overdue {
			overdue++
		}
	}
	t.rowWithin(pdfBottom, c("In numbers"), c(fmt.Sprintf("%s of %s catalogue entries implemented; %s assets, %s data flows, %s risks, %s tasks (%s overdue), %s evidence items, %s open items.",
		grouped(impl), grouped(total), grouped(len(m.Assets)), grouped(len(m.Flows)), grouped(len(m.Risks)), grouped(len(m.Tasks)),
		grouped(overdue), grouped(len(m.Evidence)), grouped(len(m.OpenItems)))))
	d.gap(1)
	d.heading("Posture by safeguard category", 2)
	d.postureChart()
	d.heading("Risks by current level", 2)
	d.levelTiles()

	d.heading("Top risks", 2)
	topLimit := pdfBottom - 34
	tt := d.table(8, true, column{title: "Risk", width: 8, align: "R"}, column{title: "Title", width: 50},
		column{title: "Current level", width: 14}, column{title: "Owner", width: 16}, column{title: "Status", width: 12})
	shown := 0
	for _, id := range m.Top {
		r, ok := d.risk(id)
		if !ok {
			continue
		}
		if !tt.rowWithin(topLimit, c(strconv.FormatInt(r.ID, 10)), c(r.Title), cell{text: ratingText(r.Current), fill: r.Current.Colour}, c(r.Owner), c(pdfRiskStatus(r))) {
			break
		}
		shown++
	}
	if len(m.Top) == 0 {
		d.para("No rated risks.", "", 9)
	} else if shown < len(m.Top) {
		more := fmt.Sprintf("The other %d of the %d highest risks are in the risk register.", len(m.Top)-shown, len(m.Top))
		if len(m.Top)-shown == 1 {
			more = fmt.Sprintf("The last of the %d highest risks is in the risk register.", len(m.Top))
		}
		d.para(more, "I", 8.5)
	}

	d.heading(fmt.Sprintf("Overdue tasks: %d", overdue), 2)
	if overdue == 0 {
		d.para("No task of the risk management plan is overdue.", "", 9)
		return
	}
	ot := d.table(8, true, column{title: "Task", width: 8, align: "R"}, column{title: "Title", width: 52},
		column{title: "Owner", width: 16}, column{title: "Due", width: 12}, column{title: "Risk", width: 12, align: "R"})
	shown = 0
	for _, tk := range m.Tasks {
		if !tk.Overdue {
			continue
		}
		if !ot.rowWithin(pdfBottom-7, c(strconv.FormatInt(tk.ID, 10)), c(tk.Title), c(tk.Owner), cell{text: m.Date(tk.Due), mark: true}, c(strconv.FormatInt(tk.RiskID, 10))) {
			break
		}
		shown++
	}
	if shown < overdue {
		d.para(fmt.Sprintf("and %d more overdue task(s): every task is listed in the risk management plan.", overdue-shown), "I", 8.5)
	}
}

// risk finds a risk by id through an index built on first use.
func (d *pdfDoc) risk(id int64) (Risk, bool) {
	if d.risks == nil {
		d.risks = make(map[int64]int, len(d.m.Risks))
		for i, r := range d.m.Risks {
			d.risks[r.ID] = i
		}
	}
	i, ok := d.risks[id]
	if !ok {
		return Risk{}, false
	}
	return d.m.Risks[i], true
}

func (d *pdfDoc) evidenceTitle(id int64) string {
	if d.evidenceIx == nil {
		d.evidenceIx = make(map[int64]int, len(d.m.Evidence))
		for i, e := range d.m.Evidence {
			d.evidenceIx[e.ID] = i
		}
	}
	i, ok := d.evidenceIx[id]
	if !ok {
		return fmt.Sprintf("Evidence %d (not in this report)", id)
	}
	e := d.m.Evidence[i]
	s := e.Title
	if e.FileName != "" {
		s += " (" + e.FileName + ")"
	}
	return s
}

func ratingText(r Rating) string {
	if r.Likelihood <= 0 || r.Impact <= 0 || r.Level < 0 {
		return "Not rated"
	}
	return fmt.Sprintf("%s\nL%d × I%d", r.LevelLabel, r.Likelihood, r.Impact)
}

func ratingLong(r Rating) string {
	if r.Likelihood <= 0 || r.Impact <= 0 || r.Level < 0 {
		return "Not rated"
	}
	return fmt.Sprintf("%s: likelihood %s (%d) × impact %s (%d)", r.LevelLabel, r.LikelihoodLabel, r.Likelihood, r.ImpactLabel, r.Impact)
}

// pdfRiskStatus is a risk's status and treatment for a narrow column:
// the treatment's first word ("Mitigate", not "Mitigate: put measures
// in place"); the risk details give it in full.
func pdfRiskStatus(r Risk) string {
	s := r.Status
	if r.Strategy != "" {
		short, _, _ := strings.Cut(r.Strategy, ":")
		s += "\n" + short
	}
	return s
}

func (d *pdfDoc) inventory(assets []Asset) {
	d.section(pdfSecInventory)
	exposed := 0
	for _, a := range assets {
		if a.Exposed {
			exposed++
		}
	}
	d.para(fmt.Sprintf("%d asset(s) create, receive, maintain or transmit ePHI, or house it. Holding ePHI not encrypted at rest (marked EXPOSED): %d.",
		len(assets), exposed), "", 9.5)
	t := d.table(7.5, true,
		column{title: "Asset", width: 22}, column{title: "ePHI (records)", width: 16}, column{title: "Use", width: 14},
		column{title: "Encrypted at rest", width: 12}, column{title: "Hosting", width: 13}, column{title: "Owner / place", width: 15},
		column{title: "Criticality / lifecycle", width: 11}, column{title: "Reviewed", width: 9})
	for _, a := range assets {
		d.assetRow(t, a)
	}
}

func (d *pdfDoc) assetRow(t *table, a Asset) {
	name := a.Name + "\n" + joinNonEmpty(" · ", a.Class, a.Kind)
	if a.Notes != "" {
		name += "\n" + a.Notes
	}
	ephi := strings.Join(a.EPHI, ", ")
	if a.Records > 0 {
		ephi += " (" + grouped(a.Records) + ")"
	}
	hosting := a.Hosting
	if a.Vendor != "" {
		hosting += "\n" + a.Vendor
	}
	place := joinNonEmpty("\n", a.Owner, a.Place, a.Location)
	rest := cell{text: a.AtRest}
	if a.Exposed {
		t.fill = &colMarkBg
		rest = cell{text: a.AtRest + "\nEXPOSED", mark: true}
	}
	t.row(c(name), c(ephi), c(a.Use), rest, c(hosting), c(place), c(joinNonEmpty("\n", a.Criticality, a.Lifecycle)), c(d.m.Date(a.Reviewed)))
	t.fill = nil
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

func (d *pdfDoc) flows(flows []Flow, mapText []string) {
	// The section, its first line and the map stay together: a section
	// that would share a page with too little room for its map starts on
	// a page of its own.
	if l := d.m.MapLayout; l != nil && l.Width > 0 && d.m.Part != PartAsset && d.f.PageNo() > 0 && d.y > pdfTop+0.01 {
		if h := l.Height * pdfWidth / l.Width; h+40 <= pdfBottom-pdfTop && d.y+h+40 > pdfBottom {
			d.newPage()
		}
	}
	d.section(pdfSecFlows)
	exposed := 0
	for _, f := range flows {
		if f.Exposed {
			exposed++
		}
	}
	d.para(fmt.Sprintf("%d movement(s) of ePHI. Not encrypted in transit (marked EXPOSED): %d.", len(flows), exposed), "", 9.5)
	// The map is the whole inventory's: not drawn in one asset's report.
	if d.m.Part != PartAsset {
		d.dataFlowMap()
	}
	if len(mapText) > 0 {
		d.heading("The data-flow map in words", 1)
		for _, s := range mapText {
			// The builder marks what is exposed with a warning sign, which
			// the core fonts lack: the line is printed in red instead.
			if rest, ok := strings.CutPrefix(s, "⚠"); ok {
				d.bulletIn(strings.TrimSpace(rest), 9, colMark)
				continue
			}
			d.bullet(s, 9)
		}
		d.gap(2)
	}
	if len(flows) == 0 {
		return
	}
	t := d.table(7.5, true,
		column{title: "From", width: 18}, column{title: "To", width: 18}, column{title: "Channel", width: 13},
		column{title: "Encrypted in transit", width: 11}, column{title: "Frequency", width: 11}, column{title: "Volume", width: 11},
		column{title: "Description", width: 22})
	for _, f := range flows {
		transit := c(f.InTransit)
		if f.Exposed {
			t.fill = &colMarkBg
			transit = cell{text: f.InTransit + "\nEXPOSED", mark: true}
		}
		t.row(c(f.From), c(f.To), c(f.Channel), transit, c(f.Frequency), c(f.Volume), c(f.Description))
		t.fill = nil
	}
}

func (d *pdfDoc) entries() {
	m := d.m
	d.section(pdfSecEntries)
	d.para(fmt.Sprintf("Every standard and implementation specification of %s, with the organisation's answer, its narrative and the evidence behind it.", m.CatalogName), "", 9.5)
	labels := map[string]string{}
	var order []string
	for _, p := range m.Posture {
		labels[p.Category] = p.Label
		order = append(order, p.Category)
	}
	for _, e := range m.Entries {
		if !slices.Contains(order, e.Category) {
			order = append(order, e.Category)
		}
	}
	for _, cat := range order {
		first := true
		for _, e := range m.Entries {
			if e.Category != cat {
				continue
			}
			if first {
				label := labels[cat]
				if label == "" {
					label = cat
				}
				d.heading(label, 1)
				first = false
			}
			d.entry(e)
		}
	}
}

func (d *pdfDoc) entry(e Entry) {
	m := d.m
	title := "§" + e.Citation + " " + e.Title
	t := d.kv(8.5).hold()
	kind := e.Kind
	switch e.Kind {
	case "specification":
		kind = "Implementation specification"
	case "standard":
		kind = "Standard"
	}
	if e.Requirement != "" {
		kind += ", " + e.Requirement
	}
	t.pair("Type", kind)
	if e.Standard != "" && e.Standard != e.Citation {
		t.pair("Standard", "§"+e.Standard)
	}
	status := e.StatusLabel
	if status == "" {
		status = "Not answered"
	}
	if e.Status == "not_implemented" || e.Status == "partial" || e.Status == "" {
		t.row(c("Status"), cell{text: status, mark: true})
	} else {
		t.row(c("Status"), c(status))
	}
	t.pair("Narrative", e.Narrative)
	t.pair("Why not applicable", e.NAReason)
	t.pair("Owner", e.Owner)
	t.pair("Target date", m.Date(e.Target))
	if len(e.Evidence) > 0 {
		var titles []string
		for _, id := range e.Evidence {
			titles = append(titles, d.evidenceTitle(id))
		}
		t.pair("Evidence", strings.Join(titles, "\n"))
	}
	if e.Requirement == "addressable" {
		if e.Decided {
			t.pair("Decision", "Recorded in the addressable decision log.")
		} else {
			t.row(c("Decision"), cell{text: "No addressable decision recorded.", mark: true})
		}
	}
	d.keep(d.headingH(title, 2) + t.height())
	d.heading(title, 2)
	t.flush()
	d.gap(1.5)
}

func (d *pdfDoc) decisions() {
	m := d.m
	d.section(pdfSecDecisions)
	d.para("For each addressable implementation specification the organisation decided whether to implement it as specified, "+
		"to implement an equivalent alternative, or to do neither, and documented why (45 CFR 164.306(d)(3)), weighing the factors of 164.306(b)(2).", "", 9.5)
	if len(m.Decisions) == 0 {
		d.para("No addressable decision is recorded.", "", 9.5)
	}
	for _, dc := range m.Decisions {
		title := "§" + dc.Citation + " " + dc.Title
		t := d.kv(8.5).hold()
		t.pair("Decision", dc.OutcomeLabel)
		t.pair("Alternative", dc.Alternative)
		t.pair("Rationale", dc.Rationale)
		for _, f := range dc.Factors {
			t.pair(f.Label, orNone(f.Text))
		}
		t.pair("Risk analysis", dc.RiskRef)
		t.pair("Decided by", dc.DecidedBy)
		t.pair("Decided on", m.DateTime(dc.DecidedAt))
		d.keep(d.headingH(title, 2) + t.height())
		d.heading(title, 2)
		t.flush()
		d.gap(1.5)
	}
}

func (d *pdfDoc) register(risks []Risk, heatMaps bool) {
	m := d.m
	d.section(pdfSecRegister)
	d.para(fmt.Sprintf("%d risk(s). Ratings read level, then likelihood (L) and impact (I) grades on the scale \"%s\".", len(risks), m.Scale.Name), "", 9.5)
	t := d.table(7.5, true,
		column{title: "ID", width: 5, align: "R"}, column{title: "Risk", width: 26}, column{title: "Assets", width: 18},
		column{title: "Threat / vulnerability", width: 25}, column{title: "Inherent", width: 11}, column{title: "Current", width: 11},
		column{title: "Owner", width: 12}, column{title: "Status", width: 13})
	for _, r := range risks {
		cur := cell{text: ratingText(r.Current), fill: r.Current.Colour}
		if r.OtherScale != "" {
			cur.text += "\n(" + r.OtherScale + ")"
		}
		t.row(c(strconv.FormatInt(r.ID, 10)), c(r.Title), c(strings.Join(r.Assets, "\n")),
			c(r.Threat+"\n/ "+r.Vulnerability), cell{text: ratingText(r.Inherent), fill: r.Inherent.Colour}, cur,
			c(r.Owner), c(pdfRiskStatus(r)))
	}
	if !heatMaps {
		return
	}
	d.gap(4)
	d.heading("Heat maps", 1)
	d.heatMap("Inherent risk (before any measure)", m.Inherent)
	d.gap(2)
	d.heatMap("Current risk (with the measures in place)", m.Current)
}

func (d *pdfDoc) riskDetails(risks []Risk) {
	m := d.m
	d.section(pdfSecRiskDetail)
	for _, r := range risks {
		title := fmt.Sprintf("Risk %d: %s", r.ID, r.Title)
		// Short facts two to a row, long texts across the page: 20,000
		// risks must not take 20,000 pages.
		t := d.table(8, false, column{width: 17, bold: true}, column{width: 34}, column{width: 15, bold: true}, column{width: 34}).hold()
		threat := r.Threat
		if r.ThreatSource != "" {
			threat += " (" + r.ThreatSource + ")"
		}
		treatment := r.Strategy
		if treatment == "" {
			treatment = "Not decided"
		}
		if r.Party != "" {
			treatment += ", to " + r.Party
		}
		t.pairs("Assets", strings.Join(r.Assets, "; "), "Owner", r.Owner)
		t.pairs("Threat", threat, "Vulnerability", r.Vulnerability)
		t.pairs("Inherent", ratingLong(r.Inherent), "Current", ratingLong(r.Current))
		t.pairs("Target", ratingLong(r.Target), "Identified", m.Date(r.Identified))
		t.pairs("Status", r.Status, "Treatment", treatment)
		t.wide("Measures in place", orNone(strings.Join(r.Measures, "\n")))
		t.wide("How they work", r.MeasuresNote)
		t.wide("Rated on", r.OtherScale)
		t.wide("Why this likelihood", r.LikelihoodWhy)
		t.wide("Why this impact", r.ImpactWhy)
		t.wide("Treatment note", r.TreatmentNote)
		if a := r.Acceptance; a != nil {
			s := fmt.Sprintf("Accepted by %s", a.Approver)
			if !a.ApprovedAt.IsZero() {
				s += " on " + m.Date(a.ApprovedAt)
			}
			s += "; expires " + m.Date(a.Expires) + "."
			if a.Reason != "" {
				s += "\n" + a.Reason
			}
			if a.Expired {
				t.row(c("Acceptance"), cell{text: "EXPIRED. " + s, mark: true, span: 3})
			} else {
				t.wide("Acceptance", s)
			}
		}
		d.keep(d.headingH(title, 2) + t.height())
		d.heading(title, 2)
		t.flush()
		d.gap(1.5)
	}
}

func (d *pdfDoc) plan(tasks []Task) {
	m := d.m
	d.section(pdfSecPlan)
	overdue := 0
	for _, tk := range tasks {
		if tk.Overdue {
			overdue++
		}
	}
	d.para(fmt.Sprintf("%d task(s) treat the risks above; overdue (marked OVERDUE): %d.", len(tasks), overdue), "", 9.5)
	t := d.table(7.5, true,
		column{title: "ID", width: 5, align: "R"}, column{title: "Task", width: 28}, column{title: "Risk", width: 21},
		column{title: "Owner", width: 12}, column{title: "Due", width: 11}, column{title: "Status", width: 11},
		column{title: "Entries and evidence", width: 19})
	for _, tk := range tasks {
		title := tk.Title
		if tk.Description != "" {
			title += "\n" + tk.Description
		}
		status := c(tk.Status)
		if !tk.DoneAt.IsZero() {
			status.text += "\n" + m.Date(tk.DoneAt)
		}
		if tk.Overdue {
			t.fill = &colMarkBg
			status = cell{text: tk.Status + "\nOVERDUE", mark: true}
		}
		refs := make([]string, 0, len(tk.Entries)+len(tk.Evidence))
		for _, e := range tk.Entries {
			refs = append(refs, "§"+e)
		}
		for _, id := range tk.Evidence {
			refs = append(refs, d.evidenceTitle(id))
		}
		t.row(c(strconv.FormatInt(tk.ID, 10)), c(title), c(fmt.Sprintf("%d: %s", tk.RiskID, tk.Risk)), c(tk.Owner),
			c(m.Date(tk.Due)), status, c(strings.Join(refs, "\n")))
		t.fill = nil
	}
}

func (d *pdfDoc) evidence() {
	m := d.m
	d.section(pdfSecEvidence)
	d.para("Each file is identified by the SHA-256 digest of the version this report relies on; a reader can hash the file and compare.", "", 9.5)
	t := d.table(7.5, true,
		column{title: "Evidence", width: 46}, column{title: "Size", width: 11, align: "R"}, column{title: "Added", width: 16},
		column{title: "Linked entries", width: 27})
	for _, e := range m.Evidence {
		name := e.Title
		switch {
		case e.FileName != "":
			name += "\nFile " + e.FileName
			if e.Version > 0 {
				name += ", version " + strconv.Itoa(e.Version)
			}
		case e.URL != "":
			name += "\nLink " + e.URL
		}
		if e.Description != "" {
			name += "\n" + e.Description
		}
		if e.AuditSeq > 0 {
			name += fmt.Sprintf("\nAudit entry %d", e.AuditSeq)
		}
		size := ""
		if e.Size > 0 {
			size = byteSize(e.Size)
		}
		added := m.Date(e.Added)
		if e.AddedBy != "" {
			added += "\n" + e.AddedBy
		}
		refs := make([]string, len(e.Entries))
		for i, en := range e.Entries {
			refs[i] = "§" + en
		}
		t.row(c(name), c(size), c(added), c(orNone(strings.Join(refs, "\n"))))
		if e.SHA256 != "" {
			t.row(cell{text: "SHA-256 " + e.SHA256, mono: true})
		}
	}
}

// byteSize prints a size in bytes with thousands separators.
func byteSize(n int64) string { return grouped(n) + " bytes" }

// grouped prints n with thousands separators: 10,000.
func grouped[T int | int64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}

var openKinds = map[string]string{
	"gap":                 "Gap",
	"unanswered":          "Not answered",
	"overdue_task":        "Overdue task",
	"expiring_acceptance": "Expiring acceptance",
	"unrated_risk":        "Risk not rated",
	"undecided_risk":      "Risk without treatment",
}

func (d *pdfDoc) openItems() {
	m := d.m
	d.section(pdfSecOpen)
	if len(m.OpenItems) == 0 {
		d.para("Nothing is open.", "", 9.5)
		return
	}
	d.para(fmt.Sprintf("%d item(s) not finished when the report was made.", len(m.OpenItems)), "", 9.5)
	t := d.table(8, true, column{title: "Kind", width: 18}, column{title: "Reference", width: 20}, column{title: "Item", width: 62})
	for _, it := range m.OpenItems {
		kind := openKinds[it.Kind]
		if kind == "" {
			kind = it.Kind
		}
		t.row(c(kind), c(it.Ref), c(it.Text))
	}
}

func (d *pdfDoc) checkpoint() {
	m := d.m
	d.section(pdfSecAudit)
	cp := m.Audit
	if cp == nil {
		d.para("No signed checkpoint of the audit log existed yet when this report was made: the server signs one at a fixed interval while it runs. "+
			"A report made after the next checkpoint carries it; \"safeguard audit verify\" checks the log at any time.", "", 9.5)
		return
	}
	d.para("Safeguard keeps an append-only audit log whose entries form a Merkle tree; a key held outside the database signs checkpoints of it. "+
		"This is the latest checkpoint when the report was made.", "", 9.5)
	t := d.kv(8.5)
	t.pair("Tree size", grouped(cp.TreeSize)+" entries")
	t.row(c("Root hash"), cell{text: cp.Root, mono: true})
	t.pair("Key ID", cp.KeyID)
	t.row(c("Signature"), cell{text: cp.Signature, mono: true})
	t.pair("Signed at", m.DateTime(cp.At))
	d.gap(3)
	d.heading("Checkpoint text", 2)
	ct := d.table(8, false, column{width: 100, mono: true})
	ct.row(cell{text: strings.TrimRight(cp.Text, "\n"), mono: true})
	d.gap(3)
	d.para("To re-verify, save the checkpoint text above to a file and run \"safeguard audit verify --checkpoint FILE\" with the --data or --db of the "+
		"Safeguard installation that made this report: it recomputes the tree from the log and fails unless the log still holds these "+strconv.FormatInt(cp.TreeSize, 10)+
		" entries with this root hash, signed by key "+cp.KeyID+".", "", 9.5)
}

// assetPart is the report on one asset: the asset, the flows to and from
// it, its risks and their tasks.
func (d *pdfDoc) assetPart() {
	m := d.m
	if len(m.Assets) == 0 {
		d.section("Asset")
		d.para("The report names no asset.", "", 9.5)
		return
	}
	a := m.Assets[0]
	// One asset's report is short: its sections follow one another
	// rather than each taking a new page.
	d.compact = true
	d.section("Asset: " + a.Name)
	t := d.kv(9)
	t.pair("Name", a.Name)
	t.pair("Class and kind", joinNonEmpty(" · ", a.Class, a.Kind))
	t.pair("Owner", a.Owner)
	t.pair("Place", joinNonEmpty("\n", a.Place, a.Location))
	t.pair("ePHI", strings.Join(a.EPHI, ", "))
	if a.Records > 0 {
		t.pair("Records", grouped(a.Records))
	}
	t.pair("Use", a.Use)
	if a.Exposed {
		t.row(c("Encrypted at rest"), cell{text: a.AtRest + " (EXPOSED: ePHI not encrypted at rest)", mark: true})
	} else {
		t.pair("Encrypted at rest", a.AtRest)
	}
	t.pair("Hosting", joinNonEmpty(", ", a.Hosting, a.Vendor))
	t.pair("Criticality", a.Criticality)
	t.pair("Lifecycle", a.Lifecycle)
	t.pair("Last reviewed", m.Date(a.Reviewed))
	t.pair("Notes", a.Notes)

	var flows []Flow
	for _, f := range m.Flows {
		if f.From == a.Name || f.To == a.Name {
			flows = append(flows, f)
		}
	}
	var risks []Risk
	ids := map[int64]bool{}
	for _, r := range m.Risks {
		if slices.Contains(r.Assets, a.Name) {
			risks = append(risks, r)
			ids[r.ID] = true
		}
	}
	var tasks []Task
	for _, tk := range m.Tasks {
		if ids[tk.RiskID] {
			tasks = append(tasks, tk)
		}
	}
	d.flows(flows, nil)
	d.register(risks, false)
	d.riskDetails(risks)
	d.plan(tasks)
	// The builder keeps only the open items of this asset's risks and
	// tasks.
	if len(m.OpenItems) > 0 {
		d.openItems()
	}
}
