package riskweb

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// Re-rating in bulk after a change of scale: the risks still rated on an
// earlier scale, each with its ratings in words and the nearest ones on the
// current scale (risk.Rescale), which an owner or security officer confirms
// or changes and saves all at once (store.RerateRisks: all or nothing, a
// risk changed meanwhile is a conflict). A page holds at most rerateBatch
// risks; a larger register is re-rated a batch at a time.

const rerateBatch = 200

func (h *Handler) registerRerate(s *web.Server) {
	const page, api = "/orgs/{org}/risk-scale/rerate", "/api/v1/orgs/{org}/risk-scale/rerate"
	s.Route("GET "+page, identity.PermOrgRead, h.reratePage)
	s.Route("POST "+page, identity.PermOrgSecurity, h.rerateSubmit)
	s.Route("GET "+api, identity.PermOrgRead, h.apiRerate)
	s.Doc("GET "+api, web.APIDoc{Summary: "The risks rated on an earlier scale, with suggested ratings on the current one", Response: rerateJSON{}})
	s.Route("POST "+api, identity.PermOrgSecurity, h.apiRerateSubmit)
	s.Doc("POST "+api, web.APIDoc{Summary: "Re-rate risks on the current scale", Request: rerateBody{}, Response: rerateResult{}})
}

// rerateSuggestion is one risk to re-rate: where it stands and the
// suggested ratings on the current scale.
type rerateSuggestion struct {
	RiskID    int64            `json:"risk_id"`
	Title     string           `json:"title"`
	Version   int              `json:"version"`
	ScaleID   int64            `json:"scale_id"`
	ScaleName string           `json:"scale_name"`
	Was       store.RiskRating `json:"was"`
	Suggested store.RiskRating `json:"suggested"`
	from      risk.Scale
}

type rerateJSON struct {
	Scale risk.Scale `json:"scale"`
	// Total is how many risks are on an earlier scale; Items the first
	// rerateBatch of them.
	Total int                `json:"total"`
	Items []rerateSuggestion `json:"items"`
}

// rerateBody is the body of POST risk-scale/rerate.
type rerateBody struct {
	Ratings []store.RiskRating `json:"ratings"`
}

// rerateResult answers a re-rating: how many risks moved to which scale.
type rerateResult struct {
	Rerated int   `json:"rerated"`
	ScaleID int64 `json:"scale_id"`
}

// rerateSuggestions reads the risks to re-rate and suggests their new ratings.
func (h *Handler) rerateSuggestions(r *http.Request) (rerateJSON, error) {
	ctx, org := r.Context(), web.OrgOf(r.Context()).Org.ID
	db := h.s.DB()
	sc, err := db.OrgScale(ctx, org)
	if err != nil {
		return rerateJSON{}, err
	}
	scales, err := db.Scales(ctx, org)
	if err != nil {
		return rerateJSON{}, err
	}
	byID := map[int64]risk.Scale{}
	for _, s := range scales {
		byID[s.ID] = s
	}
	rs, total, err := db.RisksToRerate(ctx, org, sc.ID, rerateBatch)
	if err != nil {
		return rerateJSON{}, err
	}
	out := rerateJSON{Scale: sc, Total: total, Items: []rerateSuggestion{}}
	for _, rk := range rs {
		from := byID[rk.ScaleID]
		s := rerateSuggestion{RiskID: rk.ID, Title: rk.Title, Version: rk.Version, ScaleID: rk.ScaleID, ScaleName: from.Name, from: from,
			Was:       store.RiskRating{RiskID: rk.ID, Version: rk.Version, Inherent: rk.Inherent, Current: rk.Current, Target: rk.Target},
			Suggested: store.RiskRating{RiskID: rk.ID, Version: rk.Version, Inherent: risk.Rescale(rk.Inherent, from, sc), Current: risk.Rescale(rk.Current, from, sc)}}
		if !rk.Target.Zero() {
			s.Suggested.Target = risk.Rescale(rk.Target, from, sc)
		}
		out.Items = append(out.Items, s)
	}
	return out, nil
}

func (h *Handler) apiRerate(w http.ResponseWriter, r *http.Request) error {
	out, err := h.rerateSuggestions(r)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusOK, out)
	return nil
}

func (h *Handler) apiRerateSubmit(w http.ResponseWriter, r *http.Request) error {
	var in rerateBody
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if len(in.Ratings) == 0 {
		return validate.Error{"ratings": "list at least one risk to re-rate"}
	}
	if len(in.Ratings) > store.MaxPageLimit {
		return validate.Error{"ratings": fmt.Sprintf("re-rate at most %d risks at a time", store.MaxPageLimit)}
	}
	org := web.OrgOf(r.Context()).Org.ID
	sc, err := h.s.DB().OrgScale(r.Context(), org)
	if err != nil {
		return err
	}
	n, err := h.s.DB().RerateRisks(r.Context(), h.s.Actor(r), org, sc.ID, in.Ratings)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusOK, rerateResult{Rerated: n, ScaleID: sc.ID})
	return nil
}

// Pages.

// rerateAxis is one select of the form: a likelihood or an impact.
type rerateAxis struct {
	Name    string
	Label   string
	Options []regOption
	Problem string
}

// rerateRating is one of a risk's three ratings on the page.
type rerateRating struct {
	Which string // "Inherent", "Current", "Target"
	Was   string // in words on the earlier scale
	Axes  []rerateAxis
}

type rerateRow struct {
	ID      int64
	Title   string
	URL     string
	Version int
	Scale   string
	Ratings []rerateRating
}

