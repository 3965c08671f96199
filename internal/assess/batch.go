package assess

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/validate"
)

// Edit is one entry's part of a change that covers several entries at once
// (a guided-mode standard, rows of the table): its new response, its new
// §164.306(d)(3) decision, or both. The bases are the versions the person
// had in front of them (0: nothing was recorded yet); a save made over a
// version that is no longer the stored one would overwrite a change they
// never saw, so it is refused as a [Conflict].
type Edit struct {
	Citation     string    `json:"citation"`
	Response     *Response `json:"response,omitempty"`
	ResponseBase int       `json:"response_base"`
	Decision     *Decision `json:"decision,omitempty"`
	DecisionBase int       `json:"decision_base"`
}

// Check reports the problems with the edit's fields as an edit of entry e
// of a. questions are the entry's guided questions (nil: not checked).
func (ed Edit) Check(e EntrySnapshot, questions []string) EntryProblem {
	p := EntryProblem{Citation: e.Citation}
	if ed.Response == nil && ed.Decision == nil {
		p.Response = validate.Error{"citation": "has nothing to save"}
	}
	if ed.Response != nil {
		p.Response = problemsIn(ValidateResponse(e, *ed.Response, questions))
	}
	if ed.Decision != nil {
		p.Decision = problemsIn(ValidateDecision(e, *ed.Decision))
	}
	return p
}

func problemsIn(err error) validate.Error {
	var v validate.Error
	if errors.As(err, &v) {
		return v
	}
	return nil
}

// Part names what a conflict or problem is about.
type Part string

// The parts of an entry.
const (
	PartResponse Part = "response"
	PartDecision Part = "decision"
)

// Conflict says that someone saved part of an entry after the person
// making an edit loaded it.
type Conflict struct {
	Part    Part      `json:"part"`
	Edited  int       `json:"edited_version"`
	Current int       `json:"current_version"`
	By      string    `json:"saved_by"`
	At      time.Time `json:"saved_at"`
}

// EntryProblem is why one entry of a change could not be saved: problems
// with the fields of its response or its decision, and versions saved by
// someone else in the meantime.
type EntryProblem struct {
	Citation  string         `json:"citation"`
	Response  validate.Error `json:"response,omitempty"`
	Decision  validate.Error `json:"decision,omitempty"`
	Conflicts []Conflict     `json:"conflicts,omitempty"`
}

// OK reports whether the entry has no problem.
func (p EntryProblem) OK() bool {
	return len(p.Response) == 0 && len(p.Decision) == 0 && len(p.Conflicts) == 0
}

// Conflict returns the conflict on part, if there is one.
func (p EntryProblem) Conflict(part Part) (Conflict, bool) {
	for _, c := range p.Conflicts {
		if c.Part == part {
			return c, true
		}
	}
	return Conflict{}, false
}

func (p EntryProblem) String() string {
	var parts []string
	for _, c := range p.Conflicts {
		parts = append(parts, fmt.Sprintf("the %s was saved by %s (version %d) after version %d was loaded", c.Part, c.By, c.Current, c.Edited))
	}
	if len(p.Response) > 0 {
		parts = append(parts, "response "+strings.TrimPrefix(p.Response.Error(), "invalid input: "))
	}
	if len(p.Decision) > 0 {
		parts = append(parts, "decision "+strings.TrimPrefix(p.Decision.Error(), "invalid input: "))
	}
	return p.Citation + ": " + strings.Join(parts, "; ")
}

// BatchError refuses a change to several entries as a whole: nothing of it
// was saved. Entries lists every entry that needs attention, in the order
// of the change.
type BatchError struct {
	Entries []EntryProblem
}

func (e *BatchError) Error() string {
	lines := make([]string, len(e.Entries))
	for i, p := range e.Entries {
		lines[i] = p.String()
	}
	return fmt.Sprintf("nothing was saved: %d entries need attention: %s", len(e.Entries), strings.Join(lines, " | "))
}

// Entry returns the problem of the entry with the given citation.
func (e *BatchError) Entry(citation string) (EntryProblem, bool) {
	for _, p := range e.Entries {
		if p.Citation == citation {
			return p, true
		}
	}
	return EntryProblem{}, false
}

// Conflicted reports whether any entry was saved by someone else meanwhile.
func (e *BatchError) Conflicted() bool {
	for _, p := range e.Entries {
		if len(p.Conflicts) > 0 {
			return true
		}
	}
	return false
}
