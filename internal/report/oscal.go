package report

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/safeguard-health/safeguard/internal/catalog"
)

// The OSCAL assessment results and POA&M are written against the OSCAL
// 1.1.3 JSON schema. Control ids and statement ids are those of the
// catalogue's own OSCAL export (catalog.ExportOSCAL), so the catalogue, the
// assessment results and the POA&M link up. Every UUID is derived from the
// organisation's slug, the kind of object and its id, so the same model
// always gives the same document.

// The subset of the OSCAL assessment-results and POA&M models Safeguard
// writes.
type (
	// oscalAR and oscalPOAM are the small fields of the documents; the
	// results, observations, risks, findings and POA&M items are streamed
	// after them (jsonStream).
	oscalAR struct {
		UUID       string           `json:"uuid"`
		Metadata   oscalMetadata    `json:"metadata"`
		ImportAP   oscalImport      `json:"import-ap"`
		BackMatter *oscalBackMatter `json:"back-matter,omitempty"`
	}
	oscalPOAM struct {
		UUID       string           `json:"uuid"`
		Metadata   oscalMetadata    `json:"metadata"`
		SystemID   *oscalSystemID   `json:"system-id,omitempty"`
		LocalDefs  *oscalPOAMLocal  `json:"local-definitions,omitempty"`
		BackMatter *oscalBackMatter `json:"back-matter,omitempty"`
	}
	oscalMetadata struct {
		Title        string           `json:"title"`
		LastModified string           `json:"last-modified"`
		Version      string           `json:"version"`
		OSCALVersion string           `json:"oscal-version"`
		Props        []oscalProp      `json:"props,omitempty"`
		Links        []oscalLink      `json:"links,omitempty"`
		Roles        []oscalRole      `json:"roles,omitempty"`
		Parties      []oscalParty     `json:"parties,omitempty"`
		Responsible  []oscalRespParty `json:"responsible-parties,omitempty"`
		Remarks      string           `json:"remarks,omitempty"`
	}
	oscalRole struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	oscalParty struct {
		UUID string `json:"uuid"`
		Type string `json:"type"`
		Name string `json:"name,omitempty"`
	}
	oscalRespParty struct {
		RoleID     string   `json:"role-id"`
		PartyUUIDs []string `json:"party-uuids"`
	}
	oscalRespRole struct {
		RoleID     string   `json:"role-id"`
		PartyUUIDs []string `json:"party-uuids,omitempty"`
	}
	oscalProp struct {
		Name    string `json:"name"`
		NS      string `json:"ns,omitempty"`
		Class   string `json:"class,omitempty"`
		Value   string `json:"value"`
		Remarks string `json:"remarks,omitempty"`
	}
	oscalLink struct {
		Href string `json:"href"`
		Rel  string `json:"rel,omitempty"`
		Text string `json:"text,omitempty"`
	}
	oscalImport struct {
		Href    string `json:"href"`
		Remarks string `json:"remarks,omitempty"`
	}
	oscalSystemID struct {
		IdentifierType string `json:"identifier-type,omitempty"`
		ID             string `json:"id"`
	}
	oscalPOAMLocal struct {
		Components []oscalComponent `json:"components,omitempty"`
		Remarks    string           `json:"remarks,omitempty"`
	}
	// oscalResult is a result without its observations, risks and
	// findings, which are streamed after it.
	oscalResult struct {
		UUID             string              `json:"uuid"`
		Title            string              `json:"title"`
		Description      string              `json:"description"`
		Start            string              `json:"start"`
		End              string              `json:"end,omitempty"`
		Props            []oscalProp         `json:"props,omitempty"`
		LocalDefs        *oscalResultLocal   `json:"local-definitions,omitempty"`
		ReviewedControls oscalReviewed       `json:"reviewed-controls"`
		Attestations     []oscalAttestation  `json:"attestations,omitempty"`
		AssessmentLog    *oscalAssessmentLog `json:"assessment-log,omitempty"`
		Remarks          string              `json:"remarks,omitempty"`
	}
	oscalResultLocal struct {
		Components []oscalComponent `json:"components,omitempty"`
	}
	oscalComponent struct {
		UUID        string          `json:"uuid"`
		Type        string          `json:"type"`
		Title       string          `json:"title"`
		Description string          `json:"description"`
		Props       []oscalProp     `json:"props,omitempty"`
		Status      oscalState      `json:"status"`
		Roles       []oscalRespRole `json:"responsible-roles,omitempty"`
		Remarks     string          `json:"remarks,omitempty"`
	}
	oscalState struct {
		State   string `json:"state"`
		Reason  string `json:"reason,omitempty"`
		Remarks string `json:"remarks,omitempty"`
	}
	oscalReviewed struct {
		Selections []oscalControlSelection `json:"control-selections"`
		Remarks    string                  `json:"remarks,omitempty"`
	}
	oscalControlSelection struct {
		Include []oscalSelectControl `json:"include-controls,omitempty"`
	}
	oscalSelectControl struct {
		ControlID string `json:"control-id"`
	}
	oscalAttestation struct {
		Responsible []oscalRespParty `json:"responsible-parties,omitempty"`
		Parts       []oscalAPart     `json:"parts"`
	}
	oscalAPart struct {
		Name  string      `json:"name"`
		NS    string      `json:"ns,omitempty"`
		Title string      `json:"title,omitempty"`
		Props []oscalProp `json:"props,omitempty"`
		Prose string      `json:"prose,omitempty"`
	}
	oscalAssessmentLog struct {
		Entries []oscalLogEntry `json:"entries"`
	}
	oscalLogEntry struct {
		UUID         string          `json:"uuid"`
		Title        string          `json:"title,omitempty"`
		Description  string          `json:"description,omitempty"`
		Start        string          `json:"start"`
		End          string          `json:"end,omitempty"`
		Props        []oscalProp     `json:"props,omitempty"`
		LoggedBy     []oscalLoggedBy `json:"logged-by,omitempty"`
		StatusChange string          `json:"status-change,omitempty"`
		Responses    []oscalRelResp  `json:"related-responses,omitempty"`
		Remarks      string          `json:"remarks,omitempty"`
	}
	oscalLoggedBy struct {
		PartyUUID string `json:"party-uuid"`
		RoleID    string `json:"role-id,omitempty"`
	}
	oscalRelResp struct {
		ResponseUUID string `json:"response-uuid"`
	}
	oscalObservation struct {
		UUID        string          `json:"uuid"`
		Title       string          `json:"title,omitempty"`
		Description string          `json:"description"`
		Props       []oscalProp     `json:"props,omitempty"`
		Methods     []string        `json:"methods"`
		Types       []string        `json:"types,omitempty"`
		Evidence    []oscalEvidence `json:"relevant-evidence,omitempty"`
		Collected   string          `json:"collected"`
		Remarks     string          `json:"remarks,omitempty"`
	}
	oscalEvidence struct {
		Href        string      `json:"href,omitempty"`
		Description string      `json:"description"`
		Props       []oscalProp `json:"props,omitempty"`
		Remarks     string      `json:"remarks,omitempty"`
	}
	oscalFinding struct {
		UUID         string         `json:"uuid"`
		Title        string         `json:"title"`
		Description  string         `json:"description"`
		Props        []oscalProp    `json:"props,omitempty"`
		Target       oscalTarget    `json:"target"`
		Observations []oscalRelObs  `json:"related-observations,omitempty"`
		Risks        []oscalRelRisk `json:"related-risks,omitempty"`
		Remarks      string         `json:"remarks,omitempty"`
	}
	oscalTarget struct {
		Type     string      `json:"type"`
		TargetID string      `json:"target-id"`
		Props    []oscalProp `json:"props,omitempty"`
		Status   oscalState  `json:"status"`
		Impl     *oscalState `json:"implementation-status,omitempty"`
		Remarks  string      `json:"remarks,omitempty"`
	}
	oscalRelObs struct {
		ObservationUUID string `json:"observation-uuid"`
	}
	oscalRelRisk struct {
		RiskUUID string `json:"risk-uuid"`
	}
	oscalRelFinding struct {
		FindingUUID string `json:"finding-uuid"`
	}
	oscalRisk struct {
		UUID         string              `json:"uuid"`
		Title        string              `json:"title"`
		Description  string              `json:"description"`
		Statement    string              `json:"statement"`
		Props        []oscalProp         `json:"props,omitempty"`
		Status       string              `json:"status"`
		Chars        []oscalCharacterize `json:"characterizations,omitempty"`
		Mitigating   []oscalMitigating   `json:"mitigating-factors,omitempty"`
		Deadline     string              `json:"deadline,omitempty"`
		Remediations []oscalResponse     `json:"remediations,omitempty"`
		RiskLog      *oscalRiskLog       `json:"risk-log,omitempty"`
		Observations []oscalRelObs       `json:"related-observations,omitempty"`
	}
	oscalCharacterize struct {
		Props  []oscalProp  `json:"props,omitempty"`
		Origin oscalOrigin  `json:"origin"`
		Facets []oscalFacet `json:"facets"`
	}
	oscalOrigin struct {
		Actors []oscalActor `json:"actors"`
	}
	oscalActor struct {
		Type      string `json:"type"`
		ActorUUID string `json:"actor-uuid"`
		RoleID    string `json:"role-id,omitempty"`
	}
	oscalFacet struct {
		Name    string      `json:"name"`
		System  string      `json:"system"`
		Value   string      `json:"value"`
		Props   []oscalProp `json:"props,omitempty"`
		Remarks string      `json:"remarks,omitempty"`
	}
	oscalMitigating struct {
		UUID        string         `json:"uuid"`
		Description string         `json:"description"`
		Props       []oscalProp    `json:"props,omitempty"`
		Subjects    []oscalSubjRef `json:"subjects,omitempty"`
		Links       []oscalLink    `json:"links,omitempty"`
	}
	oscalSubjRef struct {
		SubjectUUID string `json:"subject-uuid"`
		Type        string `json:"type"`
		Title       string `json:"title,omitempty"`
	}
	oscalResponse struct {
		UUID        string          `json:"uuid"`
		Lifecycle   string          `json:"lifecycle"`
		Title       string          `json:"title"`
		Description string          `json:"description"`
		Props       []oscalProp     `json:"props,omitempty"`
		Assets      []oscalReqAsset `json:"required-assets,omitempty"`
		Tasks       []oscalTask     `json:"tasks,omitempty"`
		Remarks     string          `json:"remarks,omitempty"`
	}
	oscalReqAsset struct {
		UUID        string      `json:"uuid"`
		Title       string      `json:"title,omitempty"`
		Description string      `json:"description"`
		Props       []oscalProp `json:"props,omitempty"`
	}
	oscalTask struct {
		UUID        string          `json:"uuid"`
		Type        string          `json:"type"`
		Title       string          `json:"title"`
		Description string          `json:"description,omitempty"`
		Props       []oscalProp     `json:"props,omitempty"`
		Links       []oscalLink     `json:"links,omitempty"`
		Timing      *oscalTiming    `json:"timing,omitempty"`
		Roles       []oscalRespRole `json:"responsible-roles,omitempty"`
		Remarks     string          `json:"remarks,omitempty"`
	}
	oscalTiming struct {
		OnDate *oscalOnDate `json:"on-date,omitempty"`
	}
	oscalOnDate struct {
		Date string `json:"date"`
	}
	oscalRiskLog struct {
		Entries []oscalLogEntry `json:"entries"`
	}
	oscalPOAMItem struct {
		UUID         string            `json:"uuid"`
		Title        string            `json:"title"`
		Description  string            `json:"description"`
		Props        []oscalProp       `json:"props,omitempty"`
		Links        []oscalLink       `json:"links,omitempty"`
		Findings     []oscalRelFinding `json:"related-findings,omitempty"`
		Observations []oscalRelObs     `json:"related-observations,omitempty"`
		Risks        []oscalRelRisk    `json:"related-risks,omitempty"`
		Remarks      string            `json:"remarks,omitempty"`
	}
	oscalBackMatter struct {
		Resources []oscalResource `json:"resources"`
	}
	oscalResource struct {
		UUID        string         `json:"uuid"`
		Title       string         `json:"title,omitempty"`
		Description string         `json:"description,omitempty"`
		Props       []oscalProp    `json:"props,omitempty"`
		Citation    *oscalCitation `json:"citation,omitempty"`
		Remarks     string         `json:"remarks,omitempty"`
	}
	oscalCitation struct {
		Text string `json:"text"`
	}
)

