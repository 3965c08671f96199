// Package jobs runs Safeguard's scheduled work — reminders, email digests,
// the mail outbox, audit checkpoints and verification, backups — once per
// period across every replica sharing a database, and again after a restart
// when a run was interrupted.
//
// It is built on River (github.com/riverqueue/river): each registered job
// is a River periodic job in a queue of its own, inserted as a unique job
// for its period, so that however many replicas run, and however often they
// restart, one run per period is queued; River's leader election, retries
// and rescue of stuck runs do the rest. The job state lives in River's
// tables in the store's database (store.JobQueue).
//
// A new job is registered in cmd/safeguard's serve between jobs.New and
// Runner.Start, e.g. a nightly backup:
//
//	runner.Register("backup", 24*time.Hour, func(ctx context.Context) error {
//		return backup(ctx, ...) // honour ctx; a cut-off run is run again
//	})
//
// A run is cut off after Runner.Timeout (one hour by default).
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/safeguard-health/safeguard/internal/store"
)

// Func is the work of a job. It should return soon after ctx ends; an error
// (ctx's included) has the run tried again after Runner.Retry.
type Func func(ctx context.Context) error

type job struct {
	name  string
	every time.Duration
	fn    Func
}

// Runner runs registered jobs on their schedules. Register every job, then
// Start; Stop before the database closes.
type Runner struct {
	db   *store.DB
	log  *slog.Logger
	jobs map[string]job
	// ID names this runner (this replica) in River's tables; empty: River
	// picks one.
	ID string
	// Retry is how long a failed or interrupted run waits before it is
	// tried again (default one minute).
	Retry time.Duration
	// Poll is how often the runner looks for runs due (default five
	// seconds: the jobs are periodic, and an idle server stays quiet).
	Poll time.Duration
	// Timeout bounds one run (default one hour). A run whose replica died
	// is taken up again by another after Timeout and ten minutes more.
	Timeout time.Duration

	client *river.Client[*sql.Tx]
}

// New returns a runner of jobs on db, logging to log.
func New(db *store.DB, log *slog.Logger) *Runner {
	return &Runner{db: db, log: log, jobs: map[string]job{}}
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)

// Register adds the job name, run every period (every must be at least a
// second). Runs fall on the period's boundaries counted from the Unix epoch
// in UTC (every 24h: at midnight UTC), and once when the runner starts if
// the current period has not had its run yet. Each period gets one run
// across all replicas that registered the job; a replica that did not
// register it never runs it.
func (r *Runner) Register(name string, every time.Duration, fn Func) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("jobs: name %q: want lower-case letters, digits and underscores", name)
	}
	if every < time.Second {
		return fmt.Errorf("jobs: %s: period %s is shorter than a second", name, every)
	}
	if _, dup := r.jobs[name]; dup {
		return fmt.Errorf("jobs: %s is registered twice", name)
	}
	if r.client != nil {
		return fmt.Errorf("jobs: %s registered after Start", name)
	}
	r.jobs[name] = job{name: name, every: every, fn: fn}
	return nil
}

// runArgs are the arguments of every job's River row: its name alone.
type runArgs struct {
	Name string `json:"name"`
}

func (runArgs) Kind() string { return "safeguard_scheduled" }

// boundary is a River schedule firing on multiples of every since the epoch.
type boundary time.Duration

func (b boundary) Next(t time.Time) time.Time {
	return t.Truncate(time.Duration(b)).Add(time.Duration(b))
}

// worker runs the job its row names.
type worker struct {
	river.WorkerDefaults[runArgs]
	r *Runner
}

func (w *worker) Work(ctx context.Context, j *river.Job[runArgs]) error {
	jb, ok := w.r.jobs[j.Args.Name]
	if !ok {
		return fmt.Errorf("job %s is not registered on this replica", j.Args.Name)
	}
	start := time.Now()
	err := jb.fn(ctx)
	if err != nil {
		w.r.log.Warn("scheduled job failed", slog.String("job", jb.name), slog.Int("attempt", j.Attempt), slog.Any("err", err))
		return err
	}
	w.r.log.Debug("scheduled job done", slog.String("job", jb.name), slog.Duration("took", time.Since(start)))
	return nil
}

func (w *worker) Timeout(*river.Job[runArgs]) time.Duration { return w.r.timeout() }

func (r *Runner) timeout() time.Duration {
	if r.Timeout > 0 {
		return r.Timeout
	}
	return time.Hour
}

// retry waits a fixed time before each new attempt.
type retry time.Duration

func (d retry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(time.Duration(d)) }

// Start prepares River's tables and starts working. The runner stops when
// Stop is called or ctx ends.
func (r *Runner) Start(ctx context.Context) error {
	if r.client != nil {
		return errors.New("jobs: started twice")
	}
	if len(r.jobs) == 0 {
		return nil
	}
	// The tables are made whole even if a stop signal arrives meanwhile.
	if err := r.db.PrepareJobQueue(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &worker{r: r}); err != nil {
		return err
	}
	queues := map[string]river.QueueConfig{}
	var periodic []*river.PeriodicJob
	longest := time.Duration(0)
	for _, jb := range r.jobs {
		queue := "sg_" + jb.name
		queues[queue] = river.QueueConfig{MaxWorkers: 1}
		longest = max(longest, jb.every)
		periodic = append(periodic, river.NewPeriodicJob(boundary(jb.every), func() (river.JobArgs, *river.InsertOpts) {
			return runArgs{Name: jb.name}, &river.InsertOpts{Queue: queue, MaxAttempts: 5,
				UniqueOpts: river.UniqueOpts{ByArgs: true, ByQueue: true, ByPeriod: jb.every}}
		}, &river.PeriodicJobOpts{RunOnStart: true}))
	}
	retryAfter := r.Retry
	if retryAfter <= 0 {
		retryAfter = time.Minute
	}
	poll := r.Poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	client, err := river.NewClient(r.db.JobQueue(), &river.Config{
		ID:                r.ID,
		Queues:            queues,
		Workers:           workers,
		PeriodicJobs:      periodic,
		PollOnly:          true,
		FetchPollInterval: poll,
		FetchCooldown:     min(poll, 100*time.Millisecond),
		JobTimeout:        r.timeout(),
		// A run whose replica died is rescued after this long.
		RescueStuckJobsAfter: r.timeout() + 10*time.Minute,
		RetryPolicy:          retry(retryAfter),
		// Finished runs are kept past their period, so that a runner
		// starting later in the same period finds the run already done.
		CompletedJobRetentionPeriod: max(24*time.Hour, longest+time.Hour),
		Logger:                      r.log.With(slog.String("component", "jobs")),
	})
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	if err := client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	r.client = client
	return nil
}

// Stop cancels the runs in progress, which are tried again after a restart
// (on this replica or another), and waits for the runner to stop or for ctx
// to end.
func (r *Runner) Stop(ctx context.Context) error {
	if r.client == nil {
		return nil
	}
	err := r.client.StopAndCancel(ctx)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	return err
}
