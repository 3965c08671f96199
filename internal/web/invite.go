package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// invitationView is the page an invitation link opens: choosing a password
// for a new account, or, for an existing one, answering the invitation once
// signed in as that person.
type invitationView struct {
	Page
	Email    string
	Token    string
	Problems validate.Error
	Gone     bool
	// Join is the organisation invitation behind the link, if it is one.
	Join *identity.Invitation
	// SignIn asks the visitor to sign in as the invited person to answer;
	// Answer shows the accept and decline buttons to that person.
	SignIn bool
	Answer bool
	CSRF   string // the pre-session form token (loginguard.go)
}

func (s *Server) invitation(r *http.Request) (store.Invitation, identity.User, error) {
	inv, u, err := s.db.InvitationByToken(r.Context(), identity.HashSecret(r.PathValue("token")))
	if errors.Is(err, store.ErrNotFound) || (err == nil && (!inv.UsedAt.IsZero() || !s.db.Now().Before(inv.ExpiresAt) || !u.Active())) {
		return store.Invitation{}, identity.User{}, store.ErrNotFound
	}
	return inv, u, err
}

// joinInvitation returns the pending organisation invitation behind the
// request's link, whether its link may set up the account, or ErrNotFound.
func (s *Server) joinInvitation(r *http.Request) (identity.Invitation, bool, error) {
	inv, err := s.db.MemberInvitationByToken(r.Context(), identity.HashSecret(r.PathValue("token")))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !inv.Pending(s.db.Now())) {
		return identity.Invitation{}, false, store.ErrNotFound
	} else if err != nil {
		return identity.Invitation{}, false, err
	}
	u, err := s.db.User(r.Context(), inv.UserID)
	if err != nil {
		return identity.Invitation{}, false, err
	}
	if !u.Active() {
		return identity.Invitation{}, false, store.ErrNotFound
	}
	setUp := inv.NewAccount && u.PasswordSetAt.IsZero() && u.LastLoginAt.IsZero()
	return inv, setUp, nil
}

func (s *Server) invitationGone(w http.ResponseWriter, r *http.Request) error {
	s.AuditFailure(r, "user.invite_refused", "route:"+r.Method+" /invite/{token}", "unknown, used or expired invitation")
	s.render(w, r, http.StatusGone, "invitation", &invitationView{Page: Page{Title: "Invitation"}, Gone: true})
	return nil
}

func (s *Server) invitationPage(w http.ResponseWriter, r *http.Request) error {
	_, u, err := s.invitation(r)
	if err == nil {
		token, err := s.PreSessionToken(w, r)
		if err != nil {
			return err
		}
		s.render(w, r, http.StatusOK, "invitation", &invitationView{Page: Page{Title: "Choose your password"}, Email: u.Email, Token: r.PathValue("token"), CSRF: token})
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	join, setUp, err := s.joinInvitation(r)
	if errors.Is(err, store.ErrNotFound) {
		return s.invitationGone(w, r)
	} else if err != nil {
		return err
	}
	v := &invitationView{Page: Page{Title: "Invitation to " + join.OrgName}, Email: join.Email, Token: r.PathValue("token"), Join: &join}
	if setUp {
		v.Title = "Choose your password"
		if v.CSRF, err = s.PreSessionToken(w, r); err != nil {
			return err
		}
	} else if p := PrincipalOf(r.Context()); p != nil && p.Session != nil && p.User.ID == join.UserID {
		v.Answer = true
	} else {
		v.SignIn = true
	}
	s.render(w, r, http.StatusOK, "invitation", v)
	return nil
}

func (s *Server) invitationSubmit(w http.ResponseWriter, r *http.Request) error {
	// Accepting an invitation signs the browser in: without this check
	// another site could sign a visitor in to an account it was invited to.
	if err := s.CheckPreSessionCSRF(r); err != nil {
		return err
	}
	inv, u, err := s.invitation(r)
	var join identity.Invitation
	if errors.Is(err, store.ErrNotFound) {
		var setUp bool
		join, setUp, err = s.joinInvitation(r)
		if err == nil && !setUp {
			err = store.ErrNotFound
		}
		if err == nil {
			if u, err = s.db.User(r.Context(), join.UserID); err != nil {
				return err
			}
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return s.invitationGone(w, r)
	} else if err != nil {
		return err
	}
	pw, confirm := r.PostFormValue("new"), r.PostFormValue("confirm")
	problems := validate.Error{}
	if err := identity.CheckPassword(pw, u.Email, u.Name); err != nil {
		problems.Add("new", strings.TrimPrefix(err.Error(), identity.ErrWeakPassword.Error()+": "))
	}
	if confirm != pw {
		problems.Add("confirm", "does not match the new password")
	}
	if len(problems) > 0 {
		token, err := s.PreSessionToken(w, r)
		if err != nil {
			return err
		}
		v := &invitationView{Page: Page{Title: "Choose your password"}, Email: u.Email, Token: r.PathValue("token"), Problems: problems, CSRF: token}
		if join.ID != 0 {
			v.Join = &join
		}
		s.render(w, r, http.StatusUnprocessableEntity, "invitation", v)
		return nil
	}
	hash, err := s.hasher.Hash(r.Context(), pw)
	if err != nil {
		return err
	}
	actor := store.Actor{Name: fmt.Sprintf("user:%d", u.ID), Source: clientOf(r.Context()).IP, RequestID: requestID(r.Context())}
	if join.ID != 0 {
		// Setting up the account the invitation made is accepting it.
		err = s.db.SetUpInvitedAccount(r.Context(), actor, join.ID, hash)
	} else {
		err = s.db.AcceptInvitation(r.Context(), actor, inv, hash)
	}
	if err != nil {
		return err
	}
	p, err := s.StartSession(w, r, u, time.Time{}, "invitation")
	if err != nil {
		return err
	}
	to := "/"
	if step := s.pendingStep(r, p); step != "" {
		to = step
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
