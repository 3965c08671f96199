package orgweb

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// orgView is an organisation's start page.
type orgView struct {
	web.Page
	Org         identity.Org
	Role        identity.Role
	Members     int
	Security    store.OrgSecurity
	MyEmergency *identity.Emergency
	Unreviewed  []identity.Emergency
	// MoreUnreviewed: more await review than the page shows.
	MoreUnreviewed bool
	CanReview      bool
	CanAudit       bool
	CanSettings    bool
	CanSSO         bool
	// NeedsMFA: the session has passed no second factor, so emergency
	// access would be refused; EmergencyNeedsMFA: it just was.
	NeedsMFA          bool
	EmergencyNeedsMFA bool
	Problems          validate.Error
	Reason            string
	// Dash is the compliance dashboard (dashboard, below).
	Dash *dashboard
}

// unreviewedShown is how many emergency access records awaiting review the
// organisation page lists; the emergency access page has them all.
const unreviewedShown = 20

func (h *Handler) orgPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderOrg(w, r, http.StatusOK, &orgView{})
}

func (h *Handler) renderOrg(w http.ResponseWriter, r *http.Request, status int, v *orgView) error {
	a := web.OrgOf(r.Context())
	members, err := h.s.DB().MemberCount(r.Context(), a.Org.ID)
	if err != nil {
		return err
	}
	if v.Security, err = h.s.DB().OrgSecurity(r.Context(), a.Org.ID); err != nil {
		return err
	}
	v.Page = web.Page{Title: a.Org.Name, Breadcrumbs: web.OrgCrumbs(a)}
	v.Org, v.Role, v.Members = a.Org, a.Role, members
	v.MyEmergency = a.Emergency
	v.CanReview = a.Allows(identity.PermOrgSecurity)
	v.CanAudit = a.Allows(identity.PermOrgAudit)
	v.CanSettings = a.Allows(identity.PermOrgSettings)
	v.CanSSO = a.Allows(identity.PermOrgManage)
	if p := web.PrincipalOf(r.Context()); p.Session != nil && p.Session.MFAAt.IsZero() {
		v.NeedsMFA = true
	}
	if v.Dash, err = h.dashboard(r, a.Org.ID); err != nil {
		return err
	}
	if v.CanReview {
		// Running emergency access is listed too, so that the security
		// officer sees it at once, not only when it needs review.
		var more *store.Key
		if v.Unreviewed, more, err = h.s.DB().EmergencyPage(r.Context(), a.Org.ID, store.EmergencyQuery{Unreviewed: true}, store.Page{Limit: unreviewedShown}); err != nil {
			return err
		}
		v.MoreUnreviewed = more != nil
	}
	h.s.Render(w, r, status, "org", v)
	return nil
}

// membersView lists an organisation's members, with management forms for
// those who may manage them.
type membersView struct {
	web.Page
	Org       identity.Org
	Members   []memberRow
	CanManage bool
	Roles     []identity.Role
	// Explained says what each role may do (roles.go).
	Explained []roleExplained
	Problems  validate.Error
	Form      memberRequest
	Invite    string // the invitation link, shown once
	Notice    string
	// Invitations are those still waiting for an answer; they name the
	// email only, never the account behind it.
	Invitations []identity.Invitation
	// NextURL links to the next page of members ("" on the last).
	NextURL string
}

// memberRow is one member with the second factors they hold.
type memberRow struct {
	store.Member
	Factors store.Factors
}

func (h *Handler) membersPage(w http.ResponseWriter, r *http.Request) error {
	v := &membersView{}
	if r.URL.Query().Get("removed") == "1" {
		v.Notice = "The member was removed. Their account stays, and what they did stays in the audit log; you can invite them again."
	}
	return h.renderMembers(w, r, http.StatusOK, v)
}

func (h *Handler) renderMembers(w http.ResponseWriter, r *http.Request, status int, v *membersView) error {
	a := web.OrgOf(r.Context())
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	members, next, err := h.s.DB().MemberPage(r.Context(), a.Org.ID, pg)
	if err != nil {
		return err
	}
	ids := make([]int64, len(members))
	for i, m := range members {
		ids[i] = m.User.ID
	}
	factors, err := h.s.DB().FactorsOf(r.Context(), ids)
	if err != nil {
		return err
	}
	v.Members = make([]memberRow, len(members))
	for i, m := range members {
		v.Members[i] = memberRow{Member: m, Factors: factors[m.User.ID]}
	}
	v.NextURL = web.NextPageURL(r, next)
	v.Page = web.Page{Title: "Members of " + a.Org.Name, Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "Members"})}
	v.Org, v.Roles, v.Explained = a.Org, identity.Roles, explainRoles()
	v.CanManage = a.Allows(identity.PermOrgManage)
	if v.Invitations, err = h.s.DB().OrgInvitations(r.Context(), a.Org.ID); err != nil {
		return err
	}
	h.s.Render(w, r, status, "members", v)
	return nil
}

