package riskweb

import (
	"net/http"

	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// The inventory's API: /api/v1/orgs/{org}/assets. An asset is risk.Asset
// as JSON; a list is {"items", "next_cursor"}.

func (h *Handler) apiAssets(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	_, filter, err := readAssetFilter(r)
	if err != nil {
		return err
	}
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	list, next, err := h.s.DB().Assets(r.Context(), a.Org.ID, filter, pg)
	if err != nil {
		return err
	}
	web.WritePage(h.s, w, r, list, next)
	return nil
}

func (h *Handler) apiAssetCreate(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	var in risk.Asset
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	out, err := h.s.DB().CreateAsset(r.Context(), h.s.Actor(r), a.Org.ID, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", assetURL(a.Org.Slug, out.ID))
	h.s.WriteJSON(w, r, http.StatusCreated, out)
	return nil
}

func (h *Handler) apiAsset(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	id, err := pathID(r, "asset")
	if err != nil {
		return err
	}
	out, err := h.s.DB().Asset(r.Context(), a.Org.ID, id)
	if err != nil {
		return err
	}
	web.SetETag(w, out.Version)
	h.s.WriteJSON(w, r, http.StatusOK, out)
	return nil
}

// apiAssetUpdate changes the fields the body gives and keeps the others.
// The body must give "version", the version the change was made from: a
// stale one is refused with 409 and nothing is saved.
func (h *Handler) apiAssetUpdate(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	id, err := pathID(r, "asset")
	if err != nil {
		return err
	}
	cur, err := h.s.DB().Asset(r.Context(), a.Org.ID, id)
	if err != nil {
		return err
	}
	matched, err := web.IfMatch(r, cur.Version)
	if err != nil {
		return err
	}
	cur.Version = 0
	if err := web.DecodeJSON(r, &cur); err != nil {
		return err
	}
	if cur.Version == 0 {
		cur.Version = matched // the version If-Match named stands for the body's
	}
	if cur.Version == 0 {
		return validate.Error{"version": "is required: the version of the asset your change was made from"}
	}
	cur.ID, cur.OrgID = id, a.Org.ID
	out, err := h.s.DB().UpdateAsset(r.Context(), h.s.Actor(r), a.Org.ID, cur)
	if err != nil {
		return err
	}
	web.SetETag(w, out.Version)
	h.s.WriteJSON(w, r, http.StatusOK, out)
	return nil
}

func (h *Handler) apiAssetDelete(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	id, err := pathID(r, "asset")
	if err != nil {
		return err
	}
	if err := h.s.DB().DeleteAsset(r.Context(), h.s.Actor(r), a.Org.ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) apiAssetHistory(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	id, err := pathID(r, "asset")
	if err != nil {
		return err
	}
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	list, next, err := h.s.DB().AssetHistory(r.Context(), a.Org.ID, id, pg)
	if err != nil {
		return err
	}
	web.WritePage(h.s, w, r, list, next)
	return nil
}
