package riskweb

import (
	"net/http"

	"github.com/safeguard-health/safeguard/internal/web"
)

// Deleting a flow or an asset takes two steps: the button on the list or
// the asset's page opens (in a <details>) a second button that posts
// confirm=yes; a post without it — from a form without that step, or
// with scripts and styles off in an old browser — gets the confirmation
// page below instead of deleting anything.

// confirmView is the page that asks before deleting.
type confirmView struct {
	web.Page
	Heading, Question, Consequence string
	Action, Back, Button           string
	// Hidden are fields posted again with the confirmation (Value is the
	// field's name, Label its value).
	Hidden []option
}

// confirmed reports whether the delete form r carries the second step.
func confirmed(r *http.Request) bool { return r.PostForm.Get("confirm") == "yes" }

func (h *Handler) renderConfirm(w http.ResponseWriter, r *http.Request, v *confirmView) error {
	h.s.Render(w, r, http.StatusOK, "risk_confirm_delete", v)
	return nil
}