type rerateView struct {
	web.Page
	Org      identity.Org
	Scale    risk.Scale
	Total    int
	Rows     []rerateRow
	CanEdit  bool
	Problem  string // a conflict or the count of field problems
	Rerated  int
	Problems validate.Error
}

func (h *Handler) reratePage(w http.ResponseWriter, r *http.Request) error {
	n, _ := strconv.Atoi(r.URL.Query().Get("rerated"))
	return h.renderRerate(w, r, http.StatusOK, nil, nil, "", n)
}

// renderRerate shows the risks to re-rate; chosen, when set, are the
// ratings the person sent (kept when they are refused).
func (h *Handler) renderRerate(w http.ResponseWriter, r *http.Request, status int, chosen map[int64]store.RiskRating, problems validate.Error, msg string, rerated int) error {
	a := web.OrgOf(r.Context())
	sug, err := h.rerateSuggestions(r)
	if err != nil {
		return err
	}
	base := "/orgs/" + a.Org.Slug
	v := &rerateView{Page: web.Page{Title: "Re-rate risks on the new scale", Breadcrumbs: web.OrgCrumbs(a,
		web.Crumb{Label: "Risk register", URL: base + "/risks"}, web.Crumb{Label: "Rating scale", URL: base + "/risk-scale"}, web.Crumb{Label: "Re-rate"})},
		Org: a.Org, Scale: sug.Scale, Total: sug.Total, CanEdit: a.Allows(identity.PermOrgSecurity), Problem: msg, Rerated: rerated, Problems: problems}
	if msg == "" && len(problems) > 0 {
		v.Problem = "Nothing was re-rated: some ratings are not on the scale. They are marked below."
	}
	sc := sug.Scale
	for _, s := range sug.Items {
		pick := s.Suggested
		if c, ok := chosen[s.RiskID]; ok {
			pick = c
		}
		row := rerateRow{ID: s.RiskID, Title: s.Title, URL: riskURL(a.Org.Slug, s.RiskID), Version: s.Version, Scale: s.ScaleName}
		from := s.from
		for _, rt := range []struct {
			which, key string
			was, new   risk.Rating
			optional   bool
		}{{"Inherent", "inherent", s.Was.Inherent, pick.Inherent, false}, {"Current", "current", s.Was.Current, pick.Current, false}, {"Target", "target", s.Was.Target, pick.Target, true}} {
			rr := rerateRating{Which: rt.which, Was: from.Describe(rt.was)}
			if rt.was.Zero() {
				rr.Was = "not set"
			}
			axis := func(name, label string, grades []risk.Grade, sel int) rerateAxis {
				ax := rerateAxis{Name: fmt.Sprintf("r%d_%s_%s", s.RiskID, rt.key, name), Label: fmt.Sprintf("%s %s of %q", rt.which, label, s.Title),
					Problem: problems[fmt.Sprintf("risks.%d.%s.%s", s.RiskID, rt.key, name)]}
				if rt.optional {
					ax.Options = append(ax.Options, regOption{Value: "0", Label: "Not set", Selected: sel == 0})
				}
				for i, g := range grades {
					ax.Options = append(ax.Options, regOption{Value: strconv.Itoa(i + 1), Label: g.Label, Selected: sel == i+1})
				}
				return ax
			}
			rr.Axes = []rerateAxis{axis("likelihood", "likelihood", sc.Likelihood, rt.new.Likelihood), axis("impact", "impact", sc.Impact, rt.new.Impact)}
			row.Ratings = append(row.Ratings, rr)
		}
		v.Rows = append(v.Rows, row)
	}
	h.s.Render(w, r, status, "risk_rerate", v)
	return nil
}

// rerateSubmit saves the page's ratings, all or nothing.
func (h *Handler) rerateSubmit(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	if err := r.ParseForm(); err != nil {
		return err
	}
	var ratings []store.RiskRating
	chosen := map[int64]store.RiskRating{}
	for _, v := range r.PostForm["risk"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			continue
		}
		num := func(name string) int {
			n, _ := strconv.Atoi(strings.TrimSpace(r.PostFormValue(fmt.Sprintf("r%d_%s", id, name))))
			return n
		}
		rr := store.RiskRating{RiskID: id, Version: num("version"),
			Inherent: risk.Rating{Likelihood: num("inherent_likelihood"), Impact: num("inherent_impact")},
			Current:  risk.Rating{Likelihood: num("current_likelihood"), Impact: num("current_impact")},
			Target:   risk.Rating{Likelihood: num("target_likelihood"), Impact: num("target_impact")}}
		if rr.Version <= 0 {
			// Without the version the page was made from, a change made
			// meanwhile would go unnoticed.
			rr.Version = -1
		}
		ratings = append(ratings, rr)
		chosen[id] = rr
	}
	if len(ratings) == 0 {
		return h.renderRerate(w, r, http.StatusUnprocessableEntity, nil, nil, "There were no risks to re-rate on the page; reload it.", 0)
	}
	sc, err := h.s.DB().OrgScale(r.Context(), a.Org.ID)
	if err != nil {
		return err
	}
	n, err := h.s.DB().RerateRisks(r.Context(), h.s.Actor(r), a.Org.ID, sc.ID, ratings)
	var problems validate.Error
	switch {
	case errors.Is(err, store.ErrConflict):
		return h.renderRerate(w, r, http.StatusConflict, nil, nil, conflictMessage(err)+" The page now shows the risks as they are.", 0)
	case errors.As(err, &problems):
		return h.renderRerate(w, r, http.StatusUnprocessableEntity, chosen, problems, "", 0)
	case err != nil:
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/orgs/%s/risk-scale/rerate?rerated=%d", a.Org.Slug, n), http.StatusSeeOther)
	return nil
}