// oscalNS qualifies the properties and facets Safeguard adds.
const oscalNS = catalog.OSCALNamespace

// Roles named in the documents' metadata.
const (
	roleOrg        = "organization"
	rolePreparedBy = "prepared-by"
	roleOfficial   = "security-official"
	roleFinaliser  = "finalised-by"
	roleReviewer   = "reviewer"
	roleDecider    = "decided-by"
	roleRiskOwner  = "risk-owner"
	roleApprover   = "acceptance-approver"
	roleTaskOwner  = "task-owner"
	roleEntryOwner = "entry-owner"
	roleAnalyst    = "analysis-finalised-by"
	roleAssetOwner = "asset-owner"
)

var oscalRoles = []oscalRole{
	{roleOrg, "Organisation reported on"},
	{rolePreparedBy, "Prepared the report"},
	{roleOfficial, "Security official (§164.308(a)(2))"},
	{roleFinaliser, "Finalised the assessment"},
	{roleAnalyst, "Finalised the risk analysis"},
	{roleReviewer, "Reviewed a safeguard category"},
	{roleDecider, "Made an addressable decision"},
	{roleEntryOwner, "Owns a catalogue entry"},
	{roleRiskOwner, "Owns a risk"},
	{roleApprover, "Approved a risk acceptance"},
	{roleTaskOwner, "Owns a task of the risk management plan"},
	{roleAssetOwner, "Owns an asset of the inventory"},
}

// oscalWriter holds what both documents share: the uuid namespace, the
// parties, and the indexes from ids to the objects that link them.
type oscalWriter struct {
	m    *Model
	slug string
	// parties are the people named anywhere in the model, by name.
	parties   map[string]string
	partyList []oscalParty
	orgParty  string
	// assets maps an asset's name to its component UUID.
	assets map[string]string
	// tasks are the tasks of each risk, in the model's order.
	tasks map[int64][]Task
	// entryEvidence are the evidence ids of each citation; entryRisks the
	// risks linked to it by a task or a measure.
	entryEvidence map[string][]int64
	entryRisks    map[string][]int64
	evidence      map[int64]bool
	decisions     map[string]*Decision
	// linked remembers the links made, so that each is made once.
	linked map[citationLink]bool
}

