package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
)

// InviteMember is what inviting someone to an organisation needs: the email
// (an account is made for it when none exists), the name for such a new
// account, the role, and the hash of the invitation link's secret.
type InviteMember struct {
	OrgID     int64
	Email     string
	Name      string
	Role      identity.Role
	TokenHash string
	TTL       time.Duration
}

const invitationColumns = `i.id, i.org_id, o.slug, o.name, i.user_id, u.email, i.role, i.new_account, i.invited_by,
	i.created_at, i.expires_at, i.answered_at, i.answer`

const invitationFrom = ` FROM member_invitations i JOIN orgs o ON o.id = i.org_id JOIN users u ON u.id = i.user_id`

func scanInvitation(row interface{ Scan(...any) error }) (identity.Invitation, error) {
	var i identity.Invitation
	err := row.Scan(&i.ID, &i.OrgID, &i.OrgSlug, &i.OrgName, &i.UserID, &i.Email, &i.Role, &i.NewAccount, &i.InvitedBy,
		timeValue{&i.CreatedAt}, timeValue{&i.ExpiresAt}, timeValue{&i.AnsweredAt}, &i.Answer)
	return i, err
}

// InviteMember invites a person to an organisation. The same work is done
// whether or not the email already has an account (a new one is made without
// a password when it has not), so that neither the answer nor its timing
// tells the inviter which. The person is notified; the membership exists only
// once they accept. An earlier pending invitation to the same organisation is
// replaced. A person who is already a member is ErrConflict.
func (db *DB) InviteMember(ctx context.Context, actor Actor, n InviteMember) (identity.Invitation, error) {
	if _, err := identity.ParseRole(string(n.Role)); err != nil {
		return identity.Invitation{}, fieldError("role", "must be owner, security_officer, contributor, auditor or viewer")
	}
	u := identity.User{Email: n.Email, Name: n.Name}
	u.Normalize()
	if err := u.Validate(); err != nil {
		return identity.Invitation{}, err
	}
	if n.TTL <= 0 {
		n.TTL = identity.InvitationLifetime
	}
	var inv identity.Invitation
	err := db.update(ctx, func(tx *Tx) error {
		existing, err := tx.userWhere(ctx, "email = ?", u.Email)
		newAccount := errors.Is(err, ErrNotFound)
		switch {
		case newAccount:
			id, err := tx.insert(ctx, `INSERT INTO users (email, name, password_hash, must_change_password, is_admin, created_at)
				VALUES (?, ?, '', ?, ?, ?)`, u.Email, u.Name, false, false, tx.now)
			if err != nil {
				return err
			}
			u.ID = id
			if err := tx.appendAudit(ctx, actor, audit.Entry{Action: "user.create", Object: userObject(id),
				Summary: fmt.Sprintf("created user %s to invite to org %d", u.Email, n.OrgID)}); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			u = existing
			// An account an earlier invitation of this same organisation
			// made, and nobody has set up yet, may still be set up from
			// the new link; never one another organisation made.
			var k int
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM member_invitations WHERE org_id = ? AND user_id = ? AND new_account = ?`,
				n.OrgID, u.ID, true).Scan(&k); err != nil {
				return err
			}
			newAccount = k > 0
		}
		var n0 int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM memberships WHERE org_id = ? AND user_id = ?`, n.OrgID, u.ID).Scan(&n0); err != nil {
			return err
		}
		if n0 > 0 {
			return conflictf("%s is already a member.", u.Email)
		}
		if _, err := tx.exec(ctx, `UPDATE member_invitations SET answered_at = ?, answer = ? WHERE org_id = ? AND user_id = ? AND answered_at IS NULL`,
			tx.now, string(identity.InvitationReplaced), n.OrgID, u.ID); err != nil {
			return err
		}
		inv = identity.Invitation{OrgID: n.OrgID, UserID: u.ID, Email: u.Email, Role: n.Role, NewAccount: newAccount,
			InvitedBy: actor.Name, CreatedAt: tx.now, ExpiresAt: tx.now.Add(n.TTL)}
		if err := tx.queryRow(ctx, `SELECT slug, name FROM orgs WHERE id = ?`, n.OrgID).Scan(&inv.OrgSlug, &inv.OrgName); err != nil {
			return fmt.Errorf("org %d: %w", n.OrgID, err)
		}
		id, err := tx.insert(ctx, `INSERT INTO member_invitations (token_hash, org_id, user_id, role, new_account, invited_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, n.TokenHash, n.OrgID, u.ID, string(n.Role), newAccount, actor.Name, inv.CreatedAt, inv.ExpiresAt)
		if err != nil {
			return err
		}
		inv.ID = id
		// The organisation's log names the email, never the account: its
		// readers must not learn whether one existed.
		if err := tx.appendAudit(ctx, actor, audit.Entry{OrgID: n.OrgID, Action: "member.invite", Object: invitationObject(id),
			Summary: fmt.Sprintf("invited %s as %s until %s", u.Email, n.Role, inv.ExpiresAt.Format(time.RFC3339))}); err != nil {
			return err
		}
		return tx.notify(ctx, Notification{UserID: u.ID, Kind: "invitation",
			Message: fmt.Sprintf("You are invited to join %s as %s. Accept or decline it on your account page.", inv.OrgName, n.Role.Label()),
			Link:    "/account#invitations"})
	})
	if err != nil {
		return identity.Invitation{}, fmt.Errorf("invite member: %w", err)
	}
	return inv, nil
}

func invitationObject(id int64) string { return fmt.Sprintf("invitation:%d", id) }

// MemberInvitationByToken returns the invitation stored under tokenHash, or
// ErrNotFound.
func (db *DB) MemberInvitationByToken(ctx context.Context, tokenHash string) (identity.Invitation, error) {
	return db.invitationWhere(ctx, "i.token_hash = ?", tokenHash)
}

func (db *DB) invitationWhere(ctx context.Context, where string, args ...any) (identity.Invitation, error) {
	var inv identity.Invitation
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		inv, err = tx.invitationWhere(ctx, where, args...)
		return err
	})
	return inv, err
}

func (tx *Tx) invitationWhere(ctx context.Context, where string, args ...any) (identity.Invitation, error) {
	inv, err := scanInvitation(tx.queryRow(ctx, `SELECT `+invitationColumns+invitationFrom+` WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return identity.Invitation{}, fmt.Errorf("invitation: %w", ErrNotFound)
	}
	return inv, err
}

// PendingInvitations returns the invitations the user may still answer,
// newest first.
func (db *DB) PendingInvitations(ctx context.Context, userID int64) ([]identity.Invitation, error) {
	return db.invitations(ctx, "i.user_id = ?", userID)
}

// OrgInvitations returns the organisation's invitations still waiting for an
// answer, newest first.
func (db *DB) OrgInvitations(ctx context.Context, orgID int64) ([]identity.Invitation, error) {
	return db.invitations(ctx, "i.org_id = ?", orgID)
}

func (db *DB) invitations(ctx context.Context, where string, arg int64) ([]identity.Invitation, error) {
	var out []identity.Invitation
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanInvitation, `SELECT `+invitationColumns+invitationFrom+` WHERE `+where+
			` AND i.answered_at IS NULL AND i.expires_at > ? ORDER BY i.id DESC`, arg, db.Now().UTC())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	return out, nil
}

// pendingInvitation locks in the invitation id of userID (0: any user) for
// an answer: it must exist and still be open.
func (tx *Tx) pendingInvitation(ctx context.Context, id, userID int64) (identity.Invitation, error) {
	inv, err := tx.invitationWhere(ctx, "i.id = ?", id)
	if err != nil {
		return identity.Invitation{}, err
	}
	if userID != 0 && inv.UserID != userID {
		return identity.Invitation{}, fmt.Errorf("invitation %d: %w", id, ErrNotFound)
	}
	if !inv.Pending(tx.now) {
		return identity.Invitation{}, conflict("The invitation has expired or was answered already.")
	}
	return inv, nil
}

func (tx *Tx) closeInvitation(ctx context.Context, actor Actor, inv identity.Invitation, answer identity.InvitationAnswer) error {
	res, err := tx.exec(ctx, `UPDATE member_invitations SET answered_at = ?, answer = ? WHERE id = ? AND answered_at IS NULL`,
		tx.now, string(answer), inv.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return conflict("The invitation was answered already.")
	}
	if answer == identity.InvitationAccepted {
		if err := tx.addMember(ctx, actor, inv.OrgID, inv.UserID, inv.Role); err != nil {
			return err
		}
	}
	return tx.appendAudit(ctx, actor, audit.Entry{OrgID: inv.OrgID, Action: "member.invite_" + string(answer), Object: invitationObject(inv.ID),
		Summary: fmt.Sprintf("invitation of %s as %s %s", inv.Email, inv.Role, answer)})
}

// AnswerInvitation accepts or declines one of userID's pending invitations.
// Accepting makes the membership, in the same transaction.
func (db *DB) AnswerInvitation(ctx context.Context, actor Actor, userID, id int64, accept bool) (identity.Invitation, error) {
	var inv identity.Invitation
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		if inv, err = tx.pendingInvitation(ctx, id, userID); err != nil {
			return err
		}
		answer := identity.InvitationDeclined
		if accept {
			answer = identity.InvitationAccepted
		}
		return tx.closeInvitation(ctx, actor, inv, answer)
	})
	if err != nil {
		return identity.Invitation{}, fmt.Errorf("answer invitation %d: %w", id, err)
	}
	return inv, nil
}

