package report

import (
	"bufio"
	"embed"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/draw"
	"github.com/safeguard-health/safeguard/internal/risk"
)

//go:embed templates/html_*.html
var htmlTemplateFS embed.FS

// htmlTemplates are parsed once; each report executes a clone that carries
// its own date functions (the model's time zone).
var htmlTemplates = template.Must(template.New("report").Funcs(template.FuncMap{
	"date":     func(time.Time) string { return "" },
	"datetime": func(time.Time) string { return "" },
	"iso":      func(time.Time) string { return "" },
	"day":      htmlDay,
	"grouped":  grouped[int],
	"isoday": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.DateOnly)
	},
	"evLink": func(int64) template.HTML { return "" },
	"revLevels": func(l []LevelCount) []LevelCount {
		r := slices.Clone(l)
		slices.Reverse(r)
		return r
	},
	"slug":     htmlSlug,
	"openKind": htmlOpenKind,
	"assetTable": func(caption string, a []Asset) any {
		return struct {
			Caption string
			Assets  []Asset
		}{caption, a}
	},
	"flowTable": func(caption string, f []Flow) any {
		return struct {
			Caption string
			Flows   []Flow
		}{caption, f}
	},
	"riskTable": func(caption string, r []Risk) any {
		return struct {
			Caption string
			Risks   []Risk
		}{caption, r}
	},
	"taskTable": func(caption string, t []Task) any {
		return struct {
			Caption string
			Tasks   []Task
		}{caption, t}
	},
	"lv":     htmlLevelClass,
	"rating": htmlRating,
	"join":   strings.Join,
	"bytes":  htmlBytes,
}).ParseFS(htmlTemplateFS, "templates/html_*.html"))

// WriteHTML writes the report as one self-contained HTML page: inline CSS,
// inline SVG drawings, no scripts and nothing fetched. It reads on a phone
// and prints as a document, with page breaks before each part and DRAFT on
// every page of a draft. It holds the parts m.Part asks for.
func WriteHTML(w io.Writer, m *Model) error {
	v, err := newHTMLView(m)
	if err != nil {
		return err
	}
	t, err := htmlTemplates.Clone()
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	evidence := make(map[int64]Evidence, len(m.Evidence))
	for _, e := range m.Evidence {
		evidence[e.ID] = e
	}
	t.Funcs(template.FuncMap{
		"date":     m.Date,
		"datetime": m.DateTime,
		"iso": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(m.zone()).Format(time.RFC3339)
		},
		// evLink names an evidence item, linked to its row of the index
		// when the page has the index.
		"evLink": func(id int64) template.HTML {
			e, ok := evidence[id]
			text := "Evidence " + strconv.FormatInt(id, 10)
			if ok {
				text += ": " + e.Title
			}
			text = template.HTMLEscapeString(text)
			if !ok || !v.Full {
				return template.HTML(text)
			}
			return template.HTML(`<a href="#evidence-` + strconv.FormatInt(id, 10) + `">` + text + `</a>`)
		},
	})
	bw := bufio.NewWriterSize(w, 64<<10) // the template writes many small pieces
	if err := t.ExecuteTemplate(bw, "page", v); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}

// htmlView is the model with what the page draws from it.
type htmlView struct {
	M                 *Model
	Full, Summary     bool
	Asset             *Asset // PartAsset: the asset reported on
	Colours           []htmlColourClass
	Contents          []htmlContentsItem
	Steps             []htmlStep
	Matrix            []htmlMatrixRow
	Chart             template.HTML
	Inherent, Current template.HTML
	Map               template.HTML
	Groups            []htmlEntryGroup
	Top               []Risk
	Overdue           []Task
	// Risks, Flows and Tasks are those shown: all of them, or the asset's.
	Risks []Risk
	Flows []Flow
	Tasks []Task
	// Counts for the summary.
	Gaps, Unanswered, Undecided int
}

type htmlContentsItem struct{ ID, Label string }

type htmlStep struct{ Title, Text string }

type htmlMatrixRow struct {
	Likelihood risk.Grade
	Cells      []htmlMatrixCell
}

type htmlMatrixCell struct {
	Label, Class string
}

type htmlEntryGroup struct {
	ID, Label string
	Entries   []Entry
}

type htmlColourClass struct {
	Class      string
	Background template.CSS
	Text       template.CSS
}

var htmlHexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// htmlLevelClass is the CSS class painting a level's colour ("lv-2e7d32"), or
// "lv-none" for a colour that is not #rrggbb.
func htmlLevelClass(colour string) string {
	if !htmlHexColour.MatchString(colour) {
		return "lv-none"
	}
	return "lv-" + strings.ToLower(colour[1:])
}

// htmlDay formats a calendar date (a due date, a target date), which the
// model holds as midnight UTC: shown in the organisation's zone it would
// fall on the htmlDay before west of Greenwich.
func htmlDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006")
}

