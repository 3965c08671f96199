package report

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/draw"
	"github.com/safeguard-health/safeguard/internal/risk"
)

// Source is what a report is built from: domain values read by the caller
// (the web and the CLI read them from the store).
type Source struct {
	Now        time.Time
	Zone       *time.Location
	PreparedBy string
	Part       Part
	// AssetID is the asset of a PartAsset report.
	AssetID int64

	Catalog *catalog.Catalog
	// OrgSlug, OrgName and OrgKind (as people read it) name the organisation.
	OrgSlug, OrgName, OrgKind string
	Profile                   assess.Profile
	// Sheet is the assessment reported on; nil when there is none.
	Sheet *assess.Sheet
	// Analysis is the documented risk analysis reported on; nil reports
	// the inventory and register as they stand (Snapshot).
	Analysis *risk.Analysis
	Snapshot risk.Snapshot
	// Library holds the shipped threats and vulnerabilities and the
	// organisation's own.
	Library risk.Library
	// People names users by id, for owners and approvers.
	People   map[int64]string
	Evidence []EvidenceSource
	// Checkpoint is the audit log's latest signed checkpoint, if any.
	Checkpoint *audit.Checkpoint
}

// MapAssetLimit is the largest inventory whose data-flow map a report
// draws; a larger one is described in words only (the map page draws
// parts of it with filters).
const MapAssetLimit = 400

// EvidenceSource is one evidence item with its current version (zero for
// links) and the audit entry that recorded that version.
type EvidenceSource struct {
	Item     assess.Evidence
	Version  assess.EvidenceVersion
	AuditSeq int64
}

// TopRisks is how many risks the executive summary names.
const TopRisks = 10

// Build turns src into the report's model.
func Build(src Source) (*Model, error) {
	if src.Catalog == nil {
		return nil, fmt.Errorf("build report: no catalogue")
	}
	zone := src.Zone
	if zone == nil {
		zone = time.UTC
	}
	m := &Model{
		Generated: src.Now, Zone: zone, ZoneName: zone.String(), PreparedBy: src.PreparedBy,
		Part: cmp.Or(src.Part, PartFull), Title: "HIPAA Security Rule risk analysis and compliance report",
		Org: Org{Slug: src.OrgSlug, Name: src.OrgName, LegalName: src.Profile.LegalName, Kind: src.OrgKind,
			Workforce: src.Profile.Workforce, Patients: src.Profile.Patients,
			Sites: slices.Clone(src.Profile.Locations), Systems: slices.Clone(src.Profile.Systems)},
	}
	if off, ok := src.Profile.Official(); ok {
		m.Org.Official = off.Name
	}
	b := builder{src: src, m: m}
	b.assessment()
	b.analysis()
	if err := b.drawMap(); err != nil {
		return nil, err
	}
	b.evidence()
	b.openItems()
	if src.Checkpoint != nil {
		c := src.Checkpoint
		text, err := c.MarshalText()
		if err != nil {
			return nil, fmt.Errorf("build report: checkpoint: %w", err)
		}
		m.Audit = &Checkpoint{TreeSize: c.TreeSize, Root: c.Root.String(), KeyID: c.KeyID,
			Signature: base64.StdEncoding.EncodeToString(c.Signature), At: c.At, Text: string(text)}
	}
	if m.Part == PartAsset {
		if err := m.keepAsset(src.AssetID); err != nil {
			return nil, err
		}
	}
	return m, nil
}

type builder struct {
	src    Source
	m      *Model
	titles map[string]string
}

// entryTitle is the title of the catalogue entry a measure cites: from the
// assessment's profile, else the organisation's ("" when neither has it).
func (b *builder) entryTitle(citation string) string {
	if b.titles == nil {
		id := b.src.Profile.CatalogProfile
		if b.src.Sheet != nil {
			id = b.src.Sheet.Assessment.CatalogProfile
		}
		b.titles = map[string]string{}
		if p, err := b.src.Catalog.Profile(cmp.Or(id, "current")); err == nil {
			for _, e := range p.Entries() {
				b.titles[e.Citation] = e.Title
			}
		}
	}
	return b.titles[citation]
}

func (b *builder) person(id int64) string {
	if id == 0 {
		return ""
	}
	if n, ok := b.src.People[id]; ok {
		return n
	}
	return "user " + strconv.FormatInt(id, 10)
}

func (b *builder) categoryLabel(c catalog.Category) string {
	if ci, ok := b.src.Catalog.Category(c); ok && ci.Title != "" {
		return ci.Title
	}
	return string(c)
}