// memberRequest invites someone to the organisation by email.
type memberRequest struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
	Role  string `json:"role"`
}

// memberJSON describes a member in the API.
type memberJSON struct {
	UserID   int64     `json:"user_id"`
	Email    string    `json:"email"`
	Name     string    `json:"name"`
	Role     string    `json:"role"`
	Disabled bool      `json:"disabled"`
	Since    time.Time `json:"since"`
	// TOTP and Passkeys are the second factors the member holds;
	// LastSignInAt is null for someone who never signed in.
	TOTP         bool       `json:"totp"`
	Passkeys     int        `json:"passkeys"`
	LastSignInAt *time.Time `json:"last_sign_in_at"`
}

// invitationJSON answers an invitation to join. It is the same whether or
// not the email had an account: no user ID, no name.
type invitationJSON struct {
	Email         string    `json:"email"`
	Role          string    `json:"role"`
	Status        string    `json:"status"`
	ExpiresAt     time.Time `json:"expires_at"`
	InvitationURL string    `json:"invitation_url"`
}

// addMember invites the person: nobody becomes a member until they accept,
// signed in as themselves. An email without an account gets one (without a
// password), whose invitation link lets the person choose one. The inviter
// learns nothing about whether the account existed: the work, the answer and
// the link are the same.
func (h *Handler) addMember(r *http.Request, req memberRequest) (identity.Invitation, string, error) {
	a := web.OrgOf(r.Context())
	role, err := identity.ParseRole(req.Role)
	if err != nil {
		return identity.Invitation{}, "", validate.Error{"role": "must be owner, security_officer, contributor, auditor or viewer"}
	}
	if !a.OwnRole.MayGrant(role) {
		return identity.Invitation{}, "", validate.Error{"role": "only an owner may add another owner"}
	}
	secret, err := identity.NewSecret(identity.PrefixInvitation)
	if err != nil {
		return identity.Invitation{}, "", err
	}
	inv, err := h.s.DB().InviteMember(r.Context(), h.s.Actor(r), store.InviteMember{OrgID: a.Org.ID, Email: req.Email, Name: req.Name,
		Role: role, TokenHash: identity.HashSecret(secret), TTL: invitationLifetime})
	if err != nil {
		return identity.Invitation{}, "", err
	}
	return inv, h.s.InvitationURL(r, secret), nil
}

// invitationLifetime is how long an invitation link works.
const invitationLifetime = identity.InvitationLifetime

// invitedNotice is what the inviter reads, the same for every email.
func invitedNotice(email string, role identity.Role) string {
	return fmt.Sprintf("An invitation to join as %s was sent to %s. They become a member once they accept it.", role.Label(), identity.NormalizeEmail(email))
}

func (h *Handler) memberAdd(w http.ResponseWriter, r *http.Request) error {
	req := memberRequest{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: r.PostFormValue("role")}
	inv, link, err := h.addMember(r, req)
	var problems validate.Error
	if errors.As(err, &problems) || errors.Is(err, store.ErrConflict) {
		if problems == nil {
			problems = validate.Error{"email": "is already a member"}
		}
		return h.renderMembers(w, r, http.StatusUnprocessableEntity, &membersView{Problems: problems, Form: req})
	} else if err != nil {
		return err
	}
	v := &membersView{Invite: link, Notice: invitedNotice(inv.Email, inv.Role) + " Send them the link below as well; it works for 72 hours."}
	return h.renderMembers(w, r, http.StatusCreated, v)
}

// invitationCancel withdraws an invitation not yet answered.
func (h *Handler) invitationCancel(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return &web.HTTPError{Code: http.StatusNotFound, Msg: "No such invitation."}
	}
	if err := h.s.DB().CancelInvitation(r.Context(), h.s.Actor(r), a.Org.ID, id); err != nil {
		return err
	}
	if web.WantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, "/orgs/"+a.Org.Slug+"/members", http.StatusSeeOther)
	return nil
}

func (h *Handler) memberTarget(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("user"), 10, 64)
	if err != nil {
		return 0, &web.HTTPError{Code: http.StatusNotFound, Msg: "No such member."}
	}
	if _, err := h.s.DB().Membership(r.Context(), web.OrgOf(r.Context()).Org.ID, id); err != nil {
		return 0, err
	}
	return id, nil
}

