package riskweb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/safeguard-health/safeguard/internal/draw"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// The data flows: how ePHI moves between the assets of the inventory and
// the parties outside it.

// flowRow is one flow as a page shows it: the names of its ends.
type flowRow struct {
	Flow           risk.Flow
	From, To       string
	FromURL, ToURL string
	// FromOutside and ToOutside mark an end outside the inventory.
	FromOutside, ToOutside bool
	Channel                string
	InTransit              string
	Exposed                bool
}

func (h *Handler) flowRows(r *http.Request, slug string, flows []risk.Flow) ([]flowRow, error) {
	var ids []int64
	for _, f := range flows {
		ids = append(ids, f.From.AssetID, f.To.AssetID)
	}
	names, err := h.s.DB().AssetNames(r.Context(), web.OrgOf(r.Context()).Org.ID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]flowRow, len(flows))
	for i, f := range flows {
		row := flowRow{Flow: f, From: f.From.Name(names), To: f.To.Name(names), Channel: f.Channel.Label(),
			InTransit: f.InTransit.Label(), Exposed: f.InTransit.Exposed(), FromOutside: f.From.AssetID == 0, ToOutside: f.To.AssetID == 0}
		if f.From.AssetID != 0 {
			row.FromURL = assetURL(slug, f.From.AssetID)
		}
		if f.To.AssetID != 0 {
			row.ToURL = assetURL(slug, f.To.AssetID)
		}
		out[i] = row
	}
	return out, nil
}

// flowForm is the flow form as typed. An end is an asset of the inventory
// (its ID) or, when no asset is chosen, an outside party typed in.
type flowForm struct {
	FromAsset, FromParty, ToAsset, ToParty string
	Channel, InTransit                     string
	Frequency, Volume, Description         string
}

func (f flowForm) flow() (risk.Flow, validate.Error) {
	p := validate.Error{}
	id := func(field, v string) int64 {
		if v = strings.TrimSpace(v); v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			p.Add(field, "is not an asset of this organisation's inventory")
		}
		return n
	}
	out := risk.Flow{
		From:    risk.Endpoint{AssetID: id("from.asset_id", f.FromAsset)},
		To:      risk.Endpoint{AssetID: id("to.asset_id", f.ToAsset)},
		Channel: risk.Channel(f.Channel), InTransit: risk.Encryption(f.InTransit),
		Frequency: f.Frequency, Volume: f.Volume, Description: f.Description,
	}
	// A party typed beside a chosen asset is left over from an earlier
	// choice: the asset wins.
	if out.From.AssetID == 0 {
		out.From.Party = f.FromParty
	}
	if out.To.AssetID == 0 {
		out.To.Party = f.ToParty
	}
	out.Normalize()
	if len(p) == 0 {
		return out, nil
	}
	addProblems(p, out.Validate())
	return out, p
}

type flowsView struct {
	web.Page
	Org      identity.Org
	CanWrite bool
	Rows     []flowRow
	NextURL  string
	Filter   struct {
		Asset, Channel string
		Unencrypted    bool
	}
	// Assets are the inventory's assets to choose an end from.
	Assets      []option
	Channels    []option
	Encryptions []option
	Form        flowForm
	Problems    validate.Error
	Added       bool
}

// assetsOffered bounds the assets the flow form offers to choose from.
const assetsOffered = store.MaxPageLimit

func (h *Handler) flowsPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderFlows(w, r, http.StatusOK, flowForm{InTransit: string(risk.EncryptionUnknown)}, nil)
}

func readFlowFilter(r *http.Request) (store.FlowFilter, error) {
	q := r.URL.Query()
	var f store.FlowFilter
	p := validate.Error{}
	if v := q.Get("asset"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			p.Add("asset", "must be an asset's ID")
		}
		f.AssetID = n
	}
	if v := q.Get("channel"); v != "" {
		f.Channel = risk.Channel(v)
		if !slices.Contains(risk.Channels(), f.Channel) {
			p.Add("channel", "is not a channel")
		}
	}
	switch q.Get("unencrypted") {
	case "", "0", "false":
	case "1", "true", "on":
		f.Unencrypted = true
	default:
		p.Add("unencrypted", "must be 1 or 0")
	}
	return f, p.Err()
}