// assessment fills the entries, the posture and the decision log.
func (b *builder) assessment() {
	sh := b.src.Sheet
	m := b.m
	if sh == nil {
		m.Draft = true
		return
	}
	a := sh.Assessment
	if prof, err := b.src.Catalog.Profile(a.CatalogProfile); err == nil {
		m.CatalogName = strings.TrimSpace(prof.Title + " " + a.CatalogVersion)
	} else {
		m.CatalogName = strings.TrimSpace(a.CatalogProfile + " " + a.CatalogVersion)
	}
	m.Assessment = &Assessment{ID: a.ID, Name: a.Name, Status: a.Status.Label(), Started: a.StartedAt,
		Finalised: a.FinalisedAt, FinalisedBy: a.FinalisedBy, Attestation: a.Attestation}
	if a.Status != assess.StatusFinal {
		m.Draft = true
	}
	for _, r := range sh.Reviews {
		m.Assessment.Reviews = append(m.Assessment.Reviews, Review{Category: b.categoryLabel(r.Category), By: r.ReviewedBy, At: r.ReviewedAt, Note: r.Note})
	}
	general := b.src.Catalog.General()
	posture := map[catalog.Category]*Posture{}
	var order []catalog.Category
	for _, e := range a.Entries {
		p := posture[e.Category]
		if p == nil {
			p = &Posture{Category: string(e.Category), Label: b.categoryLabel(e.Category)}
			posture[e.Category] = p
			order = append(order, e.Category)
		}
		en := Entry{Citation: e.Citation, Title: e.Title, Kind: string(e.Kind), Requirement: string(e.Requirement),
			Category: string(e.Category), Standard: e.Standard, StatusLabel: "Not answered"}
		if r, ok := sh.Response(e.Citation); ok && r.Status != "" {
			en.Status, en.StatusLabel = string(r.Status), r.Status.Label()
			en.Narrative, en.NAReason, en.Owner, en.Target = r.Narrative, r.NAReason, r.Owner, r.TargetDate
			en.Evidence = slices.Clone(r.EvidenceIDs)
		}
		switch assess.ResponseStatus(en.Status) {
		case assess.Implemented:
			p.Implemented++
		case assess.Partial:
			p.Partial++
		case assess.NotImplemented:
			p.NotImplemented++
		case assess.NotApplicable:
			p.NotApplicable++
		default:
			p.Unanswered++
		}
		if d, ok := sh.Decision(e.Citation); ok && e.Requirement == catalog.Addressable {
			en.Decided = true
			dec := Decision{Citation: e.Citation, Title: e.Title, Outcome: string(d.Outcome), OutcomeLabel: string(d.Outcome),
				Alternative: d.Alternative, Rationale: d.Rationale, RiskRef: d.RiskAnalysisRef, DecidedBy: d.DecidedBy, DecidedAt: d.DecidedAt}
			if oi, ok := general.Outcome(d.Outcome); ok {
				dec.OutcomeLabel = oi.Title
			}
			for _, f := range catalog.Factors() {
				text := d.Factors[f]
				if text == "" {
					continue
				}
				label := string(f)
				if fi, ok := general.Factor(f); ok {
					label = fi.Title
				}
				dec.Factors = append(dec.Factors, Factor{Label: label, Text: text})
			}
			m.Decisions = append(m.Decisions, dec)
		}
		m.Entries = append(m.Entries, en)
	}
	for _, c := range order {
		m.Posture = append(m.Posture, *posture[c])
	}
}

