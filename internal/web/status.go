package web

import (
	"context"
	"net/http"
	"runtime"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
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
	Orgs          []identity.Org
	Started       time.Time
	Uptime        string
	GoVersion     string
	Secure        bool
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
		if v.Orgs, err = s.db.Orgs(ctx); err != nil {
			return err
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