func (h *Handler) renderFlows(w http.ResponseWriter, r *http.Request, status int, form flowForm, problems validate.Error) error {
	a := web.OrgOf(r.Context())
	filter, err := readFlowFilter(r)
	if err != nil {
		return err
	}
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	flows, next, err := h.s.DB().Flows(r.Context(), a.Org.ID, filter, pg)
	if err != nil {
		return err
	}
	v := &flowsView{
		Page: web.Page{Title: "Data flows", Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "ePHI inventory", URL: "/orgs/" + a.Org.Slug + "/inventory"}, web.Crumb{Label: "Data flows"})},
		Org:  a.Org, CanWrite: a.Allows(identity.PermOrgWrite), NextURL: web.NextPageURL(r, next), Form: form, Problems: problems,
		Encryptions: encryptionOptions(), Added: r.URL.Query().Get("added") != "",
	}
	v.Filter.Asset, v.Filter.Channel, v.Filter.Unencrypted = r.URL.Query().Get("asset"), string(filter.Channel), filter.Unencrypted
	for _, c := range risk.Channels() {
		v.Channels = append(v.Channels, option{string(c), c.Label()})
	}
	if v.Rows, err = h.flowRows(r, a.Org.Slug, flows); err != nil {
		return err
	}
	assets, _, err := h.s.DB().Assets(r.Context(), a.Org.ID, store.AssetFilter{}, store.Page{Limit: assetsOffered})
	if err != nil {
		return err
	}
	for _, x := range assets {
		v.Assets = append(v.Assets, option{strconv.FormatInt(x.ID, 10), x.Name + " — " + x.Kind.Label()})
	}
	h.s.Render(w, r, status, "flows", v)
	return nil
}

func (h *Handler) flowCreate(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	f := r.PostForm
	form := flowForm{FromAsset: f.Get("from_asset_id"), FromParty: f.Get("from_party"), ToAsset: f.Get("to_asset_id"), ToParty: f.Get("to_party"),
		Channel: f.Get("channel"), InTransit: f.Get("encrypted_in_transit"), Frequency: f.Get("frequency"), Volume: f.Get("volume"), Description: f.Get("description")}
	flow, problems := form.flow()
	if problems == nil {
		_, err := h.s.DB().CreateFlow(r.Context(), h.s.Actor(r), a.Org.ID, flow)
		if !errors.As(err, &problems) && err != nil {
			return err
		}
	}
	if problems != nil {
		return h.renderFlows(w, r, http.StatusUnprocessableEntity, form, problems)
	}
	http.Redirect(w, r, "/orgs/"+a.Org.Slug+"/flows?added=1", http.StatusSeeOther)
	return nil
}