// htmlSlug makes s safe as a fragment identifier: letters and digits kept,
// everything else a hyphen ("164.312(a)(2)(iv)" → "164-312-a-2-iv").
func htmlSlug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// htmlOpenKind names a kind of open item in words.
func htmlOpenKind(k string) string {
	switch k {
	case "gap":
		return "Gap"
	case "unanswered":
		return "Not answered"
	case "overdue_task":
		return "Overdue task"
	case "expiring_acceptance":
		return "Risk acceptance expiring"
	case "unrated_risk":
		return "Risk not rated"
	case "undecided_risk":
		return "Risk without a treatment decision"
	}
	return k
}

// htmlRating is a rating as a badge of its level's colour with its grades
// in words, or "Not rated". It is built here rather than in a template:
// the register calls it three times per risk.
func htmlRating(r Rating) template.HTML {
	if r.Likelihood < 1 || r.Impact < 1 || r.Level < 0 {
		return `<span class="badge lv-none">Not rated</span>`
	}
	e := template.HTMLEscapeString
	return template.HTML(`<span class="badge ` + htmlLevelClass(r.Colour) + `">` + e(r.LevelLabel) + `</span> <span class="muted">(likelihood ` +
		e(r.LikelihoodLabel) + `, impact ` + e(r.ImpactLabel) + `)</span>`)
}

// htmlBytes is a file size in words ("47.1 KiB (48,213 bytes)").
func htmlBytes(n int64) string {
	exact := strconv.FormatInt(n, 10)
	for i := len(exact) - 3; i > 0; i -= 3 {
		exact = exact[:i] + "," + exact[i:]
	}
	if n < 1024 {
		return exact + " bytes"
	}
	v, unit := float64(n)/1024, "KiB"
	for _, u := range []string{"MiB", "GiB", "TiB"} {
		if v < 1024 {
			break
		}
		v, unit = v/1024, u
	}
	return fmt.Sprintf("%.1f %s (%s bytes)", v, unit, exact)
}

// htmlSteps is the method in our words, after the htmlSteps HHS's guidance on risk
// analysis describes.
var htmlSteps = []htmlStep{
	{"Scope", "Everything that creates, receives, maintains or transmits electronic protected health information (ePHI) is in scope: every system, device, place, workforce member and business associate, whatever the medium."},
	{"Find the ePHI", "The inventory records where ePHI is stored and the data-flow map how it moves: between systems, to business associates and outside parties, and by which channel, with whether each is encrypted at rest and in transit."},
	{"Threats and vulnerabilities", "For each asset, the threats that could reasonably be expected (natural, human, environmental) are paired with the weaknesses they could exploit."},
	{"Current measures", "The safeguards already in place against each pair are recorded, with how they are used and configured, and linked to the Security Rule entries they implement."},
	{"Likelihood", "How likely each threat is to exploit its vulnerability, given the measures in place, is graded on the organisation's scale, with the reason written down."},
	{"Impact", "The harm if it did — to patients, to the availability, integrity and confidentiality of ePHI, to the organisation — is graded on the same scale, with the reason."},
	{"Level of risk", "The likelihood and impact together give the level of risk from the matrix below. Each risk is rated before any measure (inherent), as things stand (current), and as planned (target)."},
	{"Decide and plan", "Each risk is mitigated, accepted by someone with the authority to do so, transferred, or avoided; mitigation becomes tasks with owners and due dates — the risk management plan."},
	{"Document", "The analysis, the gap assessment of every standard and implementation specification, each addressable decision with the factors weighed, and the evidence behind them are kept in writing for six years."},
	{"Review", "The analysis is reviewed periodically and whenever the environment or operations change; the signed audit checkpoint at the end shows the record was not rewritten since."},
}

