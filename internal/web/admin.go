package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// adminUsersView is the platform administrator's list of users.
type adminUsersView struct {
	Page
	Users []identity.User
	// NextURL links to the next page of users ("" on the last).
	NextURL  string
	Roles    []identity.Role
	Problems validate.Error
	Form     adminUserRequest
	Invite   string
	Notice   string
}

// adminUserRequest creates a user from the admin page or API.
type adminUserRequest struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
	Admin bool   `json:"admin,omitempty"`
	Org   string `json:"org,omitempty"`
	Role  string `json:"role,omitempty"`
}

// userJSON is the API's user, the same as the CLI's.
type userJSON = identity.UserJSON

func (s *Server) adminUsersPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderAdminUsers(w, r, http.StatusOK, &adminUsersView{})
}

func (s *Server) renderAdminUsers(w http.ResponseWriter, r *http.Request, status int, v *adminUsersView) error {
	pg, err := PageQuery(r)
	if err != nil {
		return err
	}
	users, next, err := s.db.UserPage(r.Context(), pg)
	if err != nil {
		return err
	}
	v.Users, v.NextURL = users, NextPageURL(r, next)
	v.Roles = identity.Roles
	v.Page = Page{Title: "Users", Breadcrumbs: []Crumb{{Label: "Admin", URL: "/admin/users"}, {Label: "Users"}}}
	s.render(w, r, status, "admin_users", v)
	return nil
}

// createUser makes a user (with a membership when an organisation and role
// are given) and an invitation link for them.
func (s *Server) createUser(r *http.Request, req adminUserRequest) (identity.User, string, error) {
	n := store.NewUser{User: identity.User{Email: req.Email, Name: req.Name, Admin: req.Admin}}
	problems := validate.Error{}
	if (req.Org == "") != (req.Role == "") {
		problems.Add("role", "give an organisation and a role together")
	}
	if req.Org != "" {
		o, err := s.db.Org(r.Context(), req.Org)
		if errors.Is(err, store.ErrNotFound) {
			problems.Add("org", "is not an organisation")
		} else if err != nil {
			return identity.User{}, "", err
		}
		n.OrgID = o.ID
	}
	if req.Role != "" {
		role, err := identity.ParseRole(req.Role)
		if err != nil {
			problems.Add("role", "must be owner, security_officer, contributor, auditor or viewer")
		}
		n.Role = role
	}
	if len(problems) > 0 {
		return identity.User{}, "", problems
	}
	u, err := s.db.CreateUser(r.Context(), s.Actor(r), n)
	if err != nil {
		return identity.User{}, "", err
	}
	link, err := s.Invite(r, u.ID)
	return u, link, err
}

func (s *Server) adminUserCreate(w http.ResponseWriter, r *http.Request) error {
	req := adminUserRequest{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Admin: r.PostFormValue("admin") == "on",
		Org: r.PostFormValue("org"), Role: r.PostFormValue("role")}
	u, link, err := s.createUser(r, req)
	var problems validate.Error
	switch {
	case errors.As(err, &problems):
		return s.renderAdminUsers(w, r, http.StatusUnprocessableEntity, &adminUsersView{Problems: problems, Form: req})
	case errors.Is(err, store.ErrConflict):
		return s.renderAdminUsers(w, r, http.StatusUnprocessableEntity, &adminUsersView{Problems: validate.Error{"email": "already has an account"}, Form: req})
	case err != nil:
		return err
	}
	return s.renderAdminUsers(w, r, http.StatusCreated, &adminUsersView{Invite: link,
		Notice: fmt.Sprintf("%s created. Send them the invitation link below; it works once, for 72 hours.", u.Email)})
}

func (s *Server) adminUserDisable(w http.ResponseWriter, r *http.Request) error {
	return s.setDisabled(w, r, true)
}

func (s *Server) adminUserEnable(w http.ResponseWriter, r *http.Request) error {
	return s.setDisabled(w, r, false)
}

func (s *Server) setDisabled(w http.ResponseWriter, r *http.Request, disabled bool) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return &HTTPError{Code: http.StatusNotFound, Msg: "No such user."}
	}
	if disabled && id == PrincipalOf(r.Context()).User.ID {
		return validate.Error{"user": "you cannot disable your own account"}
	}
	if err := s.db.SetUserDisabled(r.Context(), s.Actor(r), id, disabled); err != nil {
		return err
	}
	if WantsJSON(r) {
		u, err := s.db.User(r.Context(), id)
		if err != nil {
			return err
		}
		s.writeJSON(w, r, http.StatusOK, u.JSON())
		return nil
	}
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
	return nil
}

