package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
)

// JobState is where a background job stands.
type JobState string

// The states of a job. Interrupted is never stored: it is how a running job
// whose heartbeat has gone stale (its replica stopped) is reported.
const (
	JobRunning     JobState = "running"
	JobDone        JobState = "done"
	JobFailed      JobState = "failed"
	JobInterrupted JobState = "interrupted"
)

// Job is the latest run of a background job of one kind in one scope (an
// organisation or the whole deployment), as every replica sees it.
type Job struct {
	Kind  string
	Scope string
	// Run counts the job's runs; a runner may update only its own.
	Run        int64
	State      JobState
	Done       int64
	Total      int64
	StartedBy  string
	StartedAt  time.Time
	Heartbeat  time.Time
	FinishedAt time.Time
	// Result is what the runner recorded at the end, as JSON.
	Result []byte
}

// JobClaim asks to start a job of Kind in Scope unless one is running there.
type JobClaim struct {
	Kind      string
	Scope     string
	Total     int64
	StartedBy string
	// StaleAfter is how old a running job's heartbeat may be before its
	// replica is taken to have stopped and the job may be claimed again.
	StaleAfter time.Duration
	// Audit is the entry recorded when the claim succeeds.
	Audit audit.Entry
}

const jobColumns = `kind, scope, run, state, done, total, started_by, started_at, heartbeat, finished_at, result`

func scanJob(row interface{ Scan(...any) error }, j *Job) error {
	var result string
	err := row.Scan(&j.Kind, &j.Scope, &j.Run, &j.State, &j.Done, &j.Total, &j.StartedBy,
		timeValue{&j.StartedAt}, timeValue{&j.Heartbeat}, timeValue{&j.FinishedAt}, &result)
	if result != "" {
		j.Result = []byte(result)
	}
	return err
}

// ClaimJob starts a run of c.Kind in c.Scope unless one is running with a
// fresh heartbeat. It returns the job as it now stands and whether this call
// started it; the claim and its audit entry commit together. The claim is a
// conditional update of the job's one row, so of two replicas claiming at
// once exactly one succeeds, on SQLite and PostgreSQL alike.
func (db *DB) ClaimJob(ctx context.Context, actor Actor, c JobClaim) (Job, bool, error) {
	var j Job
	var claimed bool
	err := db.update(ctx, func(tx *Tx) error {
		claimed = false
		if _, err := tx.exec(ctx, `INSERT INTO jobs (kind, scope, state, started_at, heartbeat) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (kind, scope) DO NOTHING`, c.Kind, c.Scope, string(JobDone), tx.now, tx.now); err != nil {
			return fmt.Errorf("claim job %s %s: %w", c.Kind, c.Scope, err)
		}
		res, err := tx.exec(ctx, `UPDATE jobs SET run = run + 1, state = ?, done = 0, total = ?, started_by = ?,
			started_at = ?, heartbeat = ?, finished_at = NULL, result = ''
			WHERE kind = ? AND scope = ? AND (state <> ? OR heartbeat < ?)`,
			string(JobRunning), c.Total, c.StartedBy, tx.now, tx.now,
			c.Kind, c.Scope, string(JobRunning), tx.now.Add(-c.StaleAfter))
		if err != nil {
			return fmt.Errorf("claim job %s %s: %w", c.Kind, c.Scope, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("claim job %s %s: %w", c.Kind, c.Scope, err)
		}
		if j, err = tx.job(ctx, c.Kind, c.Scope, c.StaleAfter); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		claimed = true
		return tx.appendAudit(ctx, actor, c.Audit)
	})
	return j, claimed, err
}

// JobProgress records how far run has got and refreshes its heartbeat. It
// returns ErrConflict when the job is no longer run's: another replica took
// it over after its heartbeat went stale.
func (db *DB) JobProgress(ctx context.Context, kind, scope string, run, done int64) error {
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE jobs SET done = ?, heartbeat = ? WHERE kind = ? AND scope = ? AND run = ? AND state = ?`,
			done, tx.now, kind, scope, run, string(JobRunning))
		if err != nil {
			return fmt.Errorf("job %s %s progress: %w", kind, scope, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("job %s %s progress: %w", kind, scope, err)
		} else if n == 0 {
			return fmt.Errorf("job %s %s run %d was taken over: %w", kind, scope, run, ErrConflict)
		}
		return nil
	})
}

// FinishJob records run's end (JobDone or JobFailed) and its result, with the
// audit entry e in the same transaction. The entry is recorded even when the
// job was taken over meanwhile, since the work was done; the job's row then
// keeps the newer run.
func (db *DB) FinishJob(ctx context.Context, actor Actor, kind, scope string, run int64, state JobState, done int64, result []byte, e audit.Entry) error {
	if state != JobDone && state != JobFailed {
		return fmt.Errorf("finish job %s %s: state %q is not an end", kind, scope, state)
	}
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `UPDATE jobs SET state = ?, done = ?, heartbeat = ?, finished_at = ?, result = ?
			WHERE kind = ? AND scope = ? AND run = ? AND state = ?`,
			string(state), done, tx.now, tx.now, string(result), kind, scope, run, string(JobRunning)); err != nil {
			return fmt.Errorf("finish job %s %s: %w", kind, scope, err)
		}
		return tx.appendAudit(ctx, actor, e)
	})
}

// LatestJob returns the latest run of kind in scope, or ErrNotFound if there
// has been none. A running job whose heartbeat is older than staleAfter is
// reported as JobInterrupted.
func (db *DB) LatestJob(ctx context.Context, kind, scope string, staleAfter time.Duration) (Job, error) {
	var j Job
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		j, err = tx.job(ctx, kind, scope, staleAfter)
		return err
	})
	return j, err
}

func (tx *Tx) job(ctx context.Context, kind, scope string, staleAfter time.Duration) (Job, error) {
	var j Job
	err := scanJob(tx.queryRow(ctx, `SELECT `+jobColumns+` FROM jobs WHERE kind = ? AND scope = ?`, kind, scope), &j)
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("job %s %s: %w", kind, scope, ErrNotFound)
	} else if err != nil {
		return Job{}, fmt.Errorf("job %s %s: %w", kind, scope, err)
	}
	if j.Run == 0 {
		// The row exists but no run was ever claimed.
		return Job{}, fmt.Errorf("job %s %s: %w", kind, scope, ErrNotFound)
	}
	if j.State == JobRunning && j.Heartbeat.Before(tx.now.Add(-staleAfter)) {
		j.State = JobInterrupted
	}
	return j, nil
}
