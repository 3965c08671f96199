package auditweb

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/web"
)

// The audit-log verification runs in the background on whichever replica
// was asked to start it; its state lives in the jobs table so that every
// replica can answer for it.
const (
	verifyKind = "audit.verify"
	// jobTick is how often a running job writes its progress and heartbeat.
	jobTick = time.Second
	// jobStaleAfter is how long a running job may go without a heartbeat
	// before its replica is taken to have stopped.
	jobStaleAfter = 30 * time.Second
)

// verifyScope is the job scope of a verification started from the request's
// page: each organisation's auditors see their own runs, administrators the
// deployment's. Every run replays the whole log.
func verifyScope(r *http.Request) string {
	if a := web.OrgOf(r.Context()); a != nil && a.Org.ID != 0 {
		return "org:" + strconv.FormatInt(a.Org.ID, 10)
	}
	return "deployment"
}

// verifyStatus is what GET .../audit/verify answers.
type verifyStatus struct {
	Running     bool       `json:"running"`
	State       string     `json:"state,omitempty"`
	Done        int64      `json:"done"`
	Total       int64      `json:"total"`
	Percent     float64    `json:"percent"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	StartedBy   string     `json:"started_by,omitempty"`
	Intact      *bool      `json:"intact,omitempty"`
	Entries     int64      `json:"entries,omitempty"`
	Root        string     `json:"root,omitempty"`
	Checkpoints int        `json:"checkpoints,omitempty"`
	Problem     string     `json:"problem,omitempty"`
	Error       string     `json:"error,omitempty"`
}

// verifyResult is what a finished run records in its job's result.
type verifyResult struct {
	Intact      bool   `json:"intact"`
	Entries     int64  `json:"entries"`
	Root        string `json:"root"`
	Checkpoints int    `json:"checkpoints"`
	Problem     string `json:"problem,omitempty"`
	Error       string `json:"error,omitempty"`
}

// statusOf turns a job into what the page and the API show.
func statusOf(j store.Job) verifyStatus {
	st := verifyStatus{Running: j.State == store.JobRunning, State: string(j.State), Done: j.Done, Total: j.Total, StartedBy: j.StartedBy}
	if j.Total > 0 {
		st.Percent = min(100, 100*float64(j.Done)/float64(j.Total))
	}
	if !j.StartedAt.IsZero() {
		t := j.StartedAt
		st.StartedAt = &t
	}
	if !j.FinishedAt.IsZero() {
		t := j.FinishedAt
		st.FinishedAt = &t
	}
	switch j.State {
	case store.JobInterrupted:
		st.Error = "The verification started at " + j.StartedAt.Format("2006-01-02 15:04 UTC") +
			" was interrupted: the server running it stopped answering. Start it again."
	case store.JobDone, store.JobFailed:
		var res verifyResult
		if err := json.Unmarshal(j.Result, &res); err != nil {
			st.Error = "The verification's result could not be read."
			break
		}
		if res.Error != "" {
			st.Error = res.Error
			break
		}
		intact := res.Intact
		st.Intact = &intact
		st.Entries, st.Root, st.Checkpoints, st.Problem = res.Entries, res.Root, res.Checkpoints, res.Problem
	}
	return st
}

// verifyStatusFor reads the latest verification in the request's scope.
func (h *Handler) verifyStatusFor(r *http.Request) (verifyStatus, error) {
	j, err := h.s.DB().LatestJob(r.Context(), verifyKind, verifyScope(r), jobStaleAfter)
	if errors.Is(err, store.ErrNotFound) {
		return verifyStatus{}, nil
	}
	if err != nil {
		return verifyStatus{}, err
	}
	return statusOf(j), nil
}

// startVerify begins a verification in the request's scope unless one is
// running there on any replica, and returns the job as it stands. The
// goroutine ends when the replay of the log finishes or fails, or when
// another replica has taken the job over.
func (h *Handler) startVerify(r *http.Request) (store.Job, error) {
	total, err := h.s.DB().AuditSize(r.Context())
	if err != nil {
		return store.Job{}, err
	}
	scope := verifyScope(r)
	actor := h.s.Actor(r)
	j, claimed, err := h.s.DB().ClaimJob(r.Context(), actor, store.JobClaim{
		Kind: verifyKind, Scope: scope, Total: total, StartedBy: web.PrincipalOf(r.Context()).User.Email, StaleAfter: jobStaleAfter,
		Audit: audit.Entry{Action: "audit.verify.start", Object: "audit:log", Summary: fmt.Sprintf("started verifying %d entries", total)},
	})
	if err != nil || !claimed {
		return j, err
	}
	go h.runVerifyJob(j, actor)
	return j, nil
}

// runVerifyJob runs the claimed job j to its end, writing its progress and
// heartbeat every jobTick, and records the result with its audit entry.
func (h *Handler) runVerifyJob(j store.Job, actor store.Actor) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var done atomic.Int64
	beat := make(chan struct{})
	// The heartbeat ends when the run does (beat is closed), or when the
	// job turns out to have been taken over, which also cancels the run.
	go func() {
		t := time.NewTicker(jobTick)
		defer t.Stop()
		for {
			select {
			case <-beat:
				return
			case <-t.C:
				err := h.s.DB().JobProgress(ctx, j.Kind, j.Scope, j.Run, done.Load())
				if errors.Is(err, store.ErrConflict) {
					h.s.Log().Warn("audit verify: taken over by another replica", slog.String("scope", j.Scope))
					cancel()
					return
				} else if err != nil && ctx.Err() == nil {
					h.s.Log().Error("audit verify: heartbeat", slog.Any("err", err))
				}
			}
		}
	}()
	report, err := h.runVerify(ctx, done.Store)
	close(beat)
	if ctx.Err() != nil {
		return
	}
	state, res, summary := store.JobDone, verifyResult{}, ""
	switch {
	case err != nil:
		state, summary = store.JobFailed, "verification failed to run"
		res.Error = "The verification could not read the log: " + err.Error()
		h.s.Log().Error("audit verify", slog.Any("err", err))
	default:
		res = verifyResult{Intact: report.Problem == nil, Entries: report.Entries, Root: hex.EncodeToString(report.Root[:]), Checkpoints: report.Checkpoints}
		done.Store(report.Entries)
		if report.Problem != nil {
			res.Problem = report.Problem.Error()
			summary = "DAMAGED: " + res.Problem
		} else {
			summary = fmt.Sprintf("intact: %d entries, %d checkpoints", report.Entries, report.Checkpoints)
		}
	}
	body, merr := json.Marshal(res)
	if merr != nil {
		h.s.Log().Error("audit verify: encode result", slog.Any("err", merr))
		return
	}
	// The result is recorded in the log in the same transaction that makes
	// it visible, so whoever reads it can find it there.
	if ferr := h.s.DB().FinishJob(ctx, actor, j.Kind, j.Scope, j.Run, state, done.Load(), body,
		audit.Entry{Action: "audit.verify", Object: "audit:log", Summary: summary}); ferr != nil {
		h.s.Log().Error("audit verify: record result", slog.Any("err", ferr))
	}
}

// runVerify replays the whole log against the stored checkpoints and the
// trusted public keys kept outside the database.
func (h *Handler) runVerify(ctx context.Context, progress func(int64)) (audit.Report, error) {
	var keys audit.Keys
	var err error
	if h.s.Config().AuditKeys == nil {
		err = &audit.TrustError{Kind: audit.NoPinnedKeys, Detail: "this server was started without a public keys file to trust"}
	} else {
		keys, err = h.s.Config().AuditKeys()
	}
	// Keys that cannot be trusted fail the verification, with the reason;
	// the keys recorded in the database are never a fallback.
	var te *audit.TrustError
	if errors.As(err, &te) {
		return audit.Report{Problem: te.Problem()}, nil
	}
	if err != nil {
		return audit.Report{}, err
	}
	cps, err := h.s.DB().AuditCheckpoints(ctx)
	if err != nil {
		return audit.Report{}, err
	}
	rep, err := audit.Verify(h.s.DB().AuditRecords(ctx, 1, 0), audit.VerifyOptions{Keys: keys, Checkpoints: cps, Progress: progress})
	if err == nil && rep.Problem == nil {
		rep.Problem = h.s.DB().CheckStoredTree(ctx, rep.Latest)
	}
	return rep, err
}

func (h *Handler) auditVerifyStart(w http.ResponseWriter, r *http.Request, back string) error {
	j, err := h.startVerify(r)
	if err != nil {
		return err
	}
	if web.WantsJSON(r) {
		h.s.WriteJSON(w, r, http.StatusAccepted, statusOf(j))
		return nil
	}
	http.Redirect(w, r, back+"#verify", http.StatusSeeOther)
	return nil
}

func (h *Handler) orgAuditVerifyStart(w http.ResponseWriter, r *http.Request) error {
	return h.auditVerifyStart(w, r, "/orgs/"+web.OrgOf(r.Context()).Org.Slug+"/audit")
}

func (h *Handler) adminAuditVerifyStart(w http.ResponseWriter, r *http.Request) error {
	return h.auditVerifyStart(w, r, "/admin/audit")
}

func (h *Handler) auditVerifyStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := h.verifyStatusFor(r)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	h.s.WriteJSON(w, r, http.StatusOK, st)
	return nil
}

// proofView is an entry's inclusion proof as the page shows it.
type proofView struct {
	Leaf       string
	Prev       string
	TreeSize   int64
	Root       string
	At         time.Time
	KeyID      string
	Hashes     []string
	Unproven   string // why there is no proof yet
	Verified   bool   // the proof was checked against the checkpoint here
	VerifyNote string
}

func (h *Handler) proofFor(ctx context.Context, seq int64) *proofView {
	p, err := h.s.DB().ProveAudit(ctx, seq)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return &proofView{Unproven: "No checkpoint has been signed yet; the first comes within a minute of activity."}
		}
		return &proofView{Unproven: "This entry is newer than the latest signed checkpoint; the next checkpoint (within a minute) will cover it."}
	}
	v := &proofView{Leaf: p.Record.Hash.String(), Prev: p.Record.PrevHash.String(), TreeSize: p.Checkpoint.TreeSize,
		Root: p.Checkpoint.Root.String(), At: p.Checkpoint.At, KeyID: p.Checkpoint.KeyID}
	for _, h := range p.Proof {
		v.Hashes = append(v.Hashes, h.String())
	}
	return v
}
