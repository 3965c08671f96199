package adminweb

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// adminUsersView is the platform administrator's list of users.
type adminUsersView struct {
	web.Page
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

func (h *Handler) adminUsersPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderAdminUsers(w, r, http.StatusOK, &adminUsersView{})
}

func (h *Handler) renderAdminUsers(w http.ResponseWriter, r *http.Request, status int, v *adminUsersView) error {
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	users, next, err := h.s.DB().UserPage(r.Context(), pg)
	if err != nil {
		return err
	}
	v.Users, v.NextURL = users, web.NextPageURL(r, next)
	v.Roles = identity.Roles
	v.Page = web.Page{Title: "Users", Breadcrumbs: []web.Crumb{{Label: "Admin", URL: "/admin/users"}, {Label: "Users"}}}
	h.s.Render(w, r, status, "admin_users", v)
	return nil
}

// createUser makes a user (with a membership when an organisation and role
// are given) and an invitation link for them.
func (h *Handler) createUser(r *http.Request, req adminUserRequest) (identity.User, string, error) {
	n := store.NewUser{User: identity.User{Email: req.Email, Name: req.Name, Admin: req.Admin}}
	problems := validate.Error{}
	if (req.Org == "") != (req.Role == "") {
		problems.Add("role", "give an organisation and a role together")
	}
	if req.Org != "" {
		o, err := h.s.DB().Org(r.Context(), req.Org)
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
	u, err := h.s.DB().CreateUser(r.Context(), h.s.Actor(r), n)
	if err != nil {
		return identity.User{}, "", err
	}
	link, err := h.s.Invite(r, u.ID)
	return u, link, err
}

func (h *Handler) adminUserCreate(w http.ResponseWriter, r *http.Request) error {
	req := adminUserRequest{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Admin: r.PostFormValue("admin") == "on",
		Org: r.PostFormValue("org"), Role: r.PostFormValue("role")}
	u, link, err := h.createUser(r, req)
	var problems validate.Error
	switch {
	case errors.As(err, &problems):
		return h.renderAdminUsers(w, r, http.StatusUnprocessableEntity, &adminUsersView{Problems: problems, Form: req})
	case errors.Is(err, store.ErrConflict):
		return h.renderAdminUsers(w, r, http.StatusUnprocessableEntity, &adminUsersView{Problems: validate.Error{"email": "already has an account"}, Form: req})
	case err != nil:
		return err
	}
	return h.renderAdminUsers(w, r, http.StatusCreated, &adminUsersView{Invite: link,
		Notice: fmt.Sprintf("%s created. Send them the invitation link below; it works once, for 72 hours.", u.Email)})
}

func (h *Handler) adminUserDisable(w http.ResponseWriter, r *http.Request) error {
	return h.setDisabled(w, r, true)
}

func (h *Handler) adminUserEnable(w http.ResponseWriter, r *http.Request) error {
	return h.setDisabled(w, r, false)
}

func (h *Handler) setDisabled(w http.ResponseWriter, r *http.Request, disabled bool) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return &web.HTTPError{Code: http.StatusNotFound, Msg: "No such user."}
	}
	if disabled && id == web.PrincipalOf(r.Context()).User.ID {
		return validate.Error{"user": "you cannot disable your own account"}
	}
	if err := h.s.DB().SetUserDisabled(r.Context(), h.s.Actor(r), id, disabled); err != nil {
		return err
	}
	if web.WantsJSON(r) {
		u, err := h.s.DB().User(r.Context(), id)
		if err != nil {
			return err
		}
		h.s.WriteJSON(w, r, http.StatusOK, u.JSON())
		return nil
	}
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
	return nil
}

// adminUserReset clears a user's password, ends their sessions, and issues a
// one-time link to choose a new one: the way back in for someone who forgot
// their password or whose password may be known to someone else.
func (h *Handler) adminUserReset(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return &web.HTTPError{Code: http.StatusNotFound, Msg: "No such user."}
	}
	u, err := h.s.DB().User(r.Context(), id)
	if err != nil {
		return err
	}
	if err := h.s.DB().SetPassword(r.Context(), h.s.Actor(r), u.ID, "", false, 0); err != nil {
		return err
	}
	link, err := h.s.Invite(r, u.ID)
	if err != nil {
		return err
	}
	if web.WantsJSON(r) {
		j := u.JSON()
		j.InvitationURL = link
		h.s.WriteJSON(w, r, http.StatusOK, j)
		return nil
	}
	return h.renderAdminUsers(w, r, http.StatusOK, &adminUsersView{Invite: link,
		Notice: fmt.Sprintf("%s's password was cleared and their sessions ended. Send them the link below to choose a new one.", u.Email)})
}