// analysis fills the scale, inventory, flows, register, heat maps and plan.
func (b *builder) analysis() {
	m, s := b.m, b.src.Snapshot
	if an := b.src.Analysis; an != nil {
		m.Analysis = &Analysis{ID: an.ID, Name: an.Name, Scope: an.Scope, Status: "Draft", Started: an.StartedAt,
			Finalised: an.FinalisedAt, FinalisedBy: an.FinalisedBy}
		if an.Status == risk.AnalysisFinal {
			m.Analysis.Status = "Final"
		} else {
			m.Draft = true
		}
	} else {
		m.Draft = true
	}
	sc := s.Scale
	m.Scale = Scale{Name: sc.Name, Likelihood: sc.Likelihood, Impact: sc.Impact, Levels: sc.Levels, Matrix: sc.Matrix}
	names := make(map[int64]string, len(s.Assets))
	for _, a := range s.Assets {
		names[a.ID] = a.Name
	}
	for _, a := range s.Assets {
		as := Asset{ID: a.ID, Name: a.Name, Class: a.Kind.Class().Label(), Kind: a.Kind.Label(), Owner: b.person(a.OwnerID),
			Place: names[a.PlaceID], Location: a.Location, EPHI: slices.Clone(a.EPHI), Records: a.Records, Use: a.Use.Words(),
			AtRest: a.AtRest.Label(), Hosting: a.Hosting.Label(), Vendor: a.Vendor, Criticality: a.Criticality.Label(),
			Lifecycle: a.Lifecycle.Label(), Reviewed: a.Reviewed, Notes: a.Notes, Exposed: a.HoldsEPHI() && a.AtRest.Exposed()}
		m.Assets = append(m.Assets, as)
	}
	end := func(e risk.Endpoint) string {
		if e.AssetID != 0 {
			if n, ok := names[e.AssetID]; ok {
				return n
			}
			return "asset " + strconv.FormatInt(e.AssetID, 10)
		}
		return e.Party
	}
	for _, f := range s.Flows {
		m.Flows = append(m.Flows, Flow{ID: f.ID, From: end(f.From), To: end(f.To), Channel: f.Channel.Label(),
			InTransit: f.InTransit.Label(), Frequency: f.Frequency, Volume: f.Volume, Description: f.Description, Exposed: f.InTransit.Exposed()})
	}
	nl, ni := len(sc.Likelihood), len(sc.Impact)
	grid := func() [][]int {
		g := make([][]int, nl)
		for i := range g {
			g[i] = make([]int, ni)
		}
		return g
	}
	m.Inherent.Counts, m.Current.Counts = grid(), grid()
	for _, lv := range sc.Levels {
		m.ByLevel = append(m.ByLevel, LevelCount{Label: lv.Label, Colour: lv.Colour})
	}
	rating := func(r risk.Rating) Rating {
		out := Rating{Likelihood: r.Likelihood, Impact: r.Impact, Level: -1}
		if r.Likelihood < 1 || r.Likelihood > nl || r.Impact < 1 || r.Impact > ni {
			return out
		}
		out.LikelihoodLabel, out.ImpactLabel = sc.Likelihood[r.Likelihood-1].Label, sc.Impact[r.Impact-1].Label
		if lv, ok := sc.Level(r); ok {
			out.Level, out.LevelLabel, out.Colour = lv, sc.Levels[lv].Label, sc.Levels[lv].Colour
		}
		return out
	}
	count := func(h *HeatMap, r Rating) {
		if r.Level < 0 {
			h.Unrated++
			return
		}
		h.Counts[r.Likelihood-1][r.Impact-1]++
	}
	titles := make(map[int64]string, len(s.Risks))
	for _, r := range s.Risks {
		rk := Risk{ID: r.ID, Title: r.Title, Threat: r.Threat, Vulnerability: r.Vulnerability, MeasuresNote: r.MeasuresNote,
			LikelihoodWhy: r.LikelihoodWhy, ImpactWhy: r.ImpactWhy, Owner: b.person(r.OwnerID), Status: r.Status.Label(),
			Party: r.Treatment.Party, TreatmentNote: r.Treatment.Note, Identified: r.IdentifiedAt}
		if r.Treatment.Strategy != "" {
			rk.Strategy = r.Treatment.Strategy.Label()
		}
		for _, id := range r.AssetIDs {
			if n, ok := names[id]; ok {
				rk.Assets = append(rk.Assets, n)
			} else {
				rk.Assets = append(rk.Assets, "asset "+strconv.FormatInt(id, 10))
			}
		}
		if t, ok := b.src.Library.Threat(r.Threat); ok {
			rk.Threat, rk.ThreatSource = t.Title, t.Source.Label()
		}
		if v, ok := b.src.Library.Vulnerability(r.Vulnerability); ok {
			rk.Vulnerability = v.Title
		}
		for _, c := range r.Measures {
			title := b.entryTitle(c)
			if title != "" {
				title = " " + title
			}
			rk.Measures = append(rk.Measures, "§"+c+title)
		}
		if r.ScaleID != 0 && sc.ID != 0 && r.ScaleID != sc.ID {
			// Rated on an earlier scale: its grades do not read on this one.
			rk.OtherScale = "an earlier scale"
			rk.Inherent, rk.Current, rk.Target = Rating{Level: -1}, Rating{Level: -1}, Rating{Level: -1}
			m.Inherent.OtherScale++
			m.Current.OtherScale++
		} else {
			rk.Inherent, rk.Current, rk.Target = rating(r.Inherent), rating(r.Current), rating(r.Target)
			count(&m.Inherent, rk.Inherent)
			count(&m.Current, rk.Current)
			if rk.Current.Level >= 0 {
				m.ByLevel[rk.Current.Level].Count++
			}
		}
		if acc := r.Treatment.Acceptance; acc != nil {
			rk.Acceptance = &Accept{Approver: cmp.Or(acc.Approver, b.person(acc.ApproverID)), Reason: acc.Reason,
				Expires: acc.Expires, ApprovedAt: acc.ApprovedAt, Expired: r.Expired(b.src.Now)}
		}
		titles[r.ID] = r.Title
		m.Risks = append(m.Risks, rk)
	}
	top := slices.Clone(m.Risks)
	top = slices.DeleteFunc(top, func(r Risk) bool { return r.Current.Level < 0 || r.Status == risk.StatusClosed.Label() })
	slices.SortStableFunc(top, func(a, b Risk) int {
		return cmp.Or(cmp.Compare(b.Current.Level, a.Current.Level),
			cmp.Compare(b.Current.Likelihood*b.Current.Impact, a.Current.Likelihood*a.Current.Impact), cmp.Compare(a.ID, b.ID))
	})
	for _, r := range top[:min(len(top), TopRisks)] {
		m.Top = append(m.Top, r.ID)
	}
	for _, t := range s.Tasks {
		m.Tasks = append(m.Tasks, Task{ID: t.ID, RiskID: t.RiskID, Risk: titles[t.RiskID], Title: t.Title, Description: t.Description,
			Owner: b.person(t.OwnerID), Due: t.Due, Status: t.Status.Label(), Entries: slices.Clone(t.Entries),
			Evidence: slices.Clone(t.EvidenceIDs), DoneAt: t.DoneAt, Overdue: t.Overdue(b.src.Now)})
	}
}

