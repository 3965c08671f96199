package assess

import (
	"fmt"
	"time"

	"github.com/safeguard-health/safeguard/internal/problem"
)

// A final assessment is the documentation §164.316(b) asks for: nothing in
// it changes any more (CheckEditable), and it is kept six years from the
// date it was last in effect (RetainedUntil, CheckDeletable). The store
// calls these inside the transaction that would change or delete the
// assessment; the database's triggers remain the last guard behind them.

// FinalError refuses a change to a final assessment. It is a conflict
// (problem.Conflict) with the sign-off date in its message.
type FinalError struct {
	Name        string
	FinalisedAt time.Time
}

func (e *FinalError) Error() string {
	return fmt.Sprintf("Assessment %q was finalised on %s and cannot be changed; start a new one as a copy.",
		e.Name, e.FinalisedAt.Format("2 January 2006"))
}

// Unwrap makes the refusal a conflict for whoever reads problems.
func (e *FinalError) Unwrap() error { return problem.New(problem.Conflict, e.Error(), nil) }

// CheckEditable refuses, with a *FinalError, any change to a final
// assessment's responses, decisions, reviews or status.
func (a Assessment) CheckEditable() error {
	if a.Editable() {
		return nil
	}
	return &FinalError{Name: a.Name, FinalisedAt: a.FinalisedAt}
}

// RetentionError refuses to delete an assessment still inside its retention
// period; Until is the first day it may go. It is a conflict
// (problem.Conflict).
type RetentionError struct {
	Until time.Time
}

func (e *RetentionError) Error() string {
	if e.Until.IsZero() {
		return "the assessment is the one in effect: it must be kept while in effect and six years after a newer one replaces it (§164.316(b)(2)(i))"
	}
	return fmt.Sprintf("the assessment must be kept until %s (six years from its last effective date, §164.316(b)(2)(i))",
		e.Until.Format("2 January 2006"))
}

// Unwrap makes the refusal a conflict for whoever reads problems.
func (e *RetentionError) Unwrap() error {
	return problem.New(problem.Conflict, RetentionText(e.Until), nil)
}

// RetentionText says, as a person reads it, how long an assessment retained
// until until must be kept; a zero until means it is still in effect.
func RetentionText(until time.Time) string {
	if until.IsZero() {
		return "This assessment is the one in effect: it must be kept while it is, and for six years after a newer assessment is signed off (§164.316(b)(2)(i))."
	}
	return fmt.Sprintf("This assessment must be kept until %s (six years from its last effective date, §164.316(b)(2)(i)); it can be deleted from then on.",
		until.Format("2 January 2006"))
}

// RetainedUntil is the first day a may be deleted, and whether at now it
// must still be kept. Only a final assessment is retained: while it is in
// effect (zero time, true: its last effective date is not known yet), and
// then six years from its last effective date, the day a newer one was
// signed off (§164.316(b)(2)(i)). A draft or one in review may go at any
// time (zero, false).
func RetainedUntil(a Assessment, now time.Time) (time.Time, bool) {
	if a.Status != StatusFinal {
		return time.Time{}, false
	}
	if a.InEffect() {
		return time.Time{}, true
	}
	until := a.RetainUntil
	if until.IsZero() {
		until = RetainUntil(a.FinalisedAt)
	}
	return until, now.Before(until)
}

// CheckDeletable refuses, with a *RetentionError, to delete an assessment
// that must still be kept at now.
func CheckDeletable(a Assessment, now time.Time) error {
	if until, kept := RetainedUntil(a, now); kept {
		return &RetentionError{Until: until}
	}
	return nil
}
