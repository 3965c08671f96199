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

const emergencyColumns = `e.id, e.org_id, e.user_id, u.email, u.name, e.reason, e.started_at, e.ends_at, e.ended_at, e.ended_by,
	e.reviewed_at, COALESCE(e.reviewed_by, 0), COALESCE(r.email, ''), e.review_note`

const emergencyFrom = ` FROM emergency_access e JOIN users u ON u.id = e.user_id LEFT JOIN users r ON r.id = e.reviewed_by`

func scanEmergency(row interface{ Scan(...any) error }) (identity.Emergency, error) {
	var e identity.Emergency
	err := row.Scan(&e.ID, &e.OrgID, &e.UserID, &e.UserEmail, &e.UserName, &e.Reason, timeValue{&e.StartedAt}, timeValue{&e.EndsAt},
		timeValue{&e.EndedAt}, &e.EndedBy, timeValue{&e.ReviewedAt}, &e.ReviewedBy, &e.ReviewerEmail, &e.ReviewNote)
	return e, err
}

// StartEmergency begins emergency access for userID in orgID at once, and
// notifies the organisation's owners and security officers in the same
// transaction. A user with emergency access already running gets ErrConflict.
func (db *DB) StartEmergency(ctx context.Context, actor Actor, e identity.Emergency) (identity.Emergency, error) {
	if err := e.Validate(); err != nil {
		return identity.Emergency{}, err
	}
	err := db.update(ctx, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM emergency_access WHERE org_id = ? AND user_id = ? AND ended_at IS NULL AND ends_at > ?`,
			e.OrgID, e.UserID, tx.now).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return conflict("Emergency access is already active.")
		}
		e.StartedAt = tx.now
		e.EndsAt = tx.now.Add(e.Duration)
		id, err := tx.insert(ctx, `INSERT INTO emergency_access (org_id, user_id, reason, started_at, ends_at) VALUES (?, ?, ?, ?, ?)`,
			e.OrgID, e.UserID, e.Reason, e.StartedAt, e.EndsAt)
		if err != nil {
			return err
		}
		e.ID = id
		if err := tx.appendAudit(ctx, actor, audit.Entry{OrgID: e.OrgID, Action: "emergency.start", Object: fmt.Sprintf("emergency:%d", id),
			Summary: fmt.Sprintf("emergency access for user %d until %s: %s", e.UserID, e.EndsAt.Format(time.RFC3339), e.Reason)}); err != nil {
			return err
		}
		// Tell everyone who answers for security in the organisation.
		rows, err := tx.query(ctx, `SELECT user_id FROM memberships WHERE org_id = ? AND role IN ('owner', 'security_officer') AND user_id <> ?`, e.OrgID, e.UserID)
		if err != nil {
			return err
		}
		var notify []int64
		for rows.Next() {
			var uid int64
			if err := rows.Scan(&uid); err != nil {
				rows.Close()
				return err
			}
			notify = append(notify, uid)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, uid := range notify {
			if err := tx.notify(ctx, Notification{UserID: uid, OrgID: e.OrgID, Kind: "emergency",
				Message: fmt.Sprintf("Emergency access started by %s until %s. Reason: %s", e.UserEmail, e.EndsAt.Format("15:04 MST"), e.Reason),
				Link:    fmt.Sprintf("/orgs/%s/emergency/%d", e.OrgSlug, id)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return identity.Emergency{}, fmt.Errorf("start emergency access: %w", err)
	}
	return e, nil
}

// ActiveEmergency returns the user's running emergency access in orgID, or
// ErrNotFound.
func (db *DB) ActiveEmergency(ctx context.Context, orgID, userID int64) (identity.Emergency, error) {
	var e identity.Emergency
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		e, err = scanEmergency(tx.queryRow(ctx, `SELECT `+emergencyColumns+emergencyFrom+`
			WHERE e.org_id = ? AND e.user_id = ? AND e.ended_at IS NULL AND e.ends_at > ? ORDER BY e.id DESC LIMIT 1`, orgID, userID, db.Now().UTC()))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	return e, err
}

// UserInEmergency reports whether the user has emergency access running in
// any organisation.
func (db *DB) UserInEmergency(ctx context.Context, userID int64) (bool, error) {
	var n int
	err := db.view(ctx, func(tx *Tx) error {
		return tx.queryRow(ctx, `SELECT COUNT(*) FROM emergency_access WHERE user_id = ? AND ended_at IS NULL AND ends_at > ?`,
			userID, db.Now().UTC()).Scan(&n)
	})
	return n > 0, err
}

// Emergency returns one emergency access record of orgID, or ErrNotFound.
func (db *DB) Emergency(ctx context.Context, orgID, id int64) (identity.Emergency, error) {
	var e identity.Emergency
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		e, err = scanEmergency(tx.queryRow(ctx, `SELECT `+emergencyColumns+emergencyFrom+` WHERE e.org_id = ? AND e.id = ?`, orgID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	return e, err
}

// EmergencyQuery picks which of an organisation's emergency access records
// a list shows: one member's (UserID) or everyone's (0), and only those
// still awaiting review.
type EmergencyQuery struct {
	UserID     int64
	Unreviewed bool
}

// EmergencyPage lists orgID's emergency access, newest first, a page at a
// time: the key is the ID alone, read downwards on the (org_id, id) index.
func (db *DB) EmergencyPage(ctx context.Context, orgID int64, q EmergencyQuery, p Page) ([]identity.Emergency, *Key, error) {
	size := p.size()
	query := `SELECT ` + emergencyColumns + emergencyFrom + ` WHERE e.org_id = ?`
	args := []any{orgID}
	if q.UserID != 0 {
		query += ` AND e.user_id = ?`
		args = append(args, q.UserID)
	}
	if q.Unreviewed {
		query += ` AND e.reviewed_at IS NULL`
	}
	if !p.After.IsZero() {
		query += ` AND e.id < ?`
		args = append(args, p.After.ID)
	}
	var out []identity.Emergency
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanEmergency, query+` ORDER BY e.id DESC LIMIT ?`, append(args, size+1)...)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("emergency access of org %d: %w", orgID, err)
	}
	out, next := cut(out, size, func(e identity.Emergency) Key { return Key{ID: e.ID} })
	return out, next, nil
}

// EndEmergency ends running emergency access early.
func (db *DB) EndEmergency(ctx context.Context, actor Actor, orgID, id int64) error {
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE emergency_access SET ended_at = ?, ended_by = ? WHERE org_id = ? AND id = ? AND ended_at IS NULL AND ends_at > ?`,
			tx.now, actor.Name, orgID, id, tx.now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return conflictf("Emergency access %d is not running.", id)
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "emergency.end", Object: fmt.Sprintf("emergency:%d", id), Summary: "ended early"})
	})
}