// drawMap draws the data-flow map of the inventory, grouped by place, or
// says why there is none.
func (b *builder) drawMap() error {
	s, m := b.src.Snapshot, b.m
	if len(s.Assets) == 0 {
		return nil
	}
	if len(s.Assets) > MapAssetLimit {
		m.MapText = []string{fmt.Sprintf("The inventory holds %d assets, too many to draw on one page: the map page of Safeguard draws it by place, by hosting or around one asset.", len(s.Assets))}
		return nil
	}
	fm, err := draw.FlowMap(s.Assets, s.Flows, draw.MapOptions{Title: "Where " + m.Org.Name + "'s ePHI lives and moves"})
	if err != nil {
		return fmt.Errorf("build report: data-flow map: %w", err)
	}
	m.Map, m.MapLayout = string(fm.SVG), &fm.Layout
	m.MapText = append(m.MapText, fm.Desc)
	for _, f := range fm.Flows {
		m.MapText = append(m.MapText, f.String())
	}
	if len(fm.Exposed) > 0 {
		m.MapText = append(m.MapText, "Holding ePHI not known to be encrypted at rest: "+strings.Join(fm.Exposed, ", ")+".")
	}
	return nil
}

// evidence lists the evidence with the entries and tasks it supports.
func (b *builder) evidence() {
	m := b.m
	uses := map[int64][]string{}
	for _, e := range m.Entries {
		for _, id := range e.Evidence {
			uses[id] = append(uses[id], e.Citation)
		}
	}
	for _, t := range m.Tasks {
		for _, id := range t.Evidence {
			uses[id] = append(uses[id], "Task "+strconv.FormatInt(t.ID, 10))
		}
	}
	for _, es := range b.src.Evidence {
		it := es.Item
		ev := Evidence{ID: it.ID, Title: it.Title, Description: it.Description, Kind: string(it.Kind), URL: it.URL,
			Added: it.CreatedAt, AddedBy: it.CreatedBy, Entries: uses[it.ID], AuditSeq: es.AuditSeq}
		if v := es.Version; v.Version != 0 {
			ev.FileName, ev.Version, ev.SHA256, ev.Size, ev.Added, ev.AddedBy = v.Filename, v.Version, v.SHA256, v.Size, v.UploadedAt, v.UploadedBy
		}
		if ev.Entries == nil {
			ev.Entries = []string{}
		}
		m.Evidence = append(m.Evidence, ev)
	}
}

