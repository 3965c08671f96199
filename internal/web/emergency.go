package web

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
)

// emergencyView lists emergency access in an organisation and shows one.
type emergencyView struct {
	Page
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
func (s *Server) emergencyStart(w http.ResponseWriter, r *http.Request) error {
	a := OrgOf(r.Context())
	p := PrincipalOf(r.Context())
	if p.Session == nil {
		return &HTTPError{Code: http.StatusForbidden, Msg: "Emergency access is for people at a browser, not API tokens."}
	}
	if p.Session.MFAAt.IsZero() && identity.ElevatedRole(a.OwnRole).NeedsMFA() {
		if err := s.db.Audit(r.Context(), s.Actor(r), audit.Entry{OrgID: a.Org.ID, Action: "emergency.refused", Object: "emergency:start",
			Summary: "emergency access refused: the session has passed no second factor"}); err != nil {
			return err
		}
		return s.renderOrg(w, r, http.StatusForbidden, &orgView{Reason: r.PostFormValue("reason"), EmergencyNeedsMFA: true})
	}
	reason := r.PostFormValue("reason")
	minutes, err := strconv.Atoi(r.PostFormValue("minutes"))
	if err != nil {
		minutes = 0
	}
	e, err := s.db.StartEmergency(r.Context(), s.Actor(r), identity.Emergency{
		OrgID: a.Org.ID, OrgSlug: a.Org.Slug, UserID: p.User.ID, UserEmail: p.User.Email, UserName: p.User.Name,
		Reason: reason, Duration: time.Duration(minutes) * time.Minute,
	})
	var problems validate.Error
	if errors.As(err, &problems) {
		return s.renderOrg(w, r, http.StatusUnprocessableEntity, &orgView{Problems: problems, Reason: reason})
	} else if err != nil {
		return err
	}
	if err := s.RotateSession(w, r, p, time.Time{}, fmt.Sprintf("emergency access %d started", e.ID)); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/orgs/%s/emergency/%d", a.Org.Slug, e.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) emergencyList(w http.ResponseWriter, r *http.Request) error {
	a := OrgOf(r.Context())
	p := PrincipalOf(r.Context())
	v := &emergencyView{Page: Page{Title: "Emergency access", Breadcrumbs: OrgCrumbs(a, Crumb{Label: "Emergency access"})},
		Org: a.Org, CanReview: a.Allows(identity.PermOrgSecurity), Now: s.db.Now(), MaxMinutes: int(identity.MaxEmergency / time.Minute), Minutes: 60}
	who := p.User.ID
	if v.CanReview {
		who = 0
	}
	pg, err := PageQuery(r)
	if err != nil {
		return err
	}
	list, next, err := s.db.EmergencyPage(r.Context(), a.Org.ID, store.EmergencyQuery{UserID: who}, pg)
	if err != nil {
		return err
	}
	v.List, v.NextURL = list, NextPageURL(r, next)
	if err := s.db.Audit(r.Context(), s.Actor(r), audit.Entry{OrgID: a.Org.ID, Action: "emergency.read", Object: "emergency:list",
		Summary: fmt.Sprintf("viewed %d emergency access records", len(v.List))}); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "emergency", v)
	return nil
}

// emergencyItem loads one record the caller may see: their own, or any for
// those who review.
func (s *Server) emergencyItem(r *http.Request) (identity.Emergency, error) {
	a := OrgOf(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return identity.Emergency{}, &HTTPError{Code: http.StatusNotFound, Msg: "No such emergency access record."}
	}
	e, err := s.db.Emergency(r.Context(), a.Org.ID, id)
	if err != nil {
		return identity.Emergency{}, err
	}
	if e.UserID != PrincipalOf(r.Context()).User.ID && !a.Allows(identity.PermOrgSecurity) {
		return identity.Emergency{}, &HTTPError{Code: http.StatusNotFound, Msg: "No such emergency access record."}
	}
	e.OrgSlug = a.Org.Slug
	return e, nil
}

