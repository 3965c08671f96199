package accountweb

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/safeguard-health/safeguard/internal/web"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// tokenRequest is the body of POST /api/v1/tokens and the token form.
type tokenRequest struct {
	Name    string `json:"name"`
	Org     string `json:"org,omitempty"`
	Scope   string `json:"scope"`
	Expires string `json:"expires,omitempty"` // a Go duration, default 720h
}

// tokenJSON describes a token without its secret.
type tokenJSON struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Org        string     `json:"org,omitempty"`
	Scope      string     `json:"scope"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Revoked    bool       `json:"revoked"`
	Token      string     `json:"token,omitempty"` // only in the creation response
}

func toTokenJSON(t store.Token) tokenJSON {
	j := tokenJSON{ID: t.ID, Name: t.Name, Org: t.OrgSlug, Scope: string(t.Scope), CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, Revoked: !t.RevokedAt.IsZero()}
	if !t.LastUsedAt.IsZero() {
		lu := t.LastUsedAt
		j.LastUsedAt = &lu
	}
	return j
}

// createToken makes a token for the caller, who is a person in a browser
// session: an API token never makes another (its route needs
// PermCredentials, which no scope allows), so a token cannot outlive or
// outrank the one that would have made it. The new token is still bounded by
// its user's role wherever it is used.
func (h *Handler) createToken(r *http.Request, req tokenRequest) (store.Token, string, error) {
	p := web.PrincipalOf(r.Context())
	if p.Token != nil {
		return store.Token{}, "", h.s.RefuseToken(r, p.Token, identity.PermCredentials)
	}
	problems := validate.Error{}
	scope, err := identity.ParseScope(req.Scope)
	if err != nil {
		problems.Add("scope", "must be read, write or admin")
	}
	ttl := 720 * time.Hour
	if req.Expires != "" {
		if ttl, err = time.ParseDuration(req.Expires); err != nil || ttl <= 0 {
			problems.Add("expires", "must be a duration such as 720h")
		}
	}
	t := store.Token{UserID: p.User.ID, Name: req.Name, Scope: scope}
	if req.Org != "" {
		o, err := h.s.DB().Org(r.Context(), req.Org)
		if err == nil {
			if _, err = h.s.DB().Membership(r.Context(), o.ID, p.User.ID); err == nil {
				t.OrgID = o.ID
			}
		}
		if err != nil {
			problems.Add("org", "is not an organisation you belong to")
		}
	}
	if len(problems) > 0 {
		return store.Token{}, "", problems
	}
	secret, err := identity.NewSecret(identity.PrefixToken)
	if err != nil {
		return store.Token{}, "", err
	}
	t, err = h.s.DB().CreateToken(r.Context(), h.s.Actor(r), identity.HashSecret(secret), t, ttl)
	if err != nil {
		return store.Token{}, "", err
	}
	t.OrgSlug = req.Org
	return t, secret, nil
}

// tokensDuringEmergency refuses a new API token while the user's emergency
// access runs: a token would outlive it. (A token never carries raised
// access anyway: it acts with its user's own role.)
func (h *Handler) tokensDuringEmergency(r *http.Request) error {
	p := web.PrincipalOf(r.Context())
	in, err := h.s.DB().UserInEmergency(r.Context(), p.User.ID)
	if err != nil || !in {
		return err
	}
	h.s.AuditRefusal(r, "auth.forbidden", "no API token while emergency access runs")
	return &web.HTTPError{Code: http.StatusForbidden, Msg: "API tokens cannot be created while your emergency access runs: a token would outlive it."}
}

func (h *Handler) tokenSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := h.tokensDuringEmergency(r); err != nil {
		return err
	}
	req := tokenRequest{Name: r.PostFormValue("name"), Org: r.PostFormValue("org"), Scope: r.PostFormValue("scope"), Expires: r.PostFormValue("expires")}
	t, secret, err := h.createToken(r, req)
	var problems validate.Error
	if errors.As(err, &problems) {
		return h.renderAccount(w, r, http.StatusUnprocessableEntity, &accountView{Problems: problems})
	} else if err != nil {
		return err
	}
	return h.renderAccount(w, r, http.StatusCreated, &accountView{NewToken: secret, Notice: fmt.Sprintf("Token %q created. Copy it now: it is not shown again.", t.Name)})
}

func (h *Handler) tokenRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return &web.HTTPError{Code: http.StatusNotFound, Msg: "No such token."}
	}
	p := web.PrincipalOf(r.Context())
	// A token may revoke itself (a script cleaning up after itself), never
	// the user's other tokens: those are managed in a browser session.
	if p.Token != nil && p.Token.ID != id {
		h.s.AuditRefusal(r, "auth.forbidden", fmt.Sprintf("token %d may revoke only itself, not token %d", p.Token.ID, id))
		return &web.HTTPError{Code: http.StatusForbidden, Msg: "An API token may revoke only itself; manage other tokens on your account page."}
	}
	if err := h.s.DB().RevokeToken(r.Context(), h.s.Actor(r), p.User.ID, id); err != nil {
		return err
	}
	if web.WantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, "/account?done=revoked", http.StatusSeeOther)
	return nil
}

// apiTokens lists the caller's tokens. Called with a token, it lists only
// that token: a token bound to one organisation must not learn of the
// user's tokens for others.
func (h *Handler) apiTokens(w http.ResponseWriter, r *http.Request) error {
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	p := web.PrincipalOf(r.Context())
	if p.Token != nil {
		web.WritePage(h.s, w, r, []tokenJSON{toTokenJSON(*p.Token)}, nil)
		return nil
	}
	ts, next, err := h.s.DB().TokenPage(r.Context(), p.User.ID, pg)
	if err != nil {
		return err
	}
	items := make([]tokenJSON, 0, len(ts))
	for _, t := range ts {
		items = append(items, toTokenJSON(t))
	}
	web.WritePage(h.s, w, r, items, next)
	return nil
}

func (h *Handler) apiTokenCreate(w http.ResponseWriter, r *http.Request) error {
	if err := h.tokensDuringEmergency(r); err != nil {
		return err
	}
	var req tokenRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	t, secret, err := h.createToken(r, req)
	if err != nil {
		return err
	}
	j := toTokenJSON(t)
	j.Token = secret
	h.s.WriteJSON(w, r, http.StatusCreated, j)
	return nil
}