func newOSCALWriter(m *Model) *oscalWriter {
	o := &oscalWriter{
		m: m, slug: m.Org.Slug, parties: map[string]string{}, assets: map[string]string{},
		tasks: map[int64][]Task{}, entryEvidence: map[string][]int64{}, entryRisks: map[string][]int64{},
		evidence: map[int64]bool{}, decisions: map[string]*Decision{}, linked: map[citationLink]bool{},
	}
	o.orgParty = o.uuid("org", "")
	o.partyList = append(o.partyList, oscalParty{UUID: o.orgParty, Type: "organization", Name: oscalString(cmp.Or(m.Org.LegalName, m.Org.Name, m.Org.Slug, "Organisation"))})
	for _, a := range m.Assets {
		if _, ok := o.assets[a.Name]; !ok {
			o.assets[a.Name] = o.uuid("asset", strconv.FormatInt(a.ID, 10))
		}
	}
	// A part of the report may hold tasks of risks it does not show; those
	// link nothing, so that every reference resolves in the document.
	shown := make(map[int64]bool, len(m.Risks))
	for _, r := range m.Risks {
		shown[r.ID] = true
	}
	for _, t := range m.Tasks {
		if !shown[t.RiskID] {
			continue
		}
		o.tasks[t.RiskID] = append(o.tasks[t.RiskID], t)
		for _, c := range t.Entries {
			o.linkRisk(c, t.RiskID)
		}
	}
	for _, r := range m.Risks {
		for _, ms := range r.Measures {
			if c := measureCitation(ms); c != "" {
				o.linkRisk(c, r.ID)
			}
		}
	}
	for _, e := range m.Evidence {
		o.evidence[e.ID] = true
		for _, c := range e.Entries {
			o.linkEvidence(c, e.ID)
		}
	}
	for _, e := range m.Entries {
		for _, id := range e.Evidence {
			o.linkEvidence(e.Citation, id)
		}
	}
	for i := range m.Decisions {
		o.decisions[m.Decisions[i].Citation] = &m.Decisions[i]
	}
	// Every person named in the model becomes a party, in a fixed order.
	o.party(m.PreparedBy)
	o.party(m.Org.Official)
	if a := m.Assessment; a != nil {
		o.party(a.FinalisedBy)
		for _, rv := range a.Reviews {
			o.party(rv.By)
		}
	}
	if a := m.Analysis; a != nil {
		o.party(a.FinalisedBy)
	}
	for _, a := range m.Assets {
		o.party(a.Owner)
	}
	for _, e := range m.Entries {
		o.party(e.Owner)
	}
	for _, d := range m.Decisions {
		o.party(d.DecidedBy)
	}
	for _, r := range m.Risks {
		o.party(r.Owner)
		if r.Acceptance != nil {
			o.party(r.Acceptance.Approver)
		}
	}
	for _, t := range m.Tasks {
		o.party(t.Owner)
	}
	for _, e := range m.Evidence {
		o.party(e.AddedBy)
	}
	return o
}

// citationLink is a link from a citation to a risk or an evidence item.
type citationLink struct {
	citation string
	evidence bool
	id       int64
}

func (o *oscalWriter) linkRisk(citation string, id int64) {
	if k := (citationLink{citation, false, id}); !o.linked[k] {
		o.linked[k] = true
		o.entryRisks[citation] = append(o.entryRisks[citation], id)
	}
}

func (o *oscalWriter) linkEvidence(citation string, id int64) {
	if k := (citationLink{citation, true, id}); !o.linked[k] {
		o.linked[k] = true
		o.entryEvidence[citation] = append(o.entryEvidence[citation], id)
	}
}

// uuid derives the stable UUID of the object of kind and id within the
// organisation.
func (o *oscalWriter) uuid(kind, id string) string {
	return catalog.OSCALUUID("org/" + o.slug + "/" + kind + "/" + id)
}

// party returns the UUID of the person named name, adding the party the
// first time; "" for no name.
func (o *oscalWriter) party(name string) string {
	name = oscalString(name)
	if name == "" {
		return ""
	}
	if id, ok := o.parties[name]; ok {
		return id
	}
	id := o.uuid("party", name)
	o.parties[name] = id
	o.partyList = append(o.partyList, oscalParty{UUID: id, Type: "person", Name: name})
	return id
}

// WriteAssessmentResults writes the report as an OSCAL 1.1.3 assessment
// results document in JSON: one result with every catalogue entry of the
// assessment as a finding on the catalogue control's statement, the
// evidence as observations, and the risk register as risks. The large
// lists are written one item at a time, so a register of any size is never
// held as a whole document in memory.
func WriteAssessmentResults(w io.Writer, m *Model) error {
	o := newOSCALWriter(m)
	res := oscalResult{
		UUID:        o.uuid("result", o.assessmentKey()),
		Title:       cmp.Or(o.assessmentName(), m.Title, "Security Rule assessment"),
		Description: o.resultDescription(),
		Start:       oscalTime(o.start()),
		Props:       o.draftProps(),
		ReviewedControls: oscalReviewed{
			Selections: []oscalControlSelection{{Include: o.reviewedControls()}},
			Remarks:    "Control ids are those of the Safeguard catalogue's OSCAL export (" + m.CatalogName + ").",
		},
	}
	if a := m.Assessment; a != nil {
		res.End = oscalTime(a.Finalised)
		res.Props = appendProp(res.Props, "assessment-status", a.Status)
		res.Attestations = o.attestations()
		res.AssessmentLog = o.assessmentLog()
	}
	if a := m.Analysis; a != nil {
		res.Props = appendProp(res.Props, "risk-analysis", a.Name)
		res.Props = appendProp(res.Props, "risk-analysis-status", a.Status)
	}
	if len(res.ReviewedControls.Selections[0].Include) == 0 {
		// The schema wants a selection; an empty assessment reviews nothing.
		res.ReviewedControls.Selections = []oscalControlSelection{{}}
	}
	if comps := o.components(); len(comps) > 0 {
		res.LocalDefs = &oscalResultLocal{Components: comps}
	}
	plan := o.uuid("assessment-plan", o.assessmentKey())
	head := oscalAR{
		UUID:     o.uuid("assessment-results", o.assessmentKey()),
		Metadata: o.metadata(cmp.Or(m.Title, "Security Rule assessment results")),
		ImportAP: oscalImport{Href: "#" + plan,
			Remarks: "Safeguard keeps no separate OSCAL assessment plan: the back-matter resource describes the assessment's scope and method."},
		BackMatter: o.backMatter(oscalResource{
			UUID: plan, Title: "Assessment plan: " + cmp.Or(o.assessmentName(), "Security Rule assessment"),
			Description: o.planDescription(),
			Props:       propsOf("catalogue", m.CatalogName),
		}),
	}

	s := newJSONStream(w)
	s.raw(`{"assessment-results":`)
	s.open(head)
	s.raw(`,"results":[`)
	s.open(res)
	s.array("observations", func(yield func(any) bool) {
		for _, e := range m.Evidence {
			if !yield(o.observation(e)) {
				return
			}
		}
	})
	s.array("risks", func(yield func(any) bool) {
		for _, r := range m.Risks {
			if !yield(o.risk(r)) {
				return
			}
		}
	})
	s.array("findings", func(yield func(any) bool) {
		for _, e := range m.Entries {
			if !yield(o.finding(e)) {
				return
			}
		}
	})
	s.raw("}]}}\n")
	return s.close()
}

