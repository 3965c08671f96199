package orgweb

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// emergencyView lists emergency access in an organisation and shows one.
type emergencyView struct {
	web.Page
	Org  identity.Org
	List []identity.Emergency
	// NextURL links to the next page of the list ("" on the last).
	NextURL    string
	Item       *identity.Emergency
	CanReview  bool
	CanEnd     bool
	Now        time.Time
	Problems   validate.Error
	Reason     string
	Minutes    int
	MaxMinutes int
}

// emergencyStart begins emergency access for the caller: at once, announced,
// audited, with a fresh session secret for the raised privilege. A session
// that has not passed a second factor is refused (and told where to set one
// up): the raised role needs one.
func (h *Handler) emergencyStart(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	p := web.PrincipalOf(r.Context())
	if p.Session == nil {
		return &web.HTTPError{Code: http.StatusForbidden, Msg: "Emergency access is for people at a browser, not API tokens."}
	}
	if p.Session.MFAAt.IsZero() && identity.ElevatedRole(a.OwnRole).NeedsMFA() {
		if err := h.s.DB().Audit(r.Context(), h.s.Actor(r), audit.Entry{OrgID: a.Org.ID, Action: "emergency.refused", Object: "emergency:start",
			Summary: "emergency access refused: the session has passed no second factor"}); err != nil {
			return err
		}
		return h.renderOrg(w, r, http.StatusForbidden, &orgView{Reason: r.PostFormValue("reason"), EmergencyNeedsMFA: true})
	}
	reason := r.PostFormValue("reason")
	minutes, err := strconv.Atoi(r.PostFormValue("minutes"))
	if err != nil {
		minutes = 0
	}
	e, err := h.s.DB().StartEmergency(r.Context(), h.s.Actor(r), identity.Emergency{
		OrgID: a.Org.ID, OrgSlug: a.Org.Slug, UserID: p.User.ID, UserEmail: p.User.Email, UserName: p.User.Name,
		Reason: reason, Duration: time.Duration(minutes) * time.Minute,
	})
	var problems validate.Error
	if errors.As(err, &problems) {
		return h.renderOrg(w, r, http.StatusUnprocessableEntity, &orgView{Problems: problems, Reason: reason})
	} else if err != nil {
		return err
	}
	if err := h.s.RotateSession(w, r, p, time.Time{}, fmt.Sprintf("emergency access %d started", e.ID)); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/orgs/%s/emergency/%d", a.Org.Slug, e.ID), http.StatusSeeOther)
	return nil
}

func (h *Handler) emergencyList(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	p := web.PrincipalOf(r.Context())
	v := &emergencyView{Page: web.Page{Title: "Emergency access", Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "Emergency access"})},
		Org: a.Org, CanReview: a.Allows(identity.PermOrgSecurity), Now: h.s.DB().Now(), MaxMinutes: int(identity.MaxEmergency / time.Minute), Minutes: 60}
	who := p.User.ID
	if v.CanReview {
		who = 0
	}
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	list, next, err := h.s.DB().EmergencyPage(r.Context(), a.Org.ID, store.EmergencyQuery{UserID: who}, pg)
	if err != nil {
		return err
	}
	v.List, v.NextURL = list, web.NextPageURL(r, next)
	if err := h.s.DB().Audit(r.Context(), h.s.Actor(r), audit.Entry{OrgID: a.Org.ID, Action: "emergency.read", Object: "emergency:list",
		Summary: fmt.Sprintf("viewed %d emergency access records", len(v.List))}); err != nil {
		return err
	}
	h.s.Render(w, r, http.StatusOK, "emergency", v)
	return nil
}

// emergencyItem loads one record the caller may see: their own, or any for
// those who review.
func (h *Handler) emergencyItem(r *http.Request) (identity.Emergency, error) {
	a := web.OrgOf(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return identity.Emergency{}, &web.HTTPError{Code: http.StatusNotFound, Msg: "No such emergency access record."}
	}
	e, err := h.s.DB().Emergency(r.Context(), a.Org.ID, id)
	if err != nil {
		return identity.Emergency{}, err
	}
	if e.UserID != web.PrincipalOf(r.Context()).User.ID && !a.Allows(identity.PermOrgSecurity) {
		return identity.Emergency{}, &web.HTTPError{Code: http.StatusNotFound, Msg: "No such emergency access record."}
	}
	e.OrgSlug = a.Org.Slug
	return e, nil
}