func (h *Handler) apiAdminUsers(w http.ResponseWriter, r *http.Request) error {
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	users, next, err := h.s.DB().UserPage(r.Context(), pg)
	if err != nil {
		return err
	}
	items := make([]userJSON, 0, len(users))
	for _, u := range users {
		items = append(items, u.JSON())
	}
	web.WritePage(h.s, w, r, items, next)
	return nil
}

func (h *Handler) apiAdminUserCreate(w http.ResponseWriter, r *http.Request) error {
	var req adminUserRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	u, link, err := h.createUser(r, req)
	if err != nil {
		return err
	}
	j := u.JSON()
	j.InvitationURL = link
	h.s.WriteJSON(w, r, http.StatusCreated, j)
	return nil
}

// adminOrgsView lists and creates organisations.
type adminOrgsView struct {
	web.Page
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

func (h *Handler) adminOrgsPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderAdminOrgs(w, r, http.StatusOK, &adminOrgsView{})
}

func (h *Handler) renderAdminOrgs(w http.ResponseWriter, r *http.Request, status int, v *adminOrgsView) error {
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	orgs, next, err := h.s.DB().OrgPage(r.Context(), store.OrgQuery{}, pg)
	if err != nil {
		return err
	}
	v.Orgs, v.NextURL = orgs, web.NextPageURL(r, next)
	v.Kinds = identity.OrgKinds
	v.Page = web.Page{Title: "Organisations", Breadcrumbs: []web.Crumb{{Label: "Admin", URL: "/admin/users"}, {Label: "Organisations"}}}
	h.s.Render(w, r, status, "admin_orgs", v)
	return nil
}

func (h *Handler) createOrg(r *http.Request, req adminOrgRequest) (identity.Org, error) {
	var owner identity.User
	if req.Owner != "" {
		var err error
		owner, err = h.s.DB().UserByEmail(r.Context(), req.Owner)
		if errors.Is(err, store.ErrNotFound) {
			return identity.Org{}, validate.Error{"owner": "has no account: create the user first"}
		} else if err != nil {
			return identity.Org{}, err
		}
	}
	o, err := h.s.DB().CreateOrg(r.Context(), h.s.Actor(r), identity.Org{Slug: req.Slug, Name: req.Name, Kind: identity.OrgKind(req.Kind)})
	if errors.Is(err, store.ErrConflict) {
		return identity.Org{}, validate.Error{"slug": "is taken by another organisation"}
	} else if err != nil {
		return identity.Org{}, err
	}
	if owner.ID != 0 {
		if err := h.s.DB().SetMember(r.Context(), h.s.Actor(r), o.ID, owner.ID, identity.RoleOwner); err != nil {
			return identity.Org{}, err
		}
	}
	return o, nil
}

func (h *Handler) adminOrgCreate(w http.ResponseWriter, r *http.Request) error {
	req := adminOrgRequest{Slug: r.PostFormValue("slug"), Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Owner: r.PostFormValue("owner")}
	o, err := h.createOrg(r, req)
	var problems validate.Error
	if errors.As(err, &problems) {
		return h.renderAdminOrgs(w, r, http.StatusUnprocessableEntity, &adminOrgsView{Problems: problems, Form: req})
	} else if err != nil {
		return err
	}
	return h.renderAdminOrgs(w, r, http.StatusCreated, &adminOrgsView{Notice: fmt.Sprintf("Organisation %s (%s) created.", o.Name, o.Slug)})
}

func (h *Handler) apiAdminOrgCreate(w http.ResponseWriter, r *http.Request) error {
	var req adminOrgRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	o, err := h.createOrg(r, req)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusCreated, identity.OrgJSON{ID: o.ID, Slug: o.Slug, Name: o.Name, Kind: string(o.Kind)})
	return nil
}