// WritePOAM writes the report as an OSCAL 1.1.3 plan of action and
// milestones in JSON: one item per gap (an entry partially or not
// implemented) and per risk not closed, with the risk register, the gap
// findings and the evidence they rely on.
func WritePOAM(w io.Writer, m *Model) error {
	o := newOSCALWriter(m)
	head := oscalPOAM{
		UUID:       o.uuid("poam", o.assessmentKey()),
		Metadata:   o.metadata("Plan of action and milestones: " + cmp.Or(m.Org.Name, m.Org.Slug, "organisation")),
		SystemID:   &oscalSystemID{IdentifierType: "https://ietf.org/rfc/rfc4122", ID: o.uuid("system", "")},
		LocalDefs:  &oscalPOAMLocal{Components: o.components(), Remarks: o.planDescription()},
		BackMatter: o.backMatter(),
	}
	var gaps []Entry
	for _, e := range m.Entries {
		if isGap(e) {
			gaps = append(gaps, e)
		}
	}

	s := newJSONStream(w)
	s.raw(`{"plan-of-action-and-milestones":`)
	s.open(head)
	s.array("observations", func(yield func(any) bool) {
		for _, e := range m.Evidence {
			if !yield(o.observation(e)) {
				return
			}
		}
	})
	s.array("risks", func(yield func(any) bool) {
		for _, r := range m.Risks {
			if !yield(o.risk(r)) {
				return
			}
		}
	})
	s.array("findings", func(yield func(any) bool) {
		for _, e := range gaps {
			if !yield(o.finding(e)) {
				return
			}
		}
	})
	items := 0
	s.array("poam-items", func(yield func(any) bool) {
		for _, e := range gaps {
			items++
			if !yield(o.gapItem(e)) {
				return
			}
		}
		for _, r := range m.Risks {
			if strings.EqualFold(r.Status, "closed") {
				continue
			}
			items++
			if !yield(o.riskItem(r)) {
				return
			}
		}
		if items == 0 {
			// The schema wants at least one item; say plainly there is
			// nothing to do.
			yield(oscalPOAMItem{
				UUID:        o.uuid("poam-item", "none"),
				Title:       "No open gaps or risks",
				Description: "When the report was made, no catalogue entry was partially or not implemented and every risk of the register was closed.",
			})
		}
	})
	s.raw("}}\n")
	return s.close()
}

func (o *oscalWriter) gapItem(e Entry) oscalPOAMItem {
	f := o.finding(e)
	item := oscalPOAMItem{
		UUID:        o.uuid("poam-item", "gap/"+e.Citation),
		Title:       "Gap: " + e.Citation + " " + e.Title,
		Description: e.StatusLabel + ". " + e.Narrative,
		Props: propsOf("kind", "gap", "citation", e.Citation, "control-id", catalog.OSCALControlID(e.Citation),
			"status", e.Status, "owner", e.Owner, "target-date", oscalTime(e.Target)),
		Findings:     []oscalRelFinding{{FindingUUID: f.UUID}},
		Observations: f.Observations,
		Risks:        f.Risks,
	}
	if d := o.decisions[e.Citation]; d != nil {
		item.Remarks = decisionText(d, o.m)
	}
	return item
}

func (o *oscalWriter) riskItem(r Risk) oscalPOAMItem {
	id := strconv.FormatInt(r.ID, 10)
	return oscalPOAMItem{
		UUID:         o.uuid("poam-item", "risk/"+id),
		Title:        "Risk " + id + ": " + r.Title,
		Description:  riskDescription(r),
		Props:        propsOf("kind", "risk", "risk-id", id, "status", r.Status, "strategy", r.Strategy, "owner", r.Owner),
		Risks:        []oscalRelRisk{{RiskUUID: o.uuid("risk", id)}},
		Observations: o.taskObservations(r.ID),
		Remarks:      r.TreatmentNote,
	}
}

// jsonStream writes a JSON document piece by piece: an object whose small
// fields are encoded at once (open), followed by large arrays written one
// item at a time (array). The first error stops all writing.
type jsonStream struct {
	bw  *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
	err error
}

func newJSONStream(w io.Writer) *jsonStream {
	s := &jsonStream{bw: bufio.NewWriterSize(w, 64<<10)}
	s.enc = json.NewEncoder(&s.buf)
	s.enc.SetEscapeHTML(false)
	return s
}

func (s *jsonStream) raw(text string) {
	if s.err == nil {
		_, s.err = s.bw.WriteString(text)
	}
}

// encode writes v without the newline json.Encoder adds.
func (s *jsonStream) encode(v any) []byte {
	if s.err != nil {
		return nil
	}
	s.buf.Reset()
	if s.err = s.enc.Encode(v); s.err != nil {
		return nil
	}
	return bytes.TrimSuffix(s.buf.Bytes(), []byte("\n"))
}

// open writes the object v without its closing brace, so that arrays can
// follow; v must encode to an object with at least one field.
func (s *jsonStream) open(v any) {
	b := s.encode(v)
	if s.err != nil {
		return
	}
	if len(b) < 3 || b[len(b)-1] != '}' {
		s.err = errors.New("open: not an object with fields")
		return
	}
	_, s.err = s.bw.Write(b[:len(b)-1])
}

// array writes the field key with the items seq yields, one per line; an
// empty sequence writes nothing, as OSCAL wants no empty arrays.
func (s *jsonStream) array(key string, seq func(yield func(any) bool)) {
	n := 0
	seq(func(v any) bool {
		b := s.encode(v)
		if s.err != nil {
			return false
		}
		if n == 0 {
			s.raw(`,"` + key + `":[` + "\n")
		} else {
			s.raw(",\n")
		}
		n++
		if s.err == nil {
			_, s.err = s.bw.Write(b)
		}
		return s.err == nil
	})
	if n > 0 {
		s.raw("]")
	}
}

func (s *jsonStream) close() error {
	if s.err == nil {
		s.err = s.bw.Flush()
	}
	if s.err != nil {
		return fmt.Errorf("write OSCAL: %w", s.err)
	}
	return nil
}

func isGap(e Entry) bool { return e.Status == "partial" || e.Status == "not_implemented" }

// assessmentKey names the assessment and analysis the documents draw on.
func (o *oscalWriter) assessmentKey() string {
	k := "current"
	if a := o.m.Assessment; a != nil {
		k = "assessment-" + strconv.FormatInt(a.ID, 10)
	}
	if a := o.m.Analysis; a != nil {
		k += "/analysis-" + strconv.FormatInt(a.ID, 10)
	}
	return k + "/" + string(o.m.Part)
}

func (o *oscalWriter) assessmentName() string {
	if a := o.m.Assessment; a != nil {
		return a.Name
	}
	return ""
}

func (o *oscalWriter) start() time.Time {
	switch {
	case o.m.Assessment != nil && !o.m.Assessment.Started.IsZero():
		return o.m.Assessment.Started
	case o.m.Analysis != nil && !o.m.Analysis.Started.IsZero():
		return o.m.Analysis.Started
	}
	return o.m.Generated
}

