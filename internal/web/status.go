package web

import (
	"context"
	"net/http"
	"runtime"
	"time"

	"github.com/safeguard-health/safeguard/internal/store"
)

// statusView is the instance status page.
type statusView struct {
	Page
	Ready         bool
	ReadyProblem  string
	Dialect       string
	SchemaVersion int
	SchemaLatest  int
	Orgs          []store.OrgEntry
	Started       time.Time
	Uptime        string
	GoVersion     string
	Secure        bool

	// MoreOrgs links to the next page of organisations on the admin list
	// when there are more than the status page shows.
	MoreOrgs string
}

func (s *Server) statusPage(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	v := statusView{
		Page:      Page{Title: "Instance status"},
		Dialect:   dialectLabel(s.db.Dialect()),
		Started:   s.started,
		Uptime:    time.Since(s.started).Round(time.Second).String(),
		GoVersion: runtime.Version(),
		Secure:    clientOf(r.Context()).Secure,
	}
	var err error
	v.SchemaVersion, v.SchemaLatest, err = s.db.SchemaVersion(ctx)
	if err == nil {
		err = s.db.Ready(ctx)
	}
	if err != nil {
		v.ReadyProblem = "The database is not ready."
		s.log.WarnContext(ctx, "status: database not ready", "err", err)
	} else {
		v.Ready = true
	}
	if v.Ready {
		orgs, next, err := s.db.OrgPage(ctx, store.OrgQuery{}, store.Page{Limit: store.DefaultPageLimit})
		if err != nil {
			return err
		}
		v.Orgs = orgs
		if next != nil {
			v.MoreOrgs = "/admin/orgs?cursor=" + encodeCursor(*next)
		}
	}
	s.render(w, r, http.StatusOK, "status", &v)
	return nil
}

func dialectLabel(d store.Dialect) string {
	switch d {
	case store.SQLite:
		return "SQLite (embedded)"
	case store.Postgres:
		return "PostgreSQL"
	}
	return string(d)
}
