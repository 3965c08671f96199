package jobs

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/mail"
	"github.com/safeguard-health/safeguard/internal/store"
)

// Standard says how to build Safeguard's own jobs.
type Standard struct {
	DB  *store.DB
	Log *slog.Logger
	// Mail sends the outbox and the digests; nil: no email.
	Mail *mail.Sender
	// AuditKeys returns the checkpoint keys trusted from outside the
	// database; nil: the daily verification reports that none are pinned.
	AuditKeys func() (audit.Keys, error)
	// Outbox is how often the mail outbox is delivered (default 10s).
	Outbox time.Duration
}

// RegisterStandard registers reminders (hourly), digests (hourly; each
// member's daily and weekly digests go once per day and week), the mail
// outbox and the daily audit verification on r.
func RegisterStandard(r *Runner, c Standard) error {
	reg := func(name string, every time.Duration, fn Func) error {
		if err := r.Register(name, every, fn); err != nil {
			return err
		}
		return nil
	}
	if err := reg("reminders", time.Hour, func(ctx context.Context) error {
		rs, err := c.DB.Reminders(ctx, time.Now(), nil)
		if err != nil {
			return err
		}
		// In batches, so that a first run over a large organisation does
		// not hold the writer for long.
		sent := 0
		for len(rs) > 0 {
			batch := rs[:min(len(rs), 500)]
			rs = rs[len(batch):]
			n, err := c.DB.SendReminders(ctx, batch)
			sent += n
			if err != nil {
				return err
			}
		}
		if sent > 0 {
			c.Log.Info("reminders sent", slog.Int("new", sent))
		}
		return nil
	}); err != nil {
		return err
	}
	if err := reg("audit_verify", 24*time.Hour, func(ctx context.Context) error {
		return VerifyAudit(ctx, c.DB, c.AuditKeys, c.Log)
	}); err != nil {
		return err
	}
	if c.Mail == nil {
		return nil
	}
	if err := reg("digests", time.Hour, func(ctx context.Context) error {
		_, err := c.Mail.SendDigests(ctx, c.DB, time.Now(), c.Log)
		return err
	}); err != nil {
		return err
	}
	every := c.Outbox
	if every <= 0 {
		every = 10 * time.Second
	}
	return reg("mail_outbox", every, func(ctx context.Context) error {
		_, err := c.Mail.Deliver(ctx, c.DB, c.Log)
		return err
	})
}

// The scheduled verification records its result where the audit log's
// verify page reads the deployment's latest run (auditweb), in the same
// form, so that administrators see it there.
const (
	verifyKind  = "audit.verify"
	verifyScope = "deployment"
)

type verifyResult struct {
	Intact      bool   `json:"intact"`
	Entries     int64  `json:"entries"`
	Root        string `json:"root"`
	Checkpoints int    `json:"checkpoints"`
	Problem     string `json:"problem,omitempty"`
	Error       string `json:"error,omitempty"`
}

// VerifyAudit replays the whole audit log against its checkpoints and the
// trusted keys, records the result (and its audit entry), and when the log
// is damaged or cannot be read tells every platform administrator. A run
// already going on another replica, or started from the page, is left to
// finish.
func VerifyAudit(ctx context.Context, db *store.DB, keys func() (audit.Keys, error), log *slog.Logger) error {
	actor := store.Actor{Name: "system:scheduler"}
	total, err := db.AuditSize(ctx)
	if err != nil {
		return err
	}
	j, claimed, err := db.ClaimJob(ctx, actor, store.JobClaim{Kind: verifyKind, Scope: verifyScope, Total: total, StartedBy: "scheduled",
		StaleAfter: 30 * time.Second, Audit: audit.Entry{Action: "audit.verify.start", Object: "audit:log", Summary: fmt.Sprintf("scheduled: verifying %d entries", total)}})
	if err != nil || !claimed {
		return err
	}
	// The heartbeat keeps the run visibly alive on every replica (the
	// verify page calls a run without one for 30 seconds interrupted); it
	// ends with the replay, or when the page's user took the job over,
	// which also stops the replay.
	var done atomic.Int64
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	beat := make(chan struct{})
	beatDone := make(chan struct{})
	go func() {
		defer close(beatDone)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-beat:
				return
			case <-t.C:
				if err := db.JobProgress(runCtx, j.Kind, j.Scope, j.Run, done.Load()); errors.Is(err, store.ErrConflict) {
					cancel()
					return
				}
			}
		}
	}()
	rep, verr := replay(runCtx, db, keys, done.Store)
	close(beat)
	<-beatDone
	if runCtx.Err() != nil {
		return runCtx.Err()
	}
	state, res, summary := store.JobDone, verifyResult{}, ""
	switch {
	case verr != nil:
		state, summary = store.JobFailed, "scheduled verification failed to run"
		res.Error = "The verification could not read the log: " + verr.Error()
	default:
		res = verifyResult{Intact: rep.Problem == nil, Entries: rep.Entries, Root: hex.EncodeToString(rep.Root[:]), Checkpoints: rep.Checkpoints}
		if rep.Problem != nil {
			res.Problem = rep.Problem.Error()
			summary = "DAMAGED: " + res.Problem
		} else {
			summary = fmt.Sprintf("intact: %d entries, %d checkpoints", rep.Entries, rep.Checkpoints)
		}
	}
	body, err := json.Marshal(res)
	if err != nil {
		return err
	}
	if err := db.FinishJob(ctx, actor, j.Kind, j.Scope, j.Run, state, rep.Entries, body,
		audit.Entry{Action: "audit.verify", Object: "audit:log", Summary: summary}); err != nil {
		return err
	}
	if verr == nil && rep.Problem == nil {
		log.Info("scheduled audit verification: intact", slog.Int64("entries", rep.Entries))
		return nil
	}
	log.Error("scheduled audit verification failed", slog.String("summary", summary))
	// The notice says where to look, not what was found.
	return db.NotifyAdmins(ctx, "audit_verify_failed",
		"The scheduled verification of the audit log did not find it intact. Open the audit log's verification page for the details.", "/admin/audit")
}

func replay(ctx context.Context, db *store.DB, keys func() (audit.Keys, error), progress func(int64)) (audit.Report, error) {
	var k audit.Keys
	var err error
	if keys == nil {
		err = &audit.TrustError{Kind: audit.NoPinnedKeys, Detail: "this server was started without a public keys file to trust"}
	} else {
		k, err = keys()
	}
	var te *audit.TrustError
	if errors.As(err, &te) {
		return audit.Report{Problem: te.Problem()}, nil
	}
	if err != nil {
		return audit.Report{}, err
	}
	cps, err := db.AuditCheckpoints(ctx)
	if err != nil {
		return audit.Report{}, err
	}
	rep, err := audit.Verify(db.AuditRecords(ctx, 1, 0), audit.VerifyOptions{Keys: k, Checkpoints: cps, Progress: progress})
	if err == nil && rep.Problem == nil {
		rep.Problem = db.CheckStoredTree(ctx, rep.Latest)
	}
	return rep, err
}