// ReviewEmergency closes the review of finished emergency access. The person
// who used it may not review it, and running access cannot be reviewed
// (identity.Emergency.Review).
func (db *DB) ReviewEmergency(ctx context.Context, actor Actor, orgID, id, reviewerID int64, note string) error {
	if err := identity.CheckReviewNote(note); err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		e, err := scanEmergency(tx.queryRow(ctx, `SELECT `+emergencyColumns+emergencyFrom+` WHERE e.org_id = ? AND e.id = ?`, orgID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if err := e.Review(reviewerID, note, tx.now); err != nil {
			return refused(err)
		}
		if _, err := tx.exec(ctx, `UPDATE emergency_access SET reviewed_at = ?, reviewed_by = ?, review_note = ? WHERE id = ?`,
			e.ReviewedAt, e.ReviewedBy, e.ReviewNote, id); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "emergency.review", Object: fmt.Sprintf("emergency:%d", id),
			Summary: "reviewed and closed: " + note})
	})
}

// Notification is an in-app message to one user.
type Notification struct {
	ID        int64
	UserID    int64
	OrgID     int64
	Kind      string
	Message   string
	Link      string
	CreatedAt time.Time
	ReadAt    time.Time
}

func (tx *Tx) notify(ctx context.Context, n Notification) error {
	var org any
	if n.OrgID != 0 {
		org = n.OrgID
	}
	_, err := tx.exec(ctx, `INSERT INTO notifications (user_id, org_id, kind, message, link, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		n.UserID, org, n.Kind, n.Message, n.Link, tx.now)
	return err
}

// NotificationPage returns the user's notifications, newest first, a page
// at a time: the key is the ID alone, read downwards on (user_id, id).
func (db *DB) NotificationPage(ctx context.Context, userID int64, p Page) ([]Notification, *Key, error) {
	size := p.size()
	query := `SELECT id, user_id, COALESCE(org_id, 0), kind, message, link, created_at, read_at FROM notifications WHERE user_id = ?`
	args := []any{userID}
	if !p.After.IsZero() {
		query += ` AND id < ?`
		args = append(args, p.After.ID)
	}
	var out []Notification
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanNotification, query+` ORDER BY id DESC LIMIT ?`, append(args, size+1)...)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("notifications of user %d: %w", userID, err)
	}
	out, next := cut(out, size, func(n Notification) Key { return Key{ID: n.ID} })
	return out, next, nil
}

func scanNotification(row scanner) (Notification, error) {
	var n Notification
	err := row.Scan(&n.ID, &n.UserID, &n.OrgID, &n.Kind, &n.Message, &n.Link, timeValue{&n.CreatedAt}, timeValue{&n.ReadAt})
	return n, err
}

// UnreadNotifications counts the user's unread notifications.
func (db *DB) UnreadNotifications(ctx context.Context, userID int64) (int, error) {
	var n int
	err := db.view(ctx, func(tx *Tx) error {
		return tx.queryRow(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL`, userID).Scan(&n)
	})
	return n, err
}