// CancelInvitation withdraws a pending invitation of orgID.
func (db *DB) CancelInvitation(ctx context.Context, actor Actor, orgID, id int64) error {
	err := db.update(ctx, func(tx *Tx) error {
		inv, err := tx.pendingInvitation(ctx, id, 0)
		if err != nil {
			return err
		}
		if inv.OrgID != orgID {
			return fmt.Errorf("invitation %d: %w", id, ErrNotFound)
		}
		return tx.closeInvitation(ctx, actor, inv, identity.InvitationCancelled)
	})
	if err != nil {
		return fmt.Errorf("cancel invitation %d: %w", id, err)
	}
	return nil
}

// SetUpInvitedAccount is the first visit of a person whose account an
// invitation made: it sets the password and accepts the invitation in one
// transaction. It refuses (ErrConflict) unless the account is still the
// untouched one the invitation made, so that an invitation link can never
// set the password of an account someone already uses.
func (db *DB) SetUpInvitedAccount(ctx context.Context, actor Actor, id int64, passwordHash string) error {
	err := db.update(ctx, func(tx *Tx) error {
		inv, err := tx.pendingInvitation(ctx, id, 0)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE users SET password_hash = ?, password_set_at = ?, must_change_password = ?
			WHERE id = ? AND password_hash = '' AND password_set_at IS NULL AND last_login_at IS NULL`, passwordHash, tx.now, false, inv.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 || !inv.NewAccount {
			return conflict("The account was set up already.")
		}
		if err := tx.appendAudit(ctx, actor, audit.Entry{Action: "user.invite_accept", Object: userObject(inv.UserID),
			Summary: "chose a password from an invitation to join " + inv.OrgSlug}); err != nil {
			return err
		}
		return tx.closeInvitation(ctx, actor, inv, identity.InvitationAccepted)
	})
	if err != nil {
		return fmt.Errorf("set up invited account: %w", err)
	}
	return nil
}