func (h *Handler) emergencyShow(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	e, err := h.emergencyItem(r)
	if err != nil {
		return err
	}
	if err := h.s.DB().Audit(r.Context(), h.s.Actor(r), audit.Entry{OrgID: a.Org.ID, Action: "emergency.read", Object: fmt.Sprintf("emergency:%d", e.ID),
		Summary: "viewed emergency access details"}); err != nil {
		return err
	}
	return h.renderEmergency(w, r, http.StatusOK, e, nil)
}

func (h *Handler) renderEmergency(w http.ResponseWriter, r *http.Request, status int, e identity.Emergency, problems validate.Error) error {
	a := web.OrgOf(r.Context())
	now := h.s.DB().Now()
	p := web.PrincipalOf(r.Context())
	canReview := a.Allows(identity.PermOrgSecurity) && a.Emergency == nil
	// Who ended it is recorded as "user:12": the page names the person.
	people, err := h.s.People(r.Context(), e.EndedBy)
	if err != nil {
		return err
	}
	e.EndedBy = people.Name(e.EndedBy)
	h.s.Render(w, r, status, "emergency", &emergencyView{
		Page: web.Page{Title: "Emergency access", Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "Emergency access", URL: "/orgs/" + a.Org.Slug + "/emergency"},
			web.Crumb{Label: fmt.Sprintf("#%d", e.ID)})},
		Org: a.Org, Item: &e, Now: now, Problems: problems,
		CanReview: canReview && e.UserID != p.User.ID && !e.Active(now) && e.ReviewedAt.IsZero(),
		CanEnd:    e.Active(now) && (e.UserID == p.User.ID || a.Allows(identity.PermOrgSecurity)),
	})
	return nil
}

func (h *Handler) emergencyEnd(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	e, err := h.emergencyItem(r)
	if err != nil {
		return err
	}
	if err := h.s.DB().EndEmergency(r.Context(), h.s.Actor(r), a.Org.ID, e.ID); err != nil {
		return err
	}
	if p := web.PrincipalOf(r.Context()); p.Session != nil && e.UserID == p.User.ID {
		if err := h.s.RotateSession(w, r, p, time.Time{}, fmt.Sprintf("emergency access %d ended", e.ID)); err != nil {
			return err
		}
	}
	http.Redirect(w, r, fmt.Sprintf("/orgs/%s/emergency/%d", a.Org.Slug, e.ID), http.StatusSeeOther)
	return nil
}

func (h *Handler) emergencyReview(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	if a.Emergency != nil {
		return &web.HTTPError{Code: http.StatusForbidden, Msg: "Emergency access cannot be reviewed with emergency access."}
	}
	e, err := h.emergencyItem(r)
	if err != nil {
		return err
	}
	err = h.s.DB().ReviewEmergency(r.Context(), h.s.Actor(r), a.Org.ID, e.ID, web.PrincipalOf(r.Context()).User.ID, r.PostFormValue("note"))
	var problems validate.Error
	if errors.As(err, &problems) {
		return h.renderEmergency(w, r, http.StatusUnprocessableEntity, e, problems)
	} else if errors.Is(err, store.ErrConflict) {
		return &web.HTTPError{Code: http.StatusConflict, Msg: "This emergency access is still running or was reviewed already.", Err: err}
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/orgs/%s/emergency/%d", a.Org.Slug, e.ID), http.StatusSeeOther)
	return nil
}

// notificationsView lists the user's in-app notifications.
type notificationsView struct {
	web.Page
	Items []store.Notification
	// NextURL links to older notifications ("" on the last page).
	NextURL string
}

func (h *Handler) notificationsPage(w http.ResponseWriter, r *http.Request) error {
	p := web.PrincipalOf(r.Context())
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	items, next, err := h.s.DB().NotificationPage(r.Context(), p.User.ID, pg)
	if err != nil {
		return err
	}
	h.s.Render(w, r, http.StatusOK, "notifications", &notificationsView{Page: web.Page{Title: "Notifications"}, Items: items, NextURL: web.NextPageURL(r, next)})
	return nil
}

func (h *Handler) notificationsRead(w http.ResponseWriter, r *http.Request) error {
	if err := h.s.DB().MarkNotificationsRead(r.Context(), web.PrincipalOf(r.Context()).User.ID); err != nil {
		return err
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
	return nil
}
