package accountweb

// Email digests: which kinds of reminder a member is emailed about, and
// how often (store.DigestPrefs). Reminders themselves are always in the
// app; the digest is the only way they reach email.

import (
	"errors"
	"net/http"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// digestPref is one kind's choice, in the API and on the page.
type digestPref struct {
	Kind      string `json:"kind"`
	Label     string `json:"label,omitempty"`
	Frequency string `json:"frequency"`
}

// emailPrefsJSON is what GET and PUT /api/v1/account/email answer, and
// what PUT takes (kinds left out keep their choice; labels are ignored).
type emailPrefsJSON struct {
	Digests []digestPref `json:"digests"`
}

func prefsJSON(p store.DigestPrefs) emailPrefsJSON {
	out := emailPrefsJSON{Digests: []digestPref{}}
	for _, k := range store.ReminderKinds() {
		out.Digests = append(out.Digests, digestPref{Kind: string(k), Label: k.Label(), Frequency: string(p[k])})
	}
	return out
}

func (h *Handler) registerEmail(s *web.Server) {
	s.Route("POST /account/email", identity.PermAccountWrite, h.emailSubmit)
	s.Route("GET /api/v1/account/email", identity.PermSignedIn, h.apiEmail)
	s.Doc("GET /api/v1/account/email", web.APIDoc{Summary: "Your email digest choices: for each kind of reminder, never, daily or weekly", Response: emailPrefsJSON{}})
	s.Route("PUT /api/v1/account/email", identity.PermAccountWrite, h.apiEmailSet)
	s.Doc("PUT /api/v1/account/email", web.APIDoc{Summary: "Change your email digest choices (kinds left out keep theirs)", Request: emailPrefsJSON{}, Response: emailPrefsJSON{},
		Example: emailPrefsJSON{Digests: []digestPref{{Kind: string(store.ReminderTaskOverdue), Frequency: string(store.Daily)}}}})
}

func (h *Handler) apiEmail(w http.ResponseWriter, r *http.Request) error {
	p, err := h.s.DB().DigestPrefs(r.Context(), web.PrincipalOf(r.Context()).User.ID)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusOK, prefsJSON(p))
	return nil
}

func (h *Handler) apiEmailSet(w http.ResponseWriter, r *http.Request) error {
	var in emailPrefsJSON
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	p := store.DigestPrefs{}
	for _, d := range in.Digests {
		p[store.ReminderKind(d.Kind)] = store.Frequency(d.Frequency)
	}
	user := web.PrincipalOf(r.Context()).User.ID
	if err := h.s.DB().SetDigestPrefs(r.Context(), h.s.Actor(r), user, p); err != nil {
		return err
	}
	return h.apiEmail(w, r)
}

// emailSubmit saves the account page's digest form: one choice per kind.
func (h *Handler) emailSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return &web.HTTPError{Code: http.StatusBadRequest, Msg: "The form could not be read.", Err: err}
	}
	p := store.DigestPrefs{}
	for _, k := range store.ReminderKinds() {
		if v := r.PostForm.Get(string(k)); v != "" {
			p[k] = store.Frequency(v)
		}
	}
	err := h.s.DB().SetDigestPrefs(r.Context(), h.s.Actor(r), web.PrincipalOf(r.Context()).User.ID, p)
	var problems validate.Error
	if errors.As(err, &problems) {
		return h.renderAccount(w, r, http.StatusUnprocessableEntity, &accountView{Problems: problems})
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/account?done=email#email", http.StatusSeeOther)
	return nil
}
