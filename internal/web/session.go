package web

import (
	"math"
	"net/http"
	"time"
)

// sessionStatus tells the idle-logout script how long the session has left,
// without extending it.
func (s *Server) sessionStatus(w http.ResponseWriter, r *http.Request) error {
	sess := PrincipalOf(r.Context()).Session
	if sess == nil {
		return &HTTPError{Code: http.StatusBadRequest, Msg: "Only browser sessions have an idle limit."}
	}
	now := s.db.Now()
	deadline := sess.IdleDeadline()
	if sess.ExpiresAt.Before(deadline) {
		deadline = sess.ExpiresAt
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, http.StatusOK, map[string]any{
		"idle_seconds":    int(sess.Idle / time.Second),
		"seconds_left":    int(math.Ceil(deadline.Sub(now).Seconds())),
		"expires_at":      sess.ExpiresAt,
		"idle_deadline":   deadline,
		"absolute_reason": sess.ExpiresAt.Equal(deadline),
	})
	return nil
}

// keepAlive is "Stay signed in": the request itself extends the session.
func (s *Server) keepAlive(w http.ResponseWriter, r *http.Request) error {
	sess := PrincipalOf(r.Context()).Session
	if sess == nil {
		return &HTTPError{Code: http.StatusBadRequest, Msg: "Only browser sessions have an idle limit."}
	}
	if _, err := s.db.TouchSession(r.Context(), *sess, 0); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