func (o *oscalWriter) metadata(title string) oscalMetadata {
	m := o.m
	if m.Draft {
		title = "DRAFT: " + title
	}
	md := oscalMetadata{
		Title:        title,
		LastModified: oscalTime(m.Generated),
		Version:      o.version(),
		OSCALVersion: catalog.OSCALVersion,
		Props: propsOf("organisation", m.Org.Slug, "organisation-kind", m.Org.Kind, "catalogue", m.CatalogName,
			"part", string(m.Part), "time-zone", m.ZoneName, "prepared-by", m.PreparedBy),
		Roles:   oscalRoles,
		Parties: o.partyList,
	}
	md.Props = append(md.Props, o.draftProps()...)
	md.Responsible = append(md.Responsible, oscalRespParty{RoleID: roleOrg, PartyUUIDs: []string{o.orgParty}})
	if id := o.party(m.PreparedBy); id != "" {
		md.Responsible = append(md.Responsible, oscalRespParty{RoleID: rolePreparedBy, PartyUUIDs: []string{id}})
	}
	if id := o.party(m.Org.Official); id != "" {
		md.Responsible = append(md.Responsible, oscalRespParty{RoleID: roleOfficial, PartyUUIDs: []string{id}})
	}
	if a := m.Analysis; a != nil {
		if id := o.party(a.FinalisedBy); id != "" {
			md.Responsible = append(md.Responsible, oscalRespParty{RoleID: roleAnalyst, PartyUUIDs: []string{id}})
		}
	}
	var b strings.Builder
	if m.Draft {
		b.WriteString("DRAFT: this document shows work that is not signed off.\n\n")
	}
	b.WriteString(m.Title)
	if m.Org.Name != "" {
		fmt.Fprintf(&b, "\n\nOrganisation: %s", m.Org.Name)
		if m.Org.LegalName != "" && m.Org.LegalName != m.Org.Name {
			fmt.Fprintf(&b, " (%s)", m.Org.LegalName)
		}
		if m.Org.Kind != "" {
			fmt.Fprintf(&b, ", %s", m.Org.Kind)
		}
		b.WriteString(".")
	}
	if len(m.Org.Sites) > 0 {
		fmt.Fprintf(&b, "\nSites: %s.", strings.Join(m.Org.Sites, "; "))
	}
	if len(m.Org.Systems) > 0 {
		fmt.Fprintf(&b, "\nSystems: %s.", strings.Join(m.Org.Systems, "; "))
	}
	if m.Org.Workforce > 0 {
		fmt.Fprintf(&b, "\nWorkforce: %d.", m.Org.Workforce)
	}
	if m.Org.Patients > 0 {
		fmt.Fprintf(&b, "\nPatients: %d.", m.Org.Patients)
	}
	md.Remarks = strings.TrimSpace(b.String())
	return md
}

// version names the signed-off state the document shows; it does not
// depend on when the report was made.
func (o *oscalWriter) version() string {
	var parts []string
	if o.m.Draft {
		parts = append(parts, "DRAFT")
	}
	if a := o.m.Assessment; a != nil {
		parts = append(parts, fmt.Sprintf("assessment %d (%s)", a.ID, cmp.Or(a.Status, "unknown")))
	}
	if a := o.m.Analysis; a != nil {
		parts = append(parts, fmt.Sprintf("risk analysis %d (%s)", a.ID, cmp.Or(a.Status, "unknown")))
	}
	if len(parts) == 0 || (len(parts) == 1 && o.m.Draft) {
		parts = append(parts, "current state")
	}
	return oscalString(strings.Join(parts, "; "))
}

func (o *oscalWriter) draftProps() []oscalProp {
	if !o.m.Draft {
		return nil
	}
	return []oscalProp{{Name: "draft", NS: oscalNS, Value: "true", Remarks: "The document shows work that is not signed off."}}
}

func (o *oscalWriter) resultDescription() string {
	m := o.m
	var b strings.Builder
	if m.Draft {
		b.WriteString("DRAFT. ")
	}
	fmt.Fprintf(&b, "Gap analysis of %s against %s", cmp.Or(m.Org.Name, m.Org.Slug), cmp.Or(m.CatalogName, "the HIPAA Security Rule"))
	if a := m.Assessment; a != nil {
		fmt.Fprintf(&b, " (%s, %s)", a.Name, a.Status)
	}
	b.WriteString(", with the risk register")
	if a := m.Analysis; a != nil {
		fmt.Fprintf(&b, " of %s (%s)", a.Name, a.Status)
	}
	b.WriteString(".")
	if a := m.Analysis; a != nil && a.Scope != "" {
		fmt.Fprintf(&b, "\n\nScope of the risk analysis: %s", a.Scope)
	}
	for _, p := range m.Posture {
		fmt.Fprintf(&b, "\n\n%s: %d implemented, %d partially, %d not implemented, %d not applicable, %d not answered.",
			p.Label, p.Implemented, p.Partial, p.NotImplemented, p.NotApplicable, p.Unanswered)
	}
	return b.String()
}

func (o *oscalWriter) planDescription() string {
	m := o.m
	var b strings.Builder
	fmt.Fprintf(&b, "Self-assessment of %s against every entry of %s: each entry is answered implemented, partially implemented, not implemented or not applicable, with a narrative, an owner and evidence; each addressable specification has a documented decision (§164.306(d)(3)).",
		cmp.Or(m.Org.Name, m.Org.Slug), cmp.Or(m.CatalogName, "the HIPAA Security Rule"))
	if a := m.Analysis; a != nil {
		fmt.Fprintf(&b, "\n\nRisk analysis (§164.308(a)(1)(ii)(A)): %s. Scope: %s", a.Name, cmp.Or(a.Scope, "not stated."))
	}
	if m.Scale.Name != "" {
		fmt.Fprintf(&b, "\n\nRisks are rated on the scale %q: likelihood %s; impact %s; levels %s.",
			m.Scale.Name, gradeLabels(m), impactLabels(m), levelLabels(m))
	}
	return b.String()
}

func gradeLabels(m *Model) string {
	var s []string
	for _, g := range m.Scale.Likelihood {
		s = append(s, g.Label)
	}
	return strings.Join(s, ", ")
}

func impactLabels(m *Model) string {
	var s []string
	for _, g := range m.Scale.Impact {
		s = append(s, g.Label)
	}
	return strings.Join(s, ", ")
}

func levelLabels(m *Model) string {
	var s []string
	for _, l := range m.Scale.Levels {
		s = append(s, l.Label)
	}
	return strings.Join(s, ", ")
}

func (o *oscalWriter) reviewedControls() []oscalSelectControl {
	seen := map[string]bool{}
	var out []oscalSelectControl
	for _, e := range o.m.Entries {
		id := catalog.OSCALControlID(e.Citation)
		if !seen[id] {
			seen[id] = true
			out = append(out, oscalSelectControl{ControlID: id})
		}
	}
	return out
}

func (o *oscalWriter) attestations() []oscalAttestation {
	a := o.m.Assessment
	if a.Attestation == "" {
		return nil
	}
	at := oscalAttestation{Parts: []oscalAPart{{
		Name: "attestation", NS: oscalNS, Title: "Sign-off",
		Props: propsOf("finalised-by", a.FinalisedBy, "finalised", oscalTime(a.Finalised)),
		Prose: a.Attestation,
	}}}
	if id := o.party(a.FinalisedBy); id != "" {
		at.Responsible = []oscalRespParty{{RoleID: roleFinaliser, PartyUUIDs: []string{id}}}
	}
	return []oscalAttestation{at}
}