func (s *Server) emergencyShow(w http.ResponseWriter, r *http.Request) error {
	a := OrgOf(r.Context())
	e, err := s.emergencyItem(r)
	if err != nil {
		return err
	}
	if err := s.db.Audit(r.Context(), s.Actor(r), audit.Entry{OrgID: a.Org.ID, Action: "emergency.read", Object: fmt.Sprintf("emergency:%d", e.ID),
		Summary: "viewed emergency access details"}); err != nil {
		return err
	}
	return s.renderEmergency(w, r, http.StatusOK, e, nil)
}

func (s *Server) renderEmergency(w http.ResponseWriter, r *http.Request, status int, e identity.Emergency, problems validate.Error) error {
	a := OrgOf(r.Context())
	now := s.db.Now()
	p := PrincipalOf(r.Context())
	canReview := a.Allows(identity.PermOrgSecurity) && a.Emergency == nil
	s.render(w, r, status, "emergency", &emergencyView{
		Page: Page{Title: "Emergency access", Breadcrumbs: OrgCrumbs(a, Crumb{Label: "Emergency access", URL: "/orgs/" + a.Org.Slug + "/emergency"},
			Crumb{Label: fmt.Sprintf("#%d", e.ID)})},
		Org: a.Org, Item: &e, Now: now, Problems: problems,
		CanReview: canReview && e.UserID != p.User.ID && !e.Active(now) && e.ReviewedAt.IsZero(),
		CanEnd:    e.Active(now) && (e.UserID == p.User.ID || a.Allows(identity.PermOrgSecurity)),
	})
	return nil
}

func (s *Server) emergencyEnd(w http.ResponseWriter, r *http.Request) error {
	a := OrgOf(r.Context())
	e, err := s.emergencyItem(r)
	if err != nil {
		return err
	}
	if err := s.db.EndEmergency(r.Context(), s.Actor(r), a.Org.ID, e.ID); err != nil {
		return err
	}
	if p := PrincipalOf(r.Context()); p.Session != nil && e.UserID == p.User.ID {
		if err := s.RotateSession(w, r, p, time.Time{}, fmt.Sprintf("emergency access %d ended", e.ID)); err != nil {
			return err
		}
	}
	http.Redirect(w, r, fmt.Sprintf("/orgs/%s/emergency/%d", a.Org.Slug, e.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) emergencyReview(w http.ResponseWriter, r *http.Request) error {
	a := OrgOf(r.Context())
	if a.Emergency != nil {
		return &HTTPError{Code: http.StatusForbidden, Msg: "Emergency access cannot be reviewed with emergency access."}
	}
	e, err := s.emergencyItem(r)
	if err != nil {
		return err
	}
	err = s.db.ReviewEmergency(r.Context(), s.Actor(r), a.Org.ID, e.ID, PrincipalOf(r.Context()).User.ID, r.PostFormValue("note"))
	var problems validate.Error
	if errors.As(err, &problems) {
		return s.renderEmergency(w, r, http.StatusUnprocessableEntity, e, problems)
	} else if errors.Is(err, store.ErrConflict) {
		return &HTTPError{Code: http.StatusConflict, Msg: "This emergency access is still running or was reviewed already.", Err: err}
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/orgs/%s/emergency/%d", a.Org.Slug, e.ID), http.StatusSeeOther)
	return nil
}

// notificationsView lists the user's in-app notifications.
type notificationsView struct {
	Page
	Items []store.Notification
	// NextURL links to older notifications ("" on the last page).
	NextURL string
}

func (s *Server) notificationsPage(w http.ResponseWriter, r *http.Request) error {
	p := PrincipalOf(r.Context())
	pg, err := PageQuery(r)
	if err != nil {
		return err
	}
	items, next, err := s.db.NotificationPage(r.Context(), p.User.ID, pg)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "notifications", &notificationsView{Page: Page{Title: "Notifications"}, Items: items, NextURL: NextPageURL(r, next)})
	return nil
}

func (s *Server) notificationsRead(w http.ResponseWriter, r *http.Request) error {
	if err := s.db.MarkNotificationsRead(r.Context(), PrincipalOf(r.Context()).User.ID); err != nil {
		return err
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
	return nil
}
