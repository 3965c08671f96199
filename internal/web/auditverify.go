package web

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/store"
)

// verifyJob is the one audit-log verification that may run at a time, in
// the background, with its progress for the page to show.
type verifyJob struct {
	mu       sync.Mutex
	running  bool
	done     int64
	total    int64
	started  time.Time
	finished time.Time
	by       string
	report   *audit.Report
	failure  string
}

// verifyStatus is what GET .../audit/verify answers.
type verifyStatus struct {
	Running     bool       `json:"running"`
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

func (j *verifyJob) status() verifyStatus {
	j.mu.Lock()
	defer j.mu.Unlock()
	st := verifyStatus{Running: j.running, Done: j.done, Total: j.total, StartedBy: j.by, Error: j.failure}
	if j.total > 0 {
		st.Percent = min(100, 100*float64(j.done)/float64(j.total))
	}
	if !j.started.IsZero() {
		t := j.started
		st.StartedAt = &t
	}
	if !j.finished.IsZero() {
		t := j.finished
		st.FinishedAt = &t
	}
	if j.report != nil {
		intact := j.report.Problem == nil
		st.Intact = &intact
		st.Entries = j.report.Entries
		st.Root = hex.EncodeToString(j.report.Root[:])
		st.Checkpoints = j.report.Checkpoints
		if j.report.Problem != nil {
			st.Problem = j.report.Problem.Error()
		}
	}
	return st
}

// startVerify begins a verification unless one is running. The goroutine
// ends when the replay of the log finishes or fails.
func (s *Server) startVerify(r *http.Request) error {
	j := &s.verify
	j.mu.Lock()
	if j.running {
		j.mu.Unlock()
		return nil
	}
	total, err := s.db.AuditSize(r.Context())
	if err != nil {
		j.mu.Unlock()
		return err
	}
	j.running, j.done, j.total = true, 0, total
	j.started, j.finished = time.Now().UTC(), time.Time{}
	j.by, j.report, j.failure = principalOf(r.Context()).User.Email, nil, ""
	j.mu.Unlock()
	actor := s.actor(r)
	go func() {
		ctx := context.Background()
		report, err := s.runVerify(ctx, func(done int64) {
			j.mu.Lock()
			j.done = done
			j.mu.Unlock()
		})
		summary := ""
		switch {
		case err != nil:
			summary = "verification failed to run"
			s.log.Error("audit verify", slog.Any("err", err))
		case report.Problem != nil:
			summary = "DAMAGED: " + report.Problem.Error()
		default:
			summary = fmt.Sprintf("intact: %d entries, %d checkpoints", report.Entries, report.Checkpoints)
		}
		// The result is recorded before it is shown, so whoever reads it can
		// find it in the log.
		if aerr := s.db.Audit(ctx, actor, audit.Entry{Action: "audit.verify", Object: "audit:log", Summary: summary}); aerr != nil {
			s.log.Error("audit verify: record result", slog.Any("err", aerr))
		}
		j.mu.Lock()
		defer j.mu.Unlock()
		j.running, j.finished = false, time.Now().UTC()
		if err != nil {
			j.failure = "The verification could not read the log: " + err.Error()
			return
		}
		j.report, j.done = &report, report.Entries
	}()
	return nil
}

// runVerify replays the whole log against the stored checkpoints and the
// trusted public keys kept outside the database.
func (s *Server) runVerify(ctx context.Context, progress func(int64)) (audit.Report, error) {
	var keys audit.Keys
	var err error
	if s.cfg.AuditKeys == nil {
		err = &audit.TrustError{Kind: audit.NoPinnedKeys, Detail: "this server was started without a public keys file to trust"}
	} else {
		keys, err = s.cfg.AuditKeys()
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
	cps, err := s.db.AuditCheckpoints(ctx)
	if err != nil {
		return audit.Report{}, err
	}
	rep, err := audit.Verify(s.db.AuditRecords(ctx, 1, 0), audit.VerifyOptions{Keys: keys, Checkpoints: cps, Progress: progress})
	if err == nil && rep.Problem == nil {
		rep.Problem = s.db.CheckStoredTree(ctx, rep.Latest)
	}
	return rep, err
}

func (s *Server) auditVerifyStart(w http.ResponseWriter, r *http.Request, back string) error {
	if err := s.startVerify(r); err != nil {
		return err
	}
	if wantsJSON(r) {
		s.writeJSON(w, r, http.StatusAccepted, s.verify.status())
		return nil
	}
	http.Redirect(w, r, back+"#verify", http.StatusSeeOther)
	return nil
}

func (s *Server) orgAuditVerifyStart(w http.ResponseWriter, r *http.Request) error {
	return s.auditVerifyStart(w, r, "/orgs/"+orgOf(r.Context()).Org.Slug+"/audit")
}

func (s *Server) adminAuditVerifyStart(w http.ResponseWriter, r *http.Request) error {
	return s.auditVerifyStart(w, r, "/admin/audit")
}

func (s *Server) auditVerifyStatus(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, http.StatusOK, s.verify.status())
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

func (s *Server) proofFor(ctx context.Context, seq int64) *proofView {
	p, err := s.db.ProveAudit(ctx, seq)
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