// assessmentLog records the category reviews and the sign-off.
func (o *oscalWriter) assessmentLog() *oscalAssessmentLog {
	a := o.m.Assessment
	var l oscalAssessmentLog
	for i, rv := range a.Reviews {
		if rv.At.IsZero() {
			continue
		}
		e := oscalLogEntry{
			UUID:  o.uuid("review", strconv.FormatInt(a.ID, 10)+"/"+strconv.Itoa(i)),
			Title: "Review: " + rv.Category, Description: rv.Note, Start: oscalTime(rv.At),
			Props: propsOf("category", rv.Category, "reviewed-by", rv.By),
		}
		if id := o.party(rv.By); id != "" {
			e.LoggedBy = []oscalLoggedBy{{PartyUUID: id, RoleID: roleReviewer}}
		}
		l.Entries = append(l.Entries, e)
	}
	if !a.Finalised.IsZero() {
		e := oscalLogEntry{
			UUID:  o.uuid("sign-off", strconv.FormatInt(a.ID, 10)),
			Title: "Assessment finalised", Description: a.Attestation, Start: oscalTime(a.Finalised),
			Props: propsOf("finalised-by", a.FinalisedBy),
		}
		if id := o.party(a.FinalisedBy); id != "" {
			e.LoggedBy = []oscalLoggedBy{{PartyUUID: id, RoleID: roleFinaliser}}
		}
		l.Entries = append(l.Entries, e)
	}
	if len(l.Entries) == 0 {
		return nil
	}
	return &l
}

func (o *oscalWriter) components() []oscalComponent {
	var out []oscalComponent
	for _, a := range o.m.Assets {
		c := oscalComponent{
			UUID:        o.uuid("asset", strconv.FormatInt(a.ID, 10)),
			Type:        componentType(a.Class),
			Title:       a.Name,
			Description: assetDescription(a),
			Props: propsOf("asset-id", strconv.FormatInt(a.ID, 10), "class", a.Class, "kind", a.Kind,
				"ephi", strings.Join(a.EPHI, "; "), "records", nonZero(a.Records), "use", a.Use,
				"encrypted-at-rest", a.AtRest, "hosting", a.Hosting, "vendor", a.Vendor,
				"criticality", a.Criticality, "lifecycle", a.Lifecycle, "place", a.Place,
				"location", a.Location, "last-reviewed", oscalTime(a.Reviewed)),
			Status:  oscalState{State: componentState(a.Lifecycle)},
			Remarks: a.Notes,
		}
		if a.Exposed {
			c.Props = appendProp(c.Props, "exposed", "ePHI not encrypted at rest")
		}
		if id := o.party(a.Owner); id != "" {
			c.Roles = []oscalRespRole{{RoleID: roleAssetOwner, PartyUUIDs: []string{id}}}
		}
		out = append(out, c)
	}
	return out
}

func assetDescription(a Asset) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s)", a.Name, cmp.Or(a.Kind, a.Class))
	if len(a.EPHI) > 0 {
		fmt.Fprintf(&b, " holding %s", strings.Join(a.EPHI, ", "))
	}
	if a.Use != "" {
		fmt.Fprintf(&b, "; it %s ePHI", a.Use)
	}
	b.WriteString(".")
	if a.Owner != "" {
		fmt.Fprintf(&b, " Owner: %s.", a.Owner)
	}
	return b.String()
}

func componentType(class string) string {
	switch strings.ToLower(class) {
	case "system":
		return "system"
	case "device":
		return "hardware"
	case "place":
		return "physical"
	}
	return "this-system"
}

func componentState(lifecycle string) string {
	switch strings.ToLower(lifecycle) {
	case "active", "":
		return "operational"
	case "planned":
		return "under-development"
	case "retired", "disposed", "decommissioned":
		return "disposition"
	}
	return "other"
}

func (o *oscalWriter) observationUUID(id int64) string {
	return o.uuid("evidence", strconv.FormatInt(id, 10))
}

func (o *oscalWriter) observation(e Evidence) oscalObservation {
	ob := oscalObservation{
		UUID:        o.observationUUID(e.ID),
		Title:       e.Title,
		Description: cmp.Or(e.Description, e.Title, "Evidence "+strconv.FormatInt(e.ID, 10)),
		Props:       propsOf("evidence-id", strconv.FormatInt(e.ID, 10), "kind", e.Kind, "added-by", e.AddedBy),
		Methods:     []string{"EXAMINE"},
		Types:       []string{"control-objective"},
		Collected:   oscalTime(cmp.Or(e.Added, o.m.Generated)),
	}
	for _, c := range e.Entries {
		ob.Props = appendProp(ob.Props, "control-id", catalog.OSCALControlID(c))
	}
	ev := oscalEvidence{Description: cmp.Or(e.Title, e.FileName, e.URL, "Evidence")}
	switch {
	case e.URL != "" && validURIRef(e.URL):
		ev.Href = e.URL
	case e.URL != "":
		ev.Remarks = "Link (not a valid URI reference, so not given as href): " + e.URL
	}
	if e.FileName != "" || e.SHA256 != "" {
		ev.Props = propsOf("file-name", e.FileName, "version", nonZero(e.Version), "size", nonZero64(e.Size),
			"audit-seq", nonZero64(e.AuditSeq))
		if e.SHA256 != "" {
			ev.Props = append(ev.Props, oscalProp{Name: "sha256", NS: oscalNS, Class: "SHA-256", Value: oscalString(e.SHA256)})
			ev.Remarks = strings.TrimSpace(ev.Remarks + "\nSHA-256 of the file as relied on: " + e.SHA256)
		}
	}
	ob.Evidence = []oscalEvidence{ev}
	return ob
}

// taskObservations are the evidence items the tasks of risk id rely on.
func (o *oscalWriter) taskObservations(id int64) []oscalRelObs {
	var out []oscalRelObs
	seen := map[int64]bool{}
	for _, t := range o.tasks[id] {
		for _, ev := range t.Evidence {
			if o.evidence[ev] && !seen[ev] {
				seen[ev] = true
				out = append(out, oscalRelObs{ObservationUUID: o.observationUUID(ev)})
			}
		}
	}
	return out
}

func (o *oscalWriter) finding(e Entry) oscalFinding {
	m := o.m
	f := oscalFinding{
		UUID:        o.uuid("finding", e.Citation),
		Title:       e.Citation + " " + e.Title,
		Description: e.Narrative,
		Props: propsOf("citation", e.Citation, "kind", e.Kind, "requirement", e.Requirement, "category", e.Category,
			"standard", e.Standard, "status", cmp.Or(e.Status, "unanswered"), "status-label", e.StatusLabel,
			"owner", e.Owner, "target-date", oscalTime(e.Target)),
		Target: oscalTarget{
			Type:     "statement-id",
			TargetID: catalog.OSCALStatementID(e.Citation),
			Props:    propsOf("control-id", catalog.OSCALControlID(e.Citation)),
		},
	}
	if f.Description == "" {
		f.Description = cmp.Or(e.StatusLabel, "Not answered") + "."
	}
	switch e.Status {
	case "implemented":
		f.Target.Status = oscalState{State: "satisfied", Reason: "pass"}
		f.Target.Impl = &oscalState{State: "implemented"}
	case "not_applicable":
		f.Target.Status = oscalState{State: "satisfied", Reason: "other", Remarks: "Not applicable: " + e.NAReason}
		f.Target.Impl = &oscalState{State: "not-applicable", Remarks: e.NAReason}
	case "partial":
		f.Target.Status = oscalState{State: "not-satisfied", Reason: "fail"}
		f.Target.Impl = &oscalState{State: "partial"}
	case "not_implemented":
		f.Target.Status = oscalState{State: "not-satisfied", Reason: "fail"}
		if !e.Target.IsZero() {
			f.Target.Impl = &oscalState{State: "planned", Remarks: "Target date: " + m.Date(e.Target)}
		}
	default:
		f.Target.Status = oscalState{State: "not-satisfied", Reason: "other", Remarks: "Not answered."}
	}
	if d := o.decisions[e.Citation]; d != nil {
		f.Props = append(f.Props, propsOf("decision-outcome", d.Outcome, "decision", d.OutcomeLabel,
			"decided-by", d.DecidedBy, "decided-at", oscalTime(d.DecidedAt))...)
		f.Remarks = decisionText(d, m)
	}
	for _, id := range o.entryEvidence[e.Citation] {
		if o.evidence[id] {
			f.Observations = append(f.Observations, oscalRelObs{ObservationUUID: o.observationUUID(id)})
		}
	}
	for _, id := range o.entryRisks[e.Citation] {
		f.Risks = append(f.Risks, oscalRelRisk{RiskUUID: o.uuid("risk", strconv.FormatInt(id, 10))})
	}
	return f
}