func (h *Handler) memberRole(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	id, err := h.memberTarget(r)
	if err != nil {
		return err
	}
	role, err := identity.ParseRole(r.PostFormValue("role"))
	if err != nil {
		return validate.Error{"role": "must be owner, security_officer, contributor, auditor or viewer"}
	}
	if err := h.s.DB().SetMember(r.Context(), h.s.Actor(r), a.Org.ID, id, role); err != nil {
		return err
	}
	http.Redirect(w, r, "/orgs/"+a.Org.Slug+"/members", http.StatusSeeOther)
	return nil
}

// removeView asks to confirm removing a member.
type removeView struct {
	web.Page
	Org    identity.Org
	Member identity.User
	Role   identity.Role
}

// memberRemove removes a member once the remover has confirmed it: a form
// without confirm=yes (the Remove button of the members page, when no
// script has asked already) gets the confirmation page, whose button
// confirms.
func (h *Handler) memberRemove(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	id, err := h.memberTarget(r)
	if err != nil {
		return err
	}
	if r.PostFormValue("confirm") != "yes" {
		m, err := h.s.DB().Membership(r.Context(), a.Org.ID, id)
		if err != nil {
			return err
		}
		u, err := h.s.DB().User(r.Context(), id)
		if err != nil {
			return err
		}
		h.s.Render(w, r, http.StatusOK, "member_remove", &removeView{
			Page: web.Page{Title: "Remove a member", Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "Members", URL: "/orgs/" + a.Org.Slug + "/members"}, web.Crumb{Label: "Remove a member"})},
			Org:  a.Org, Member: u, Role: m.Role})
		return nil
	}
	if err := h.s.DB().RemoveMember(r.Context(), h.s.Actor(r), a.Org.ID, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/orgs/"+a.Org.Slug+"/members?removed=1", http.StatusSeeOther)
	return nil
}

// orgJSON is the API's organisation, the same as the CLI's.
type orgJSON = identity.OrgJSON

// apiOrgs lists the organisations the caller may see: their own, and every
// one for a platform administrator.
func (h *Handler) apiOrgs(w http.ResponseWriter, r *http.Request) error {
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	p := web.PrincipalOf(r.Context())
	// A platform administrator sees every organisation, except through a
	// token without the admin scope, which sees only the user's own.
	all := p.User.Admin && (p.Token == nil || p.Token.Scope == identity.ScopeAdmin)
	q := store.OrgQuery{UserID: p.User.ID, MemberOnly: !all}
	if p.Token != nil && p.Token.OrgID != 0 {
		q.OrgID = p.Token.OrgID
	}
	orgs, next, err := h.s.DB().OrgPage(r.Context(), q, pg)
	if err != nil {
		return err
	}
	items := make([]orgJSON, 0, len(orgs))
	for _, o := range orgs {
		items = append(items, o.Org.JSON(o.Role))
	}
	web.WritePage(h.s, w, r, items, next)
	return nil
}

func (h *Handler) apiOrg(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	h.s.WriteJSON(w, r, http.StatusOK, a.Org.JSON(a.Role))
	return nil
}

func (h *Handler) apiMembers(w http.ResponseWriter, r *http.Request) error {
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	members, next, err := h.s.DB().MemberPage(r.Context(), web.OrgOf(r.Context()).Org.ID, pg)
	if err != nil {
		return err
	}
	ids := make([]int64, len(members))
	for i, m := range members {
		ids[i] = m.User.ID
	}
	factors, err := h.s.DB().FactorsOf(r.Context(), ids)
	if err != nil {
		return err
	}
	items := make([]memberJSON, 0, len(members))
	for _, m := range members {
		f := factors[m.User.ID]
		j := memberJSON{UserID: m.User.ID, Email: m.User.Email, Name: m.User.Name, Role: string(m.Role), Disabled: !m.User.Active(), Since: m.At,
			TOTP: f.TOTP, Passkeys: f.Passkeys}
		if !m.User.LastLoginAt.IsZero() {
			at := m.User.LastLoginAt.UTC()
			j.LastSignInAt = &at
		}
		items = append(items, j)
	}
	web.WritePage(h.s, w, r, items, next)
	return nil
}

func (h *Handler) apiMemberAdd(w http.ResponseWriter, r *http.Request) error {
	var req memberRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	inv, link, err := h.addMember(r, req)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusCreated, invitationJSON{Email: inv.Email, Role: string(inv.Role), Status: "invited", ExpiresAt: inv.ExpiresAt.UTC(), InvitationURL: link})
	return nil
}