func (h *Handler) flowDelete(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	id, err := pathID(r, "data flow")
	if err != nil {
		return err
	}
	back := "/orgs/" + a.Org.Slug + "/flows"
	asset, err := strconv.ParseInt(r.PostForm.Get("asset"), 10, 64)
	if err == nil && asset > 0 {
		back = assetURL(a.Org.Slug, asset) + "#flows-h"
	}
	if !confirmed(r) {
		f, err := h.s.DB().Flow(r.Context(), a.Org.ID, id)
		if err != nil {
			return err
		}
		rows, err := h.flowRows(r, a.Org.Slug, []risk.Flow{f})
		if err != nil {
			return err
		}
		v := &confirmView{
			Page:    web.Page{Title: "Delete a data flow", Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "Data flows", URL: "/orgs/" + a.Org.Slug + "/flows"}, web.Crumb{Label: "Delete a data flow"})},
			Heading: "Delete this data flow?", Question: fmt.Sprintf("Delete the flow from %s to %s, by %s?", rows[0].From, rows[0].To, draw.LowerFirst(rows[0].Channel)),
			Consequence: "It leaves the data-flow map and the inventory; its history stays in the audit log.",
			Action:      fmt.Sprintf("/orgs/%s/flows/%d/delete", a.Org.Slug, id), Back: back, Button: "Delete the data flow",
		}
		if asset > 0 {
			v.Hidden = []option{{"asset", strconv.FormatInt(asset, 10)}}
		}
		return h.renderConfirm(w, r, v)
	}
	if err := h.s.DB().DeleteFlow(r.Context(), h.s.Actor(r), a.Org.ID, id); err != nil {
		return err
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// The flows' API: /api/v1/orgs/{org}/flows, risk.Flow as JSON.

func (h *Handler) apiFlows(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	filter, err := readFlowFilter(r)
	if err != nil {
		return err
	}
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	list, next, err := h.s.DB().Flows(r.Context(), a.Org.ID, filter, pg)
	if err != nil {
		return err
	}
	web.WritePage(h.s, w, r, list, next)
	return nil
}

func flowURL(slug string, id int64) string { return fmt.Sprintf("/api/v1/orgs/%s/flows/%d", slug, id) }

func (h *Handler) apiFlowCreate(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	var in risk.Flow
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	out, err := h.s.DB().CreateFlow(r.Context(), h.s.Actor(r), a.Org.ID, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", flowURL(a.Org.Slug, out.ID))
	h.s.WriteJSON(w, r, http.StatusCreated, out)
	return nil
}

func (h *Handler) apiFlow(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	id, err := pathID(r, "data flow")
	if err != nil {
		return err
	}
	out, err := h.s.DB().Flow(r.Context(), a.Org.ID, id)
	if err != nil {
		return err
	}
	web.SetETag(w, out.Version)
	h.s.WriteJSON(w, r, http.StatusOK, out)
	return nil
}

// apiFlowUpdate changes the fields the body gives; "version" is required.
func (h *Handler) apiFlowUpdate(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	id, err := pathID(r, "data flow")
	if err != nil {
		return err
	}
	cur, err := h.s.DB().Flow(r.Context(), a.Org.ID, id)
	if err != nil {
		return err
	}
	matched, err := web.IfMatch(r, cur.Version)
	if err != nil {
		return err
	}
	var body map[string]json.RawMessage
	if err := web.DecodeJSON(r, &body); err != nil {
		return err
	}
	// An end given replaces the whole end: {"to": {"party": "Lab"}} leaves
	// no asset behind.
	if _, ok := body["from"]; ok {
		cur.From = risk.Endpoint{}
	}
	if _, ok := body["to"]; ok {
		cur.To = risk.Endpoint{}
	}
	cur.Version = 0
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cur); err != nil {
		return &web.HTTPError{Code: http.StatusBadRequest, Msg: "The body is not a data flow: check the names and types of its fields.", Err: err}
	}
	if cur.Version == 0 {
		cur.Version = matched // the version If-Match named stands for the body's
	}
	if cur.Version == 0 {
		return validate.Error{"version": "is required: the version of the flow your change was made from"}
	}
	cur.ID, cur.OrgID = id, a.Org.ID
	out, err := h.s.DB().UpdateFlow(r.Context(), h.s.Actor(r), a.Org.ID, cur)
	if err != nil {
		return err
	}
	web.SetETag(w, out.Version)
	h.s.WriteJSON(w, r, http.StatusOK, out)
	return nil
}

func (h *Handler) apiFlowDelete(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	id, err := pathID(r, "data flow")
	if err != nil {
		return err
	}
	if err := h.s.DB().DeleteFlow(r.Context(), h.s.Actor(r), a.Org.ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) apiFlowHistory(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	id, err := pathID(r, "data flow")
	if err != nil {
		return err
	}
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	list, next, err := h.s.DB().FlowHistory(r.Context(), a.Org.ID, id, pg)
	if err != nil {
		return err
	}
	web.WritePage(h.s, w, r, list, next)
	return nil
}