// decisionText is an addressable decision written out in full.
func decisionText(d *Decision, m *Model) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Addressable decision (§164.306(d)(3)): %s.", cmp.Or(d.OutcomeLabel, d.Outcome))
	if d.Alternative != "" {
		fmt.Fprintf(&b, "\n\nEquivalent alternative: %s", d.Alternative)
	}
	if d.Rationale != "" {
		fmt.Fprintf(&b, "\n\nRationale: %s", d.Rationale)
	}
	for _, f := range d.Factors {
		fmt.Fprintf(&b, "\n\n%s: %s", f.Label, f.Text)
	}
	if d.RiskRef != "" {
		fmt.Fprintf(&b, "\n\nRisk analysis: %s", d.RiskRef)
	}
	if d.DecidedBy != "" || !d.DecidedAt.IsZero() {
		fmt.Fprintf(&b, "\n\nDecided by %s on %s.", cmp.Or(d.DecidedBy, "unknown"), cmp.Or(m.Date(d.DecidedAt), "an unknown date"))
	}
	return b.String()
}

func riskDescription(r Risk) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Threat: %s", cmp.Or(r.Threat, "not stated"))
	if r.ThreatSource != "" {
		fmt.Fprintf(&b, " (%s)", r.ThreatSource)
	}
	fmt.Fprintf(&b, ".\nVulnerability: %s.", cmp.Or(r.Vulnerability, "not stated"))
	if len(r.Assets) > 0 {
		fmt.Fprintf(&b, "\nAssets: %s.", strings.Join(r.Assets, "; "))
	}
	if r.Owner != "" {
		fmt.Fprintf(&b, "\nOwner: %s.", r.Owner)
	}
	fmt.Fprintf(&b, "\nStatus: %s.", cmp.Or(r.Status, "not stated"))
	if r.Strategy != "" {
		fmt.Fprintf(&b, " Treatment: %s.", r.Strategy)
	}
	return b.String()
}

// riskStatus maps the register's status and treatment onto OSCAL's: an
// accepted risk whose acceptance has not expired is a deviation approved.
func riskStatus(r Risk) string {
	switch {
	case strings.EqualFold(r.Status, "closed"):
		return "closed"
	case strings.EqualFold(r.Strategy, "accept") && r.Acceptance != nil && !r.Acceptance.Expired:
		return "deviation-approved"
	case strings.EqualFold(r.Status, "treated"):
		return "remediating"
	}
	return "open"
}

func (o *oscalWriter) risk(r Risk) oscalRisk {
	m := o.m
	id := strconv.FormatInt(r.ID, 10)
	out := oscalRisk{
		UUID:        o.uuid("risk", id),
		Title:       r.Title,
		Description: riskDescription(r),
		Statement:   riskStatement(r),
		Props: propsOf("risk-id", id, "status", r.Status, "strategy", r.Strategy, "owner", r.Owner,
			"threat", r.Threat, "threat-source", r.ThreatSource, "vulnerability", r.Vulnerability,
			"identified", oscalTime(r.Identified), "other-scale", r.OtherScale),
		Status:       riskStatus(r),
		Observations: o.taskObservations(r.ID),
	}
	for _, a := range r.Assets {
		out.Props = appendProp(out.Props, "asset", a)
	}
	actor := oscalActor{Type: "party", ActorUUID: o.orgParty, RoleID: roleOrg}
	if pid := o.party(r.Owner); pid != "" {
		actor = oscalActor{Type: "party", ActorUUID: pid, RoleID: roleRiskOwner}
	}
	scale := cmp.Or(r.OtherScale, m.Scale.Name)
	for _, c := range []struct {
		name string
		r    Rating
	}{{"inherent", r.Inherent}, {"current", r.Current}, {"target", r.Target}} {
		if ch, ok := characterization(c.name, c.r, scale, actor); ok {
			out.Chars = append(out.Chars, ch)
		}
	}
	// Measures in place mitigate the risk to its assets; a measure that
	// names a catalogue entry links to its control, and the note on how the
	// measures are applied is a factor of its own.
	var subjects []oscalSubjRef
	for _, a := range r.Assets {
		if cid, ok := o.assets[a]; ok {
			subjects = append(subjects, oscalSubjRef{SubjectUUID: cid, Type: "component", Title: a})
		}
	}
	for i, ms := range r.Measures {
		mf := oscalMitigating{UUID: o.uuid("measure", id+"/"+strconv.Itoa(i)), Description: ms, Subjects: subjects}
		if c := measureCitation(ms); c != "" {
			mf.Props = propsOf("citation", c, "control-id", catalog.OSCALControlID(c))
		}
		out.Mitigating = append(out.Mitigating, mf)
	}
	if r.MeasuresNote != "" {
		out.Mitigating = append(out.Mitigating, oscalMitigating{UUID: o.uuid("measure", id+"/note"),
			Description: r.MeasuresNote, Props: propsOf("kind", "measures-note"), Subjects: subjects})
	}
	if resp, deadline, ok := o.remediation(r); ok {
		out.Remediations = []oscalResponse{resp}
		out.Deadline = oscalTime(deadline)
	}
	if a := r.Acceptance; a != nil {
		out.RiskLog = o.acceptanceLog(r)
		if !a.Expires.IsZero() && out.Deadline == "" {
			out.Deadline = oscalTime(a.Expires)
		}
	}
	return out
}

func riskStatement(r Risk) string {
	var parts []string
	if r.LikelihoodWhy != "" {
		parts = append(parts, "Likelihood: "+r.LikelihoodWhy)
	}
	if r.ImpactWhy != "" {
		parts = append(parts, "Impact: "+r.ImpactWhy)
	}
	if len(parts) == 0 {
		return "No rationale recorded."
	}
	return strings.Join(parts, "\n\n")
}

// characterization is one rating as OSCAL facets named by the scale.
func characterization(which string, r Rating, scale string, actor oscalActor) (oscalCharacterize, bool) {
	if r.Likelihood <= 0 || r.Impact <= 0 {
		return oscalCharacterize{}, false
	}
	ch := oscalCharacterize{
		Props:  propsOf("rating", which, "scale", scale),
		Origin: oscalOrigin{Actors: []oscalActor{actor}},
	}
	// A facet's value is the grade's or level's label; the plan describes
	// the scale's labels in order.
	ch.Facets = append(ch.Facets,
		oscalFacet{Name: "likelihood", System: oscalNS, Value: cmp.Or(oscalString(r.LikelihoodLabel), strconv.Itoa(r.Likelihood))},
		oscalFacet{Name: "impact", System: oscalNS, Value: cmp.Or(oscalString(r.ImpactLabel), strconv.Itoa(r.Impact))})
	if r.Level >= 0 {
		ch.Facets = append(ch.Facets, oscalFacet{Name: "level", System: oscalNS, Value: cmp.Or(oscalString(r.LevelLabel), strconv.Itoa(r.Level+1))})
	}
	return ch, true
}

