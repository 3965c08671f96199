package riskweb

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// The organisation's rating scale: shown as a matrix to every member,
// chosen (3 × 3, 5 × 5) or edited (labels, meanings, colours, matrix) by
// an owner or security officer. A change stores a new scale; risks keep the
// one they were rated on.

// scaleJSON is the organisation's scale and the earlier ones its risks may
// still be rated on.
type scaleJSON struct {
	Scale  risk.Scale   `json:"scale"`
	Scales []risk.Scale `json:"scales"`
}

func (h *Handler) apiScale(w http.ResponseWriter, r *http.Request) error {
	org := web.OrgOf(r.Context()).Org.ID
	sc, err := h.s.DB().OrgScale(r.Context(), org)
	if err != nil {
		return err
	}
	all, err := h.s.DB().Scales(r.Context(), org)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusOK, scaleJSON{Scale: sc, Scales: all})
	return nil
}

// scalePut is the body of PUT risk-scale: one of a preset ("3x3", "5x5"),
// an earlier scale of the organisation (scale_id), or a new scale.
type scalePut struct {
	Preset  string      `json:"preset"`
	ScaleID int64       `json:"scale_id"`
	Scale   *risk.Scale `json:"scale"`
}

func (h *Handler) apiScalePut(w http.ResponseWriter, r *http.Request) error {
	var in scalePut
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	sc, err := h.setScale(r, in)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusOK, sc)
	return nil
}

// setScale makes the scale in names the organisation's.
func (h *Handler) setScale(r *http.Request, in scalePut) (risk.Scale, error) {
	db, org, actor := h.s.DB(), web.OrgOf(r.Context()).Org.ID, h.s.Actor(r)
	n := 0
	for _, set := range []bool{in.Preset != "", in.ScaleID != 0, in.Scale != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return risk.Scale{}, validate.Error{"scale": "send exactly one of preset (3x3 or 5x5), scale_id, or scale"}
	}
	var sc risk.Scale
	switch {
	case in.ScaleID != 0:
		return db.SetOrgScale(r.Context(), actor, org, in.ScaleID)
	case in.Preset == "3x3":
		sc = risk.ThreeByThree()
	case in.Preset == "5x5":
		sc = risk.FiveByFive()
	case in.Preset != "":
		return risk.Scale{}, validate.Error{"preset": "must be 3x3 or 5x5"}
	default:
		sc = *in.Scale
	}
	created, err := db.CreateScale(r.Context(), actor, org, sc)
	if err != nil {
		return risk.Scale{}, err
	}
	return db.SetOrgScale(r.Context(), actor, org, created.ID)
}

// Pages.

type scaleCell struct {
	Level levelLabel
	Value int
	Name  string
	// Options are the levels the cell's select offers.
	Options []regOption
}

type scaleRow struct {
	Likelihood string
	Cells      []scaleCell
}

type scaleView struct {
	web.Page
	Org      identity.Org
	Scale    risk.Scale
	Rows     []scaleRow
	Impact   []string
	CanEdit  bool
	Problems validate.Error
	// ProblemList is Problems in words, in a stable order.
	ProblemList []string
	Likelihood  string // the edit form's lines, "Label | meaning"
	ImpactText  string
	Levels      string // "Label | #colour"
	Name        string
	Other       int // risks rated on an earlier scale
	Saved       bool
}

func (h *Handler) scalePage(w http.ResponseWriter, r *http.Request) error {
	sc, err := h.s.DB().OrgScale(r.Context(), web.OrgOf(r.Context()).Org.ID)
	if err != nil {
		return err
	}
	return h.renderScale(w, r, http.StatusOK, sc, nil)
}