// MarkNotificationsRead marks all of the user's notifications read.
func (db *DB) MarkNotificationsRead(ctx context.Context, userID int64) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL`, tx.now, userID)
		return err
	})
}

// OutboxItem is a notification waiting to be sent by email.
type OutboxItem struct {
	Notification
	Email    string
	Attempts int
}

// maxEmailAttempts bounds retries of an email that keeps failing.
const maxEmailAttempts = 5

// Outbox returns notifications not yet emailed (and not given up on), oldest
// first, with their recipients' addresses.
func (db *DB) Outbox(ctx context.Context, limit int) ([]OutboxItem, error) {
	var out []OutboxItem
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT n.id, n.user_id, COALESCE(n.org_id, 0), n.kind, n.message, n.link, n.created_at, u.email, n.email_attempts
			FROM notifications n JOIN users u ON u.id = n.user_id
			WHERE n.emailed_at IS NULL AND n.email_attempts < ? AND n.digest_only = ? AND u.disabled_at IS NULL ORDER BY n.id LIMIT ?`, maxEmailAttempts, false, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o OutboxItem
			if err := rows.Scan(&o.ID, &o.UserID, &o.OrgID, &o.Kind, &o.Message, &o.Link, timeValue{&o.CreatedAt}, &o.Email, &o.Attempts); err != nil {
				return err
			}
			out = append(out, o)
		}
		return rows.Err()
	})
	return out, err
}

// MarkEmailed records the outcome of sending one notification: sent, or
// failed with the reason (retried later, up to a limit).
func (db *DB) MarkEmailed(ctx context.Context, id int64, sendErr error) error {
	return db.update(ctx, func(tx *Tx) error {
		if sendErr == nil {
			_, err := tx.exec(ctx, `UPDATE notifications SET emailed_at = ?, email_attempts = email_attempts + 1, email_error = '' WHERE id = ?`, tx.now, id)
			return err
		}
		_, err := tx.exec(ctx, `UPDATE notifications SET email_attempts = email_attempts + 1, email_error = ? WHERE id = ?`, truncate(sendErr.Error(), 500), id)
		return err
	})
}