// adminUserReset clears a user's password, ends their sessions, and issues a
// one-time link to choose a new one: the way back in for someone who forgot
// their password or whose password may be known to someone else.
func (s *Server) adminUserReset(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return &HTTPError{Code: http.StatusNotFound, Msg: "No such user."}
	}
	u, err := s.db.User(r.Context(), id)
	if err != nil {
		return err
	}
	if err := s.db.SetPassword(r.Context(), s.Actor(r), u.ID, "", false, 0); err != nil {
		return err
	}
	link, err := s.Invite(r, u.ID)
	if err != nil {
		return err
	}
	if WantsJSON(r) {
		j := u.JSON()
		j.InvitationURL = link
		s.writeJSON(w, r, http.StatusOK, j)
		return nil
	}
	return s.renderAdminUsers(w, r, http.StatusOK, &adminUsersView{Invite: link,
		Notice: fmt.Sprintf("%s's password was cleared and their sessions ended. Send them the link below to choose a new one.", u.Email)})
}

func (s *Server) apiAdminUsers(w http.ResponseWriter, r *http.Request) error {
	pg, err := PageQuery(r)
	if err != nil {
		return err
	}
	users, next, err := s.db.UserPage(r.Context(), pg)
	if err != nil {
		return err
	}
	items := make([]userJSON, 0, len(users))
	for _, u := range users {
		items = append(items, u.JSON())
	}
	WritePage(s, w, r, items, next)
	return nil
}

func (s *Server) apiAdminUserCreate(w http.ResponseWriter, r *http.Request) error {
	var req adminUserRequest
	if err := DecodeJSON(r, &req); err != nil {
		return err
	}
	u, link, err := s.createUser(r, req)
	if err != nil {
		return err
	}
	j := u.JSON()
	j.InvitationURL = link
	s.writeJSON(w, r, http.StatusCreated, j)
	return nil
}

// adminOrgsView lists and creates organisations.
type adminOrgsView struct {
	Page
	Orgs []store.OrgEntry
	// NextURL links to the next page of organisations ("" on the last).
	NextURL  string
	Kinds    []identity.OrgKind
	Problems validate.Error
	Form     adminOrgRequest
	Notice   string
}

// adminOrgRequest creates an organisation, optionally with its first owner.
type adminOrgRequest struct {
	Slug  string `json:"slug"`
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Owner string `json:"owner,omitempty"` // email of an existing user
}

func (s *Server) adminOrgsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderAdminOrgs(w, r, http.StatusOK, &adminOrgsView{})
}

func (s *Server) renderAdminOrgs(w http.ResponseWriter, r *http.Request, status int, v *adminOrgsView) error {
	pg, err := PageQuery(r)
	if err != nil {
		return err
	}
	orgs, next, err := s.db.OrgPage(r.Context(), store.OrgQuery{}, pg)
	if err != nil {
		return err
	}
	v.Orgs, v.NextURL = orgs, NextPageURL(r, next)
	v.Kinds = identity.OrgKinds
	v.Page = Page{Title: "Organisations", Breadcrumbs: []Crumb{{Label: "Admin", URL: "/admin/users"}, {Label: "Organisations"}}}
	s.render(w, r, status, "admin_orgs", v)
	return nil
}

func (s *Server) createOrg(r *http.Request, req adminOrgRequest) (identity.Org, error) {
	var owner identity.User
	if req.Owner != "" {
		var err error
		owner, err = s.db.UserByEmail(r.Context(), req.Owner)
		if errors.Is(err, store.ErrNotFound) {
			return identity.Org{}, validate.Error{"owner": "has no account: create the user first"}
		} else if err != nil {
			return identity.Org{}, err
		}
	}
	o, err := s.db.CreateOrg(r.Context(), s.Actor(r), identity.Org{Slug: req.Slug, Name: req.Name, Kind: identity.OrgKind(req.Kind)})
	if errors.Is(err, store.ErrConflict) {
		return identity.Org{}, validate.Error{"slug": "is taken by another organisation"}
	} else if err != nil {
		return identity.Org{}, err
	}
	if owner.ID != 0 {
		if err := s.db.SetMember(r.Context(), s.Actor(r), o.ID, owner.ID, identity.RoleOwner); err != nil {
			return identity.Org{}, err
		}
	}
	return o, nil
}

func (s *Server) adminOrgCreate(w http.ResponseWriter, r *http.Request) error {
	req := adminOrgRequest{Slug: r.PostFormValue("slug"), Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Owner: r.PostFormValue("owner")}
	o, err := s.createOrg(r, req)
	var problems validate.Error
	if errors.As(err, &problems) {
		return s.renderAdminOrgs(w, r, http.StatusUnprocessableEntity, &adminOrgsView{Problems: problems, Form: req})
	} else if err != nil {
		return err
	}
	return s.renderAdminOrgs(w, r, http.StatusCreated, &adminOrgsView{Notice: fmt.Sprintf("Organisation %s (%s) created.", o.Name, o.Slug)})
}

func (s *Server) apiAdminOrgCreate(w http.ResponseWriter, r *http.Request) error {
	var req adminOrgRequest
	if err := DecodeJSON(r, &req); err != nil {
		return err
	}
	o, err := s.createOrg(r, req)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusCreated, orgJSON{ID: o.ID, Slug: o.Slug, Name: o.Name, Kind: string(o.Kind)})
	return nil
}