func (h *Handler) renderScale(w http.ResponseWriter, r *http.Request, status int, sc risk.Scale, problems validate.Error) error {
	a := web.OrgOf(r.Context())
	v := &scaleView{Page: web.Page{Title: "Rating scale", Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "Risk register", URL: "/orgs/" + a.Org.Slug + "/risks"}, web.Crumb{Label: "Rating scale"})},
		Org: a.Org, Scale: sc, CanEdit: a.Allows(identity.PermOrgSecurity), Problems: problems, Name: sc.Name, Saved: r.URL.Query().Get("saved") != ""}
	for _, g := range sc.Impact {
		v.Impact = append(v.Impact, g.Label)
	}
	for _, k := range slices.Sorted(maps.Keys(problems)) {
		v.ProblemList = append(v.ProblemList, scaleFieldWords(k)+" "+problems[k])
	}
	for l := len(sc.Likelihood); l >= 1; l-- {
		row := scaleRow{Likelihood: sc.Likelihood[l-1].Label}
		for i := 1; i <= len(sc.Impact); i++ {
			c := scaleCell{Name: fmt.Sprintf("matrix_%d_%d", l, i)}
			if l <= len(sc.Matrix) && i <= len(sc.Matrix[l-1]) {
				c.Value = sc.Matrix[l-1][i-1]
			}
			if c.Value >= 0 && c.Value < len(sc.Levels) {
				c.Level = levelLabel{Label: sc.Levels[c.Value].Label, Colour: sc.Levels[c.Value].Colour}
			}
			for k, lv := range sc.Levels {
				c.Options = append(c.Options, regOption{Value: fmt.Sprint(k), Label: lv.Label, Selected: k == c.Value})
			}
			row.Cells = append(row.Cells, c)
		}
		v.Rows = append(v.Rows, row)
	}
	lines := func(gs []risk.Grade) string {
		var b strings.Builder
		for _, g := range gs {
			fmt.Fprintf(&b, "%s | %s\n", g.Label, g.Meaning)
		}
		return b.String()
	}
	v.Likelihood, v.ImpactText = lines(sc.Likelihood), lines(sc.Impact)
	var b strings.Builder
	for _, l := range sc.Levels {
		fmt.Fprintf(&b, "%s | %s\n", l.Label, l.Colour)
	}
	v.Levels = b.String()
	if hm, err := h.s.DB().HeatMap(r.Context(), a.Org.ID, "current"); err == nil {
		v.Other = hm.OtherScales
	} else {
		return err
	}
	h.s.Render(w, r, status, "risk_scale", v)
	return nil
}

// scaleFieldWords names a field of a scale for people: "levels.2.colour"
// is "The colour of level 2".
func scaleFieldWords(k string) string {
	parts := strings.Split(k, ".")
	axis := map[string]string{"likelihood": "likelihood grade", "impact": "impact grade", "levels": "level"}
	switch {
	case len(parts) == 3 && parts[0] == "matrix":
		return fmt.Sprintf("The cell of likelihood grade %s and impact grade %s", parts[1], parts[2])
	case len(parts) == 2 && parts[0] == "matrix":
		return fmt.Sprintf("The row of likelihood grade %s", parts[1])
	case len(parts) == 3 && axis[parts[0]] != "":
		return fmt.Sprintf("The %s of %s %s", parts[2], axis[parts[0]], parts[1])
	case k == "name":
		return "The name"
	case k == "scale":
		return "The scale:"
	case k == "preset":
		return "The choice"
	}
	return "The " + strings.ReplaceAll(k, "_", " ")
}

// scaleSubmit takes a preset (preset=3x3|5x5) or the edit form.
func (h *Handler) scaleSubmit(w http.ResponseWriter, r *http.Request) error {
	in := scalePut{Preset: r.PostFormValue("preset")}
	var edited risk.Scale
	if in.Preset == "" {
		edited = readScaleForm(r)
		in.Scale = &edited
	}
	_, err := h.setScale(r, in)
	var problems validate.Error
	if errors.As(err, &problems) {
		return h.renderScale(w, r, http.StatusUnprocessableEntity, edited, problems)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/orgs/"+web.OrgOf(r.Context()).Org.Slug+"/risk-scale?saved=1", http.StatusSeeOther)
	return nil
}

// readScaleForm reads the edit form: grades and levels one per line
// ("Label | meaning", "Label | #colour") and a select per matrix cell
// (matrix_<likelihood>_<impact>, the level's index).
func readScaleForm(r *http.Request) risk.Scale {
	f := r.PostForm
	sc := risk.Scale{Name: f.Get("name")}
	split := func(line string) (string, string) {
		a, b, _ := strings.Cut(line, "|")
		return strings.TrimSpace(a), strings.TrimSpace(b)
	}
	grades := func(text string) []risk.Grade {
		var out []risk.Grade
		for _, line := range strings.Split(text, "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			l, m := split(line)
			out = append(out, risk.Grade{Label: l, Meaning: m})
		}
		return out
	}
	sc.Likelihood, sc.Impact = grades(f.Get("likelihood")), grades(f.Get("impact"))
	for _, line := range strings.Split(f.Get("levels"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		l, c := split(line)
		sc.Levels = append(sc.Levels, risk.Level{Label: l, Colour: c})
	}
	sc.Matrix = make([][]int, len(sc.Likelihood))
	for l := range sc.Matrix {
		sc.Matrix[l] = make([]int, len(sc.Impact))
		for i := range sc.Matrix[l] {
			v := f.Get(fmt.Sprintf("matrix_%d_%d", l+1, i+1))
			n := 0
			if _, err := fmt.Sscan(v, &n); err != nil {
				// A cell the form did not have yet (more grades than
				// before): the level of its neighbours, checked below.
				n = 0
				if l > 0 {
					n = sc.Matrix[l-1][i]
				}
				if i > 0 && sc.Matrix[l][i-1] > n {
					n = sc.Matrix[l][i-1]
				}
			}
			sc.Matrix[l][i] = n
		}
	}
	return sc
}