// openItems lists what a reader should know is not finished.
func (b *builder) openItems() {
	m := b.m
	for _, e := range m.Entries {
		switch assess.ResponseStatus(e.Status) {
		case assess.NotImplemented, assess.Partial:
			m.OpenItems = append(m.OpenItems, OpenItem{Kind: "gap", Ref: "§" + e.Citation, Text: e.Title + ": " + strings.ToLower(e.StatusLabel) + "."})
		case "":
			m.OpenItems = append(m.OpenItems, OpenItem{Kind: "unanswered", Ref: "§" + e.Citation, Text: e.Title + " is not answered."})
		}
	}
	for _, r := range m.Risks {
		ref := "Risk " + strconv.FormatInt(r.ID, 10)
		switch {
		case r.Current.Level < 0 && r.OtherScale == "":
			m.OpenItems = append(m.OpenItems, OpenItem{Kind: "unrated_risk", Ref: ref, Text: r.Title + " has no current rating."})
		case r.Strategy == "" && r.Status != risk.StatusClosed.Label():
			m.OpenItems = append(m.OpenItems, OpenItem{Kind: "undecided_risk", Ref: ref, Text: r.Title + " has no treatment decided."})
		}
		if a := r.Acceptance; a != nil && (a.Expired || a.Expires.Before(m.Generated.AddDate(0, 0, 60))) {
			word := "expires"
			if a.Expired {
				word = "expired"
			}
			m.OpenItems = append(m.OpenItems, OpenItem{Kind: "expiring_acceptance", Ref: ref,
				Text: fmt.Sprintf("The acceptance of %s %s on %s.", r.Title, word, m.Date(a.Expires))})
		}
	}
	for _, t := range m.Tasks {
		if t.Overdue {
			m.OpenItems = append(m.OpenItems, OpenItem{Kind: "overdue_task", Ref: "Task " + strconv.FormatInt(t.ID, 10),
				Text: fmt.Sprintf("%s (%s) was due %s.", t.Title, t.Owner, m.Date(t.Due))})
		}
	}
}

// keepAsset narrows m to one asset: the asset first, the places it sits in
// after it, and the flows, risks and tasks that concern it.
func (m *Model) keepAsset(id int64) error {
	i := slices.IndexFunc(m.Assets, func(a Asset) bool { return a.ID == id })
	if i < 0 {
		return fmt.Errorf("build report: asset %d is not in the inventory", id)
	}
	a := m.Assets[i]
	m.Title = "Asset report: " + a.Name
	m.Assets = []Asset{a}
	m.Flows = slices.DeleteFunc(m.Flows, func(f Flow) bool { return f.From != a.Name && f.To != a.Name })
	m.Risks = slices.DeleteFunc(m.Risks, func(r Risk) bool { return !slices.Contains(r.Assets, a.Name) })
	keep := map[int64]bool{}
	for _, r := range m.Risks {
		keep[r.ID] = true
	}
	m.Tasks = slices.DeleteFunc(m.Tasks, func(t Task) bool { return !keep[t.RiskID] })
	m.Top = slices.DeleteFunc(m.Top, func(id int64) bool { return !keep[id] })
	m.OpenItems = slices.DeleteFunc(m.OpenItems, func(o OpenItem) bool {
		return !strings.HasPrefix(o.Ref, "Risk ") && !strings.HasPrefix(o.Ref, "Task ") || !mentions(o, m)
	})
	for _, h := range []*HeatMap{&m.Inherent, &m.Current} {
		for _, row := range h.Counts {
			clear(row)
		}
		h.Unrated, h.OtherScale = 0, 0
	}
	for i := range m.ByLevel {
		m.ByLevel[i].Count = 0
	}
	for _, r := range m.Risks {
		if r.Inherent.Level >= 0 {
			m.Inherent.Counts[r.Inherent.Likelihood-1][r.Inherent.Impact-1]++
		} else {
			m.Inherent.Unrated++
		}
		if r.Current.Level >= 0 {
			m.Current.Counts[r.Current.Likelihood-1][r.Current.Impact-1]++
			m.ByLevel[r.Current.Level].Count++
		} else {
			m.Current.Unrated++
		}
	}
	m.Map, m.MapText, m.MapLayout = "", nil, nil
	return nil
}

// mentions reports whether open item o concerns a risk or task still in m.
func mentions(o OpenItem, m *Model) bool {
	id, err := strconv.ParseInt(o.Ref[strings.IndexByte(o.Ref, ' ')+1:], 10, 64)
	if err != nil {
		return false
	}
	if strings.HasPrefix(o.Ref, "Risk ") {
		_, ok := m.Risk(id)
		return ok
	}
	return slices.ContainsFunc(m.Tasks, func(t Task) bool { return t.ID == id })
}