func newHTMLView(m *Model) (*htmlView, error) {
	if m == nil {
		return nil, fmt.Errorf("html report: no model")
	}
	v := &htmlView{M: m, Risks: m.Risks, Flows: m.Flows, Tasks: m.Tasks, Steps: htmlSteps}
	switch m.Part {
	case PartFull, "":
		v.Full = true
	case PartSummary:
		v.Summary = true
	case PartAsset:
		if len(m.Assets) == 0 {
			return nil, fmt.Errorf("html report: the asset part needs an asset")
		}
		v.assetOnly(&m.Assets[0])
	default:
		return nil, fmt.Errorf("html report: unknown part %q", m.Part)
	}
	v.colours()

	if v.Full {
		v.Contents = []htmlContentsItem{{"scope", "Scope"}, {"method", "Method"}, {"summary", "Executive summary"},
			{"inventory", "Inventory"}, {"flows", "Data flows and map"}, {"entries", "Assessment entries"},
			{"decisions", "Addressable decision log"}, {"register", "Risk register"}, {"risk-details", "Risk details"},
			{"plan", "Risk management plan"}, {"evidence", "Evidence index"}, {"open-items", "Open items"},
			{"audit", "Audit checkpoint"}}
	}
	if v.Full || v.Summary {
		cats := make([]draw.PostureCounts, 0, len(m.Posture))
		for _, p := range m.Posture {
			cats = append(cats, draw.PostureCounts{Label: p.Label, Title: p.Label, Entries: p.Total(), Implemented: p.Implemented,
				Partial: p.Partial, NotImplemented: p.NotImplemented, NotApplicable: p.NotApplicable, Unanswered: p.Unanswered})
			v.Gaps += p.NotImplemented + p.Partial
			v.Unanswered += p.Unanswered
		}
		if len(cats) > 0 {
			v.Chart = draw.Posture("Posture by safeguard category", cats).SVG()
		}
		for _, id := range m.Top {
			if r, ok := m.Risk(id); ok {
				v.Top = append(v.Top, r)
			}
		}
		for _, t := range m.Tasks {
			if t.Overdue {
				v.Overdue = append(v.Overdue, t)
			}
		}
		for _, e := range m.Entries {
			if e.Requirement == "addressable" && !e.Decided {
				v.Undecided++
			}
		}
	}
	if v.Full {
		sc := htmlRiskScale(m)
		for l := len(sc.Likelihood); l >= 1; l-- {
			row := htmlMatrixRow{Likelihood: sc.Likelihood[l-1]}
			for i := 1; i <= len(sc.Impact); i++ {
				c := htmlMatrixCell{Label: "—", Class: "lv-none"}
				if lv, ok := sc.Level(risk.Rating{Likelihood: l, Impact: i}); ok && lv < len(sc.Levels) {
					c = htmlMatrixCell{Label: sc.Levels[lv].Label, Class: htmlLevelClass(sc.Levels[lv].Colour)}
				}
				row.Cells = append(row.Cells, c)
			}
			v.Matrix = append(v.Matrix, row)
		}
		if sc.Validate() == nil { // a malformed scale is shown as its matrix only
			v.Inherent = draw.HeatMap(sc, m.Inherent.Counts, nil, "Inherent risk, before any measure")
			v.Current = draw.HeatMap(sc, m.Current.Counts, nil, "Current risk, with the measures in place")
		}
		v.Map = template.HTML(m.Map) // drawn by the server (draw.FlowMap), not user text
		var groups []htmlEntryGroup
		label := map[string]string{}
		for _, p := range m.Posture {
			label[p.Category] = p.Label
		}
		for _, e := range m.Entries {
			i := slices.IndexFunc(groups, func(g htmlEntryGroup) bool { return g.ID == "cat-"+e.Category })
			if i < 0 {
				l := label[e.Category]
				if l == "" {
					l = strings.ToUpper(e.Category[:min(1, len(e.Category))]) + e.Category[min(1, len(e.Category)):]
				}
				groups = append(groups, htmlEntryGroup{ID: "cat-" + e.Category, Label: l})
				i = len(groups) - 1
			}
			groups[i].Entries = append(groups[i].Entries, e)
		}
		v.Groups = groups
	}
	return v, nil
}

// assetOnly keeps what belongs to asset a: its flows, the risks to it and
// their tasks.
func (v *htmlView) assetOnly(a *Asset) {
	v.Asset = a
	v.Flows, v.Risks, v.Tasks = nil, nil, nil
	for _, f := range v.M.Flows {
		if f.From == a.Name || f.To == a.Name {
			v.Flows = append(v.Flows, f)
		}
	}
	ids := map[int64]bool{}
	for _, r := range v.M.Risks {
		if slices.Contains(r.Assets, a.Name) {
			v.Risks = append(v.Risks, r)
			ids[r.ID] = true
		}
	}
	for _, t := range v.M.Tasks {
		if ids[t.RiskID] {
			v.Tasks = append(v.Tasks, t)
		}
	}
}

// colours gathers every level colour the page paints, each as a class with
// the text colour that contrasts most with it.
func (v *htmlView) colours() {
	seen := map[string]bool{}
	add := func(c string) {
		if !htmlHexColour.MatchString(c) || seen[strings.ToLower(c)] {
			return
		}
		c = strings.ToLower(c)
		seen[c] = true
		v.Colours = append(v.Colours, htmlColourClass{Class: htmlLevelClass(c), Background: template.CSS(c), Text: template.CSS(draw.TextOn(c))})
	}
	for _, l := range v.M.Scale.Levels {
		add(l.Colour)
	}
	for _, l := range v.M.ByLevel {
		add(l.Colour)
	}
	for _, r := range v.Risks {
		add(r.Inherent.Colour)
		add(r.Current.Colour)
		add(r.Target.Colour)
	}
}

// htmlRiskScale is the model's scale as the risk package draws it.
func htmlRiskScale(m *Model) risk.Scale {
	return risk.Scale{Name: m.Scale.Name, Likelihood: m.Scale.Likelihood, Impact: m.Scale.Impact, Levels: m.Scale.Levels, Matrix: m.Scale.Matrix}
}