// remediation is the risk's treatment with its tasks as milestones, and
// the latest due date of the tasks not finished.
func (o *oscalWriter) remediation(r Risk) (oscalResponse, time.Time, bool) {
	tasks := o.tasks[r.ID]
	if r.Strategy == "" && r.TreatmentNote == "" && len(tasks) == 0 {
		return oscalResponse{}, time.Time{}, false
	}
	id := strconv.FormatInt(r.ID, 10)
	resp := oscalResponse{
		UUID:        o.uuid("treatment", id),
		Title:       cmp.Or(r.Strategy, "Treatment not decided"),
		Description: cmp.Or(r.TreatmentNote, treatmentLine(r)),
		Props:       propsOf("strategy", r.Strategy, "party", r.Party),
	}
	var deadline time.Time
	open := 0
	for _, t := range tasks {
		tid := strconv.FormatInt(t.ID, 10)
		ot := oscalTask{
			UUID:        o.uuid("task", tid),
			Type:        "milestone",
			Title:       t.Title,
			Description: t.Description,
			Props: propsOf("task-id", tid, "status", t.Status, "owner", t.Owner, "done-at", oscalTime(t.DoneAt),
				"due", oscalTime(t.Due)),
		}
		if t.Overdue {
			ot.Props = appendProp(ot.Props, "overdue", "true")
		}
		for _, c := range t.Entries {
			ot.Props = appendProp(ot.Props, "control-id", catalog.OSCALControlID(c))
		}
		if !t.Due.IsZero() {
			ot.Timing = &oscalTiming{OnDate: &oscalOnDate{Date: oscalTime(t.Due)}}
		}
		if pid := o.party(t.Owner); pid != "" {
			ot.Roles = []oscalRespRole{{RoleID: roleTaskOwner, PartyUUIDs: []string{pid}}}
		}
		if t.Status != "Done" && t.Status != "Dropped" {
			open++
			if t.Due.After(deadline) {
				deadline = t.Due
			}
		}
		resp.Tasks = append(resp.Tasks, ot)
	}
	switch {
	case r.Strategy == "":
		resp.Lifecycle = "recommendation"
	case len(tasks) > 0 && open == 0, strings.EqualFold(r.Status, "closed"):
		resp.Lifecycle = "completed"
	default:
		resp.Lifecycle = "planned"
	}
	if r.Party != "" {
		resp.Assets = []oscalReqAsset{{UUID: o.uuid("treatment-party", id), Title: r.Party,
			Description: "The party the risk is transferred to: " + r.Party}}
	}
	return resp, deadline, true
}

func treatmentLine(r Risk) string {
	switch strings.ToLower(r.Strategy) {
	case "mitigate":
		return "Mitigate: reduce the likelihood or impact with further measures."
	case "accept":
		return "Accept: live with the risk, for a time, with an approver."
	case "transfer":
		if r.Party != "" {
			return "Transfer to " + r.Party + "."
		}
		return "Transfer to another party."
	case "avoid":
		return "Avoid: stop the activity that gives rise to the risk."
	}
	return "No treatment decided yet."
}

// acceptanceLog records the acceptance, its approver and expiry, and its
// lapse when it has expired.
func (o *oscalWriter) acceptanceLog(r Risk) *oscalRiskLog {
	a := r.Acceptance
	id := strconv.FormatInt(r.ID, 10)
	start := cmp.Or(a.ApprovedAt, r.Identified, o.m.Generated)
	e := oscalLogEntry{
		UUID:         o.uuid("acceptance", id),
		Title:        "Risk accepted",
		Description:  a.Reason,
		Start:        oscalTime(start),
		End:          oscalTime(a.Expires),
		Props:        propsOf("approver", a.Approver, "expires", oscalTime(a.Expires), "approved-at", oscalTime(a.ApprovedAt)),
		StatusChange: "deviation-approved",
		Responses:    []oscalRelResp{{ResponseUUID: o.uuid("treatment", id)}},
	}
	if !a.Expires.IsZero() && a.Expires.Before(start) {
		e.End = ""
	}
	if pid := o.party(a.Approver); pid != "" {
		e.LoggedBy = []oscalLoggedBy{{PartyUUID: pid, RoleID: roleApprover}}
	}
	l := &oscalRiskLog{Entries: []oscalLogEntry{e}}
	if a.Expired && !a.Expires.IsZero() {
		l.Entries = append(l.Entries, oscalLogEntry{
			UUID: o.uuid("acceptance-expired", id), Title: "Acceptance expired",
			Description: "The acceptance approved by " + cmp.Or(a.Approver, "an unknown approver") + " expired on " + o.m.Date(a.Expires) + ".",
			Start:       oscalTime(a.Expires), StatusChange: "open",
		})
	}
	return l
}

// backMatter holds the audit log's checkpoint, and any extra resources.
func (o *oscalWriter) backMatter(extra ...oscalResource) *oscalBackMatter {
	bm := &oscalBackMatter{Resources: extra}
	if cp := o.m.Audit; cp != nil {
		bm.Resources = append(bm.Resources, oscalResource{
			UUID:        o.uuid("checkpoint", strconv.FormatInt(cp.TreeSize, 10)+"/"+cp.Root),
			Title:       "Audit log checkpoint",
			Description: "The audit log's latest signed checkpoint when the report was made; re-verify it with safeguard audit verify --checkpoint.",
			Props: propsOf("tree-size", strconv.FormatInt(cp.TreeSize, 10), "root-hash", cp.Root, "key-id", cp.KeyID,
				"signature", cp.Signature, "at", oscalTime(cp.At)),
			Citation: &oscalCitation{Text: cmp.Or(cp.Text, cp.Root)},
		})
	}
	if len(bm.Resources) == 0 {
		return nil
	}
	return bm
}

// measureCitation is the citation a measure such as "§164.310(d)(1) Device
// and media controls" starts with, or "".
func measureCitation(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "§"))
	c, _, _ := strings.Cut(s, " ")
	if !strings.HasPrefix(c, "164.") {
		return ""
	}
	return c
}

// propsOf builds Safeguard properties from name, value pairs, leaving out
// empty values.
func propsOf(kv ...string) []oscalProp {
	var out []oscalProp
	for i := 0; i+1 < len(kv); i += 2 {
		out = appendProp(out, kv[i], kv[i+1])
	}
	return out
}

func appendProp(props []oscalProp, name, value string) []oscalProp {
	if v := oscalString(value); v != "" {
		props = append(props, oscalProp{Name: name, NS: oscalNS, Value: v})
	}
	return props
}

// oscalString makes s a valid OSCAL string value: one line, no space at
// either end. Properties hold short values; every long text goes in a
// description or remarks, which keep it whole.
func oscalString(s string) string {
	if isOneLine(s) {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// isOneLine reports whether s is already what oscalString makes of it: no
// space at either end, no white space but single spaces.
func isOneLine(s string) bool {
	for i, r := range s {
		switch {
		case r == ' ':
			if i == 0 || i == len(s)-1 || s[i+1] == ' ' {
				return false
			}
		case unicode.IsSpace(r):
			return false
		}
	}
	return true
}

// oscalTime formats t in UTC as OSCAL wants; the zero time is "".
func oscalTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

func validURIRef(s string) bool {
	if strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	_, err := url.Parse(s)
	return err == nil
}

func nonZero(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func nonZero64(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}
