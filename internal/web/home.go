package web

import (
	"net/http"

	"github.com/safeguard-health/safeguard/internal/identity"
)

// homeView lists the organisations of the signed-in user.
type homeView struct {
	Page
	Memberships []identity.Membership
	Invitations []identity.Invitation
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.db.Memberships(r.Context(), PrincipalOf(r.Context()).User.ID)
	if err != nil {
		return err
	}
	invs, err := s.db.PendingInvitations(r.Context(), PrincipalOf(r.Context()).User.ID)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "home", &homeView{Page: Page{Title: "Organisations"}, Memberships: ms, Invitations: invs})
	return nil
}
